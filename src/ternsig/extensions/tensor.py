"""The tensor extension (0x0001, ``tvmr.tensor``): arithmetic, reductions, reshaping, attention,
RoPE, norms and a KV cache, all integer.

Differences from the core ops of the same names, as in the reference: registers are read with
``& 0x3F`` (only CONCAT keeps the legacy ``& 0x0F``); ADD/SUB pad the shorter operand with zeros
(max length), MUL clamps instead of wrapping, a cold ADD bias is ×256 (core: ×255), CLAMP bounds are
``(byte-128)*256``, CMP_GT yields 1/0 with shape [len]. Missing registers fail with
"H<i> not allocated" / "C<i> not allocated".

Operand layouts are one byte per source token, as the reference's generic extension syntax
encodes them (``tensor.scale H1, H0, 1, 128`` → scale 0x0180).
"""
from __future__ import annotations

import numpy as np

from ..errors import ExecFault, PanicFault
from ..intmath import I32_MAX, sat_i32_arr, tdiv, tdiv_pos_arr, wrap_i32
from ..isa.spec import ExtensionTable, Layer
from ..vm.state import HotBuffer
from . import tensor_nn as nn
from ._regs import hot_reg as _hot

TABLE = ExtensionTable(0x0001, "tensor", (1, 0, 0),
                       doc="General-purpose integer tensor operations.")

R = Layer.RUNTIME
_I64 = np.int64
_I32 = np.int32

_RRR = "reg@A reg@B reg@C"
_RR = "reg@A reg@B"


def _padded64(x: np.ndarray, n: int) -> np.ndarray:
    out = np.zeros(n, _I64)
    out[:len(x)] = x
    return out


def _put(m, byte: int, data: np.ndarray, shape) -> None:
    m.hot[byte & 0x3F] = HotBuffer(data, tuple(shape))


@TABLE.op(0x0000, "matmul", _RRR, R, "Always fails: use ternary.ternary_matmul.")
def matmul(m, a, b, c, d):
    raise ExecFault("MATMUL not implemented (use ternary.TERNARY_MATMUL)")


@TABLE.op(0x0001, "add", _RRR, R, "A = B + C: hot C saturating over max(len) (missing = 0); cold C adds bias ×256.")
def add(m, a, b, c, d):
    src = _hot(m, b)
    bank = c >> 6
    if bank == 0:
        other = _hot(m, c)
        if len(src.data) == len(other.data):
            out = sat_i32_arr(np.add(src.data, other.data, dtype=_I64))
        else:
            n = max(len(src.data), len(other.data))
            out = sat_i32_arr(_padded64(src.data, n) + _padded64(other.data, n))
    elif bank == 1:
        cidx = c & 0x3F
        bias = m.cold[cidx]
        if bias is None:
            raise ExecFault(f"C{cidx} not allocated")
        out = src.data.copy()
        k = min(len(out), len(bias.pol))
        if k:
            out[:k] = sat_i32_arr(out[:k].astype(_I64) + bias.values()[:k].astype(_I64) * 256)
    else:
        return None                        # param/shape byte: the reference does nothing
    _put(m, a, out, src.shape)
    return None


@TABLE.op(0x0002, "sub", _RRR, R, "A = B − C, saturating over max(len) (missing = 0).")
def sub(m, a, b, c, d):
    src = _hot(m, b)
    other = _hot(m, c)
    if len(src.data) == len(other.data):
        out = sat_i32_arr(np.subtract(src.data, other.data, dtype=_I64))
    else:
        n = max(len(src.data), len(other.data))
        out = sat_i32_arr(_padded64(src.data, n) - _padded64(other.data, n))
    _put(m, a, out, src.shape)


@TABLE.op(0x0003, "mul", _RRR, R, "A = (B·C) >> 8, clamped, over min(len).")
def mul(m, a, b, c, d):
    src = _hot(m, b)
    other = _hot(m, c)
    n = min(len(src.data), len(other.data))
    _put(m, a, sat_i32_arr(np.multiply(src.data[:n], other.data[:n], dtype=_I64) >> 8), src.shape)


