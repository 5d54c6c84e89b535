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
* clamp panics when min > max (we trap: see docs/deviations.md).

Errors carry the reference's exact text ("Source not allocated", "Other not allocated", "Bias not
allocated").
"""
from __future__ import annotations

from functools import partial
from operator import add as _add_op, sub as _sub_op
from typing import Optional

import numpy as np

from ...errors import ExecFault, PanicFault
from ...intmath import I32_MAX, I32_MIN, sat_i32_arr, sat_i32_ints, wrap_i32_ints
from ...vm.state import SMALL, HotBuffer, hot_of

_new_hot = object.__new__
from .table import CORE

_I64 = np.int64
_I32 = np.int32

# Fast paths. Registers of at most SMALL elements are computed with Python ints and stored as
# tuples (HotBuffer.of_ints): below that size one NumPy call (~1 µs) costs more than the whole
# Python computation. Each fast path is the NumPy formulation below it, element for element
# (tests/vm/test_fast_paths.py compares them over random values and the i32 limits).


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


def small_ints(h: HotBuffer):
    """The register's values as Python ints when it is small (tuple-backed or ≤ SMALL), else None."""
    t = h._t
    if t is not None:
        return t
    a = h._a
    return a.tolist() if len(a) <= SMALL else None


def _head_ints(h: HotBuffer, n: int):
    """The first ``n`` (or fewer) values as Python ints."""
    t = h._t
    return t if t is not None else h._a[:n].tolist()


# ---- add ------------------------------------------------------------------------------------------

def _add_hot(m, ai: int, bi: int, ci: int) -> None:
    """H[ai] = H[bi] + H[ci] saturating over the shared prefix; the rest of the source is kept."""
    hot = m.hot
    src = hot[bi]
    if src is None:
        raise ExecFault("Source not allocated")
    other = hot[ci]
    if other is None:
        raise ExecFault("Other not allocated")
    st = src._t
    if st is None:
        a = src._a
        if len(a) > SMALL:
            _add_hot_np(m, ai, src, other)
            return
        st = a.tolist()
    ns = len(st)
    ot = _head_ints(other, ns)
    if ns == 1 and ot:
        v = st[0] + ot[0]
        r = (v,) if I32_MIN <= v <= I32_MAX else ((I32_MAX,) if v > 0 else (I32_MIN,))
    else:
        r = tuple(map(_add_op, st, ot))
        if len(ot) < ns:
            r += tuple(st[len(ot):])
        r = sat_i32_ints(r)
    hot[ai] = hot_of(r, src.shape)


def _add_hot_np(m, ai: int, src: HotBuffer, other: HotBuffer) -> None:
    sd, od = src.view(), other.view()
    n, ns = len(od), len(sd)
    if n >= ns:                           # the common case: one result array, no copy
        out = sat_i32_arr(np.add(sd, od if n == ns else od[:ns], dtype=_I64))
    else:
        out = sd.copy()
        out[:n] = sat_i32_arr(np.add(out[:n], od, dtype=_I64))
    m.hot[ai] = HotBuffer(out, src.shape)


def _bias255(bias) -> tuple:
    """``(p*m*255 as ints, as int64 array)`` of a cold register, cached until its arrays change."""
    e = bias.cache.get("bias255")
    if e is None or e[0] is not bias.pol or e[1] is not bias.mag:
        arr = np.multiply(bias.pol, bias.mag, dtype=_I64) * 255
        e = (bias.pol, bias.mag, tuple(arr.tolist()), arr)
        bias.cache["bias255"] = e
    return e


