"""The sampling extension (0x00C0, ``tvmr.sampling``, version 0.1.0): logit shaping for decoding.

Filtered entries of TOP_K / TOP_P become ``i32::MIN / 2`` (the reference's value; its spec says 0).
Ordering is a stable descending sort, so ties keep index order. Missing parameter registers take
the reference's defaults (temperature 1, k 1, p 255, no history, penalty 0); a missing logits
register fails with "H<i> not allocated".
"""
from __future__ import annotations

import numpy as np

from ..intmath import I32_MAX, I32_MIN, sat_i32_arr, tdiv_pos_arr
from ..isa.spec import ExtensionTable, Layer
from ..vm.state import HotBuffer
from ._regs import hot_reg as _logits

TABLE = ExtensionTable(0x00C0, "sampling", (0, 1, 0), doc="Logit sampling filters.",
                       unknown_opcode_format="{name} opcode 0x{opcode:04X} not implemented")

FILTERED = -(1 << 30)           # i32::MIN / 2
_I64 = np.int64
_I32 = np.int32
R = Layer.RUNTIME


def _first(m, byte: int, default: int) -> int:
    """Element 0 of hot register ``byte & 0x3F``; ``default`` if it is missing or empty."""
    h = m.hot[byte & 0x3F]
    if h is None or len(h.data) == 0:
        return default
    return int(h.data[0])


def _descending(x: np.ndarray) -> np.ndarray:
    """Indices in stable descending order of value (ties: lower index first)."""
    return np.argsort(-x.astype(_I64), kind="stable")


@TABLE.op(0x0000, "temperature", "reg@A reg@B reg@C", R, "A = B·256 / max(1, C[0]) (missing C → 1), clamped.")
def temperature(m, a, b, c, d):
    src = _logits(m, b)
    t = max(_first(m, c, 1), 1)
    out = tdiv_pos_arr(src.data.astype(_I64) * 256, t)
    m.hot[a & 0x3F] = HotBuffer(sat_i32_arr(out), src.shape)


@TABLE.op(0x0001, "top_k", "reg@A reg@B reg@C", R, "Keep the k = max(1, C[0]) largest of B, the rest → i32::MIN/2.")
def top_k(m, a, b, c, d):
    src = _logits(m, b)
    k = max(_first(m, c, 1), 1)
    x = src.data
    n = len(x)
    if k >= n:
        out = x.copy()
    elif n <= 256:                       # small: one stable sort is cheaper than partitioning
        out = np.full(n, FILTERED, _I32)
        keep = _descending(x)[:k]
        out[keep] = x[keep]
    else:
        # the k entries a stable descending sort puts first: everything above the k-th largest
        # value, then the lowest-indexed entries equal to it (O(n) instead of a full sort)
        kth = np.partition(x, n - k)[n - k]
        keep = x > kth
        ties = np.flatnonzero(x == kth)[:k - int(keep.sum())]
        keep[ties] = True
        out = np.where(keep, x, np.int32(FILTERED))
    m.hot[a & 0x3F] = HotBuffer(out, src.shape)


@TABLE.op(0x0002, "top_p", "reg@A reg@B reg@C", R,
          "Keep B's largest values until their weight reaches p/255 of the total, p = clamp(C[0], 1, 255).")
def top_p(m, a, b, c, d):
    src = _logits(m, b)
    p = min(max(_first(m, c, 255), 1), 255)
    x = src.data
    out = np.full(len(x), FILTERED, _I32)
    if len(x):
        order = _descending(x)
        shifted = (x.astype(_I64) - int(x.max())).astype(_I32)        # i32 wrap, as in release
        e = np.maximum(256 + np.minimum(np.maximum(shifted, -1024), 1024).astype(_I64), 1)
        total = max(int(e.sum()), 1)
        threshold = total * p // 255
        cum = np.cumsum(e[order])
        hit = np.flatnonzero(cum >= threshold)
        n = int(hit[0]) + 1 if len(hit) else len(x)                    # the crossing entry is kept
        keep = order[:n]
        out[keep] = x[keep]
    m.hot[a & 0x3F] = HotBuffer(out, src.shape)


@TABLE.op(0x0003, "rep_penalty", "reg@A reg@B reg@C reg@D", R,
          "A = B with D[0] subtracted (saturating) once per occurrence of each token index in C.")
def rep_penalty(m, a, b, c, d):
    src = _logits(m, b)
    out = src.data.copy()
    hist = m.hot[c & 0x3F]
    pen = _first(m, d, 0)
    if hist is not None and len(hist.data) and len(out) and pen:
        h = hist.data
        h = h[(h >= 0) & (h < len(out))]
        counts = np.bincount(h, minlength=len(out))[:len(out)].astype(_I64)
        hit = counts > 0
        # repeated saturating subtraction == one subtraction of count*pen, then saturation
        v = out[hit].astype(_I64) - counts[hit] * pen
        out[hit] = np.minimum(np.maximum(v, I32_MIN), I32_MAX)
    m.hot[a & 0x3F] = HotBuffer(out, src.shape)
