"""Machine state: four register banks, buffers, temperatures, pressure, chemicals, stacks.

Hot registers hold i32 activations (NumPy int32, flat, with a logical shape). Cold registers hold
signals as two parallel arrays (polarity int8, magnitude uint8) plus an optional per-weight
temperature array (uint8: 0 HOT, 1 WARM, 2 COOL, 3 COLD; ``None`` means every weight is HOT).
"""
from __future__ import annotations

import operator
from dataclasses import dataclass
from typing import Any, Optional, Sequence, Union

import numpy as np

from ..intmath import I32_MAX, I32_MIN, int_array
from ..program import Program, RegisterDef
from ..isa.encoding import COLD_REGS, HOT_REGS, PARAM_REGS, SHAPE_REGS, reg_file, reg_index

NREGS = 64

#: integers as callers pass them: a list, tuple or NumPy array
IntsLike = Union[Sequence[int], np.ndarray]

HOT, WARM, COOL, COLD = 0, 1, 2, 3
#: per temperature: conductance (of 255) and the input intensity needed to conduct
CONDUCTANCE = (255, 200, 100, 30)
ACTIVATION_THRESHOLD = (0, 15, 60, 120)
#: learning threshold multiplier per temperature (COLD never learns)
THRESHOLD_MULTIPLIER = (1, 2, 4, 2**31 - 1)

DOPAMINE_THRESHOLD = 76

#: the largest register a program may declare (elements); the reference allocates whatever a
#: (possibly hostile) file declares — see docs/deviations.md
#: open loops / nested calls a machine may hold (deeper traps as a memory trap, never grows unbounded)
MAX_STACK_DEPTH = 1024
MAX_REGISTER_ELEMENTS = 1 << 22      # 4,194,304: a 2048×2048 weight matrix


def _numel(shape) -> int:
    n = 1
    for d in shape:
        n *= int(d)
    return n


#: registers up to this many elements are created as (and fast paths keep them as) tuples of
#: Python ints: below it Python integer arithmetic costs less than one NumPy call (~1 µs)
SMALL = 32


def check_register_size(n: int) -> None:
    """Trap before building a register of ``n`` elements when that is over the limit."""
    if n > MAX_REGISTER_ELEMENTS:
        _too_big(n)


def _too_big(n: int) -> None:
    """A register may not grow past the limit: a program doubling a register in a loop would
    otherwise exhaust memory long before its fuel (the reference grows until allocation fails)."""
    from ..errors import PanicFault

    raise PanicFault(f"register would hold {n:,} elements; the limit is {MAX_REGISTER_ELEMENTS:,}")


_PLAIN_INT = frozenset({int})
_I32_DTYPE = np.dtype(np.int32)     # the builtin descriptor: an int32 array's dtype is this object


class HotBuffer:
    """An i32 activation register: flat int32 data with a logical shape.

    Two backings, one value. A register is either an int32 ndarray or, for small registers
    written by the interpreter's fast paths, an immutable tuple of Python ints (``_t``): tiny
    registers then never pay NumPy's per-call overhead. ``data`` always returns the ndarray
    (built on first use); because the caller may mutate that array in place, handing it out
    drops the tuple, so the array becomes the only truth. Internal read-only users call
    :meth:`view` (keeps the tuple) or :meth:`ints` (Python ints, never cached from an array that
    may have been handed out). Tuples are immutable, so two registers sharing one never share
    storage in the reference's sense.
    """

    __slots__ = ("_a", "_t", "shape")

    def __init__(self, data: np.ndarray, shape: Optional[tuple[int, ...]] = None):
        if len(data) > MAX_REGISTER_ELEMENTS:
            _too_big(len(data))
        self._a = data
        self._t: Optional[tuple[int, ...]] = None
        self.shape = tuple(shape) if shape is not None else (len(data),)

    @classmethod
    def of_ints(cls, values: tuple[int, ...], shape: tuple[int, ...]) -> "HotBuffer":
        """A tuple-backed register; every value must already be in the i32 range."""
        return hot_of(values, tuple(shape))

    @property
    def data(self) -> np.ndarray:
        a = self._a
        if a is None:
            a = self._a = np.array(self._t, np.int32)
        self._t = None                      # the caller may write into the array
        return a

    @data.setter
    def data(self, value: np.ndarray) -> None:
        self._a = value
        self._t = None

    def view(self) -> np.ndarray:
        """The values as an int32 ndarray that the caller must not modify."""
        a = self._a
        if a is None:
            a = self._a = np.array(self._t, np.int32)
        return a

    def peek(self) -> np.ndarray:
        """The values as an int32 ndarray to read now and not keep (nor modify): a compiled-tier
        register does not count this as handing its memory out (see vm/compiled/heap.py)."""
        return self.view()

    def ints(self) -> Sequence[int]:
        """The values as a sequence of Python ints (a tuple, or a fresh list from the array)."""
        t = self._t
        return t if t is not None else self._a.tolist()

    @classmethod
    def zeros(cls, shape: Sequence[int]) -> "HotBuffer":
        n = _numel(shape)
        if n <= SMALL:
            return cls.of_ints((0,) * n, tuple(shape))
        return cls(np.zeros(n, np.int32), tuple(shape))

    def __len__(self) -> int:
        t = self._t
        return len(t) if t is not None else len(self._a)

    def copy(self) -> "HotBuffer":
        t = self._t
        if t is not None:
            return HotBuffer.of_ints(t, self.shape)
        return HotBuffer(self._a.copy(), self.shape)

    def __repr__(self) -> str:
        return f"HotBuffer(shape={list(self.shape)}, data={list(self.ints())!r})"


