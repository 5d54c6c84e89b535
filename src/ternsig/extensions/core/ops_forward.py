"""Core forward handlers: add, sub, mul, relu, sigmoid, tanh, softmax, gelu, shift, clamp, cmp_gt,
max_reduce.

Semantics are the reference's release build, quirks included:

* the third register of add/sub/mul/cmp_gt is read as ``C & 0x0F`` (legacy 16-register banks);
* add dispatches on the *bank* of the raw C byte (hot: saturating add, cold: bias ×255, other
  banks: silent no-op) and is a no-op unless B is a hot register byte;
* sub/mul/cmp_gt zip to the shorter operand but keep the source's shape;
* mul wraps to i32 (``((a*b) >> 8) as i32``), add/sub saturate;
* shift masks its amount to 5 bits and softmax computes ``x - max`` with i32 wrap-around (a
  debug build panics in both cases; golden vectors are release);
* clamp panics when min > max (we trap: see docs/deviations.d/forward.md).

Errors carry the reference's exact text ("Source not allocated", "Other not allocated", "Bias not
allocated").
"""
from __future__ import annotations

from typing import Optional

import numpy as np

from ...errors import ExecFault, PanicFault
from ...intmath import I32_MAX, I32_MIN
from ...vm.state import HotBuffer
from .table import CORE

_I64 = np.int64
_I32 = np.int32


def _src(m, b: int) -> HotBuffer:
    h = m.hot[b & 0x3F]
    if h is None:
        raise ExecFault("Source not allocated")
    return h


def _other(m, c: int) -> HotBuffer:
    h = m.hot[c & 0x0F]
    if h is None:
        raise ExecFault("Other not allocated")
    return h


def _sat(x: np.ndarray) -> np.ndarray:
    """int64 → int32, saturating (np.minimum/np.maximum: cheaper than np.clip on small arrays)."""
    return np.minimum(np.maximum(x, I32_MIN), I32_MAX).astype(_I32)


@CORE.implements("add")
def add(m, a, b, c, d):
    if b >> 6 != 0:
        return None                      # source byte is not hot: the reference does nothing
    bank = c >> 6
    if bank == 1:
        src = _src(m, b)
        bias = m.cold[c & 0x0F]
        if bias is None:
            raise ExecFault("Bias not allocated")
        out = src.data.copy()
        n = min(len(out), len(bias.pol))
        if n:
            out[:n] = _sat(out[:n].astype(_I64) + bias.values()[:n].astype(_I64) * 255)
    elif bank == 0:
        src = _src(m, b)
        other = _other(m, c)
        n, ns = len(other.data), len(src.data)
        if n >= ns:                       # the common case: one result array, no copy
            out = _sat(np.add(src.data, other.data[:ns], dtype=_I64))
        else:
            out = src.data.copy()
            out[:n] = _sat(np.add(out[:n], other.data, dtype=_I64))
    else:
        return None
    m.hot[a & 0x3F] = HotBuffer(out, src.shape)
    return None


@CORE.implements("sub")
def sub(m, a, b, c, d):
    src = _src(m, b)
    other = _other(m, c)
    n = min(len(src.data), len(other.data))
    out = _sat(np.subtract(src.data[:n], other.data[:n], dtype=_I64))
    m.hot[a & 0x3F] = HotBuffer(out, src.shape)


@CORE.implements("mul")
def mul(m, a, b, c, d):
    src = _src(m, b)
    other = _other(m, c)
    n = min(len(src.data), len(other.data))
    out = (np.multiply(src.data[:n], other.data[:n], dtype=_I64) >> 8).astype(_I32)   # wraps, as `as i32`
    m.hot[a & 0x3F] = HotBuffer(out, src.shape)


@CORE.implements("relu")
def relu(m, a, b, c, d):
    src = _src(m, b)
    m.hot[a & 0x3F] = HotBuffer(np.maximum(src.data, 0), src.shape)


# Activations with a bounded interesting domain go through lookup tables built once from the
# exact formulas: a tiny register then costs two NumPy calls instead of eight (per-call overhead
# dominates below a few thousand elements). ``LUT.take(idx, mode="clip")`` clamps the index, which
# is exactly the saturation of each formula outside its table.

def sigmoid_exact(x: np.ndarray, gain: int) -> np.ndarray:
    """``clamp(((x*gain) >> 10) + 128, 0, 255)``."""
    s = ((np.asarray(x, _I64) * gain) >> 10) + 128
    return np.minimum(np.maximum(s, 0), 255).astype(_I32)


_SIGMOID_LUTS: dict[int, tuple[int, np.ndarray]] = {}


def sigmoid_values(x: np.ndarray, gain: int) -> np.ndarray:
    entry = _SIGMOID_LUTS.get(gain)
    if entry is None:
        half = (128 << 10) // gain + 2          # beyond ±half the output is saturated at 0 / 255
        entry = (half, sigmoid_exact(np.arange(-half, half + 1), gain))
        _SIGMOID_LUTS[gain] = entry
    half, lut = entry
    return lut.take(np.add(x, half, dtype=_I64), mode="clip")


