"""Core ternary/tensor handlers: matmuls, bias, embeddings, reductions, slicing, gating.

Semantics and error texts are the reference's ``ops_forward.rs``/``ops_ternary.rs``. The legacy
16-register quirk is kept: the third register of TERNARY_MATMUL(_BATCH), TERNARY_ADD_BIAS,
EMBED_LOOKUP, CONCAT and GATE_UPDATE's update/state are read as ``byte & 0x0F``.
"""
from __future__ import annotations

from typing import Optional

import numpy as np

from operator import mul as _mul

from ...errors import ExecFault, PanicFault
from ...intmath import I32_MAX, I32_MIN, sat_i32_arr, sat_i32_ints, tdiv, tdiv_pos_arr, wrap_i32_arr
from ...kernels import matmul as mm
from ...plasticity.temperature import record_forward_usage
from ...vm.state import SMALL, ColdBuffer, HotBuffer, Machine, check_register_size, hot_of
from .table import CORE


# ---- shared helpers (also used by the ternary extension) ------------------------------------------

def weight_dims(buf: ColdBuffer, text: str) -> tuple[int, int]:
    if len(buf.shape) < 2:
        raise ExecFault(text)
    return int(buf.shape[0]), int(buf.shape[1])


def check_core_weights(buf: ColdBuffer, out: int, inn: int, k: int) -> None:
    """The core loops index ``weights[o*in + i]`` unchecked: reaching past the end panics."""
    if out and k:
        last = (out - 1) * inn + k - 1
        if last >= len(buf.pol):
            raise PanicFault(f"index out of bounds: the len is {len(buf.pol)} but the index is {last}")


def add_bias(src: HotBuffer, bias: ColdBuffer) -> HotBuffer:
    """``src + p*m*256`` over the shared prefix, clamped to i32; shape of ``src``."""
    n = min(len(src.data), len(bias.pol))
    out = src.data.astype(np.int64)
    out[:n] += bias.values()[:n].astype(np.int64) * 256
    return HotBuffer(sat_i32_arr(out), src.shape)


def table_dims(table: ColdBuffer) -> tuple[int, int]:
    if len(table.shape) >= 2:
        return int(table.shape[0]), int(table.shape[1])
    if len(table.shape) == 1:
        return 1, int(table.shape[0])
    raise ExecFault("Embedding table must have shape")


def embed_rows(table: ColdBuffer, rows: np.ndarray, n_emb: int, dim: int) -> np.ndarray:
    """Rows ``rows`` of the table as p*m (zero rows for an index outside 0..n_emb, or past the data)."""
    check_register_size(len(rows) * dim)
    vals = table.values()
    flat = np.zeros(n_emb * dim, np.int32)
    m = min(len(vals), n_emb * dim)
    flat[:m] = vals[:m]
    mat = flat.reshape(n_emb, dim)
    ok = (rows >= 0) & (rows < n_emb)
    out = np.zeros((len(rows), dim), np.int32)
    out[ok] = mat[rows[ok]]
    return out.ravel()


def embed_lookup(table: ColdBuffer, indices: np.ndarray) -> HotBuffer:
    n_emb, dim = table_dims(table)
    rows = np.maximum(indices.astype(np.int64), 0)
    return HotBuffer(embed_rows(table, rows, n_emb, dim), (len(indices), dim))


def embed_sequence(table: ColdBuffer, count: int) -> HotBuffer:
    n_emb, dim = table_dims(table)
    k = min(count, n_emb)
    return HotBuffer(embed_rows(table, np.arange(k), n_emb, dim), (k, dim))


def gate_update(gate: np.ndarray, upd: np.ndarray, state: np.ndarray) -> HotBuffer:
    """``(g*u + (255-g)*s) / 255`` truncated, g = clamp(gate, 0, 255), over the shortest length."""
    n = min(len(gate), len(upd), len(state))
    g = np.minimum(np.maximum(gate[:n].astype(np.int64), 0), 255)
    num = g * upd[:n].astype(np.int64) + (255 - g) * state[:n].astype(np.int64)
    return HotBuffer(wrap_i32_arr(tdiv_pos_arr(num, 255)), (n,))