def _add_cold(m, ai: int, bi: int, ci: int) -> None:
    """H[ai] = H[bi] + C[ci]*255 saturating over the shared prefix (the quirky cold-bias add)."""
    src = m.hot[bi]
    if src is None:
        raise ExecFault("Source not allocated")
    bias = m.cold[ci]
    if bias is None:
        raise ExecFault("Bias not allocated")
    e = bias.cache.get("bias255")
    if e is None or e[0] is not bias.pol or e[1] is not bias.mag:
        e = _bias255(bias)
    st = src._t
    if st is not None and len(st) == 1 and e[2]:            # scalar: no map, no max/min
        v = st[0] + e[2][0]
        m.hot[ai] = hot_of((v,) if I32_MIN <= v <= I32_MAX else ((I32_MAX,) if v > 0 else (I32_MIN,)),
                           src.shape)
        return
    if st is None:
        a = src._a
        if len(a) > SMALL:
            b64 = e[3]
            n, ns = len(b64), len(a)
            if n >= ns:
                out = sat_i32_arr(np.add(a, b64[:ns]))
            else:
                out = a.copy()
                if n:
                    out[:n] = sat_i32_arr(np.add(out[:n], b64))
            m.hot[ai] = HotBuffer(out, src.shape)
            return
        st = a.tolist()
    bt = e[2]
    r = tuple(map(_add_op, st, bt))
    if len(bt) < len(st):
        r += tuple(st[len(bt):])
    m.hot[ai] = hot_of(sat_i32_ints(r), src.shape)


@CORE.implements("add")
def add(m, a, b, c, d):
    if b >> 6 != 0:
        return None                      # source byte is not hot: the reference does nothing
    bank = c >> 6
    if bank == 0:
        _add_hot(m, a & 0x3F, b, c & 0x0F)
    elif bank == 1:
        _add_cold(m, a & 0x3F, b, c & 0x0F)
    return None                          # other banks: silent no-op


def _specialise_add(m, a, b, c, d):
    """Bank dispatch decided once; the scalar hot + hot case inlined (the cheapest loop body)."""
    if b >> 6 != 0 or c >> 6 > 1:
        return _noop
    ai, ci = a & 0x3F, c & 0x0F
    if c >> 6 == 1:
        return partial(_add_cold, m, ai, b, ci)

    def add_hot() -> None:
        hot = m.hot
        src = hot[b]
        other = hot[ci]
        if src is not None and other is not None:
            st, ot = src._t, other._t
            if st is None:
                if ot is None and len(src._a) > SMALL:      # large: straight to NumPy
                    _add_hot_np(m, ai, src, other)
                    return
            elif ot is not None and len(st) == 1 and ot:
                v = st[0] + ot[0]
                h = _new_hot(HotBuffer)          # hot_of inlined: this is the hottest path
                h._a = None
                h._t = (v,) if I32_MIN <= v <= I32_MAX else ((I32_MAX,) if v > 0 else (I32_MIN,))
                h.shape = src.shape
                hot[ai] = h
                return
        _add_hot(m, ai, b, ci)

    return add_hot


def _noop() -> None:
    return None


add.specialise = _specialise_add


@CORE.implements("sub")
def sub(m, a, b, c, d):
    src = _src(m, b)
    other = _other(m, c)
    st = small_ints(src)
    if st is not None:
        m.hot[a & 0x3F] = hot_of(sat_i32_ints(tuple(map(_sub_op, st, _head_ints(other, len(st))))), src.shape)
        return
    sd, od = src.view(), other.view()
    n = min(len(sd), len(od))
    out = sat_i32_arr(np.subtract(sd[:n], od[:n], dtype=_I64))
    m.hot[a & 0x3F] = HotBuffer(out, src.shape)


@CORE.implements("mul")
def mul(m, a, b, c, d):
    src = _src(m, b)
    other = _other(m, c)
    st = small_ints(src)
    if st is not None:
        ot = _head_ints(other, len(st))
        m.hot[a & 0x3F] = hot_of(wrap_i32_ints(tuple([(x * y) >> 8 for x, y in zip(st, ot)])), src.shape)
        return
    sd, od = src.view(), other.view()
    n = min(len(sd), len(od))
    out = (np.multiply(sd[:n], od[:n], dtype=_I64) >> 8).astype(_I32)   # wraps, as `as i32`
    m.hot[a & 0x3F] = HotBuffer(out, src.shape)


