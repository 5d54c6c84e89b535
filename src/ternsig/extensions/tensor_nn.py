"""Handlers of the tensor extension's network ops: ATTN, ROPE_APPLY, LAYERNORM, RMSNORM and the
KV cache (KV_APPEND, KV_READ, KV_CLEAR, KV_APPEND_POS, KV_READ_POS).

The table that declares them is :mod:`ternsig.extensions.tensor`; this module only holds the
arithmetic, kept apart because it is the heavy part.

Exactness: every intermediate is int64 with the reference's wrap-around (NumPy int64 arithmetic
wraps the way Rust release i64 does), every ``/`` truncates (``tdiv_pos_arr``), results are clamped
to i32 exactly where the reference clamps.
"""
from __future__ import annotations

from typing import Optional

import numpy as np

from ..errors import ExecFault, PanicFault
from ..intmath import I32_MAX, I32_MIN, sat_i32_arr, tdiv_pos_arr
from ..vm.state import HotBuffer
from ._regs import hot_reg as _hot

_I64 = np.int64
_I32 = np.int32

ROPE_SIZE = 1024
_ROPE: Optional[tuple[np.ndarray, np.ndarray]] = None


def _last_dim(h: HotBuffer) -> int:
    """``shape.last()`` or the data length, at least 1."""
    return max(h.shape[-1] if h.shape else len(h.data), 1)


def _padded(h: HotBuffer, rows: int, cols: int) -> np.ndarray:
    """The data as a [rows, cols] int64 matrix; missing elements read as 0 (``get().unwrap_or(0)``)."""
    n = rows * cols
    x = np.zeros(n, _I64)
    k = min(n, len(h.data))
    x[:k] = h.data[:k]
    return x.reshape(rows, cols)


def read_register_i32(m, byte: int, n: int) -> np.ndarray:
    """The reference's ``read_register_i32``: a hot register's first n values (zeros if it is
    missing or shorter than n), a cold register's first n weights p*m (zero-padded), zeros for any
    other bank."""
    bank, idx = byte >> 6, byte & 0x3F
    if bank == 0:
        h = m.hot[idx]
        if h is not None and len(h.data) >= n:
            return h.data[:n].astype(_I64)
    elif bank == 1:
        cb = m.cold[idx]
        if cb is not None:
            out = np.zeros(n, _I64)
            k = min(n, len(cb.pol))
            out[:k] = cb.values()[:k]
            return out
    return np.zeros(n, _I64)


