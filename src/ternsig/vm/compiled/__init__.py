"""The compiled tier: a Numba run loop over a decoded code array and a flat int32 heap.

:func:`resolve_tier` picks the tier (``TERNSIG_TIER=compiled|interp``, compiled by default);
:class:`CompiledCode` is one program decoded for the loop. Instructions without a compiled
kernel, and compiled ones in a case the kernel does not cover exactly, run through the
interpreter's Python handlers one at a time, on the same registers.
"""
from __future__ import annotations

import importlib.util
import os
from typing import Any, Optional, Sequence

import numpy as np

from ...errors import UsageError

TIERS = ("compiled", "interp")
#: a straight run of at least this many compiled kernels enters the loop (see CompiledCode.kinds);
#: MIN_RUN_MIXED in a program with fallbacks, whose entries copy in the registers they replaced
MIN_RUN = 3
MIN_RUN_MIXED = 8

#: how a call of the compiled loop ended (loop.py returns them; the interpreter's run loop reads them)
S_FALLBACK, S_HALT, S_ENDED, S_FUEL, S_SPACE = range(5)


def numba_available() -> bool:
    """Whether Numba can be imported (it is a dependency; a partial install may lack it)."""
    return importlib.util.find_spec("numba") is not None


def resolve_tier(tier: Optional[str] = None) -> str:
    """``tier`` if given, else ``$TERNSIG_TIER``, else ``"compiled"`` — or ``"interp"`` when the
    tier was not asked for and Numba is missing (an explicit ``compiled`` then is a UsageError)."""
    asked = tier if tier is not None else os.environ.get("TERNSIG_TIER", "")
    name = (asked or "compiled").strip().lower()
    if name not in TIERS:
        raise UsageError(f"unknown tier {name!r}: expected one of {', '.join(TIERS)} (TERNSIG_TIER or tier=)")
    if name == "compiled" and not numba_available():
        if asked.strip():
            raise UsageError("the compiled tier needs Numba (pip install numba), or choose tier='interp'")
        return "interp"
    return name


class CompiledCode:
    """One program decoded for :func:`loop.run`: rows ``(kernel, a, b, c, d, c:d, w0, w1, w2, w3)``,
    ``w*`` the register indices its work is counted over (-1 unused)."""

    def __init__(self, instructions: Sequence[Any], spec_of: Any):
        from .heap import Heap

        n = len(instructions)
        self.heap = Heap(n)
        self.code = self.heap.code            # rows inside the heap's table (one array per run)
        self.code[:] = -1
        self.kinds: list[bool] = [False] * n
        self._spec_of = spec_of
        for i, ins in enumerate(instructions):
            self.set(i, ins, refresh=False)
        self._refresh_used()

    def set(self, i: int, ins: Any, refresh: bool = True) -> None:
        from ...isa.cost import work_slots
        from .kernels import kernel_of

        spec = self._spec_of(ins)
        kid = kernel_of(spec) if spec is not None else 0
        a, b, c, d = ins.a, ins.b, ins.c, ins.d
        slots = work_slots(spec, a, b, c, d) if spec is not None else ()
        if spec is not None and (spec.cost or len(slots) > 4):
            kid = 0                 # an explicit work rule is charged by the Python wrapper only
        self.code[i] = (kid, a, b, c, d, (c << 8) | d) + (slots + (-1,) * 4)[:4]
        if refresh:
            self._refresh_used()

    def _refresh_used(self) -> None:
        from . import loop as L
        from .kernels import BRANCHES, WORTH_ENTRY

        hot: set[int] = set()
        cold: set[int] = set()
        counted: set[int] = set()
        self.uses_input = False
        for row in self.code[np.flatnonzero(self.code[:, 0])].tolist():
            kid, a, b, c, d, _ = row[:6]
            hot.update((a & 0x3F, b & 0x3F, c & 0x0F))
            counted.update(r for r in row[6:] if r >= 0)
            if kid == L.TERNARY_MATMUL:
                cold.add(b & 0x3F)
            elif kid == L.ADD:
                cold.add(c & 0x0F)
            elif kid == L.LOAD_INPUT:
                self.uses_input = True
        self.heap.hot_used = tuple(sorted(hot | counted))
        # where a run enters the compiled loop: at the start of a straight run of kernels that is
        # worth one entry and exit (~2 µs: the cold-weight check, registers a handler replaced
        # copied in, new views and the output out) — MIN_RUN kernels or more, or one that may
        # repeat or multiply (a loop, a branch, the matmul). Shorter runs between fallbacks (the
        # `sub` between a `slice` and a `mastery_update`, the `halt` after a learning block) run
        # in their handlers, which cost less there; the results are the same either way.
        kids = self.code[:, 0].tolist()
        targets = self.code[:, 5].tolist()
        n = len(kids)
        kinds = [False] * n
        # in a program with fallbacks an entry usually copies in registers their handlers
        # replaced (a new view each), so a short run costs more there than in the handlers
        self.min_run = min_run = MIN_RUN_MIXED if 0 in kids else MIN_RUN
        left = 0            # kernels in the straight run from i on
        heavy = False       # whether that run holds a kernel worth an entry by itself
        for i in range(n - 1, -1, -1):
            k = kids[i]
            if k == 0:
                left, heavy = 0, False
                continue
            left += 1
            # a forward jump or branch repeats nothing: only one back (a loop) counts
            heavy = heavy or k in WORTH_ENTRY or (k in BRANCHES and targets[i] <= i)
            kinds[i] = heavy or left >= min_run
        self.kinds = kinds
        #: no pc enters the loop: runs take the interpreter's own (leaner) loop
        self.enters = any(kinds)
        h = self.heap
        #: what a run reads every time, in one tuple (the heap, its tables and methods are fixed)
        self.fast = (kinds, h, h.enter, h.leave, h.tab, h.st[:12], self.uses_input)
        self.heap.cold_used = tuple(sorted(cold))
        self.heap.cost_cold = tuple(sorted(counted))