_new_hot = object.__new__


def hot_of(values: tuple[int, ...], shape: tuple[int, ...]) -> HotBuffer:
    """Fast constructor of a tuple-backed register (``values`` in the i32 range, ``shape`` a tuple):
    the interpreter's fast paths build one per instruction, so it skips ``__init__``."""
    h = _new_hot(HotBuffer)
    h._a = None
    h._t = values
    h.shape = shape
    return h


class ColdBuffer:
    """A signal (weight) register.

    Any code that changes ``pol``, ``mag``, ``temps`` or ``shape`` in place must call
    :meth:`touch`, which invalidates caches keyed on ``version`` (e.g. gated matmul weights).
    """

    __slots__ = ("pol", "mag", "shape", "key", "frozen", "temps", "dirty", "usage", "version", "cache")

    def __init__(self, pol: np.ndarray, mag: np.ndarray, shape: tuple[int, ...], key: Optional[str] = None,
                 frozen: bool = False, temps: Optional[np.ndarray] = None):
        if len(pol) > MAX_REGISTER_ELEMENTS:
            _too_big(len(pol))
        self.pol = pol
        self.mag = mag
        self.shape = tuple(shape)
        self.key = key
        self.frozen = frozen
        self.temps = temps
        self.dirty = False
        self.usage: Optional[np.ndarray] = None   # per-weight usage counts (u32), when tracked
        self.version = 0
        self.cache: dict[Any, Any] = {}

    @classmethod
    def zeros(cls, shape: Sequence[int], key: Optional[str] = None, frozen: bool = False) -> "ColdBuffer":
        n = _numel(shape)
        return cls(np.zeros(n, np.int8), np.zeros(n, np.uint8), tuple(shape), key, frozen)

    def __len__(self) -> int:
        return len(self.pol)

    def values(self) -> np.ndarray:
        """Signed weights ``p*m`` as int32, cached until :meth:`touch` or until ``pol``/``mag`` are
        replaced by other arrays. Shared: the caller must not modify it."""
        e = self.cache.get("values")
        if e is None or e[0] is not self.pol or e[1] is not self.mag:
            e = (self.pol, self.mag, self.pol.astype(np.int32) * self.mag.astype(np.int32))
            self.cache["values"] = e
        return e[2]

    def temperatures(self) -> np.ndarray:
        """Temperatures as uint8, HOT where no array exists."""
        if self.temps is None:
            return np.zeros(len(self.pol), np.uint8)
        return self.temps

    def touch(self) -> None:
        self.version += 1
        self.cache.clear()

    def copy(self) -> "ColdBuffer":
        c = ColdBuffer(self.pol.copy(), self.mag.copy(), self.shape, self.key, self.frozen,
                       None if self.temps is None else self.temps.copy())
        c.dirty = self.dirty
        c.usage = None if self.usage is None else self.usage.copy()
        return c

    def __repr__(self) -> str:
        return f"ColdBuffer(shape={list(self.shape)}, key={self.key!r}, n={len(self.pol)})"


@dataclass
class ChemicalState:
    dopamine: int = 128
    serotonin: int = 128
    norepinephrine: int = 128
    gaba: int = 128

    def learning_enabled(self) -> bool:
        return self.dopamine >= DOPAMINE_THRESHOLD

    def dopamine_scale(self) -> int:
        """0 below threshold, else 1 + (DA − 76) / 64: 1, 2 or 3."""
        if self.dopamine < DOPAMINE_THRESHOLD:
            return 0
        return 1 + (self.dopamine - DOPAMINE_THRESHOLD) // 64

    def as_dict(self) -> dict[str, int]:
        return {"dopamine": self.dopamine, "serotonin": self.serotonin,
                "norepinephrine": self.norepinephrine, "gaba": self.gaba}


