"""The activation extension (0x0003, ``tvmr.activation``): integer activations, shape preserved.

These are *not* the core activations of the same names: sigmoid is ``128 + 32x/(256+|x|)`` on
inputs clamped to ±2048, tanh is signed (±127), softmax uses a ±1024 window and gelu a linear gate.
All divisions truncate toward zero. Missing source: "H<i> not allocated".
"""
from __future__ import annotations

import numpy as np

from ..errors import ExecFault
from ..isa.spec import ExtensionTable, Layer
from ..vm.state import HotBuffer

TABLE = ExtensionTable(0x0003, "activation", (1, 0, 0), doc="Integer activation functions.")

_I64 = np.int64
_I32 = np.int32
_RR = "reg@A reg@B"


def _src(m, b: int) -> HotBuffer:
    idx = b & 0x3F
    h = m.hot[idx]
    if h is None:
        raise ExecFault(f"H{idx} not allocated")
    return h


def _trunc_div(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    """num / den truncating toward zero, den > 0 (small int64 values: no overflow in abs)."""
    q = np.abs(num) // den
    return np.where(num < 0, -q, q)


def relu_values(x: np.ndarray) -> np.ndarray:
    return np.maximum(x, 0)


def sigmoid_values(x: np.ndarray) -> np.ndarray:
    """``clamp(128 + x*32/(256+|x|), 0, 255)`` with x clamped to ±2048."""
    xc = np.minimum(np.maximum(x, -2048), 2048)          # int32; products below stay < 2^17
    r = 128 + _trunc_div(xc * 32, 256 + np.abs(xc))
    return np.minimum(np.maximum(r, 0), 255).astype(_I32)


def tanh_values(x: np.ndarray) -> np.ndarray:
    """``clamp(x*127/(128+|x|), -127, 127)`` with x clamped to ±2048."""
    xc = np.minimum(np.maximum(x, -2048), 2048)
    r = _trunc_div(xc * 127, 128 + np.abs(xc))
    return np.minimum(np.maximum(r, -127), 127).astype(_I32)


def softmax_values(x: np.ndarray) -> np.ndarray:
    """``e = max(1, 256 + max(x-m, -1024))``; ``e*255/Σe``. ``x - m`` wraps as i32 (release)."""
    if len(x) == 0:
        return np.zeros(0, _I32)
    shifted = (x.astype(_I64) - int(x.max())).astype(_I32)
    e = np.maximum(np.maximum(shifted, -1024).astype(_I64) + 256, 1)
    total = max(int(e.sum()), 1)
    return ((e * 255) // total).astype(_I32)


def gelu_values(x: np.ndarray) -> np.ndarray:
    """``g = 128 + clamp(x*54/256, -128, 127)``; ``x*g/256`` (both divisions truncating)."""
    x64 = x.astype(_I64)
    g = 128 + np.minimum(np.maximum(_trunc_div(x64 * 54, 256), -128), 127)
    return _trunc_div(x64 * g, 256).astype(_I32)


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
