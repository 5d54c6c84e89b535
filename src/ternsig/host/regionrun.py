"""The region runner: the one place a region's firmware runs (tick, boot, ``region_fire``,
``model_exec`` and tests all come here).

- **One budget per top-level run.** :class:`Budget` holds the instructions a run may still spend
  and its wall-clock deadline. A nested run (``region_fire``, ``model_exec``) spends the
  *caller's* remaining budget, never a fresh one: one tick of a region with budget B executes at
  most B instructions through every nesting path.
- **Work, not only instructions.** A budget also holds work units (isa/cost.py: elements touched,
  multiply-adds), :data:`WORK_PER_INSTRUCTION` per instruction of the region's budget. Every
  instruction is charged its row's work rule before it runs, so one instruction on large
  registers (attention at 2048², an embedding gather, adds on 4M-element registers) traps with kind
  ``work`` instead of running for seconds: a budget bounds CPU time, not just the step count.
- **Deadline without real time.** The clock is injected (``Brain(clock=...)``); the runner runs
  in slices of at most :data:`SLICE` instructions and checks the deadline between slices, so a
  region that overruns its per-tick deadline traps (kind ``deadline``) and tests drive the clock.
- **Stacks reset.** Loop and call stacks are cleared at the start of every run (and capped in the
  VM at ``MAX_STACK_DEPTH``).
- The runner drives the interpreter only through its public ``run_until_yield(fuel=)`` API, so
  the execution tier stays transparent; every DomainOp is served by the host (``fulfil``) under
  the running program's role — models included.
"""
from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any, Callable, Optional

import numpy as np

from ..errors import FuelTrap, PolicyTrap, TernsigError
from ..safety.policy import Role
from ..vm.state import DOPAMINE_THRESHOLD
from ..vm.results import Status
from .fulfil import fulfil
from .handlers import BrainView
from .region import STATUS_ACTIVE, STATUS_FIRING, STATUS_IDLE

if TYPE_CHECKING:
    from .region import Region

MAX_DEPTH = 4            # nested REGION_FIRE / MODEL_EXEC depth
SLICE = 65_536           # instructions between two deadline checks
#: DomainOps whose fulfilment scans a whole bank (scores every entry): charged the bank's values
#: (entries x width) as work before the host serves them, since the VM's operands cannot see the bank
SCANS_BANK = frozenset({"BankQuery", "BankEvict", "BankCompact"})
#: work units a region may spend per instruction of its budget: the default budget of 100,000
#: instructions allows 25.6 million element operations per tick (measured: a saturating add on
#: 4M elements, 12.6M units, takes ~0.3 s in the interpreter tier, ~0.01-0.05 s compiled)
WORK_PER_INSTRUCTION = 256


class Budget:
    """What one top-level run may still spend: instructions and wall-clock time."""

    __slots__ = ("remaining", "deadline", "clock", "limit", "owner", "seconds", "work", "work_limit", "out_of_work")

    def __init__(self, fuel: int, owner: str, clock: Callable[[], float] = time.monotonic,
                 seconds: Optional[float] = None, work: Optional[int] = None):
        self.remaining = fuel
        self.limit = fuel
        #: work units left (isa/cost.py); by default WORK_PER_INSTRUCTION per instruction of fuel
        self.work = fuel * WORK_PER_INSTRUCTION if work is None else work
        self.work_limit = self.work
        self.out_of_work = False                    # an instruction was refused for want of work
        self.owner = owner
        self.clock = clock
        self.seconds = seconds
        self.deadline: Optional[float] = None       # set when the run starts

    def expired(self) -> bool:
        if self.seconds is None:
            return False
        now = self.clock()
        if self.deadline is None:
            self.deadline = now + self.seconds
        return now > self.deadline


