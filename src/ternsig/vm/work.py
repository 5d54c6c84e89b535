"""The work budget in the interpreter tier: each instruction charged, before it runs, by its row's
work rule (:mod:`ternsig.isa.cost`).

:func:`charged` wraps one decoded instruction; the interpreter builds the wrapped code list only
for runs given ``work=``, so unbudgeted runs (the conformance harness, ``forward``) keep the lean
loop. The compiled tier charges its kernels the same units in its own loop and leaves an
instruction it cannot afford to this wrapper, so both tiers trap at the same pc with the same text.

The operand part is counted inline here (it runs before every instruction of a budgeted run: a
generic closure per operand cost ~1.5 µs an instruction, this ~0.3 µs); rows with an explicit
``cost=`` rule add :func:`ternsig.isa.cost.rule_function`.
"""
from __future__ import annotations

from typing import Any, Callable

from ..errors import FuelTrap
from ..isa.cost import rule_function, work_slots
from .state import HotBuffer

#: the raw slot of a hot register's array: reading a length through it does not hand the array out
#: (a compiled-tier HeapBuffer's ``_a`` property would, and the loop would then move that register)
_A = HotBuffer._a


def charged(interp: Any, spec: Any, a: int, b: int, c: int, d: int, run: Callable[[], Any],
            pc: int = -1) -> Callable[[], Any]:
    """``run`` preceded by its work charge against ``interp.work_left`` (FuelTrap kind "work"
    before anything runs when the instruction costs more than is left). A row that writes weights
    is followed by ``interp.on_weight_write(pc)`` when that hook is set (the host's layer-4 guard,
    which raises a PolicyTrap naming this pc)."""
    idxs = work_slots(spec, a, b, c, d)
    rule = rule_function(spec, a, b, c, d)
    watch = spec.writes_weights and not spec.yields     # a yield's write happens in the host
    if not idxs and rule is None and not watch:
        return run
    m = interp.m
    name = spec.qualified

    def bound() -> Any:
        hot, cold = m.hot, m.cold
        w = 0
        for i in idxs:           # elements of each operand: the larger of hot and cold at the index
            h = hot[i]
            if h is None:
                n = 0
            else:
                t = h._t
                n = len(t) if t is not None else len(_A.__get__(h))
            k = cold[i]
            if k is not None and len(k.pol) > n:
                n = len(k.pol)
            w += n
        if rule is not None:
            w += rule(m)
        left = interp.work_left
        if w > left:
            raise FuelTrap(f"work budget exhausted: {name} needs {w:,} units, {left:,} left", kind="work")
        interp.work_left = left - w
        r = run()
        if watch and interp.on_weight_write is not None:
            interp.on_weight_write(pc)
        return r

    return bound
