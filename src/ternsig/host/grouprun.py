"""Regions that share firmware ticked as one group (issue 11 item 3).

:func:`run_pass` is one pass of a tick over regions in declaration order, the per-region sequence
written once (``Brain.tick`` and the MPI rank's ``ClusterBrain`` both call it):

    prepare, spiking.on_region_start, reset_stacks, weights guard, journal.before_run,
    runner.step on the region's budget, executed, check_weights, output

Consecutive regions that share instructions run as one :class:`~ternsig.group.Population` when
that is provably the same as running them one by one:

* every member: compiled tier, not a learning region (no weights guard), not waiting at a barrier,
  not started yet, no per-tick deadline (the deadline reads the clock), and every instruction of
  the program has a stacked kernel (so a run has no branch, yield or host call: it changes its own
  machine and nothing else);
* no member's input or target is another member (inputs are read when a region starts: a member
  reading a member's output of this tick must wait for it);
* the first member runs alone through the runner (the probe); it must end without a trap. Its
  instructions and work units used are then what every member with the same register lengths
  uses (a straight-line run's work depends only on lengths); a member whose lengths differ, or
  whose budget is smaller, runs alone;
* the stacked run itself falls back (nothing changed) on anything its kernels refuse: those
  members then run alone through the runner, in declaration order.

Since member runs touch only their own machines and no member's start reads another member, all
members may start (in declaration order) before any runs. ``Brain(group=False)`` or
``TERNSIG_GROUP=0`` turns grouping off (tests and benches compare both).
"""
from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any, Optional

from ..safety.policy import Role
from ..vm.state import HotBuffer
from .regionrun import SLICE

if TYPE_CHECKING:
    from .region import Region

_A = HotBuffer._a
MIN_GROUP = 3          # the probe runs alone: a group of two would gain nothing


def enabled(flag: Optional[bool]) -> bool:
    """``Brain(group=...)``: None means ``TERNSIG_GROUP`` (default on; "0" turns it off)."""
    if flag is not None:
        return bool(flag)
    return os.environ.get("TERNSIG_GROUP", "1") != "0"


def start(brain: Any, r: "Region", sample: Any, guards: dict[int, Any]) -> None:
    """A region's start of run: inputs taken, stacks reset, weights guard, journal."""
    runner = brain.runner
    brain._prepare(r, sample)
    brain.spiking.on_region_start(r.name, r.machine.input)
    runner.reset_stacks(r)
    guards[r.id] = (runner.weights_before(r), r.machine.chem.dopamine)
    brain.journal.before_run(r)


def finish(brain: Any, r: "Region", guards: dict[int, Any]) -> None:
    brain.runner.check_weights(r, *guards.pop(r.id))
    r.output = r.machine.output.copy()


def _stackable(brain: Any, r: "Region") -> bool:
    """Whether every instruction of ``r``'s program has a stacked kernel (cached per program)."""
    cache = brain.__dict__.setdefault("_group_plans", {})
    key = id(r.program.instructions)
    hit = cache.get(key)
    if hit is None or hit[0] is not r.program.instructions:
        from ..group import stacked as S

        it = r.interp
        kernels = S.plan([it._spec_of(ins) for ins in r.program.instructions])
        ok = bool(kernels) and all(k is not None for k in kernels)
        hit = cache[key] = (r.program.instructions, ok)
    return hit[1]


def _eligible(brain: Any, r: "Region", started: set[int]) -> bool:
    return (r.id not in started and r.waiting_barrier is None and r.role != Role.LEARNING
            and r.interp.tier == "compiled" and r.pending_input is None and _stackable(brain, r))


