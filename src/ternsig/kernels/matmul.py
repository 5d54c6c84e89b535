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
    with a per-weight gated value ``g``; intensity is ``|x| mod 256``. So the output is
    ``G @ x`` minus, for each blocked input, the column of ``G`` restricted to the temperatures it
    cannot reach (gathered rows of the cached transpose, masked), or directly the sum of the
    passing part when most inputs are blocked.

Core semantics (``TERNARY_MATMUL`` with temperatures): term ``trunc(w*x*cond/255)`` truncates per
    term, which no matrix product expresses. With ``vc = w*cond`` and ``x = 255*u + s`` (``u``,
    ``s`` truncated, so ``vc*u`` and ``vc*s`` share a sign) the term is exactly
    ``vc*u + trunc(vc*s/255)``. Inputs with ``u != 0`` have ``|x| >= 255`` (level 4, ungated): a
    matrix product. The rest is one elementwise pass over the gathered non-zero-``s`` columns in
    float32: ``|vc*s| <= 65025*254 < 2**24`` is exact, IEEE division is correctly rounded and a
    non-integer quotient is at least ``1/255`` from an integer while its half-ulp is at most
    ``2**-9``, so ``trunc(fl(z/255)) == trunc(z/255)``. Column sums run in 256-row blocks
    (``256*64770 < 2**24``) and are added in float64.

