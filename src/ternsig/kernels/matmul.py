"""Exact ternary matrix products: ungated, core-gated and extension-gated.

The reference loops over every weight in Rust (0.09 GMAC/s gated at 1024x1024). Here every product
is a handful of BLAS calls and vectorised passes, and every result is the reference's integer.

Exactness of float BLAS
    A float matrix product is exact when every operand is an integer and every partial sum stays
    below the mantissa limit (2**24 for float32, 2**53 for float64): then no rounding ever happens,
    whatever order BLAS sums in. For a row ``a`` and vector ``x`` every partial sum is bounded by
    ``max|a| * sum|x|``, so :func:`_digit_planes` checks that bound at run time. When it fails, ``x``
    is split into signed base-``2**b`` digits (``x = sum_j d_j * 2**(b*j)``) with ``b`` small enough
    that each digit vector passes; the digit products are exact and recombined in int64. If even
    that is impossible the kernel falls back to NumPy int64 arithmetic (exact, slow, never taken at
    realistic sizes).

Gating
    A weight of temperature ``t`` conducts input ``i`` iff the input's intensity reaches the
    threshold ``(0, 15, 60, 120)[t]``. Give each input a level ``L = 1 + [I>=15] + [I>=60] +
    [I>=120]`` (1..4); the weight passes iff ``t < L``. Inputs of level 4 pass everything.

Extension semantics (``ternary.TERNARY_MATMUL``): term ``trunc(w*cond/255) * x`` is linear in ``x``
    with a per-weight gated value ``g`` (|g| <= |w|); intensity is ``|x| mod 256``. With
    ``Z_l = G * [t >= l]`` (the weights an input of level ``l`` cannot reach) the output is
    ``G @ x - sum_l Z_l @ x_l`` where ``x_l`` keeps the inputs of level ``l``. ``G`` and the ``Z_l``
    are cached side by side, so this is one float32 product when the bound allows.

Core semantics (``TERNARY_MATMUL`` with temperatures): term ``trunc(w*x*cond/255)`` truncates per
    term, which no matrix product expresses. With ``vc = w*cond`` and ``x = 255*u + s`` (``u``,
    ``s`` truncated, so ``vc*u`` and ``vc*s`` share a sign) the term is exactly
    ``vc*u + trunc(vc*s/255)``. Inputs with ``u != 0`` have ``|x| >= 255`` (level 4, ungated): a
    matrix product over those columns. The rest is one elementwise pass in float32:
    ``|vc*s| <= 65025*254 < 2**24`` is exact, IEEE division is correctly rounded and a non-integer
    quotient is at least ``1/255`` from an integer while its half-ulp is at most ``2**-9``, so
    ``trunc(fl(z/255)) == trunc(z/255)``. Gating is a uint8 compare of the cached temperatures with
    the input levels. Row sums run in 256-column blocks (``256*64770 < 2**24``, one batched
    single-precision product) and are added in float64.

Caches live in ``ColdBuffer.cache`` (cleared by ``touch()``); keys also carry the identity of the
weight/temperature arrays so replacing an array without ``touch()`` cannot serve stale matrices.
No transposes are ever built (on this class of machine a 4 MB transpose costs more than a
hundred matrix-vector products).
"""
from __future__ import annotations

from typing import Any, Callable, Optional

import numpy as np

from ..intmath import sat_i32_arr, tdiv_pos_arr
from ..vm.state import ACTIVATION_THRESHOLD, CONDUCTANCE, ColdBuffer

LIMIT32 = 1 << 24
LIMIT64 = 1 << 53
_BLOCK = 256                      # rows per exact float32 column-sum block (256 * 64770 < 2**24)
_ONES = np.ones(_BLOCK, np.float32)


# ---- exact products -------------------------------------------------------------------------------