@CORE.implements("sigmoid")
def sigmoid(m, a, b, c, d):
    src = _src(m, b)
    m.hot[a & 0x3F] = HotBuffer(sigmoid_values(src.data, d if d > 0 else 64), src.shape)


def tanh_exact(x: np.ndarray) -> np.ndarray:
    """Input clamped to 0..255 and centred at 128; ``c*64 / (64 + |c|/2)`` truncated; back to 0..255."""
    cen = np.minimum(np.maximum(np.asarray(x, _I64), 0), 255) - 128
    mag = np.abs(cen)
    t = (mag * 64) // (64 + (mag >> 1))                     # |quotient|, then the sign: truncation
    t = np.where(cen < 0, -t, t) + 128
    return np.minimum(np.maximum(t, 0), 255).astype(_I32)


_TANH_LUT = tanh_exact(np.arange(256))


def tanh_values(x: np.ndarray) -> np.ndarray:
    return _TANH_LUT.take(x, mode="clip")                  # the clamp to 0..255 is the index clip


@CORE.implements("tanh")
def tanh(m, a, b, c, d):
    src = _src(m, b)
    m.hot[a & 0x3F] = HotBuffer(tanh_values(src.data), src.shape)


def softmax_values(x: np.ndarray) -> np.ndarray:
    """Core softmax: e = 256 at the max, ``max(1, 256 + max(x-m, -256))`` below; ``e*255/Σe``.

    ``x - m`` is an i32 subtraction that wraps in the release reference (NumPy int32 arrays wrap
    the same way); ``max(1, 256 + max(s, -256))`` for s < 0 is ``256 + max(s, -255)``.
    """
    if len(x) == 0:
        return np.zeros(0, _I32)
    shifted = x - x.max()
    e = np.maximum(np.minimum(shifted, 0), -255) + 256      # int32, 1..256
    total = int(e.sum())
    if total > I32_MAX:                                      # > 8M elements: divide in int64
        return ((e * 255) // np.int64(total)).astype(_I32)
    return (e * 255) // total


@CORE.implements("softmax")
def softmax(m, a, b, c, d):
    src = _src(m, b)
    m.hot[a & 0x3F] = HotBuffer(softmax_values(src.data), src.shape)


def gelu_exact(x: np.ndarray) -> np.ndarray:
    """``s = (x*435) >> 8; g = clamp((s >> 10) + 128, 0, 255); (x*g) >> 8``."""
    x64 = np.asarray(x, _I64)
    g = np.minimum(np.maximum(((x64 * 435) >> 18) + 128, 0), 255)   # (>>8)>>10 == >>18 (floor)
    return ((x64 * g) >> 8).astype(_I32)


_GELU_HALF = 80_000          # g is 0 below -77137 and 255 above 76532
_GELU_LUT: Optional[np.ndarray] = None


def gelu_values(x: np.ndarray) -> np.ndarray:
    global _GELU_LUT
    if _GELU_LUT is None:
        _GELU_LUT = gelu_exact(np.arange(-_GELU_HALF, _GELU_HALF + 1))
    out = _GELU_LUT.take(np.add(x, _GELU_HALF, dtype=_I64), mode="clip")   # below: g = 0 → 0
    if len(x) and x.max() > _GELU_HALF:
        big = x > _GELU_HALF
        out[big] = (x[big].astype(_I64) * 255) >> 8                          # g = 255
    return out


@CORE.implements("gelu")
def gelu(m, a, b, c, d):
    src = _src(m, b)
    m.hot[a & 0x3F] = HotBuffer(gelu_values(src.data), src.shape)


@CORE.implements("shift")
def shift(m, a, b, c, d):
    src = _src(m, b)
    # release builds mask the amount to 5 bits (a debug build panics for C >= 32)
    m.hot[a & 0x3F] = HotBuffer(src.data >> (c & 31), src.shape)


@CORE.implements("clamp")
def clamp(m, a, b, c, d):
    src = _src(m, b)
    if c > d and len(src.data):
        # Rust's Ord::clamp asserts min <= max (in release builds too); it is only reached when
        # there is at least one element.
        raise PanicFault(f"clamp with min {c} > max {d} (the reference panics: "
                         f"assertion failed: min <= max)")
    out = np.minimum(np.maximum(src.data, c), d).astype(_I32)
    m.hot[a & 0x3F] = HotBuffer(out, src.shape)


@CORE.implements("cmp_gt")
def cmp_gt(m, a, b, c, d):
    src = _src(m, b)
    other = _other(m, c)
    n = min(len(src.data), len(other.data))
    out = (src.data[:n] > other.data[:n]).astype(_I32) * 255
    m.hot[a & 0x3F] = HotBuffer(out, src.shape)


@CORE.implements("max_reduce")
def max_reduce(m, a, b, c, d):
    src = _src(m, b)
    v = src.data.max() if len(src.data) else 0
    m.hot[a & 0x3F] = HotBuffer(np.array([v], _I32), (1,))