def reduce_mean_dim(src: HotBuffer, dim: int) -> HotBuffer:
    data = src.data.astype(np.int64)
    if len(src.shape) < 2:
        mean = tdiv(int(data.sum()), max(len(data), 1))
        return HotBuffer(wrap_i32_arr(np.array([mean])), (1,))
    rows, cols = int(src.shape[0]), int(src.shape[1])
    grid = np.zeros(rows * cols, np.int64)
    m = min(len(data), rows * cols)
    grid[:m] = data[:m]
    grid = grid.reshape(rows, cols)
    if dim == 0:
        sums, n, shape = grid.sum(axis=0), max(rows, 1), (cols,)
    else:
        sums, n, shape = grid.sum(axis=1), max(cols, 1), (rows,)
    return HotBuffer(wrap_i32_arr(tdiv_pos_arr(sums, n)), shape)


def reduce_avg(src: np.ndarray, start: int, count: int) -> HotBuffer:
    """Mean of ``src[start:start+count]`` (clamped) with the reference's wrapping i32 sum."""
    if count == 0:
        return HotBuffer(np.zeros(1, np.int32), (1,))
    end = min(start + count, len(src))
    if start >= end:
        return HotBuffer(np.zeros(1, np.int32), (1,))
    total = int(wrap_i32_arr(np.array([src[start:end].astype(np.int64).sum()]))[0])
    return HotBuffer(np.array([tdiv(total, end - start)], np.int32), (1,))


def slice_hot(src: np.ndarray, start: int, length: int) -> HotBuffer:
    end = min(start + length, len(src))
    part = src[start:end].copy() if start <= end else np.zeros(0, np.int32)
    return HotBuffer(part, (len(part),))


def argmax_last(src: np.ndarray) -> HotBuffer:
    """Index of the maximum, LAST one on ties (Rust ``max_by_key``); 0 when empty."""
    i = len(src) - 1 - int(np.argmax(src[::-1])) if len(src) else 0
    return HotBuffer(np.array([i], np.int32), (1,))


def _hot(m: Machine, idx: int, text: str) -> HotBuffer:
    h = m.hot[idx]
    if h is None:
        raise ExecFault(text)
    return h


def _cold(m: Machine, idx: int, text: str) -> ColdBuffer:
    c = m.cold[idx]
    if c is None:
        raise ExecFault(text)
    return c


# ---- matmuls --------------------------------------------------------------------------------------

def core_matvec(w: ColdBuffer, x: np.ndarray, out: int, inn: int) -> np.ndarray:
    """Core TERNARY_MATMUL on the first ``min(in, len x)`` inputs (ungated without temperatures), clamped."""
    k = min(inn, len(x))
    check_core_weights(w, out, inn, k)
    xk = x[:k].astype(np.int64)
    if w.temps is None:
        return mm.ungated(w, out, inn, xk)
    return mm.gated_core(w, out, inn, xk)


#: float64 products are exact for any i32 input while 255 * 2**31 * in < 2**53
F64_EXACT_IN = (1 << 53) // (255 << 31)
_DT_I32 = np.dtype(np.int32)
#: below this many multiply-adds a tuple-backed input is multiplied in Python (no array built)
PY_MACS = 64


def _ungated_small(w: ColdBuffer, out: int, inn: int) -> tuple:
    """``(pol, mag, shape, W float64 (out, in), rows as tuples of ints, out, in, (out,))`` cached
    on the register. The identity of pol/mag/shape guards against arrays replaced without
    ``touch()`` (which clears the cache)."""
    e = w.cache.get("mv_f64")
    if e is None or e[0] is not w.pol or e[1] is not w.mag or e[2] is not w.shape or e[5] != out or e[6] != inn:
        wm = mm.weight_matrix(w, out, inn, np.float64)
        e = (w.pol, w.mag, w.shape, wm, tuple(map(tuple, wm.astype(np.int64).tolist())), out, inn, (out,))
        w.cache["mv_f64"] = e
    return e