def _digit_planes(x: np.ndarray, amax: int, n: int, limit: int) -> Optional[tuple[np.ndarray, np.ndarray]]:
    """Split int64 ``x`` (last axis = contraction of length ``n``) into signed digit planes.

    Returns ``(planes, shifts)`` with ``x == sum(planes[j] << shifts[j])`` and every plane
    satisfying ``amax * sum|plane| < limit`` along the last axis, or None when impossible.
    """
    ax = np.abs(x)
    total = int(ax.sum(axis=-1).max()) if ax.size else 0
    if amax * total < limit:
        return x[None, ...], np.zeros(1, np.int64)
    cap = (limit - 1) // (amax * max(n, 1))       # each digit must stay below this (n digits summed)
    if cap < 2:
        return None
    b = int(cap).bit_length() - 1                 # 2**b <= cap, digits in [0, 2**b)
    top = int(ax.max()).bit_length()
    m = -(-top // b)
    shifts = np.arange(m, dtype=np.int64) * b
    mask = (1 << b) - 1
    sg = np.sign(x)
    planes = sg[None, ...] * ((ax[None, ...] >> shifts.reshape((m,) + (1,) * x.ndim)) & mask)
    return planes, shifts


def _combine(r: np.ndarray, shifts: np.ndarray) -> np.ndarray:
    """Sum digit-plane results (plane axis first) back into exact int64."""
    ri = r.astype(np.int64)
    if len(shifts) == 1:
        return ri[0]
    return (ri << shifts.reshape((-1,) + (1,) * (ri.ndim - 1))).sum(axis=0)


def vec_mat(xg: np.ndarray, b: np.ndarray, amax: int) -> np.ndarray:
    """Exact ``xg @ b`` for int64 ``xg`` (n,) and an integer-valued float matrix ``b`` (n, out)."""
    n = len(xg)
    if n == 0 or amax == 0:
        return np.zeros(b.shape[1], np.int64)
    if b.dtype == np.float32:
        split = _digit_planes(xg, amax, n, LIMIT32)
        if split is not None and len(split[1]) <= 3:
            planes, shifts = split
            return _combine(planes.astype(np.float32) @ b, shifts)
        b = b.astype(np.float64)
    split = _digit_planes(xg, amax, n, LIMIT64)
    if split is None:
        return xg @ b.astype(np.int64)
    planes, shifts = split
    return _combine(planes.astype(np.float64) @ b, shifts)


def mat_vec(a: np.ndarray, x: np.ndarray, amax: int) -> np.ndarray:
    """Exact ``a @ x`` for an integer-valued float matrix ``a`` (out, n) and int64 ``x`` (n,).

    float32 matrices run one single-precision product per digit plane (up to 8 planes), which
    reads the matrix once per plane but never copies it; beyond that the matrix is widened.
    """
    if len(x) == 0 or amax == 0:
        return np.zeros(a.shape[0], np.int64)
    if a.dtype == np.float32:
        split = _digit_planes(x, amax, len(x), LIMIT32)
        if split is not None and len(split[1]) <= 8:
            planes, shifts = split
            r = np.stack([a @ p.astype(np.float32) for p in planes])
            return _combine(r, shifts)
        a = a.astype(np.float64)
    split = _digit_planes(x, amax, len(x), LIMIT64)
    if split is None:
        return a.astype(np.int64) @ x
    planes, shifts = split
    if len(shifts) == 1:
        return (a @ x.astype(np.float64)).astype(np.int64)
    return _combine((a @ planes.astype(np.float64).T).T, shifts)


def mat_mat(a: np.ndarray, xs: np.ndarray, amax: int) -> np.ndarray:
    """Exact ``xs @ a.T`` for int64 rows ``xs`` (batch, n): the batched ungated product."""
    if xs.size == 0 or amax == 0:
        return np.zeros((xs.shape[0], a.shape[0]), np.int64)
    split = _digit_planes(xs, amax, xs.shape[1], LIMIT64)
    if split is None:
        return xs @ a.astype(np.int64).T
    planes, shifts = split
    return _combine(planes.astype(np.float64) @ a.T, shifts)


# ---- per-register preparation (cached) ---------------------------------------------------------------

def cached(buf: ColdBuffer, tag: str, out: int, inn: int, build: Callable[[], Any]) -> Any:
    """``build()`` once per (tag, dims) until :meth:`ColdBuffer.touch` clears the cache. The entry
    holds the weight and temperature arrays it was built from and is rebuilt when any of them was
    replaced: comparing identities of held objects is sound, where comparing ``id()`` numbers is
    not (a freed array's id can be reused by its replacement)."""
    key = (tag, out, inn)
    hit = buf.cache.get(key)
    if hit is None or hit[0] is not buf.pol or hit[1] is not buf.mag or hit[2] is not buf.temps:
        hit = (buf.pol, buf.mag, buf.temps, build())
        buf.cache[key] = hit
    return hit[3]


def _flat_prefix(arr: np.ndarray, need: int, dtype) -> np.ndarray:
    """The first ``need`` entries of a flat array, zero-padded when it is shorter."""
    if len(arr) >= need:
        return arr[:need]
    return np.concatenate((arr, np.zeros(need - len(arr), dtype)))


def weight_matrix(buf: ColdBuffer, out: int, inn: int, dtype: type = np.float32) -> np.ndarray:
    """Signed weights ``p*m`` as an (out, in) matrix of ``dtype``; weights past the data read 0."""
    need = out * inn
    pol, mag = _flat_prefix(buf.pol, need, np.int8), _flat_prefix(buf.mag, need, np.uint8)
    return np.multiply(pol, mag, dtype=dtype).reshape(out, inn)


def temperature_matrix(buf: ColdBuffer, out: int, inn: int) -> np.ndarray:
    """Temperatures as (out, in) uint8 in 0..3; missing entries (or no array) read as HOT."""
    t = buf.temps if buf.temps is not None else np.zeros(0, np.uint8)
    t = _flat_prefix(t, out * inn, np.uint8)
    if t.size and t.max() > 3:                    # SignalTemperature::from_u8: >= 3 is COLD
        t = np.minimum(t, 3)
    return t.reshape(out, inn)


def conductance_matrix(t: np.ndarray) -> np.ndarray:
    """Per-weight conductance (255/200/100/30) as uint8, by cheap uint8 arithmetic on ``t``."""
    c = np.full(t.shape, CONDUCTANCE[0], np.uint8)
    for k in (1, 2, 3):
        c -= (t >= k) * np.uint8(CONDUCTANCE[k - 1] - CONDUCTANCE[k])
    return c


def _all_hot(buf: ColdBuffer, out: int, inn: int) -> bool:
    def build():
        t = buf.temps
        return t is None or not (len(t) and t[:out * inn].max(initial=0) > 0)
    return cached(buf, "all_hot", out, inn, build)


def _abs_bound(buf: ColdBuffer) -> int:
    """max|p| * max m: an upper bound of every |p*m| (two cheap passes over the byte arrays)."""
    if not len(buf.pol):
        return 0
    return int(np.abs(buf.pol.astype(np.int16)).max()) * int(buf.mag.max())


def _prep_ungated(buf: ColdBuffer, out: int, inn: int) -> tuple[np.ndarray, int]:
    def build():
        return weight_matrix(buf, out, inn, np.float32), _abs_bound(buf)
    return cached(buf, "ungated", out, inn, build)


def _prep_ext(buf: ColdBuffer, out: int, inn: int) -> tuple:
    """``[G | Z_l ...]`` side by side in float32, (out, (1+n)*in): G = trunc(w*cond/255) and
    ``Z_l = G * [t >= l]`` for each level l in 1..3 that has such a weight."""
    def build():
        t = temperature_matrix(buf, out, inn)
        levels = [lv for lv in (1, 2, 3) if (t >= lv).any()]
        mats = np.empty((out, inn * (1 + len(levels))), np.float32)
        g = mats[:, :inn]
        g[...] = weight_matrix(buf, out, inn, np.float32)
        g *= conductance_matrix(t)                 # exact: |w*cond| <= 255*65025 < 2**24
        g /= np.float32(255.0)                     # correctly rounded; trunc below is exact
        np.trunc(g, out=g)
        for j, lv in enumerate(levels, start=1):
            np.multiply(g, t >= lv, out=mats[:, j * inn:(j + 1) * inn])
        slot = np.zeros(5, np.int64)               # level -> column block of its Z (level 4: none)
        slot[levels] = np.arange(1, len(levels) + 1)
        has = np.zeros(5, bool)
        has[levels] = True
        return mats, slot, has, _abs_bound(buf)   # |trunc(w*cond/255)| <= |w|
    return cached(buf, "ext", out, inn, build)


def _prep_core(buf: ColdBuffer, out: int, inn: int) -> tuple:
    """vc = w*cond as float32 (out, in_pad) and temperatures (out, in_pad), columns padded with
    zeros to a multiple of 256 so exact row sums can run in 256-column blocks."""
    def build():
        t = temperature_matrix(buf, out, inn)
        pad = -(-inn // _BLOCK) * _BLOCK
        vc = np.zeros((out, pad), np.float32)
        vc[:, :inn] = weight_matrix(buf, out, inn, np.float32)
        vc[:, :inn] *= conductance_matrix(t)
        tp = np.zeros((out, pad), np.uint8)
        tp[:, :inn] = t
        return vc, tp, _abs_bound(buf) * 255
    return cached(buf, "core", out, inn, build)


#: input level 1..4 by intensity 0..255: how many temperature classes the input reaches
LEVEL = (1 + sum((np.arange(256) >= thr).astype(np.uint8) for thr in ACTIVATION_THRESHOLD[1:])).astype(np.uint8)


# ---- the kernels ------------------------------------------------------------------------------------

def _product_i32(a: np.ndarray, x: np.ndarray, amax: int) -> np.ndarray:
    """Clamped int32 ``a @ x`` for a float32 integer matrix and int64 ``x``: one single-precision
    product when the bound allows (then |result| < 2**24 needs no clamp), else exact digit planes."""
    k = len(x)
    if k and amax and amax * int(np.abs(x).sum()) < LIMIT32:
        return (a[:, :k] @ x.astype(np.float32)).astype(np.int32)
    return clamp_i32(mat_vec(a[:, :k], x, amax))


#: below this many weights an int64 product beats the float path's bound checks and planes
SMALL_MATRIX = 4096


def ungated(buf: ColdBuffer, out: int, inn: int, x: np.ndarray) -> np.ndarray:
    """``sum_i w[o,i]*x[i]`` over ``i < len(x) <= in``, clamped to i32.

    Small matrices use a cached int64 matrix: exact (|w·x| ≤ 255·2³¹ per term, so a row sum of
    fewer than 2²⁴ terms cannot overflow int64) and cheaper than proving a float bound."""
    if out * inn <= SMALL_MATRIX:
        w = cached(buf, "ungated_i64", out, inn, lambda: weight_matrix(buf, out, inn, np.int64))
        return clamp_i32(w[:, : len(x)] @ x)
    v, vmax = _prep_ungated(buf, out, inn)
    return _product_i32(v, x, vmax)


def gated_ext(buf: ColdBuffer, out: int, inn: int, x: np.ndarray) -> np.ndarray:
    """Extension semantics: ``sum_i [conducts] trunc(w*cond/255) * x[i]``, intensity ``|x| mod 256``,
    clamped to i32.

    ``G @ x`` minus, for every blocked input (level l < 4), what it would have added through the
    weights of temperature >= l (``Z_l``). With the matrices side by side this is one product
    ``[G | Z_1 | Z_2 | Z_3] @ [x; -x_blocked_at_1; ...]`` when a single float32 pass is exact;
    otherwise ``G`` and the ``Z`` block are multiplied separately by their own digit planes.
    """
    if _all_hot(buf, out, inn):
        return ungated(buf, out, inn, x)
    mats, slot, has, gmax = _prep_ext(buf, out, inn)
    k = len(x)
    lv = LEVEL[np.abs(x) & 0xFF]
    bm = has[lv] & (x != 0)
    if not bm.any():
        return _product_i32(mats, x, gmax)
    blocked = np.flatnonzero(bm)
    xb = x[blocked]
    if gmax * (int(np.abs(x).sum()) + int(np.abs(xb).sum())) < LIMIT32:
        v = np.zeros(mats.shape[1], np.int64)
        v[:k] = x
        v[slot[lv[blocked]] * inn + blocked] = -xb
        return (mats @ v.astype(np.float32)).astype(np.int32)
    d = np.zeros(mats.shape[1] - inn, np.int64)
    d[(slot[lv[blocked]] - 1) * inn + blocked] = xb
    return clamp_i32(mat_vec(mats[:, :k], x, gmax) - mat_vec(mats[:, inn:], d, gmax))


def gated_core(buf: ColdBuffer, out: int, inn: int, x: np.ndarray) -> np.ndarray:
    """Core semantics: ``sum_i [conducts] trunc(w*x*cond/255)``, intensity ``min(|x|, 255)``,
    clamped to i32."""
    if _all_hot(buf, out, inn):
        return ungated(buf, out, inn, x)           # cond 255: trunc(w*x*255/255) == w*x, never blocked
    vc, tp, vcmax = _prep_core(buf, out, inn)
    k = len(x)
    ax = np.abs(x)
    u = tdiv_pos_arr(x, 255)
    acc = np.zeros(out, np.int64)
    iu = np.flatnonzero(u)
    if len(iu):                                    # |x| >= 255: level 4, every weight conducts
        acc += mat_vec(vc.take(iu, axis=1), u[iu], vcmax)
    s = np.zeros(vc.shape[1], np.float32)
    s[:k] = x - 255 * u                            # |s| <= 254
    lv = np.full(vc.shape[1], 4, np.uint8)
    lv[:k] = LEVEL[np.minimum(ax, 255)]
    z = vc * s                                     # exact: |vc*s| <= 65025*254 < 2**24
    if lv.min() < 4:
        z *= tp < lv
    z /= np.float32(255.0)
    np.trunc(z, out=z)
    nb = vc.shape[1] // _BLOCK
    if nb:
        acc += (z.reshape(out, nb, _BLOCK) @ _ONES).sum(axis=1, dtype=np.float64).astype(np.int64)
    return clamp_i32(acc)


#: saturate int64 results to int32 (the one helper in :mod:`ternsig.intmath`)
clamp_i32 = sat_i32_arr


def ungated_batch(buf: ColdBuffer, out: int, inn: int, xs: np.ndarray) -> np.ndarray:
    """Rows of ``xs`` (batch, in) through the ungated product: (batch, out), clamped to i32."""
    v, vmax = cached(buf, "ungated_f64", out, inn,
                      lambda: (weight_matrix(buf, out, inn, np.float64), _abs_bound(buf)))
    return clamp_i32(mat_mat(v, xs, vmax))


def _gated_ext_rows(buf: ColdBuffer, out: int, inn: int, xs: np.ndarray) -> np.ndarray:
    """:func:`gated_ext` of every row of ``xs`` (batch, k ≤ in). Each row's vector
    ``[x; -x_blocked_at_1; ...]`` (see :func:`gated_ext`) becomes a row of ``V``, and when the
    float32 bound holds for every row ``V @ [G | Z_1 | ...].T`` is one exact GEMM; otherwise rows
    go through the row kernel (its digit planes)."""
    mats, slot, has, gmax = _prep_ext(buf, out, inn)
    k = xs.shape[1]
    lv = LEVEL[np.abs(xs) & 0xFF]
    blocked = has[lv] & (xs != 0)
    ax = np.abs(xs)
    if not len(xs) or gmax * int((ax.sum(axis=1) + (ax * blocked).sum(axis=1)).max()) >= LIMIT32:
        res = np.zeros((xs.shape[0], out), np.int32)
        for r in range(xs.shape[0]):
            res[r] = gated_ext(buf, out, inn, xs[r])
        return res
    rb, ib = np.nonzero(blocked)
    v = np.zeros((xs.shape[0], mats.shape[1]), np.float32)
    v[:, :k] = xs
    v[rb, slot[lv[rb, ib]] * inn + ib] = -xs[rb, ib]
    return (v @ mats.T).astype(np.int32)          # exact: every partial sum < 2**24


def gated_batch(kind: str, buf: ColdBuffer, out: int, inn: int, xs: np.ndarray) -> np.ndarray:
    """Gated products of each row of ``xs`` (batch, in); ``kind`` is "core" or "ext".

    Extension gating is linear in the inputs, so the whole batch is one product. The core's
    per-term truncation is not: its rows run one at a time, each fully vectorised (batching them
    would need a (batch, out, in) elementwise pass in memory at once).
    """
    if _all_hot(buf, out, inn):
        return ungated_batch(buf, out, inn, xs)
    if kind != "core":
        return _gated_ext_rows(buf, out, inn, xs)
    res = np.zeros((xs.shape[0], out), np.int32)
    for b in range(xs.shape[0]):
        res[b] = gated_core(buf, out, inn, xs[b])
    return res
