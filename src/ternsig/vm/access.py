"""The interpreter's public face for Python users: NumPy arrays in and out, registers, weights with
temperatures and chemicals by name, one-call save/load of a trained program's state.

Everything here reads or writes the machine (``interp.m``) the way an instruction would, so a
user never has to reach into it: arrays handed out are copies (writing to one does not change the
machine), arrays taken in are range-checked integers (floats must be whole numbers).
"""
from __future__ import annotations

import html
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Optional, Union

import numpy as np

from ..errors import UsageError
from ..intmath import I32_MAX, I32_MIN, int_array, int_rows
from ..isa.encoding import COLD_REGS, HOT_REGS, PARAM_REGS, SHAPE_REGS, parse_register, reg_file, reg_name
from .state import NREGS, ColdBuffer, HotBuffer

if TYPE_CHECKING:
    from .state import Machine

#: temperature names, index = the stored value (vm.state: 0 HOT .. 3 COLD)
TEMPERATURES = ("HOT", "WARM", "COOL", "COLD")
CHEMICALS = ("dopamine", "serotonin", "norepinephrine", "gaba")

RegName = Union[str, int]


def register_byte(name: RegName) -> int:
    """``"H3"`` / ``"c0"`` / a register byte → the register byte; a UsageError for anything else."""
    if isinstance(name, (int, np.integer)) and not isinstance(name, bool):
        if 0 <= int(name) < 4 * NREGS:
            return int(name)
        raise UsageError(f"register byte must be 0..255 (not the null register), got {name}")
    reg = parse_register(name) if isinstance(name, str) else None
    if reg is None:
        raise UsageError(f"not a register name: {name!r} (expected H0..H63, C0..C63, P0..P63 or S0..S63)")
    return reg


@dataclass(frozen=True)
class Weights:
    """A cold register's contents, as arrays shaped like the register (copies).

    ``values`` = ``polarity × magnitude`` (int32), ``polarity`` int8 (−1/0/+1), ``magnitude``
    uint8, ``temperatures`` uint8 (0 HOT, 1 WARM, 2 COOL, 3 COLD; all HOT when the register has
    no temperature array), ``pressure`` the learning pressure (int32, None before any learning).
    """

    name: str
    key: Optional[str]
    frozen: bool
    values: np.ndarray
    polarity: np.ndarray
    magnitude: np.ndarray
    temperatures: np.ndarray
    pressure: Optional[np.ndarray]

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(self.values.shape)

    def temperature_counts(self) -> dict[str, int]:
        """How many weights are HOT, WARM, COOL and COLD."""
        counts = np.bincount(self.temperatures.ravel(), minlength=4)
        return {name: int(counts[i]) for i, name in enumerate(TEMPERATURES)}

    def __repr__(self) -> str:
        counts = ", ".join(f"{n} {k}" for k, n in self.temperature_counts().items() if n)
        key = f" key={self.key!r}" if self.key else ""
        return (f"<Weights {self.name}{list(self.shape)}{key}{' frozen' if self.frozen else ''}: "
                f"{np.count_nonzero(self.values)} nonzero, {counts or 'empty'}>")