@TABLE.op(0x0004, "scale", "reg@A reg@B imm8@C imm8@D", R, "A = B·(C:D)/256, truncated and clamped.")
def scale(m, a, b, c, d):
    src = _hot(m, b)
    _put(m, a, sat_i32_arr(tdiv_pos_arr(src.data.astype(_I64) * ((c << 8) | d), 256)), src.shape)


@TABLE.op(0x0005, "shift", "reg@A reg@B imm8@C", R, "A = B >> C (arithmetic; amount masked to 5 bits).")
def shift(m, a, b, c, d):
    src = _hot(m, b)
    _put(m, a, src.data >> (c & 31), src.shape)


@TABLE.op(0x0006, "clamp", "reg@A reg@B imm8@C imm8@D", R, "A = clamp(B, (C−128)·256, (D−128)·256).")
def clamp(m, a, b, c, d):
    src = _hot(m, b)
    lo, hi = (c - 128) * 256, (d - 128) * 256
    if lo > hi and len(src.data):
        raise PanicFault(f"tensor.clamp with min {lo} > max {hi} (the reference panics: "
                         f"assertion failed: min <= max)")
    _put(m, a, np.minimum(np.maximum(src.data, lo), hi).astype(_I32), src.shape)


@TABLE.op(0x0007, "cmp_gt", _RRR, R, "A = 1 where B > C else 0, over min(len), shape [len].")
def cmp_gt(m, a, b, c, d):
    src = _hot(m, b)
    other = _hot(m, c)
    n = min(len(src.data), len(other.data))
    _put(m, a, (src.data[:n] > other.data[:n]).astype(_I32), (n,))


@TABLE.op(0x0008, "max_reduce", _RR, R, "A = [max(B)] ([0] if empty).")
def max_reduce(m, a, b, c, d):
    src = _hot(m, b)
    _put(m, a, np.array([src.data.max() if len(src.data) else 0], _I32), (1,))


@TABLE.op(0x0009, "negate", _RR, R, "A = −B, saturating (−i32::MIN = i32::MAX).")
def negate(m, a, b, c, d):
    src = _hot(m, b)
    _put(m, a, np.minimum(-src.data.astype(_I64), I32_MAX).astype(_I32), src.shape)


@TABLE.op(0x000A, "reduce_avg", "reg@A reg@B imm8@C imm8@D", R,
          "A = [i32-wrapping sum of B[C .. C+D] / actual count] ([0] when D = 0 or nothing is in range).")
def reduce_avg(m, a, b, c, d):
    src = _hot(m, b)
    avg = 0
    if d:
        part = src.data[c:c + d]          # empty when C is past the end
        if len(part):
            s = wrap_i32(int(part.sum(dtype=_I64)))     # the reference sums in i32 (wraps)
            avg = tdiv(s, len(part))
    _put(m, a, np.array([avg], _I32), (1,))


@TABLE.op(0x000B, "reduce_mean_dim", "reg@A reg@B imm8@C", R,
          "A = mean of B: 1-D → [mean]; 2-D over rows (C = 0, shape [cols]) or columns (shape [rows]).")
def reduce_mean_dim(m, a, b, c, d):
    src = _hot(m, b)
    if len(src.shape) < 2:
        n = len(src.data)
        mean = tdiv_pos_arr(np.array([src.data.sum(dtype=_I64)]), max(n, 1))
        _put(m, a, mean.astype(_I32), (1,))
        return None
    rows, cols = int(src.shape[0]), int(src.shape[1])
    x = np.zeros(rows * cols, _I64)
    k = min(rows * cols, len(src.data))
    x[:k] = src.data[:k]
    x = x.reshape(rows, cols)
    if c == 0:
        out = tdiv_pos_arr(x.sum(axis=0), max(rows, 1))
        _put(m, a, out.astype(_I32), (cols,))
    else:
        out = tdiv_pos_arr(x.sum(axis=1), max(cols, 1))
        _put(m, a, out.astype(_I32), (rows,))
    return None