def isqrt_newton(v: np.ndarray) -> np.ndarray:
    """The reference's integer square root, vectorised over rows.

    Newton from ``v/2`` that stops as soon as a step moves by at most 1 (so the answer can be
    ``floor(sqrt(v)) + 1``); values ≤ 1 are returned unchanged. ``v`` must be positive int64.
    """
    v = np.asarray(v, _I64)
    out = v.copy()
    big = v > 1
    if not big.any():
        return out
    vv = v[big]
    x0 = vv // 2
    x1 = (x0 + vv // x0) // 2
    active = np.abs(x1 - x0) > 1
    while active.any():
        x0 = np.where(active, x1, x0)
        x1 = np.where(active, (x0 + vv // x0) // 2, x1)
        active &= np.abs(x1 - x0) > 1
    out[big] = np.maximum(x1, 1)
    return out


# ---- ATTN ------------------------------------------------------------------------------------

def _dims(h: HotBuffer) -> tuple[int, int]:
    rows = max(h.shape[0] if len(h.shape) > 0 else 1, 1)
    cols = max(h.shape[1] if len(h.shape) > 1 else len(h.data) // rows, 1)
    return rows, cols


def attn(m, a, b, c, d):
    """out(D) = softmax(q(A)·k(B)ᵀ)·v(C), integer: scores i64, weights ``e*255/Σe``, out ``Σw·v/255``."""
    q, k, v = _hot(m, a), _hot(m, b), _hot(m, c)
    q_rows, q_cols = _dims(q)
    k_rows, k_cols = _dims(k)
    v_rows, v_cols = _dims(v)
    if q_cols != k_cols or k_rows != v_rows:
        raise ExecFault("ATTN shape mismatch")
    Q = _padded(q, q_rows, q_cols)
    K = _padded(k, k_rows, q_cols)
    V = _padded(v, k_rows, v_cols)
    scores = Q @ K.T                                      # int64, wraps like release i64
    diff = scores - scores.max(axis=1, keepdims=True)
    e = np.maximum(256 + tdiv_pos_arr(np.minimum(np.maximum(diff, -1024), 1024), 256), 1)
    total = np.maximum(e.sum(axis=1, keepdims=True), 1)
    w = (e * 255) // total                                # all positive: floor == trunc
    out = tdiv_pos_arr(w @ V, 255).astype(_I32)          # `as i32` (cannot exceed max |v|)
    m.hot[d & 0x3F] = HotBuffer(out.ravel(), (q_rows, v_cols))


# ---- ROPE ------------------------------------------------------------------------------------

def rope_table() -> tuple[np.ndarray, np.ndarray]:
    """(sin, cos) × 256 as i32, 1024 entries: angle = i·0.0005 in f32, trig in f32, truncated.

    The f32 trig is taken as the double-precision value rounded to f32 (what a correctly rounded
    ``sinf``/``cosf`` returns); tests/extensions/test_tensor.py checks it against the golden table.
    """
    global _ROPE
    if _ROPE is None:
        angle = np.arange(ROPE_SIZE, dtype=np.float32) * np.float32(0.0005)
        a64 = angle.astype(np.float64)
        s = np.sin(a64).astype(np.float32) * np.float32(256.0)
        c = np.cos(a64).astype(np.float32) * np.float32(256.0)
        _ROPE = (np.trunc(s).astype(_I64), np.trunc(c).astype(_I64))
    return _ROPE


def rope_apply(m, a, b, c, d):
    """Rotate pairs (x[i], x[i+1]) of every row of H[A], i < min(B, last dim), by table entry
    (C + i/2) % 1024, dividing by 256 (truncating) and clamping to i32.

    When the rotated width is odd and equals the row width, the reference's last pair of each row
    reaches into the next row's first element (rows are processed in order, so the next row then
    rotates that already-rotated value); on the last row it indexes past the end and panics.
    """
    h = _hot(m, a)
    L = _last_dim(h)
    apply_dim = min(b, L)
    if apply_dim < 2:
        return None
    sin, cos = rope_table()
    data = h.data.astype(_I64)
    n = len(data)
    rows = n // L
    if rows == 0:
        return None
    npairs = (apply_dim + 1) // 2
    tidx = (c + np.arange(npairs)) % ROPE_SIZE
    s_t, c_t = sin[tidx], cos[tidx]
    # an odd rotation width smaller than L stays inside each row; equal to L, each row's last
    # pair takes the next row's first element as its partner
    cross = apply_dim % 2 == 1 and apply_dim == L
    if cross and rows * L >= n:
        # the last row's final pair would read data[rows*L], past the end
        raise PanicFault(f"ROPE_APPLY index out of bounds: the len is {n} but the index is {rows * L} "
                         f"(odd rotation width {apply_dim} equal to the row width)")
    base = np.arange(rows) * L
    if cross:
        # cross-row pairs first: (last of row r, first of row r+1) from the original values;
        # row r+1's own first pair then reads the rotated value
        i = apply_dim - 1
        x0, x1 = data[base + i], data[base + i + 1]
        ss, cc = s_t[npairs - 1], c_t[npairs - 1]
        data[base + i] = _clamp64(tdiv_pos_arr(x0 * cc - x1 * ss, 256))
        data[base + i + 1] = _clamp64(tdiv_pos_arr(x0 * ss + x1 * cc, 256))
        npairs -= 1
    if npairs:
        cols = 2 * np.arange(npairs)
        i0 = (base[:, None] + cols[None, :]).ravel()
        x0, x1 = data[i0], data[i0 + 1]
        ss = np.tile(s_t[:npairs], rows)
        cc = np.tile(c_t[:npairs], rows)
        data[i0] = _clamp64(tdiv_pos_arr(x0 * cc - x1 * ss, 256))
        data[i0 + 1] = _clamp64(tdiv_pos_arr(x0 * ss + x1 * cc, 256))
    m.hot[a & 0x3F] = HotBuffer(data.astype(_I32), h.shape)
    return None


def _clamp64(x: np.ndarray) -> np.ndarray:
    return np.minimum(np.maximum(x, I32_MIN), I32_MAX)


# ---- norms ------------------------------------------------------------------------------------

def _rows(h: HotBuffer) -> tuple[int, int, np.ndarray]:
    L = _last_dim(h)
    rows = len(h.data) // L
    return L, rows, h.data[:rows * L].astype(_I64).reshape(rows, L)


def layernorm(m, a, b, c, d):
    """H[B] = per row of H[A]: ``((x-mean)*256/isqrt(var)) * scale/255 + bias``; scale (C) and
    bias (D) come from hot or cold registers (zeros when missing or too short)."""
    h = _hot(m, a)
    L, rows, X = _rows(h)
    scale = read_register_i32(m, c, L)
    bias = read_register_i32(m, d, L)
    out = np.zeros(len(h.data), _I32)
    if rows:
        mean = tdiv_pos_arr(X.sum(axis=1), L)[:, None]
        diff = X - mean
        var = np.maximum(tdiv_pos_arr((diff * diff).sum(axis=1), L), 1)
        den = isqrt_newton(var)[:, None]
        norm = tdiv_pos_arr(diff * 256, den)
        val = tdiv_pos_arr(norm * scale, 255) + bias
        out[:rows * L] = sat_i32_arr(val).ravel()
    m.hot[b & 0x3F] = HotBuffer(out, h.shape)


def rmsnorm(m, a, b, c, d):
    """H[B] = per row of H[A]: ``(x*256/isqrt(Σx²/n)) * scale/255``; scale from C as in LAYERNORM."""
    h = _hot(m, a)
    L, rows, X = _rows(h)
    scale = read_register_i32(m, c, L)
    out = np.zeros(len(h.data), _I32)
    if rows:
        rms = np.maximum(tdiv_pos_arr((X * X).sum(axis=1), L), 1)
        den = isqrt_newton(rms)[:, None]
        val = tdiv_pos_arr(tdiv_pos_arr(X * 256, den) * scale, 255)
        out[:rows * L] = sat_i32_arr(val).ravel()
    m.hot[b & 0x3F] = HotBuffer(out, h.shape)


# ---- KV cache -----------------------------------------------------------------------------------

def _kv_append(m, cache_byte: int, kv_byte: int, pos: int, length: int) -> None:
    kv = _hot(m, kv_byte)
    kv_len = _last_dim(kv)
    slen = kv_len if length == 0 else min(length, kv_len)
    if len(kv.data) < slen:
        raise PanicFault(f"KV_APPEND: range end index {slen} out of range for slice of length "
                         f"{len(kv.data)} (source shape {list(kv.shape)})")
    cidx = cache_byte & 0x3F
    cache = m.hot[cidx]
    required = (pos + 1) * slen
    old = cache.data if cache is not None else np.zeros(0, _I32)
    data = np.zeros(max(len(old), required), _I32)
    data[:len(old)] = old
    data[pos * slen:pos * slen + slen] = kv.data[:slen]
    m.hot[cidx] = HotBuffer(data, (pos + 1, slen))


def _kv_read(m, cache_byte: int, pos: int, out_byte: int, length: int) -> None:
    cache = _hot(m, cache_byte)
    clen = _last_dim(cache)
    slen = clen if length == 0 else min(length, clen)
    start = pos * slen
    end = min(start + slen, len(cache.data))
    data = np.zeros(slen, _I32)
    if start < len(cache.data):
        data[:end - start] = cache.data[start:end]
    m.hot[out_byte & 0x3F] = HotBuffer(data, (1, slen))


def _pos_from(m, byte: int) -> int:
    """Position held in a register's element 0: negative → 0, then truncated to a u8."""
    v = int(read_register_i32(m, byte, 1)[0])
    return max(v, 0) & 0xFF


def kv_append(m, a, b, c, d):
    """Cache H[A] row C = first slice of H[B] (length D, 0 → last dim); cache shape [C+1, len]."""
    _kv_append(m, a, b, c, d)


def kv_read(m, a, b, c, d):
    """H[C] = row B of cache H[A] (length D, 0 → cache's last dim), zero-padded, shape [1, len]."""
    _kv_read(m, a, b, c, d)


def kv_clear(m, a, b, c, d):
    """H[A] = empty buffer of shape [0, 0]."""
    m.hot[a & 0x3F] = HotBuffer(np.zeros(0, _I32), (0, 0))


def kv_append_pos(m, a, b, c, d):
    """KV_APPEND with the row taken from register C's element 0."""
    _kv_append(m, a, b, _pos_from(m, c), d)


def kv_read_pos(m, a, b, c, d):
    """KV_READ with the row taken from register B's element 0."""
    _kv_read(m, a, _pos_from(m, b), c, d)