def spans(brain: Any, regions: list["Region"], started: set[int]) -> dict[int, list["Region"]]:
    """First member's id -> the members of each group among ``regions`` (consecutive, same
    instructions, none reading another's output)."""
    if brain.runner.deadline is not None or not getattr(brain, "group", True):
        return {}
    out: dict[int, list["Region"]] = {}
    cur: list["Region"] = []
    names: set[str] = set()

    def close() -> None:
        if len(cur) >= MIN_GROUP:
            out[cur[0].id] = list(cur)

    target_of = brain.target_of
    for r in regions:
        if not _eligible(brain, r, started):
            close()
            cur, names = [], set()
            continue
        reads = set(r.inputs)
        tgt = target_of.get(r.name)
        if tgt:
            reads.add(tgt)
        if cur and (r.program.instructions is not cur[0].program.instructions
                    and r.program.instructions != cur[0].program.instructions or reads & names
                    or r.name in names):
            close()
            cur, names = [], set()
        cur.append(r)
        names.add(r.name)
    close()
    return out


def _lengths(r: "Region") -> tuple:
    """The register lengths a run's work and kernels depend on (hot, cold, input, output)."""
    m = r.machine
    hot = tuple((i, h.shape, len(h._t) if h._t is not None else len(_A.__get__(h)))
                for i, h in enumerate(m.hot) if h is not None)
    cold = tuple((i, c.shape, len(c.pol), c.temps is None, c.usage is None)
                 for i, c in enumerate(m.cold) if c is not None)
    return hot, cold, len(m.input), len(m.output), str(m.input.dtype), str(m.output.dtype)


def run_group(brain: Any, members: list["Region"], sample: Any, budgets: dict[int, Any],
              guards: dict[int, Any]) -> None:
    """Start every member, run the first alone, the others with the same lengths stacked (alone if
    the stack refuses), then finish every member, all in declaration order."""
    from ..group import Population

    runner = brain.runner
    for r in members:
        start(brain, r, sample, guards)
    first = members[0]
    sig = _lengths(first)
    b0 = budgets[first.id]
    fuel0, work0, traps0 = b0.remaining, b0.work, first.traps
    state, used = runner.step(first, b0)
    first.executed += used
    rest = members[1:]
    stack: list["Region"] = []
    if first.traps == traps0 and state == "done" and not b0.out_of_work:
        spent_work = work0 - b0.work
        for r in rest:
            b = budgets[r.id]
            if (b.remaining >= used and b.remaining == fuel0 and b.work == work0
                    and _lengths(r) == sig):
                stack.append(r)
    if len(stack) >= 2:
        pop = Population(first.program, 0, machines=[r.interp for r in stack])
        fuel = min(budgets[stack[0].id].remaining, SLICE)
        steps0 = [r.interp.steps for r in stack]
        done = set()
        if pop.run_stacked(fuel) is not None:
            pop.machines                       # writes the stacked registers back
            for r, s0 in zip(stack, steps0):
                n = r.interp.steps - s0
                b = budgets[r.id]
                b.remaining -= n
                b.work -= spent_work
                r.interp.work_left = b.work
                r.executed += n
                done.add(r.id)
    else:
        done = set()
    for r in rest:
        if r.id not in done:
            state, used = runner.step(r, budgets[r.id])
            r.executed += used
    for r in members:
        finish(brain, r, guards)


def run_pass(brain: Any, pending: list["Region"], sample: Any, budgets: dict[int, Any],
             started: set[int], guards: dict[int, Any]) -> list["Region"]:
    """One pass over ``pending`` in declaration order; returns the regions blocked at a barrier."""
    runner = brain.runner
    groups = spans(brain, pending, started)
    skip: set[int] = set()
    blocked = []
    for r in pending:
        if r.id in skip:
            continue
        if r.waiting_barrier is not None:
            blocked.append(r)
            continue
        g = groups.get(r.id)
        if g is not None:
            for x in g:
                started.add(x.id)
            run_group(brain, g, sample, budgets, guards)
            skip.update(x.id for x in g)
            continue
        if r.id not in started:      # inputs are taken when the region starts (declaration order)
            started.add(r.id)
            start(brain, r, sample, guards)
        state, used = runner.step(r, budgets[r.id])
        r.executed += used
        if state == "blocked":
            blocked.append(r)
        else:
            finish(brain, r, guards)
    return blocked