@CORE.implements("relu")
def relu(m, a, b, c, d):
    src = _src(m, b)
    t = src._t
    if t is not None:                    # already Python ints: no array to build
        m.hot[a & 0x3F] = hot_of(tuple([v if v > 0 else 0 for v in t]), src.shape)
        return
    m.hot[a & 0x3F] = HotBuffer(np.maximum(src._a, 0), src.shape)


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
    gain = d if d > 0 else 64
    t = src._t
    if t is not None and len(t) == 1:                       # scalar: no list building
        v = ((t[0] * gain) >> 10) + 128
        m.hot[a & 0x3F] = hot_of((0 if v < 0 else 255 if v > 255 else v,), src.shape)
        return
    if t is None:
        t = small_ints(src)
    if t is not None:
        vals = [((v * gain) >> 10) + 128 for v in t]
        m.hot[a & 0x3F] = hot_of(tuple([0 if v < 0 else 255 if v > 255 else v for v in vals]), src.shape)
        return
    m.hot[a & 0x3F] = HotBuffer(sigmoid_values(src.view(), gain), src.shape)


def tanh_exact(x: np.ndarray) -> np.ndarray:
    """Input clamped to 0..255 and centred at 128; ``c*64 / (64 + |c|/2)`` truncated; back to 0..255."""
    cen = np.minimum(np.maximum(np.asarray(x, _I64), 0), 255) - 128
    mag = np.abs(cen)
    t = (mag * 64) // (64 + (mag >> 1))                     # |quotient|, then the sign: truncation
    t = np.where(cen < 0, -t, t) + 128
    return np.minimum(np.maximum(t, 0), 255).astype(_I32)


_TANH_LUT = tanh_exact(np.arange(256))
_TANH_INTS = tuple(_TANH_LUT.tolist())


def tanh_values(x: np.ndarray) -> np.ndarray:
    return _TANH_LUT.take(x, mode="clip")                  # the clamp to 0..255 is the index clip


@CORE.implements("tanh")
def tanh(m, a, b, c, d):
    src = _src(m, b)
    t = src._t
    if t is not None:
        lut = _TANH_INTS
        m.hot[a & 0x3F] = hot_of(tuple([lut[0 if v < 0 else 255 if v > 255 else v] for v in t]), src.shape)
        return
    m.hot[a & 0x3F] = HotBuffer(tanh_values(src._a), src.shape)


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
    m.hot[a & 0x3F] = HotBuffer(softmax_values(src.view()), src.shape)


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
    m.hot[a & 0x3F] = HotBuffer(gelu_values(src.view()), src.shape)


@CORE.implements("shift")
def shift(m, a, b, c, d):
    src = _src(m, b)
    # release builds mask the amount to 5 bits (a debug build panics for C >= 32)
    k = c & 31
    t = src._t
    if t is not None:
        m.hot[a & 0x3F] = hot_of(tuple([v >> k for v in t]), src.shape)
        return
    m.hot[a & 0x3F] = HotBuffer(src._a >> k, src.shape)


@CORE.implements("clamp")
def clamp(m, a, b, c, d):
    src = _src(m, b)
    if c > d and len(src):
        # Rust's Ord::clamp asserts min <= max (in release builds too); it is only reached when
        # there is at least one element.
        raise PanicFault(f"clamp with min {c} > max {d} (the reference panics: "
                         f"assertion failed: min <= max)")
    t = small_ints(src)
    if t is not None:                     # c <= d here (or no elements)
        m.hot[a & 0x3F] = hot_of(tuple([c if v < c else d if v > d else v for v in t]), src.shape)
        return
    out = np.minimum(np.maximum(src.view(), c), d).astype(_I32)
    m.hot[a & 0x3F] = HotBuffer(out, src.shape)


@CORE.implements("cmp_gt")
def cmp_gt(m, a, b, c, d):
    src = _src(m, b)
    other = _other(m, c)
    st = small_ints(src)
    if st is not None:
        ot = _head_ints(other, len(st))
        m.hot[a & 0x3F] = hot_of(tuple([255 if x > y else 0 for x, y in zip(st, ot)]), src.shape)
        return
    sd, od = src.view(), other.view()
    n = min(len(sd), len(od))
    out = (sd[:n] > od[:n]).astype(_I32) * 255
    m.hot[a & 0x3F] = HotBuffer(out, src.shape)


@CORE.implements("max_reduce")
def max_reduce(m, a, b, c, d):
    src = _src(m, b)
    t = src._t
    if t is not None:
        m.hot[a & 0x3F] = hot_of((max(t) if t else 0,), (1,))
        return
    sd = src._a
    m.hot[a & 0x3F] = hot_of((int(sd.max()) if len(sd) else 0,), (1,))