def _matvec_fast(m: Machine, ai: int, w: ColdBuffer, x: HotBuffer, e: tuple) -> None:
    """Ungated TERNARY_MATMUL (``e`` from :func:`_ungated_small`) without int64 temporaries: one
    exact float64 ``dot``, or Python multiply-adds for a tiny tuple-backed input."""
    out, inn = e[5], e[6]
    xt = x._t
    n = len(xt) if xt is not None else len(x._a)
    k = inn if inn < n else n
    if out and k and (out - 1) * inn + k > len(w.pol):
        check_core_weights(w, out, inn, k)                   # raises the reference's panic
    if xt is not None and out * k <= PY_MACS:
        m.hot[ai] = hot_of(sat_i32_ints(tuple([sum(map(_mul, row, xt)) for row in e[4]])), e[7])
        return                                               # (map stops after k terms)
    xv = x.view()
    if xv.dtype is not _DT_I32:                  # the float64 bound assumes i32 inputs
        m.hot[ai] = HotBuffer(core_matvec(w, xv, out, inn), (out,))
        return
    wm = e[3]
    if k < inn:
        wm, xv = wm[:, :k], xv[:k]
    elif n > k:
        xv = xv[:k]
    r = wm.dot(xv)                          # exact: |sum| <= 255 * 2**31 * in < 2**53
    if out <= SMALL:                        # small result: Python ints, as the next ops want
        m.hot[ai] = hot_of(sat_i32_ints(tuple(r.astype(np.int64).tolist())), e[7])
        return
    vals = r.tolist()
    if vals and (max(vals) > I32_MAX or min(vals) < I32_MIN):
        r = np.minimum(np.maximum(r, I32_MIN), I32_MAX)
    m.hot[ai] = HotBuffer(r.astype(np.int32), (out,))


@CORE.implements("ternary_matmul")
def op_ternary_matmul(m: Machine, a: int, b: int, c: int, d: int) -> None:
    wi, xi = b & 0x3F, c & 0x0F
    w = m.cold[wi]
    if w is None:
        raise ExecFault(f"Cold register C{wi} not allocated")
    x = m.hot[xi]
    if x is None:
        raise ExecFault(f"Hot register H{xi} not allocated")
    shape = w.shape
    if len(shape) < 2:
        raise ExecFault("Weights must be 2D")
    out, inn = int(shape[0]), int(shape[1])
    if w.usage is not None:               # the forward pass feeds the temperature lifecycle
        record_forward_usage(w, x.view())
    if w.temps is None and inn <= F64_EXACT_IN and out * inn <= mm.SMALL_MATRIX:
        _matvec_fast(m, a & 0x3F, w, x, _ungated_small(w, out, inn))
        return
    m.hot[a & 0x3F] = HotBuffer(core_matvec(w, x.view(), out, inn), (out,))


def _specialise_matmul(m: Machine, a: int, b: int, c: int, d: int):
    """Operands decoded once; when the weights' cached float64 matrix is current (same pol, mag
    and shape objects, no temperatures) go straight to the product, else the full handler."""
    ai, wi, xi = a & 0x3F, b & 0x3F, c & 0x0F

    def matmul() -> None:
        w = m.cold[wi]
        x = m.hot[xi]
        if w is not None and x is not None and w.temps is None and w.usage is None:
            e = w.cache.get("mv_f64")
            if e is not None and e[0] is w.pol and e[1] is w.mag and e[2] is w.shape:
                _matvec_fast(m, ai, w, x, e)
                return
        op_ternary_matmul(m, a, b, c, d)

    return matmul


op_ternary_matmul.specialise = _specialise_matmul


def batch_rows(data: np.ndarray, batch: int, inn: int) -> np.ndarray:
    """``batch`` rows of ``inn`` inputs at stride ``inn``, zero past the data (int64)."""
    flat = np.zeros(batch * inn, np.int64)
    n = min(len(data), batch * inn)
    flat[:n] = data[:n]
    return flat.reshape(batch, inn)


@CORE.implements("ternary_batch_matmul")
def op_ternary_batch_matmul(m: Machine, a: int, b: int, c: int, d: int) -> None:
    wi, xi = b & 0x3F, c & 0x0F
    w = _cold(m, wi, f"Cold register C{wi} not allocated")
    x = _hot(m, xi, f"Hot register H{xi} not allocated")
    out, inn = weight_dims(w, "Weights must be 2D")
    if len(x.shape) >= 2:
        batch = int(x.shape[0])
    elif inn == 0:
        raise PanicFault("attempt to calculate the remainder with a divisor of zero")
    elif len(x.data) % inn == 0:
        batch = len(x.data) // inn
    else:
        raise ExecFault(f"Input size {len(x.data)} not divisible by in_dim {inn}")
    if batch:
        check_core_weights(w, out, inn, inn)
    xs = batch_rows(x.data, batch, inn)
    if w.temps is None:
        res = mm.ungated_batch(w, out, inn, xs)
    else:
        res = mm.gated_batch("core", w, out, inn, xs)
    m.hot[a & 0x3F] = HotBuffer(res.reshape(-1), (batch, out))


# ---- bias, embeddings, dequantize ---------------------------------------------------------------------