def _shaped(flat: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """``flat`` reshaped to ``shape`` when the sizes agree (registers can be resized by programs)."""
    n = 1
    for d in shape:
        n *= int(d)
    return flat.reshape(shape) if n == len(flat) and shape else flat


class MachineAccess:
    """Mixed into :class:`~ternsig.vm.interpreter.Interpreter` (which provides ``m``, ``program``,
    ``run`` and ``forward_i32``)."""

    m: "Machine"

    # ---- running with arrays --------------------------------------------------------------------
    def predict(self, inputs: Any, fuel: Optional[int] = None) -> np.ndarray:
        """Run the program from pc 0 on each input and return the outputs as an int32 array.

        ``inputs``: one input (a 1-D array or list) → a 1-D array; a 2-D array (one input per row)
        → a 2-D array, one output row per input. A program that traps raises :class:`Trap`.
        A learning program keeps learning while it runs (when dopamine ≥ 76 and it loads a
        target): ``set_chemicals(dopamine=0)`` first to only predict."""
        x, ndim = int_rows(inputs, "inputs", I32_MIN, I32_MAX)
        single = ndim == 1
        outs = [np.asarray(self.forward_i32(row, fuel), np.int32) for row in x]   # type: ignore[attr-defined]
        return outs[0] if single else _stack(outs)

    def fit(self, inputs: Any, targets: Any, epochs: int = 1, fuel: Optional[int] = None,
            dopamine: Union[str, int, None] = "on-error", **callbacks: Any) -> list[Any]:
        """Train a learning program: run it once per (input row, target row), ``epochs`` times,
        and return one :class:`~ternsig.vm.training.EpochScore` per epoch (accuracy, mean error).
        See :func:`ternsig.vm.training.fit` for the callbacks."""
        from .training import fit

        return fit(self, inputs, targets, epochs, fuel, dopamine, **callbacks)

    @property
    def outputs(self) -> np.ndarray:
        """The output buffer (``store_output``) as an int32 array (a copy)."""
        return self.m.output.copy()

    # ---- registers --------------------------------------------------------------------------------
    def register(self, name: RegName) -> Any:
        """A register's value: hot → int32 array shaped as declared, cold → :class:`Weights`,
        param → int, shape → list of dims. A UsageError when it is not allocated."""
        reg = register_byte(name)
        bank, idx = reg_file(reg), reg & 0x3F
        if bank == HOT_REGS:
            h = self.m.hot[idx]
            if h is None:
                raise UsageError(f"register {reg_name(reg)} is not allocated")
            return _shaped(np.array(h.view(), np.int32), h.shape)
        if bank == COLD_REGS:
            return self.weights(reg)
        if bank == PARAM_REGS:
            return int(self.m.param[idx])
        return list(self.m.shape_regs[idx])

    def set_register(self, name: RegName, values: Any) -> None:
        """Write a hot register (any array of i32 integers: it takes that length and shape) or a
        param register (one integer). Cold registers: :meth:`set_weights`."""
        reg = register_byte(name)
        bank, idx = reg_file(reg), reg & 0x3F
        if bank == HOT_REGS:
            arr = np.asarray(values)
            flat = int_array(arr, f"values for {reg_name(reg)}", I32_MIN, I32_MAX).astype(np.int32)
            self.m.hot[idx] = HotBuffer(flat.copy(), tuple(arr.shape) if arr.ndim else (len(flat),))
        elif bank == PARAM_REGS:
            v = int_array(values, f"value for {reg_name(reg)}", I32_MIN, I32_MAX)
            if v.size != 1:
                raise UsageError(f"{reg_name(reg)} is a param register: give one integer, got {v.size} values")
            self.m.param[idx] = int(v[0])
        elif bank == COLD_REGS:
            raise UsageError(f"{reg_name(reg)} is a cold register: use set_weights")
        else:
            raise UsageError(f"{reg_name(reg)} is a shape register: it is set by the program's declarations")

    @property
    def registers(self) -> dict[str, Any]:
        """Every allocated register by name (``H0``…, ``C0``…, declared ``P``/``S``), as
        :meth:`register` returns them."""
        m = self.m
        out: dict[str, Any] = {}
        for bank, buffers in ((HOT_REGS, m.hot), (COLD_REGS, m.cold)):
            for i, b in enumerate(buffers):
                if b is not None:
                    name = reg_name((bank << 6) | i)
                    out[name] = self.register(name)
        for d in getattr(self, "program").registers:
            if reg_file(d.reg) in (PARAM_REGS, SHAPE_REGS):
                out[d.name] = self.register(d.reg)
        return out

    # ---- weights -------------------------------------------------------------------------------------
    def _cold(self, name: RegName) -> tuple[int, ColdBuffer]:
        reg = register_byte(name)
        if reg_file(reg) != COLD_REGS:
            raise UsageError(f"{reg_name(reg)} is not a cold (weight) register")
        c = self.m.cold[reg & 0x3F]
        if c is None:
            raise UsageError(f"register {reg_name(reg)} is not allocated")
        return reg, c

    def weights(self, name: RegName) -> Weights:
        """A cold register's weights with their temperatures and pressure (copies)."""
        reg, c = self._cold(name)
        p = self.m.pressure[reg & 0x3F]
        return Weights(reg_name(reg), c.key, c.frozen, _shaped(c.values().copy(), c.shape),
                       _shaped(c.pol.copy(), c.shape), _shaped(c.mag.copy(), c.shape),
                       _shaped(c.temperatures().copy(), c.shape),
                       None if p is None else _shaped(np.array(p, np.int32), c.shape))

    def set_weights(self, name: RegName, values: Any, temperatures: Any = None) -> None:
        """Set a cold register from signed weights (−255..255, as many as it holds); optionally its
        temperatures (0..3 or "HOT"/"WARM"/"COOL"/"COLD", one per weight or one for all)."""
        reg, c = self._cold(name)
        n = len(c.pol)
        v = int_array(values, f"weights for {reg_name(reg)}", -255, 255)
        if v.size != n:
            raise UsageError(f"{reg_name(reg)} holds {n} weights {list(c.shape)}, got {v.size} values")
        t = None
        if temperatures is not None:
            t = _temperatures(temperatures, n, reg_name(reg))
        c.pol = np.sign(v).astype(np.int8)
        c.mag = np.abs(v).astype(np.uint8)
        if t is not None:
            c.temps = t
        c.dirty = True
        c.touch()

    # ---- chemicals -------------------------------------------------------------------------------
    @property
    def chemicals(self) -> dict[str, int]:
        """The four chemicals the machine reads (0..255): dopamine gates learning (≥ 76)."""
        return self.m.chem.as_dict()

    def set_chemicals(self, **levels: int) -> None:
        """Set chemicals by name, e.g. ``set_chemicals(dopamine=200)`` (each 0..255)."""
        for name, value in levels.items():
            if name not in CHEMICALS:
                raise UsageError(f"unknown chemical {name!r} (known: {', '.join(CHEMICALS)})")
            v = int_array(value, name, 0, 255)
            if v.size != 1:
                raise UsageError(f"{name} takes one integer 0..255")
            setattr(self.m.chem, name, int(v[0]))

    # ---- save / load -------------------------------------------------------------------------------------
    def save(self, path: Union[str, Path]) -> Path:
        """Write every register of the machine (weights with temperatures and pressure, hot,
        param and shape registers) to one ``.npz`` file; :meth:`load` puts it back."""
        from .savestate import save_machine

        return save_machine(self, Path(path))

    def load(self, path: Union[str, Path]) -> None:
        """Restore what :meth:`save` wrote (the same program's registers); a FormatError names
        the first thing that does not fit."""
        from .savestate import load_machine

        load_machine(self, Path(path))

    # ---- display ----------------------------------------------------------------------------------------
    def __repr__(self) -> str:
        prog = getattr(self, "program")
        name = prog.name or "<unnamed>"
        return (f"<Interpreter {name}: {len(prog.instructions)} instructions, "
                f"{len(prog.registers)} registers, pc {self.m.pc}, tier {getattr(self, 'tier', '?')}>")

    def _repr_html_(self) -> str:
        rows = []
        for name, value in self.registers.items():
            if isinstance(value, Weights):
                text = f"{list(value.shape)} " + ", ".join(f"{n} {k}" for k, n in value.temperature_counts().items() if n)
            elif isinstance(value, np.ndarray):
                text = np.array2string(value.ravel()[:16], separator=", ") + (" …" if value.size > 16 else "")
            else:
                text = str(value)
            rows.append(f"<tr><td>{html.escape(name)}</td><td><code>{html.escape(text)}</code></td></tr>")
        chems = ", ".join(f"{k} {v}" for k, v in self.chemicals.items())
        return (f"<div><b>{html.escape(repr(self))}</b><br>chemicals: {html.escape(chems)}"
                f"<table>{''.join(rows)}</table></div>")


def _temperatures(spec: Any, n: int, what: str) -> np.ndarray:
    if isinstance(spec, str):
        spec = [spec]
    items = list(spec.ravel().tolist() if isinstance(spec, np.ndarray) else spec)
    vals = []
    for t in items:
        if isinstance(t, str):
            if t.upper() not in TEMPERATURES:
                raise UsageError(f"temperatures for {what}: {t!r} is not one of {', '.join(TEMPERATURES)}")
            vals.append(TEMPERATURES.index(t.upper()))
        else:
            vals.append(t)
    arr = int_array(vals, f"temperatures for {what}", 0, 3).astype(np.uint8)
    if arr.size == 1:
        return np.full(n, arr[0], np.uint8)
    if arr.size != n:
        raise UsageError(f"temperatures for {what}: give one or {n}, got {arr.size}")
    return arr


def _stack(outs: list[np.ndarray]) -> np.ndarray:
    if not outs:
        return np.zeros((0, 0), np.int32)
    width = max(len(o) for o in outs)
    if all(len(o) == width for o in outs):
        return np.stack(outs)
    raise UsageError("outputs have different lengths from one input to the next; use forward_i32 per input")