class Machine:
    """Everything a program can touch. Handlers receive it as their first argument."""

    def __init__(self) -> None:
        self.hot: list[Optional[HotBuffer]] = [None] * NREGS
        self.cold: list[Optional[ColdBuffer]] = [None] * NREGS
        self.param: list[int] = [0] * NREGS
        self.shape_regs: list[list[int]] = [[] for _ in range(NREGS)]
        #: learning pressure per cold register index (all 64: see docs/deviations.md)
        self.pressure: list[Optional[np.ndarray]] = [None] * NREGS
        self.input = np.zeros(0, np.int32)
        self.output = np.zeros(0, np.int32)
        self.target = np.zeros(0, np.int32)
        self.chem = ChemicalState()
        self.current_error = 0
        self.babble_scale = 0
        self.babble_phase = 0
        self.pc = 0
        self.call_stack: list[int] = []
        self.loop_stack: list[list[int]] = []      # [start_pc, remaining]
        self.ext_loop_stack: list[int] = []
        self.ext_state: dict[int, Any] = {}
        #: inline bank access for the bank extension (set by a host), None → bank ops yield
        self.bank_cache: Any = None
        #: the host object when running under one (read-only for handlers)
        self.host: Any = None

    # ---- allocation -----------------------------------------------------------------------------
    def allocate(self, rdef: RegisterDef) -> None:
        bank, idx = reg_file(rdef.reg), reg_index(rdef.reg)
        n = _numel(rdef.shape)
        if n > MAX_REGISTER_ELEMENTS or any(int(d) < 0 for d in rdef.shape):
            from ..errors import ValidationError

            raise ValidationError(f"register {rdef.name} declares shape {list(rdef.shape)} ({n:,} elements); "
                                  f"the limit is {MAX_REGISTER_ELEMENTS:,}", rule="register-size")
        if bank == HOT_REGS:
            self.hot[idx] = HotBuffer.zeros(rdef.shape)
        elif bank == COLD_REGS:
            self.cold[idx] = ColdBuffer.zeros(rdef.shape, rdef.key, rdef.frozen)
        elif bank == PARAM_REGS:
            self.param[idx] = 0
        elif bank == SHAPE_REGS:
            self.shape_regs[idx] = list(rdef.shape)

    def allocate_program(self, program: Program) -> None:
        for rdef in program.registers:
            self.allocate(rdef)

    # ---- convenience for hosts and tests ---------------------------------------------------------
    def replace_cold(self, idx: int, pol: np.ndarray, mag: np.ndarray, shape: Sequence[int]) -> ColdBuffer:
        """Replace cold register ``idx`` with new weights: a weight write like any other. The
        register keeps its thermogram key, frozen flag and temperatures (resized to the new length
        at the hottest-to-coldest maximum, so a resize never thaws COOL/COLD weights), so the
        learning-layer guard and the weight store see the change."""
        old = self.cold[idx]
        new = ColdBuffer(pol, mag, tuple(shape))
        if old is not None:
            new.key, new.frozen = old.key, old.frozen
            if old.temps is not None:
                if len(old.temps) == len(pol):
                    new.temps = old.temps.copy()
                else:
                    top = int(old.temps.max()) if len(old.temps) else 0
                    new.temps = np.full(len(pol), top, old.temps.dtype)
        self.cold[idx] = new
        return new

    def set_input(self, values: IntsLike) -> None:
        """Raw i32 input (``load_input_i32``), no clamping; values outside i32 (or not integers)
        raise :class:`~ternsig.errors.UsageError`."""
        if type(values) is np.ndarray and values.dtype is _I32_DTYPE and values.ndim == 1:
            self.input = values.copy()          # the common tick: one copy, nothing else
            return
        if isinstance(values, np.ndarray) and values.dtype == np.int32:
            self.input = values.ravel().copy()
            return
        if type(values) is list and set(map(type, values)) <= _PLAIN_INT:
            try:       # the common case, a list of Python ints: one conversion, range-checked by NumPy
                self.input = np.array(values, dtype=np.int32)
                return
            except OverflowError:
                pass   # fall through for the clear error
        self.input = int_array(values, "input values", I32_MIN, I32_MAX).astype(np.int32)

    def set_target(self, values: IntsLike) -> None:
        """Target values, each clamped to [-255, 255] as ``Signal::from_signed_i32`` does (the
        values themselves must be i32)."""
        t = int_array(values, "target values", I32_MIN, I32_MAX)
        self.target = np.minimum(np.maximum(t, -255), 255).astype(np.int32)

    def set_babble_scale(self, v: int) -> None:
        """Babble scale, clamped to 0..255 (``Interpreter::set_babble_scale``)."""
        self.babble_scale = max(0, min(255, operator.index(v)))
