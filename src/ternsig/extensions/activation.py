"""The activation extension (0x0003, ``tvmr.activation``): integer activations, shape preserved.

These are *not* the core activations of the same names: sigmoid is ``128 + 32x/(256+|x|)`` on
inputs clamped to ±2048, tanh is signed (±127), softmax uses a ±1024 window and gelu a linear gate.
All divisions truncate toward zero. Missing source: "H<i> not allocated".
"""
from __future__ import annotations

from typing import Optional

import numpy as np

from ..intmath import tdiv_pos_arr
from ..isa.spec import ExtensionTable, Layer
from ..vm.state import HotBuffer
from ._regs import hot_reg as _src

TABLE = ExtensionTable(0x0003, "activation", (1, 0, 0), doc="Integer activation functions.")

_I64 = np.int64
_I32 = np.int32
_RR = "reg@A reg@B"


_trunc_div = tdiv_pos_arr     # num / den truncating toward zero, den > 0


def relu_values(x: np.ndarray) -> np.ndarray:
    return np.maximum(x, 0)


# sigmoid, tanh and gelu are evaluated through tables built once from the exact formulas below
# (the ``*_exact`` functions, also the tests' oracle): two NumPy calls per register instead of
# eight. ``take(mode="clip")`` clamps the index, i.e. applies each formula's input clamp.

def sigmoid_exact(x: np.ndarray) -> np.ndarray:
    """``clamp(128 + x*32/(256+|x|), 0, 255)`` with x clamped to ±2048."""
    xc = np.minimum(np.maximum(np.asarray(x, _I64), -2048), 2048)
    r = 128 + _trunc_div(xc * 32, 256 + np.abs(xc))
    return np.minimum(np.maximum(r, 0), 255).astype(_I32)


def tanh_exact(x: np.ndarray) -> np.ndarray:
    """``clamp(x*127/(128+|x|), -127, 127)`` with x clamped to ±2048."""
    xc = np.minimum(np.maximum(np.asarray(x, _I64), -2048), 2048)
    r = _trunc_div(xc * 127, 128 + np.abs(xc))
    return np.minimum(np.maximum(r, -127), 127).astype(_I32)


def gelu_exact(x: np.ndarray) -> np.ndarray:
    """``g = 128 + clamp(x*54/256, -128, 127)``; ``x*g/256`` (both divisions truncating)."""
    x64 = np.asarray(x, _I64)
    g = 128 + np.minimum(np.maximum(_trunc_div(x64 * 54, 256), -128), 127)
    return _trunc_div(x64 * g, 256).astype(_I32)


_SPAN = np.arange(-2048, 2049)
_SIGMOID_LUT = sigmoid_exact(_SPAN)
_TANH_LUT = tanh_exact(_SPAN)
_GELU_HALF = 1 << 16            # the gate is 0 below -606 and 255 above 601; beyond ±2^16
_GELU_LUT: Optional[np.ndarray] = None   # the output is 0 (below) or (x*255) >> 8 (above)


def sigmoid_values(x: np.ndarray) -> np.ndarray:
    return _SIGMOID_LUT.take(np.add(x, 2048, dtype=_I64), mode="clip")


def tanh_values(x: np.ndarray) -> np.ndarray:
    return _TANH_LUT.take(np.add(x, 2048, dtype=_I64), mode="clip")


def gelu_values(x: np.ndarray) -> np.ndarray:
    global _GELU_LUT
    if _GELU_LUT is None:
        _GELU_LUT = gelu_exact(np.arange(-_GELU_HALF, _GELU_HALF + 1))
    out = _GELU_LUT.take(np.add(x, _GELU_HALF, dtype=_I64), mode="clip")   # below: gate 0 → 0
    if len(x) and x.max() > _GELU_HALF:
        big = x > _GELU_HALF
        out[big] = (x[big].astype(_I64) * 255) >> 8                        # gate 255, x > 0
    return out


def softmax_values(x: np.ndarray) -> np.ndarray:
    """``e = max(1, 256 + max(x-m, -1024))``; ``e*255/Σe``.

    ``x - m`` wraps as i32 (release; NumPy int32 arrays wrap alike), so it can be positive and
    e can exceed 256: e is therefore int64. ``max(1, 256 + max(s, -1024)) == 256 + max(s, -255)``.
    """
    if len(x) == 0:
        return np.zeros(0, _I32)
    e = np.maximum(x - x.max(), -255).astype(_I64) + 256
    total = max(int(e.sum()), 1)
    return ((e * 255) // total).astype(_I32)


def _unary(fn):
    def handler(m, a, b, c, d):
        src = _src(m, b)
        m.hot[a & 0x3F] = HotBuffer(fn(src.data), src.shape)
    handler.__name__ = fn.__name__.replace("_values", "")
    handler.__doc__ = fn.__doc__
    return handler


TABLE.op(0x0000, "relu", _RR, Layer.RUNTIME, "A = max(0, B).")(_unary(relu_values))
TABLE.op(0x0001, "sigmoid", _RR, Layer.RUNTIME, "A = clamp(128 + 32x/(256+|x|), 0, 255), x = clamp(B, ±2048).")(
    _unary(sigmoid_values))
TABLE.op(0x0002, "tanh", _RR, Layer.RUNTIME, "A = clamp(127x/(128+|x|), ±127), x = clamp(B, ±2048).")(
    _unary(tanh_values))
TABLE.op(0x0003, "softmax", _RR, Layer.RUNTIME, "A = 255·e/Σe with e = max(1, 256 + max(B−max, −1024)).")(
    _unary(softmax_values))
TABLE.op(0x0004, "gelu", _RR, Layer.RUNTIME, "A = B·(128 + clamp(54B/256, −128, 127))/256.")(_unary(gelu_values))