@TABLE.op(0x000C, "slice", "reg@A reg@B imm8@C imm8@D", R, "A = B[C .. C+D] (clamped to B), shape [len].")
def slice_(m, a, b, c, d):
    src = _hot(m, b)
    part = src.data[c:c + d].copy()
    _put(m, a, part, (len(part),))


@TABLE.op(0x000D, "argmax", _RR, R, "A = [last index of max(B)] ([0] if empty).")
def argmax(m, a, b, c, d):
    src = _hot(m, b)
    n = len(src.data)
    i = n - 1 - int(np.argmax(src.data[::-1])) if n else 0
    _put(m, a, np.array([i], _I32), (1,))


@TABLE.op(0x000E, "concat", _RRR, R, "A = B ++ C (C read & 0x0F); [r, c1+c2] when both are 2-D with equal rows.")
def concat(m, a, b, c, d):
    src = _hot(m, b)
    other = _hot(m, c & 0x0F)
    out = np.concatenate((src.data, other.data)).astype(_I32, copy=False)
    if len(src.shape) == 2 and len(other.shape) == 2 and src.shape[0] == other.shape[0]:
        shape = (src.shape[0], src.shape[1] + other.shape[1])
    else:
        shape = (len(out),)
    _put(m, a, out, shape)


def _copy(m, a, b, c, d):
    src = m.hot[b & 0x3F]
    if src is not None:
        m.hot[a & 0x3F] = src.copy()


TABLE.op(0x000F, "squeeze", _RR, R, "A = B (copy; missing B is a no-op).")(_copy)
TABLE.op(0x0010, "unsqueeze", _RR, R, "A = B (copy; missing B is a no-op).")(_copy)
TABLE.op(0x0011, "transpose", _RR, R, "A = B (copy; missing B is a no-op).")(_copy)

TABLE.op(0x0012, "attn", "reg@A reg@B reg@C reg@D", R,
         "D = softmax(A·Bᵀ)·C (q, k, v), integer; 'ATTN shape mismatch' unless q/k cols and k/v rows agree.",
         flags="cost=rows(A)*n(B)+rows(A)*n(C)")(nn.attn)
TABLE.op(0x0013, "rope_apply", "reg@A imm8@B imm8@C imm8@D=0", R,
         "Rotate pairs of A's rows up to width B at table position C (sin/cos ×256).")(nn.rope_apply)
TABLE.op(0x0014, "layernorm", "reg@A reg@B reg@C reg@D", R,
         "B = layernorm of A's rows, scale C and bias D (hot or cold; zeros if absent).")(nn.layernorm)
TABLE.op(0x0015, "rmsnorm", "reg@A reg@B reg@C imm8@D=0", R,
         "B = rmsnorm of A's rows with scale C.")(nn.rmsnorm)
TABLE.op(0x0016, "kv_append", "reg@A reg@B imm8@C imm8@D=0", R,
         "Cache A row C = B's slice of length D (0 → last dim); shape [C+1, len].")(nn.kv_append)
TABLE.op(0x0017, "kv_read", "reg@A imm8@B reg@C imm8@D=0", R,
         "C = row B of cache A, length D (0 → last dim), zero-padded, shape [1, len].")(nn.kv_read)
TABLE.op(0x0018, "kv_clear", "reg@A", R, "A = empty buffer of shape [0, 0].")(nn.kv_clear)
TABLE.op(0x0019, "kv_append_pos", "reg@A reg@B reg@C imm8@D=0", R,
         "KV_APPEND at the row held in C[0] (clamped at 0, truncated to a byte).")(nn.kv_append_pos)
TABLE.op(0x001A, "kv_read_pos", "reg@A reg@B reg@C imm8@D=0", R,
         "KV_READ at the row held in B[0] (clamped at 0, truncated to a byte).")(nn.kv_read_pos)
