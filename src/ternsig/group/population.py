"""Many machines of one program ticked as one group: populations, parameter sweeps, region arrays.

A :class:`Population` owns ``n`` interpreters of one program, each with its own registers,
weights, temperatures, pressure and input. :meth:`Population.run` ticks all of them from pc 0:

* under the compiled tier, over stacked registers (``group/stacked.py``) — one NumPy call per
  instruction for the whole group — whenever the program's path is made of instructions the
  stacked kernels run exactly; the machines' registers then live in the stack until someone
  looks at a machine (:meth:`machine`), which writes them back;
* otherwise (interp tier, a branch, a yield, a trap, a fuel budget reached, a register the stack
  cannot hold) one machine after the other with its own interpreter.

Either way the result is bit-identical to ticking each machine alone (tests/group compares them,
traps and yields included).
"""
from __future__ import annotations

from typing import Any, Iterable, Optional, Sequence

import numpy as np

from ..errors import UsageError
from ..program import Program
from ..registry import ExtensionRegistry
from ..vm.interpreter import Interpreter
from ..vm.results import ENDED, HALT, StepResult
from ..vm.state import HotBuffer
from . import stacked as S

_I32 = np.dtype(np.int32)


class Population:
    """``n`` independent machines of ``program``, ticked together.

    ``Population(program, 1024)``; ``pop.set_input(X)`` with ``X`` of shape ``(n, k)``;
    ``pop.run()`` → one :class:`StepResult` per machine; ``pop.outputs`` → ``(n, m)`` int32.
    Per-machine access: ``pop.machine(i)`` (an :class:`Interpreter`), ``pop.set_weights``.
    """

    def __init__(self, program: Program, n: int, *, registry: Optional[ExtensionRegistry] = None,
                 tier: Optional[str] = None, machines: Optional[Sequence[Interpreter]] = None):
        """``machines``: adopt existing interpreters running the same instructions (a host's
        region array: register declarations may differ) instead of making ``n`` fresh ones."""
        if machines is not None:
            self._its = list(machines)
            first = self._its[0].program.instructions if self._its else []
            if any(it.program.instructions != first for it in self._its):
                raise UsageError("Population: every machine must run the same instructions")
        else:
            if n < 0:
                raise UsageError(f"Population: n must be at least 0, got {n}")
            self._its = [Interpreter(program, registry=registry, tier=tier) for _ in range(n)]
        self.n = len(self._its)
        self.program = self._its[0].program if self._its else program
        self.tier = self._its[0].tier if self._its else "interp"
        first = self._its[0] if self._its else None
        specs = [first._spec_of(ins) for ins in self.program.instructions] if first else []
        self._kernels = S.plan(specs)
        self._operands = [(i.a, i.b, i.c, i.d) for i in self.program.instructions]
        #: the stacked registers while they are the truth (None: the machines are)
        self._stack: Optional[S.Stack] = None
        self._fresh = False            # the stack holds state the machines do not have yet
        self._pending_steps = 0
        self._pc = 0
        #: how the last run went: "stacked" or "one by one"
        self.last_path = ""

    # ---- the machines ---------------------------------------------------------------------------
    def _sync(self) -> None:
        """Write the stack back into the machines (they become the truth again)."""
        st = self._stack
        if st is not None and self._fresh:
            hot = list(st.hot.items())
            for i, it in enumerate(self._its):
                m = it.m
                for r, (vals, shape) in hot:
                    m.hot[r] = HotBuffer(vals[i].copy(), shape)
                m.input = st.input[i].copy()
                m.output = st.output[i].copy()
                m.pc = self._pc
                it.steps += self._pending_steps
        self._stack = None
        self._fresh = False
        self._pending_steps = 0

    def machine(self, i: int) -> Interpreter:
        """Machine ``i`` with its current state (changes made to it are seen by the next run)."""
        self._sync()
        return self._its[i]

    @property
    def machines(self) -> list[Interpreter]:
        self._sync()
        return list(self._its)

    # ---- inputs, outputs, weights ------------------------------------------------------------------
    def set_input(self, values: Any) -> None:
        """Raw i32 input per machine: an ``(n, k)`` array (or a sequence of ``n`` sequences)."""
        x = values if isinstance(values, np.ndarray) else np.asarray(values, dtype=np.int64)
        if x.ndim != 2 or x.shape[0] != self.n:
            raise UsageError(f"Population.set_input: expected shape ({self.n}, k), got {tuple(x.shape)}")
        st = self._stack
        if st is not None and x.dtype == _I32:
            st.input = x.copy()
            self._fresh = True
            return
        if x.dtype != _I32:
            if x.size and (int(x.min()) < -(1 << 31) or int(x.max()) >= 1 << 31):
                raise UsageError("Population.set_input: input values must be in the i32 range")
            x = x.astype(np.int32)
        if st is not None:
            st.input = x
            self._fresh = True
            return
        for i, it in enumerate(self._its):
            it.m.input = x[i].copy()

    @property
    def outputs(self) -> np.ndarray:
        """Every machine's output, ``(n, m)`` int32 (a copy; machines with outputs of different
        lengths give a UsageError: read them with :meth:`machine`)."""
        if self._stack is not None:
            return self._stack.output.copy()
        outs = [it.m.output for it in self._its]
        if len({len(o) for o in outs}) > 1:
            raise UsageError("Population.outputs: machines have outputs of different lengths")
        return np.stack(outs).astype(np.int32) if outs else np.zeros((0, 0), np.int32)

    def set_weights(self, name: str, values: Any) -> None:
        """Signed weights (−255..255) of cold register ``name`` for every machine: ``(n, ...)``."""
        vals = np.asarray(values)
        if vals.ndim < 1 or vals.shape[0] != self.n:
            raise UsageError(f"Population.set_weights: expected {self.n} rows, got shape {tuple(vals.shape)}")
        for i, it in enumerate(self.machines):
            it.set_weights(name, vals[i])

    # ---- running ------------------------------------------------------------------------------------
    def _gather(self) -> Optional[S.Stack]:
        """The machines' registers stacked, or None when they cannot be (shapes or dtypes differ)."""
        its = self._its
        ms = [it.m for it in its]
        hot: dict[int, tuple[np.ndarray, tuple[int, ...]]] = {}
        for r in range(64):
            bufs = [m.hot[r] for m in ms]
            present = [b for b in bufs if b is not None]
            if not present:
                continue
            if len(present) != len(bufs):
                return None
            shape = present[0].shape
            views = [b.view() for b in present]
            if any(b.shape != shape for b in present) or any(v.dtype != _I32 for v in views):
                return None
            if len({len(v) for v in views}) > 1:
                return None
            hot[r] = (np.stack(views), shape)
        ins = [m.input for m in ms]
        outs = [m.output for m in ms]
        for arrs in (ins, outs):
            if len({len(a) for a in arrs}) > 1 or any(a.dtype != _I32 for a in arrs):
                return None
        cold: dict[int, S.Cold] = {}
        for r in range(64):
            bufs = [m.cold[r] for m in ms]
            if all(b is None for b in bufs):
                continue
            if any(b is None for b in bufs) or len({len(b) for b in bufs}) > 1:
                cold[r] = S.Cold(False)
                continue
            shape = bufs[0].shape
            ok = (all(b.temps is None and b.usage is None and b.shape == shape for b in bufs)
                  and len(shape) >= 2)
            cold[r] = S.Cold(ok, np.stack([b.values() for b in bufs]),
                             int(shape[0]) if ok else 0, int(shape[1]) if ok else 0)
        return S.Stack(len(ms), hot, np.stack(ins), np.stack(outs), cold)

    def run_stacked(self, fuel: Optional[int] = None) -> Optional[bool]:
        """Tick every machine from pc 0 over stacked registers only: True (halted) or False (ended
        at the program's end) when that ran, None when it could not (nothing changed)."""
        if self.n and self.tier == "compiled" and self._kernels and self._kernels[0] is not None:
            st = self._stack
            if st is None:
                st = self._stack = self._gather()
                self._fresh = False
            if st is not None:
                done = S.run(st, self._kernels, self._operands, fuel)
                if done is not None:
                    hot, pc, executed, halted = done
                    st.hot = hot
                    self._pc = pc
                    self._pending_steps += executed
                    self._fresh = True
                    self.last_path = "stacked"
                    return halted
        return None

    def run(self, fuel: Optional[int] = None) -> list[StepResult]:
        """Tick every machine from pc 0 (as ``Interpreter.run`` after ``pc = 0``): yields are
        skipped as ``run`` skips them. One result per machine."""
        halted = self.run_stacked(fuel)
        if halted is not None:
            return [HALT if halted else ENDED] * self.n
        self._sync()
        self.last_path = "one by one"
        out = []
        for it in self._its:
            it.m.pc = 0
            out.append(it.run(fuel))
        return out

    def forward(self, inputs: Any, fuel: Optional[int] = None) -> np.ndarray:
        """``set_input(inputs)``, run, raise the first machine's trap if any, return the outputs."""
        self.set_input(inputs)
        for r in self.run(fuel):
            r.raise_for_trap()
        return self.outputs

    def __len__(self) -> int:
        return self.n

    def __iter__(self) -> Iterable[Interpreter]:
        return iter(self.machines)

    def __repr__(self) -> str:
        return f"<Population n={self.n} tier={self.tier} program={len(self.program.instructions)} instructions>"
