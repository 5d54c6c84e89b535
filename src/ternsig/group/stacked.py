"""One tick of many machines of one program over stacked registers.

Every register of ``n`` machines is one ``(n, length)`` int32 array (rows = machines) and every
instruction runs once for all of them as a few NumPy calls, so the per-instruction cost of Python
is paid once per group instead of once per machine. The kernels cover the core forward
instructions brains and populations run every tick; each runs only in the cases it reproduces
exactly (the rules of the compiled loop, ``vm/compiled/loop.py``, which is fuzzed against the
handlers). Anything else — another instruction, a branch, a yield, a case that would fault, a
fuel budget reached — makes :func:`run` give up *before* changing anything: it works on a copy
of the register table (arrays are never written in place) and the caller commits only a
completed run. The caller then ticks the machines one by one, so traps, yields and fuel come
from the interpreter itself.
"""
from __future__ import annotations

from typing import Any, Callable, Optional

import numpy as np

from ..extensions.core import CORE
from ..vm.state import MAX_REGISTER_ELEMENTS

I32_MIN = np.int64(-(1 << 31))
I32_MAX = np.int64((1 << 31) - 1)
#: float32 sums of integer products are exact while every partial sum stays below 2**24
F32_EXACT = float(1 << 24)
#: float64 sums of ``k`` products |w| <= 255, |x| < 2**31 stay below 2**53 for k up to this
F64_MAX_K = (1 << 53) // (255 * (1 << 31))


class Cold:
    """One cold register of every machine: signed weights ``(n, len)`` and the 2-D shape, or
    ``ok=False`` when a machine lacks it or it has temperatures, usage tracking or no 2-D shape
    (the kernels leave those to the handlers)."""

    __slots__ = ("ok", "values", "rows", "cols", "_mats")

    def __init__(self, ok: bool, values: Optional[np.ndarray] = None, rows: int = 0, cols: int = 0):
        self.ok = ok
        self.values = values
        self.rows = rows
        self.cols = cols
        self._mats: dict[int, Any] = {}

    def matrices(self, kk: int) -> tuple[np.ndarray, np.ndarray, float]:
        """Weights used by a product over ``kk`` inputs: ``(n, rows, kk)`` as float32 and
        float64, and the largest per-row sum of |w| over all machines (for the exactness bound)."""
        e = self._mats.get(kk)
        if e is None:
            n = self.values.shape[0]
            idx = (np.arange(self.rows)[:, None] * self.cols + np.arange(kk)[None, :]).ravel()
            w = self.values[:, idx].reshape(n, self.rows, kk)
            rowmax = float(np.abs(w, dtype=np.int64).sum(axis=2).max()) if w.size else 0.0
            # C order: a strided stack makes the batched product ~20x slower
            e = self._mats[kk] = (np.ascontiguousarray(w, np.float32), np.ascontiguousarray(w, np.float64), rowmax)
        return e


class Stack:
    """Registers of ``n`` machines, stacked: ``hot[r] = (values (n, len) int32, shape)``."""

    __slots__ = ("n", "hot", "input", "output", "cold")

    def __init__(self, n: int, hot: dict[int, tuple[np.ndarray, tuple[int, ...]]], inp: np.ndarray,
                 output: np.ndarray, cold: dict[int, Cold]):
        self.n = n
        self.hot = hot
        self.input = inp
        self.output = output
        self.cold = cold


def _sat(v: np.ndarray) -> np.ndarray:
    return np.minimum(np.maximum(v, I32_MIN), I32_MAX).astype(np.int32)


# ---- kernels: (stack, hot table being built, a, b, c, d) -> True done / False give up ----------
Kernel = Callable[[Stack, dict, int, int, int, int], bool]


def _nop(s, h, a, b, c, d):
    return True


def _load_input(s, h, a, b, c, d):
    x = s.input
    if x.shape[1] > MAX_REGISTER_ELEMENTS:
        return False
    h[a & 0x3F] = (x, (x.shape[1],))
    return True


def _store_output(s, h, a, b, c, d):
    e = h.get(b & 0x3F)
    if e is None:
        return False
    s.output = e[0]
    return True


def _copy_reg(s, h, a, b, c, d):
    if a >> 6 or b >> 6:
        return False
    e = h.get(b)
    if e is None:
        return False
    h[a] = e
    return True


def _zero_reg(s, h, a, b, c, d):
    if a >> 6:
        return False
    e = h.get(a)
    if e is None:
        return False
    h[a] = (np.zeros_like(e[0]), e[1])
    return True


def _set(s, h, a, b, c, d):
    h[a & 0x3F] = (np.full((s.n, 1), (c << 8) | d, np.int32), (1,))
    return True


def _add(s, h, a, b, c, d):
    if b >> 6 or c >> 6 > 1:
        return False
    e = h.get(b)
    if e is None:
        return False
    ci = c & 0x0F
    if c >> 6 == 0:
        o = h.get(ci)
        if o is None:
            return False
        other = o[0].astype(np.int64)
    else:
        w = s.cold.get(ci)
        if w is None or w.values is None:
            return False
        other = w.values.astype(np.int64) * 255
    x = e[0]
    m = min(x.shape[1], other.shape[1])
    if m == x.shape[1]:
        out = _sat(x.astype(np.int64) + other[:, :m])
    else:
        out = x.copy()
        out[:, :m] = _sat(x[:, :m].astype(np.int64) + other[:, :m])
    h[a & 0x3F] = (out, e[1])
    return True