@CORE.implements("ternary_add_bias")
def op_ternary_add_bias(m: Machine, a: int, b: int, c: int, d: int) -> None:
    src = _hot(m, b & 0x3F, "Source not allocated")
    bias = _cold(m, c & 0x0F, "Bias not allocated")
    m.hot[a & 0x3F] = add_bias(src, bias)


@CORE.implements("embed_lookup")
def op_embed_lookup(m: Machine, a: int, b: int, c: int, d: int) -> None:
    ti, ii = b & 0x3F, c & 0x0F
    table = _cold(m, ti, f"Embedding table C{ti} not allocated")
    idx = _hot(m, ii, f"Indices H{ii} not allocated")
    m.hot[a & 0x3F] = embed_lookup(table, idx.data)


@CORE.implements("embed_sequence")
def op_embed_sequence(m: Machine, a: int, b: int, c: int, d: int) -> None:
    ti = b & 0x3F
    table = _cold(m, ti, f"Embedding table C{ti} not allocated")
    m.hot[a & 0x3F] = embed_sequence(table, c)


@CORE.implements("dequantize")
def op_dequantize(m: Machine, a: int, b: int, c: int, d: int) -> None:
    """Writes the OUTPUT BUFFER (not A), as the reference does. Shift 0 means 8; release builds
    mask the shift amount to 5 bits."""
    src = _hot(m, b & 0x3F, "Source not allocated")
    shift = (c << 8) | d
    m.output = (src.data >> ((shift or 8) & 31)).astype(np.int32)


# ---- reductions and reshaping ----------------------------------------------------------------------

@CORE.implements("reduce_avg")
def op_reduce_avg(m: Machine, a: int, b: int, c: int, d: int) -> None:
    si = b & 0x3F
    src = _hot(m, si, f"Source H{si} not allocated")
    m.hot[a & 0x3F] = reduce_avg(src.data, c, d)


@CORE.implements("reduce_mean")
def op_reduce_mean(m: Machine, a: int, b: int, c: int, d: int) -> None:
    si = b & 0x3F
    src = _hot(m, si, f"Source H{si} not allocated")
    m.hot[a & 0x3F] = reduce_mean_dim(src, c)


@CORE.implements("slice")
def op_slice(m: Machine, a: int, b: int, c: int, d: int) -> None:
    si = b & 0x3F
    src = _hot(m, si, f"Source H{si} not allocated")
    m.hot[a & 0x3F] = slice_hot(src.data, c, d)


@CORE.implements("argmax")
def op_argmax(m: Machine, a: int, b: int, c: int, d: int) -> None:
    si = b & 0x3F
    src = _hot(m, si, f"Source H{si} not allocated")
    m.hot[a & 0x3F] = argmax_last(src.data)


@CORE.implements("concat")
def op_concat(m: Machine, a: int, b: int, c: int, d: int) -> None:
    si, oi = b & 0x3F, c & 0x0F
    src = _hot(m, si, f"Source H{si} not allocated")
    other = _hot(m, oi, f"Other H{oi} not allocated")
    data = np.concatenate((src.data, other.data)).astype(np.int32)
    m.hot[a & 0x3F] = HotBuffer(data, (len(data),))


def _copy_if_present(m: Machine, a: int, b: int) -> None:
    src: Optional[HotBuffer] = m.hot[b & 0x3F]
    if src is not None:
        m.hot[a & 0x3F] = src.copy()


@CORE.implements("squeeze")
def op_squeeze(m: Machine, a: int, b: int, c: int, d: int) -> None:
    """A plain copy in the reference (dims are ignored); a missing source is a no-op."""
    _copy_if_present(m, a, b)


@CORE.implements("unsqueeze")
def op_unsqueeze(m: Machine, a: int, b: int, c: int, d: int) -> None:
    _copy_if_present(m, a, b)


@CORE.implements("transpose")
def op_transpose(m: Machine, a: int, b: int, c: int, d: int) -> None:
    _copy_if_present(m, a, b)


@CORE.implements("gate_update")
def op_gate_update(m: Machine, a: int, b: int, c: int, d: int) -> None:
    gi, ui, si = b & 0x3F, c & 0x0F, d & 0x0F
    gate = _hot(m, gi, f"Gate H{gi} not allocated")
    upd = _hot(m, ui, f"Update H{ui} not allocated")
    state = _hot(m, si, f"State H{si} not allocated")
    m.hot[a & 0x3F] = gate_update(gate.data, upd.data, state.data)