Caches live in ``ColdBuffer.cache`` (cleared by ``touch()``); keys also carry the identity of the
weight/temperature arrays so replacing an array without ``touch()`` cannot serve stale matrices.
"""
from __future__ import annotations

from typing import Any, Optional

import numpy as np

from ..intmath import I32_MAX, I32_MIN
from ..vm.state import ACTIVATION_THRESHOLD, CONDUCTANCE, ColdBuffer

LIMIT32 = 1 << 24
LIMIT64 = 1 << 53
_COND = np.asarray(CONDUCTANCE, np.int32)
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
    """Exact ``a @ x`` for an integer-valued float64 matrix ``a`` (out, n) and int64 ``x`` (n,)."""
    if len(x) == 0 or amax == 0:
        return np.zeros(a.shape[0], np.int64)
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


def _colsum_exact(z: np.ndarray) -> np.ndarray:
    """Exact column sums of a float32 matrix of integers with ``|z| <= 64770`` (int64 result)."""
    n, out = z.shape
    nb = n // _BLOCK
    acc = np.zeros(out, np.float64)
    if nb:
        acc += np.matmul(_ONES, z[:nb * _BLOCK].reshape(nb, _BLOCK, out)).sum(axis=0, dtype=np.float64)
    if n - nb * _BLOCK:
        acc += _ONES[:n - nb * _BLOCK] @ z[nb * _BLOCK:]
    return acc.astype(np.int64)


# ---- per-register preparation (cached) ---------------------------------------------------------------

def _cache_key(buf: ColdBuffer, tag: str, out: int, inn: int) -> tuple:
    return (tag, out, inn, id(buf.pol), id(buf.mag), id(buf.temps))


def _cached(buf: ColdBuffer, tag: str, out: int, inn: int, build) -> Any:
    key = _cache_key(buf, tag, out, inn)
    hit = buf.cache.get(key)
    if hit is None:
        hit = build()
        buf.cache[key] = hit
    return hit


def weight_matrix(buf: ColdBuffer, out: int, inn: int) -> np.ndarray:
    """Signed weights as an (out, in) int32 matrix; weights beyond the stored ones read as 0."""
    v = buf.values()
    need = out * inn
    if len(v) < need:
        v = np.concatenate((v, np.zeros(need - len(v), np.int32)))
    return v[:need].reshape(out, inn)


def temperature_matrix(buf: ColdBuffer, out: int, inn: int) -> np.ndarray:
    """Temperatures as (out, in) uint8; missing entries (or no array) read as HOT."""
    need = out * inn
    t = buf.temps if buf.temps is not None else np.zeros(0, np.uint8)
    t = np.minimum(t, 3).astype(np.uint8) if len(t) and t.max() > 3 else t
    if len(t) < need:
        t = np.concatenate((t, np.zeros(need - len(t), np.uint8)))
    return t[:need].reshape(out, inn)


def _prep_ungated(buf: ColdBuffer, out: int, inn: int) -> tuple[np.ndarray, int]:
    def build():
        v = weight_matrix(buf, out, inn)
        return v.astype(np.float64), int(np.abs(v).max()) if v.size else 0
    return _cached(buf, "ungated", out, inn, build)


def _all_hot(buf: ColdBuffer, out: int, inn: int) -> bool:
    def build():
        t = temperature_matrix(buf, out, inn)
        return not (t.size and t.max() > 0)
    return _cached(buf, "all_hot", out, inn, build)


def _prep_ext(buf: ColdBuffer, out: int, inn: int) -> tuple:
    def build():
        v = weight_matrix(buf, out, inn)
        t = temperature_matrix(buf, out, inn)
        prod = v * _COND[t]                             # |.| <= 65025, int32
        g = np.where(prod < 0, -((-prod) // 255), prod // 255).astype(np.int32)
        gmax = int(np.abs(g).max()) if g.size else 0
        return g.astype(np.float64), np.ascontiguousarray(g.T, dtype=np.float32), np.ascontiguousarray(t.T), gmax
    return _cached(buf, "ext", out, inn, build)


def _prep_core(buf: ColdBuffer, out: int, inn: int) -> tuple:
    def build():
        v = weight_matrix(buf, out, inn)
        t = temperature_matrix(buf, out, inn)
        vc = v * _COND[t]
        vcmax = int(np.abs(vc).max()) if vc.size else 0
        return np.ascontiguousarray(vc.T, dtype=np.float32), np.ascontiguousarray(t.T), vcmax
    return _cached(buf, "core", out, inn, build)


def _levels(intensity: np.ndarray) -> np.ndarray:
    """Input level 1..4: how many temperature classes an input of this intensity reaches."""
    thr = ACTIVATION_THRESHOLD
    return (1 + (intensity >= thr[1]).astype(np.int8) + (intensity >= thr[2]) + (intensity >= thr[3])).astype(np.uint8)


# ---- the kernels ------------------------------------------------------------------------------------

def ungated(buf: ColdBuffer, out: int, inn: int, x: np.ndarray) -> np.ndarray:
    """``sum_i w[o,i]*x[i]`` over ``i < len(x) <= in`` as exact int64 (no clamping)."""
    v64, vmax = _prep_ungated(buf, out, inn)
    return mat_vec(v64[:, :len(x)], x, vmax)


def gated_ext(buf: ColdBuffer, out: int, inn: int, x: np.ndarray) -> np.ndarray:
    """Extension semantics: ``sum_i [conducts] trunc(w*cond/255) * x[i]``, intensity ``|x| mod 256``."""
    if buf.temps is None or _all_hot(buf, out, inn):
        return ungated(buf, out, inn, x)
    g64, gt, tt, gmax = _prep_ext(buf, out, inn)
    k = len(x)
    lv = _levels((np.abs(x) & 0xFF))
    live = x != 0
    blocked = np.flatnonzero(live & (lv < 4))
    if len(blocked) == 0:
        return mat_vec(g64[:, :k], x, gmax)
    nlive = int(np.count_nonzero(live))
    if 1 + 3 * len(blocked) / k < 3 * nlive / k:
        # full product, minus what blocked inputs would have added through the weights they miss
        acc = mat_vec(g64[:, :k], x, gmax)
        z = gt.take(blocked, axis=0)
        z *= tt.take(blocked, axis=0) >= lv[blocked][:, None]
        return acc - vec_mat(x[blocked], z, gmax)
    idx = np.flatnonzero(live)
    z = gt.take(idx, axis=0)
    z *= tt.take(idx, axis=0) < lv[idx][:, None]
    return vec_mat(x[idx], z, gmax)


def gated_core(buf: ColdBuffer, out: int, inn: int, x: np.ndarray) -> np.ndarray:
    """Core semantics: ``sum_i [conducts] trunc(w*x*cond/255)``, intensity ``min(|x|, 255)``."""
    if _all_hot(buf, out, inn):
        return ungated(buf, out, inn, x)        # cond 255: trunc(w*x*255/255) == w*x, never blocked
    vct, tt, vcmax = _prep_core(buf, out, inn)
    ax = np.abs(x)
    lv = _levels(np.minimum(ax, 255))
    u = np.where(x < 0, -(ax // 255), ax // 255)
    s = x - 255 * u
    acc = np.zeros(out, np.int64)
    iu = np.flatnonzero(u)
    if len(iu):                                  # |x| >= 255: level 4, every weight conducts
        acc += vec_mat(u[iu], vct.take(iu, axis=0), vcmax)
    idx = np.flatnonzero(s)
    if len(idx):
        z = vct.take(idx, axis=0)
        lvi = lv[idx]
        if lvi.min() < 4:
            z *= tt.take(idx, axis=0) < lvi[:, None]
        z *= s[idx].astype(np.float32)[:, None]  # exact: |vc*s| < 2**24
        z /= np.float32(255.0)
        np.trunc(z, out=z)
        acc += _colsum_exact(z)
    return acc


def clamp_i32(v: np.ndarray) -> np.ndarray:
    return np.minimum(np.maximum(v, I32_MIN), I32_MAX).astype(np.int32)


def ungated_batch(buf: ColdBuffer, out: int, inn: int, xs: np.ndarray) -> np.ndarray:
    """Rows of ``xs`` (batch, in) through the ungated product: (batch, out) int64."""
    v64, vmax = _prep_ungated(buf, out, inn)
    return mat_mat(v64, xs, vmax)


def gated_batch(kind: str, buf: ColdBuffer, out: int, inn: int, xs: np.ndarray) -> np.ndarray:
    """Gated products of each row of ``xs`` (batch, in); ``kind`` is "core" or "ext".

    Gating differs per row, so rows are processed one at a time; each row is fully vectorised.
    """
    if (kind == "core" and _all_hot(buf, out, inn)) or (kind == "ext" and (buf.temps is None or _all_hot(buf, out, inn))):
        return ungated_batch(buf, out, inn, xs)
    fn = gated_core if kind == "core" else gated_ext
    res = np.zeros((xs.shape[0], out), np.int64)
    for b in range(xs.shape[0]):
        res[b] = fn(buf, out, inn, xs[b])
    return res