def _binary(op: Callable[[np.ndarray, np.ndarray], np.ndarray]) -> Kernel:
    def k(s, h, a, b, c, d):
        e, o = h.get(b & 0x3F), h.get(c & 0x0F)
        if e is None or o is None:
            return False
        m = min(e[0].shape[1], o[0].shape[1])
        h[a & 0x3F] = (op(e[0][:, :m], o[0][:, :m]), e[1])
        return True

    return k


def _unary(op: Callable[[np.ndarray, int, int], np.ndarray], reduce: bool = False) -> Kernel:
    def k(s, h, a, b, c, d):
        e = h.get(b & 0x3F)
        if e is None:
            return False
        out = op(e[0], c, d)
        h[a & 0x3F] = (out, (1,) if reduce else e[1])
        return True

    return k


def _sigmoid(x, c, d):
    v = ((x.astype(np.int64) * (d if d > 0 else 64)) >> 10) + 128
    return np.minimum(np.maximum(v, 0), 255).astype(np.int32)


def _max_reduce(x, c, d):
    if x.shape[1] == 0:
        return np.zeros((x.shape[0], 1), np.int32)
    return x.max(axis=1, keepdims=True)


def _clamp(s, h, a, b, c, d):
    e = h.get(b & 0x3F)
    if e is None or (c > d and e[0].shape[1] > 0):
        return False            # the reference panics on min > max: the handler traps
    h[a & 0x3F] = (np.minimum(np.maximum(e[0], np.int32(c)), np.int32(d)), e[1])
    return True


def _ternary_matmul(s, h, a, b, c, d):
    w = s.cold.get(b & 0x3F)
    e = h.get(c & 0x0F)
    if w is None or not w.ok or e is None:
        return False
    x = e[0]
    rows, cols = w.rows, w.cols
    kk = min(cols, x.shape[1])
    if rows > 0 and kk > 0 and (rows - 1) * cols + kk > w.values.shape[1]:
        return False            # the reference indexes past the weights: a panic
    if rows == 0 or kk == 0:
        out = np.zeros((s.n, rows), np.int32)
    else:
        w32, w64, rowmax = w.matrices(kk)
        xk = x[:, :kk]
        xmax = float(np.abs(xk, dtype=np.int64).max())
        if rowmax * xmax < F32_EXACT:     # every partial sum is an integer below 2**24: exact
            out = np.matmul(w32, xk.astype(np.float32)[:, :, None])[:, :, 0].astype(np.int32)
        elif kk <= F64_MAX_K:             # below 2**53 for any i32 input
            out = _sat(np.einsum("nrk,nk->nr", w64, xk.astype(np.float64)).astype(np.int64))
        else:
            out = _sat(np.einsum("nrk,nk->nr", w64.astype(np.int64), xk.astype(np.int64)))
    h[a & 0x3F] = (out, (rows,))
    return True


_BY_MNEMONIC: dict[str, Kernel] = {
    "nop": _nop, "load_input": _load_input, "store_output": _store_output, "copy_reg": _copy_reg,
    "zero_reg": _zero_reg, "set": _set, "add": _add,
    "sub": _binary(lambda x, y: _sat(x.astype(np.int64) - y)),
    "mul": _binary(lambda x, y: ((x.astype(np.int64) * y) >> 8).astype(np.int32)),
    "cmp_gt": _binary(lambda x, y: np.where(x > y, np.int32(255), np.int32(0))),
    "relu": _unary(lambda x, c, d: np.maximum(x, np.int32(0))),
    "sigmoid": _unary(_sigmoid),
    "shift": _unary(lambda x, c, d: x >> np.int32(c & 31)),
    "clamp": _clamp,
    "max_reduce": _unary(_max_reduce, reduce=True),
    "ternary_matmul": _ternary_matmul,
}
#: stacked kernel per core spec (keyed by the spec object: the table owns the opcodes)
KERNELS: dict[int, Kernel] = {id(CORE.by_mnemonic[k]): f for k, f in _BY_MNEMONIC.items()}
HALT_SPEC = CORE.by_mnemonic["halt"]
_KEEP = [CORE.by_mnemonic[k] for k in _BY_MNEMONIC]


def plan(specs: list[Any]) -> list[Any]:
    """Per instruction: its stacked kernel, ``"halt"``, or None (the machines run one by one)."""
    out: list[Any] = []
    for spec in specs:
        if spec is HALT_SPEC:
            out.append("halt")
        else:
            out.append(KERNELS.get(id(spec)) if spec is not None else None)
    return out


def run(stack: Stack, kernels: list[Any], operands: list[tuple[int, int, int, int]],
        fuel: Optional[int]) -> Optional[tuple[dict, int, int, bool]]:
    """Run every machine from pc 0. Returns ``(hot table, pc after, instructions executed,
    halted)`` for a completed run, or None (nothing changed: run the machines one by one)."""
    h = dict(stack.hot)
    out0 = stack.output
    n = len(kernels)
    pc = 0
    executed = 0
    while True:
        if pc >= n:
            return h, pc, executed, False
        k = kernels[pc]
        if k is None:
            break
        executed += 1
        if k == "halt":
            return h, pc + 1, executed, True
        a, b, c, d = operands[pc]
        if not k(stack, h, a, b, c, d):
            break
        pc += 1
        if executed == fuel:
            break               # the interpreter raises the fuel trap
    stack.output = out0
    return None