class RegionRunner:
    def __init__(self, brain: BrainView, clock: Callable[[], float] = time.monotonic,
                 deadline: Optional[float] = None):
        self.brain = brain
        self.clock = clock
        #: per-region, per-tick wall-clock limit in seconds (None: no limit)
        self.deadline = deadline
        self._stack: list[Budget] = []      # budgets of the runs in progress (innermost last)
        self._running: list[Any] = []       # the regions those runs belong to
        self._watch: dict[int, Any] = {}    # id(region) -> cold snapshot of a learning run in progress

    # ---- budgets --------------------------------------------------------------------------------
    def budget_for(self, r: "Region") -> Budget:
        return Budget(r.budget, r.name, self.clock, self.deadline, getattr(r, "work", None))

    # ---- traps ----------------------------------------------------------------------------------
    def trap(self, r: "Region", message: str) -> None:
        r.traps += 1
        r.last_trap = message
        r.status = STATUS_IDLE
        self.brain.log_event(r, 2, [], note=message)

    # ---- layer 4 enforcement: weights change only under dopamine, and only HOT weights ----------
    def weights_before(self, r: "Region") -> Optional[list[tuple[Any, ...]]]:
        """Snapshot of a learning region's cold registers at the start of its run (None for other
        roles); while the run lasts, every weight-writing instruction is checked against it. Each
        entry: index, buffer, copies of pol and mag, shape, and pol/mag as bytes (the guard's
        "nothing changed" test is then one bytes comparison per array)."""
        if r.role != Role.LEARNING:
            return None
        snap = []
        for i, c in enumerate(r.machine.cold):
            if c is not None:
                pol, mag = c.pol.copy(), c.mag.copy()
                snap.append((i, c, pol, mag, c.shape, pol.tobytes(), mag.tobytes()))
        self._watch[id(r)] = snap
        return snap

    def check_weights(self, r: "Region", before, dopamine: int) -> None:
        """After the run: revert and trap any weight write the per-instruction guard did not see."""
        self._watch.pop(id(r), None)
        if before is None:
            return
        why = self.revert_bad_writes(r, before, dopamine)
        if why is not None:
            self.trap(r, f"region {r.name}: policy: {why} (found after the run)")

    def revert_bad_writes(self, r: "Region", before, dopamine: int) -> Optional[str]:
        """Revert weight writes the learning layer may not make (seed 003, anti-devolve): any write
        while dopamine is below the learning threshold, and writes to COOL or COLD weights. A write
        is a write whatever instruction made it: a buffer replaced, resized or re-typed counts as
        every element changed. Returns what was reverted, or None."""
        out = []
        cold = r.machine.cold
        allowed = dopamine >= DOPAMINE_THRESHOLD
        for i, old, pol, mag, shape, pol_bytes, mag_bytes in before:
            c = cold[i]
            if c is None:
                continue                      # freeing is structural: the journal's business
            temps = c.temps if c.temps is not None else old.temps
            if allowed and temps is None:
                continue                      # learning may write every weight: nothing to compare
            cp, cm = c.pol, c.mag
            same_len = len(cp) == len(pol)
            if (same_len and cp.dtype == pol.dtype and cm.dtype == mag.dtype and cp.tobytes() == pol_bytes
                    and cm.tobytes() == mag_bytes):
                continue                      # no write (the common case: one byte compare, no arrays)
            if not same_len:
                changed = np.ones(len(pol), bool)
            else:
                changed = (c.pol != pol) | (c.mag != mag)
            if dopamine < DOPAMINE_THRESHOLD:
                bad, rule = changed, f"dopamine {dopamine} is below the learning threshold {DOPAMINE_THRESHOLD}"
            elif temps is not None:
                bad = changed & (temps[: len(changed)] >= 2) if len(temps) >= len(changed) else changed
                rule = "COOL and COLD weights are read-only to learning"
            else:
                continue
            if bad.any():
                if len(c.pol) != len(pol) or c is not old:
                    if c is not old:
                        r.machine.cold[i] = old
                    c = old
                    c.pol, c.mag, c.shape = pol.copy(), mag.copy(), shape   # the snapshot stays the snapshot
                else:
                    c.pol[bad], c.mag[bad] = pol[bad], mag[bad]
                c.touch()
                out.append(f"C{i}: {int(bad.sum())} weight write(s) reverted: {rule}")
        return "; ".join(out) or None

    def _guard(self, r: "Region") -> Optional[Callable[[int], None]]:
        """The interpreter hook that checks each weight-writing instruction of a watched run."""
        before = self._watch.get(id(r))
        if before is None:
            return None

        def check(pc: int) -> None:
            why = self.revert_bad_writes(r, before, r.machine.chem.dopamine)
            if why is not None:
                raise PolicyTrap(f"policy: {why}", kind="policy")

        return check

    # ---- running --------------------------------------------------------------------------------
    def reset_stacks(self, r: "Region") -> None:
        m = r.machine
        m.pc = 0
        m.loop_stack.clear()
        m.call_stack.clear()

    def step(self, r: "Region", budget: Budget) -> tuple[str, int]:
        """Run ``r`` until it finishes, blocks at a barrier or spends ``budget``.
        Returns (state, instructions used): state is "done" or "blocked"."""
        interp = r.interp
        used = 0
        self._stack.append(budget)
        self._running.append(r)
        interp.on_weight_write = guard = self._guard(r)
        try:
            while True:
                if budget.remaining <= 0:
                    self.trap(r, f"region {r.name}: pc {interp.pc}: fuel exhausted: instruction budget of "
                              f"{budget.limit} spent this tick"
                              + (f" (shared with {budget.owner})" if budget.owner != r.name else ""))
                    return "done", used
                if budget.expired():
                    self.trap(r, f"region {r.name}: pc {interp.pc}: deadline: over its {self.deadline} s per tick")
                    return "done", used
                before = interp.steps
                res = interp.run_until_yield(fuel=min(budget.remaining, SLICE), work=budget.work)
                spent = interp.steps - before
                used += spent
                budget.remaining -= spent
                budget.work = interp.work_left
                if res.status is Status.TRAP and res.kind == "fuel":
                    continue                  # a slice ended: re-check budget and deadline
                if res.status is Status.YIELD:
                    try:
                        self.charge_host_work(r, res.op, budget)
                        self.serve(r, res.op)
                    except TernsigError as exc:
                        ins = r.program.instructions[interp.pc - 1] if interp.pc else None
                        text = str(exc)
                        if not text.startswith(res.op.op_name):
                            text = f"{res.op.op_name}: {text}"
                        self.trap(r, f"region {r.name}: pc {interp.pc - 1} ({ins}): {text}")
                        return "done", used
                    if guard is not None and self._host_wrote_weights(r, interp.pc - 1):
                        try:
                            guard(interp.pc - 1)
                        except PolicyTrap as exc:
                            ins = r.program.instructions[interp.pc - 1]
                            self.trap(r, f"region {r.name}: pc {interp.pc - 1} ({ins}): {exc.reason}")
                            return "done", used
                    if r.waiting_barrier is not None:
                        return "blocked", used
                    continue
                if res.kind == "work":
                    budget.out_of_work = True
                if not res.ok:
                    ins = f" ({res.instruction})" if res.instruction is not None else ""
                    shared = (f" (work budget of {budget.work_limit:,} units this tick, shared with {budget.owner})"
                              if res.kind == "work" and budget.owner != r.name else "")
                    self.trap(r, f"region {r.name}: pc {res.pc}{ins}: {res.message}{shared}")
                return "done", used
        finally:
            interp.on_weight_write = None
            self._stack.pop()
            self._running.pop()

    def _host_wrote_weights(self, r: "Region", pc: int) -> bool:
        """Whether the yielding instruction at ``pc`` asks the host to write weights."""
        ins = r.program.instructions[pc] if 0 <= pc < len(r.program.instructions) else None
        spec = r.interp.registry.spec(ins.ext_id, ins.opcode) if ins is not None else None
        return spec is not None and spec.writes_weights

    def charge_host_work(self, r: "Region", op: Any, budget: Budget) -> None:
        """Charge the work the host will do for ``op`` (a bank scan) before it does it."""
        if op.op_name not in SCANS_BANK:
            return
        name = r.bank_slots.get(op.bank_slot)
        bank = self.brain.banks.banks.get(name) if name is not None else None
        w = len(bank) * bank.width if bank is not None else 0
        if w > budget.work:
            budget.out_of_work = True
            raise FuelTrap(f"{op.op_name}: work budget exhausted: scanning bank {name!r} needs {w:,} units, "
                           f"{budget.work:,} left", kind="work")
        budget.work -= w

    def serve(self, r: "Region", op: Any) -> None:
        r.yields += 1
        fulfil(self.brain, r, op)

    def nested_budget(self, r: "Region") -> Budget:
        """The caller's budget when called from inside a run, else a fresh one for ``r``."""
        return self._stack[-1] if self._stack else self.budget_for(r)

    def fire(self, r: "Region", prepare: Callable[["Region"], None]) -> None:
        """Run one region to completion on its current input (REGION_FIRE), on the caller's budget."""
        from ..errors import HostError

        if len(self._stack) > MAX_DEPTH:
            raise HostError(f"RegionFire: nesting deeper than {MAX_DEPTH}")
        if any(x is r for x in self._running):
            raise HostError(f"RegionFire: region {r.name!r} is already running (a fire cycle)")
        prepare(r)
        self.reset_stacks(r)
        r.status = STATUS_FIRING
        before = self.weights_before(r)
        self.brain.journal.before_run(r)
        budget = self.nested_budget(r)
        traps = r.traps
        try:
            state, used = self.step(r, budget)
        finally:
            r.status = STATUS_ACTIVE
        r.executed += used
        self.check_weights(r, before, r.machine.chem.dopamine)
        self.brain.journal.after_run(r, self.brain.substrate.tick)
        if state == "blocked":
            raise HostError(f"RegionFire: region {r.name!r} blocked at a barrier while fired")
        if (budget.remaining <= 0 or budget.out_of_work) and r.traps > traps:
            raise HostError(f"RegionFire: region {r.name!r} spent the caller's remaining budget")
        r.output = r.machine.output.copy()

    def run_model(self, model: "Region") -> None:
        """Run a model program (MODEL_EXEC) on the caller's budget; its DomainOps are served by the
        host under the model's role. Raises HostError when it traps."""
        from ..errors import HostError

        if len(self._stack) > MAX_DEPTH:
            raise HostError(f"ModelExec: nesting deeper than {MAX_DEPTH}")
        self.reset_stacks(model)
        traps = model.traps
        state, used = self.step(model, self.nested_budget(model))
        model.executed += used
        if model.traps > traps or state == "blocked":
            why = model.last_trap if model.traps > traps else "blocked at a barrier"
            raise HostError(f"ModelExec: model {model.name} trapped: {why}")
