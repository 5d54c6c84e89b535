"""The brain runtime: a boot program, regions running firmware each tick, and the host serving them.

Tick order (deterministic): the tick counter advances; messages sent last tick are delivered; the
task (if any) draws a sample; each enabled region, in declaration order, gets its input (the
environment or the outputs its inputs produced this tick), the substrate's chemicals, and runs from
pc 0 with its instruction budget while the host fulfils every DomainOp it yields; regions waiting
at a barrier resume once every region still running has arrived; finally the task scores the
answering region and sets valence, and telemetry is written.
"""
from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any, Callable, Optional, TextIO

import numpy as np

from ..confine import inside, within
from ..errors import AssemblyError, HostError, TernsigError
from ..loader import find_program, read_source
from ..program import Program
from ..registry import ExtensionRegistry
from ..vm.interpreter import Interpreter
from .brainapi import BrainAccess
from .config import BrainConfig, parse_config
from .ipc import IpcHub
from .models import ModelTable
from .region import STATUS_ACTIVE, Region
from .grouprun import run_pass
from .regionrun import MAX_DEPTH, Budget
from .substrate import Substrate
from .tasks import make_task

EVENT_TYPES = ("boot", "phase_change", "error", "warning", "metric", "checkpoint", "recovery", "shutdown")


class Brain(BrainAccess):
    def __init__(self, directory: Path, *, registry: Optional[ExtensionRegistry] = None,
                 telemetry: Optional[TextIO] = None, state_dir: Optional[Path] = None,
                 checkpoint: Optional[Any] = None, clock: Optional[Callable[[], float]] = None,
                 substrate: Optional[Any] = None, deadline: Optional[float] = None,
                 group: Optional[bool] = None):
        """``substrate``: None (the in-memory default), a Substrate, or any SubstrateHandle (seed
        001's bridge to an outside world; see host/bridge.py). ``deadline``: per-region, per-tick
        wall-clock limit in seconds, measured with ``clock`` (None: no limit). ``group``: tick
        regions sharing firmware as one group where that is the same (host/grouprun.py); None
        means the ``TERNSIG_GROUP`` environment variable (default on, "0" off)."""
        from .grouprun import enabled

        self.group = enabled(group)
        self.dir = Path(directory)
        self.registry = registry or ExtensionRegistry.standard()
        if not self.dir.is_dir():
            raise HostError(f"{self.dir}: not a brain directory (no such directory)")
        boot_path = self.dir / "boot.ternsig"
        boot_src = read_source(boot_path, "the boot program")
        self.config: BrainConfig = parse_config(boot_src, str(boot_path))
        self.boot_source = boot_src
        from .bridge import make_substrate

        self.substrate: Substrate = make_substrate(substrate, max(16, len(self.config.regions)))
        self.ipc = IpcHub()
        self.spiking = self._make_spiking()
        self.models = ModelTable(self)
        try:
            self.task = make_task(self.config.task, self.dir)
        except (HostError, TernsigError) as exc:
            raise AssemblyError(str(exc), self.config.task_line, 1, str(boot_path)) from None
        self.telemetry = telemetry
        self.state_dir = Path(state_dir) if state_dir else self.dir / "state"
        self.regions: list[Region] = []
        self.novelty: dict[Any, Any] = {}
        self.coactivation: dict[Any, np.ndarray] = {}
        self.events: list[dict[str, Any]] = []
        self.txns: dict[int, list[tuple[int, list[Callable[[], None]]]]] = {}
        self.frozen = False
        self.booted = False
        from .regionrun import RegionRunner

        #: the one region runner: tick, boot, region_fire and model_exec all run through it
        self.runner = RegionRunner(self, clock or time.monotonic, deadline)
        self.accuracy_window: list[int] = []
        self.store = self._make_store()
        self.banks = self._make_banks()
        from ..safety.journal import Journal

        #: structural changes journaled with rollback (seed 003 anti-brick); coherence = the
        #: task accuracy when there is a task, else the substrate's convergence
        self.journal = Journal(self.state_dir / "journal", coherence=self.coherence, registry=self.registry,
                               report=lambda text: self.events.append({"tick": self.substrate.tick,
                                                                       "region": "kernel", "event": "journal",
                                                                       "data": [], "note": text}))
        self._load_regions()
        from .durable import Durability, policy_for

        #: checkpoints (host/durable.py): restored at boot, taken at tick boundaries and on exit
        self.durability = Durability(self, checkpoint or policy_for(self.config), **({"clock": clock} if clock else {}))
        self.dropped: list[str] = []          # what restoring state could not keep (reported, never fatal)

    # ---- construction -------------------------------------------------------------------------------
    def _make_store(self):
        from .weight_store import WeightStore

        return WeightStore(self.state_dir / "thermo")

    def _make_spiking(self):
        from .spiking_ops import SpikingSubstrate

        try:
            return SpikingSubstrate(self.config.spiking, {d.name: i for i, d in enumerate(self.config.regions)})
        except HostError as exc:
            raise AssemblyError(str(exc), 1, 1, str(self.dir / "boot.ternsig")) from None

    def _make_banks(self):
        from .banks import BankSet

        return BankSet(self.state_dir / "banks", width=self.config.bank_width)

    def _assemble(self, path: Path) -> Program:
        from ..loader import load_program_file      # source, .tvmr, TERN or .card

        return load_program_file(path, "firmware")

    def validate_for_role(self, program: Program, role: str, what: str) -> None:
        """Refuse a program that may not run as ``role``: the one admission gate (safety/admission.py)."""
        from ..safety.admission import admit

        admit(program, role, what, registry=self.registry)

    def _load_regions(self) -> None:
        from .arrays import INDEX, instance_program, uses_index

        key_owner: dict[str, str] = {}
        arrays: dict[tuple[Path, str], Program] = {}      # an array's firmware is assembled and admitted once
        for i, decl in enumerate(self.config.regions):
            what = f"region {decl.name}: firmware"
            path = within(self.dir, find_program(inside(self.dir, decl.firmware, what)), what)   # "fw" → fw.ternsig|...
            program = arrays.get((path, decl.role)) if decl.index is not None else None
            if program is None:
                program = self._assemble(path)
                self.validate_for_role(program, decl.role, f"region {decl.name}")
                if decl.index is not None:
                    arrays[(path, decl.role)] = program
            if decl.index is not None:
                program = instance_program(program, decl.index)
            elif uses_index(program):
                raise HostError(f"region {decl.name}: a thermogram key uses {INDEX}, which only a region array "
                                f"(region NAME[COUNT] ...) gives a value")
            for d in program.registers:       # one owner per thermogram key: else the last save wins
                if d.key:
                    owner = key_owner.setdefault(d.key, decl.name)
                    if owner != decl.name:
                        hint = f" (give each instance its own key with {INDEX})" if decl.index is not None else ""
                        raise HostError(f"region {decl.name}: thermogram key {d.key!r} is already declared by "
                                        f"region {owner!r} (learned weights would overwrite each other){hint}")
            interp = Interpreter(program, registry=self.registry)
            r = Region(i, decl.name, path, program, interp, decl.role, list(decl.inputs),
                       budget=decl.budget or self.config.budget, work=decl.work or self.config.work)
            r.keys = dict(self.config.keys.get(decl.name, {}))
            for kid in r.keys:            # P[id] holds key id `id` (seed 004: the host pre-loads key ids)
                if 0 <= kid < 64:
                    interp.m.param[kid] = kid
            r.models = {s: inside(self.dir, f, f"region {decl.name}: model slot {s}")
                        for s, f in self.config.models.get(decl.name, {}).items()}
            r.bank_slots = dict(self.config.banks.get(decl.name, {}))
            r.array, r.index = decl.array, decl.index
            self.regions.append(r)
        self._by_name = {r.name: r for r in self.regions}   # arrays make linear lookups quadratic
        for r in self.regions:
            for rid, name in self.config.routes.get(r.name, {}).items():
                r.routes[rid] = None if name is None else self._by_name[name].id
                r.route_refs[rid] = name or "outside its array"
        self.target_of = {d.name: d.target for d in self.config.regions}

    def coherence(self) -> float:
        if self.accuracy_window:
            return sum(self.accuracy_window) / len(self.accuracy_window)
        return float(self.substrate.convergence)

    # ---- lookups --------------------------------------------------------------------------------------
    def region(self, name: str) -> Region:
        r = self._by_name.get(name)
        if r is None:
            raise HostError(f"no region named {name!r}")
        return r

    def region_by_id(self, region_id: int, op: str, via: Optional[Region] = None) -> Region:
        """The region a DomainOp's region id names. ``via`` is the region that yielded it: its
        ``.config route`` table (if any) maps the firmware's id first (host/arrays.py)."""
        if via is not None and via.routes and region_id in via.routes:
            mapped = via.routes[region_id]
            if mapped is None:
                raise HostError(f"{op}: region {via.name}: route {region_id} has no target "
                                f"({via.route_refs[region_id]}: a relative instance outside the array)")
            return self.regions[mapped]
        if not 0 <= region_id < len(self.regions):
            raise HostError(f"{op}: region id {region_id} out of range (0..{len(self.regions) - 1})")
        return self.regions[region_id]

    # ---- boot ------------------------------------------------------------------------------------------
    def require_boot(self, region: Region, op: str) -> None:
        if self.frozen:
            raise HostError(f"{op}: the topology is frozen after boot (no new thermograms or regions)")

    def boot(self) -> None:
        """Register every keyed cold register as a thermogram, restore persisted state, run the boot
        program as layer 1, then freeze the topology."""
        if self.booted:
            return
        for r in self.regions:
            for c in r.machine.cold:
                if c is not None and c.key:
                    self.store.register(r, c)
                    try:
                        self.store.load_if_present(r, c)
                    except HostError as exc:        # a restart never refuses: report, start fresh
                        self.dropped.append(f"{r.name}: {exc}")
        self.banks.load_all()
        if self.config.lifecycle_every:
            from ..plasticity.temperature import enable_usage_tracking

            for r in self.regions:
                if r.role == "learning":
                    for c in r.machine.cold:
                        if c is not None:
                            enable_usage_tracking(c)
        boot_prog = self._assemble(self.dir / "boot.ternsig")
        self.validate_for_role(boot_prog, "boot", "boot program")
        boot_interp = Interpreter(boot_prog, registry=self.registry)
        boot_region = Region(-1, "boot", self.dir / "boot.ternsig", boot_prog, boot_interp, "boot",
                             budget=self.config.budget)
        boot_region.keys = dict(self.config.keys.get("boot", {}))
        self.runner.step(boot_region, self.runner.budget_for(boot_region))
        if boot_region.traps:
            raise HostError(f"boot program failed: {boot_region.last_trap}")
        self._hand_over_boot_weights(boot_interp)
        rep = self.durability.restore()
        # a restored checkpoint supersedes the legacy per-file state reported above
        self.dropped = rep.dropped if rep.checkpoint is not None else self.dropped + rep.dropped
        for line in rep.lines():
            self.log_event(boot_region, 6, [rep.tick], note=line)
        self.log_event(boot_region, 0, [len(self.regions)], note="boot complete")
        self.frozen = True
        self.booted = True

    def _hand_over_boot_weights(self, boot_interp: Interpreter) -> None:
        """What the boot program allocated and named (InitThermo with a boot key) is not lost: a
        region register with the same key and shape starts from it, unless persisted state exists."""
        for c in boot_interp.m.cold:
            if c is None or not c.key or self.store.tt.load_weights(c.key) is not None:
                continue
            for r in self.regions:
                for rc in r.machine.cold:
                    if rc is not None and rc.key == c.key and rc.shape == c.shape:
                        rc.pol[:], rc.mag[:] = c.pol, c.mag
                        if c.temps is not None:
                            rc.temps = c.temps.copy()
                        rc.touch()

    # ---- serving DomainOps --------------------------------------------------------------------------
    def _serve(self, region: Region, op: Any) -> bool:
        self.runner.serve(region, op)
        return True

    def log_event(self, region: Region, event_type: int, data: list[int], note: str = "") -> None:
        kind = EVENT_TYPES[event_type] if 0 <= event_type < len(EVENT_TYPES) else f"type{event_type}"
        ev = {"tick": self.substrate.tick, "region": region.name, "event": kind, "data": data}
        if note:
            ev["note"] = note
        self.events.append(ev)
        if len(self.events) > 10_000:
            del self.events[:5_000]
        if self.telemetry is not None:
            self.telemetry.write(json.dumps({"type": "event", **ev}) + "\n")

    # ---- transactions (nest; a rollback discards the innermost) ---------------------------------
    def transactional(self, region: Region, action: Callable[[], None]) -> None:
        stack = self.txns.get(region.id)
        if stack:
            stack[-1][1].append(action)
        else:
            action()

    def txn_begin(self, region: Region, txn_id: int) -> None:
        stack = self.txns.setdefault(region.id, [])
        if any(t == txn_id for t, _ in stack):
            raise HostError(f"TxnBegin: transaction {txn_id} is already open in region {region.name!r}")
        stack.append((txn_id, []))

    def _txn_top(self, region: Region, txn_id: int, op: str):
        stack = self.txns.get(region.id)
        if not stack:
            raise HostError(f"{op}: no transaction is open in region {region.name!r}")
        if stack[-1][0] != txn_id:
            raise HostError(f"{op}: transaction {txn_id} is not the innermost open one ({stack[-1][0]})")
        return stack

    def txn_commit(self, region: Region, txn_id: int) -> None:
        stack = self._txn_top(region, txn_id, "TxnCommit")
        _, actions = stack.pop()
        if stack:
            stack[-1][1].extend(actions)
        else:
            for a in actions:
                a()

    def txn_rollback(self, region: Region, txn_id: int) -> None:
        self._txn_top(region, txn_id, "TxnRollback").pop()

    def consolidate(self, region: Region, urgency: int) -> None:
        self.store.consolidate(region)
        self.banks.consolidation_pass(self.substrate.tick, urgency)

    # ---- running -------------------------------------------------------------------------------------
    def _prepare(self, r: Region, sample) -> None:
        m = r.machine
        m.pc = 0
        if r.pending_input is not None:
            m.set_input(r.pending_input)
            r.pending_input = None
        elif r.inputs:
            parts = [sample.x if (src == "@env" and sample is not None) else self.region(src).output
                     for src in r.inputs if src != "@env" or sample is not None]
            m.set_input(parts[0] if len(parts) == 1 else np.concatenate(parts) if parts else [])
        tgt = self.target_of.get(r.name)
        if tgt == "@env" and sample is not None:
            m.set_target(sample.target)
        elif tgt and tgt != "@env":
            m.set_target(self.region(tgt).output)
        s = self.substrate
        m.chem.dopamine, m.chem.serotonin, m.chem.norepinephrine, m.chem.gaba = s.chemicals[:4]

    # ---- running: the region runner (host/regionrun.py) does it; these names stay for callers ----
    def _trap(self, r: Region, message: str) -> None:
        self.runner.trap(r, message)

    def _step_region(self, r: Region, fuel: int) -> tuple[str, int]:
        return self.runner.step(r, Budget(fuel, r.name, self.runner.clock, self.runner.deadline))

    def run_region(self, r: Region, nested: bool = False) -> None:
        """Run one region to completion on its current input (REGION_FIRE), on the caller's budget."""
        self.runner.fire(r, lambda x: self._prepare(x, None))

    def tick(self) -> dict[str, Any]:
        if not self.booted:
            self.boot()
        s = self.substrate
        s.advance_tick()
        self.ipc.deliver()
        sample = self.task.sample() if self.task is not None else None
        if sample is not None:
            s.stim[: min(len(s.stim), len(sample.x))] = sample.x[: len(s.stim)]
        live = [r for r in self.regions if r.enabled and not r.halted]
        runner = self.runner
        budgets = {r.id: runner.budget_for(r) for r in live}
        pending = list(live)
        for r in live:
            r.status = STATUS_ACTIVE
        started: set[int] = set()
        guards: dict[int, Any] = {}
        while pending:
            blocked = run_pass(self, pending, sample, budgets, started, guards)
            if not blocked:
                break
            barriers = {r.waiting_barrier for r in blocked}
            if len(barriers) == 1:
                released = self.ipc.release(barriers.pop())
                for r in blocked:
                    if r.id in released:
                        r.waiting_barrier = None
                pending = blocked
            else:   # regions wait at different barriers: nobody can proceed
                for r in blocked:
                    self.ipc.release(r.waiting_barrier)
                    r.waiting_barrier = None
                    self._trap(r, f"region {r.name}: pc {r.interp.pc - 1}: BarrierWait: deadlock: regions wait "
                                  f"at different barriers {sorted(barriers)}")
                pending = []
        result = self.finish_tick(live, sample)
        self.durability.after_tick()
        return result

    def finish_tick(self, live: list[Region], sample: Any,
                    review: Optional[Callable[[], None]] = None) -> dict[str, Any]:
        """The end of every tick, after the regions ran (one process or a rank of many): journal
        each region's run, review temperatures when the lifecycle is due (``review``, default
        :meth:`_review_temperatures`), score, advance the journal's watch, write telemetry."""
        s = self.substrate
        for r in live:
            self.journal.after_run(r, s.tick)
        if self.config.lifecycle_every and s.tick % self.config.lifecycle_every == 0:
            (review or self._review_temperatures)()
        result = self._score(sample)
        self.journal.on_tick(self)
        if self.telemetry is not None:
            self.telemetry.write(json.dumps({"type": "tick", **result}) + "\n")
        return result

    def _review_temperatures(self) -> None:
        """The temperature lifecycle: weights the forward pass keeps using are promoted, unused
        ones demoted (COLD is never touched: consolidation is explicit and one-way)."""
        from ..plasticity.temperature import LifecyclePolicy, review_machine

        hot_uses, warm_uses = self.config.lifecycle_promote
        policy = LifecyclePolicy(promote_at=(hot_uses, warm_uses, None))
        for r in self.regions:
            if r.role == "learning":
                moved = review_machine(r.machine, policy)
                if moved:
                    self.log_event(r, 4, [sum(x.promoted for x in moved.values()),
                                          sum(x.demoted for x in moved.values())], note="temperature review")

    def _score(self, sample) -> dict[str, Any]:
        s = self.substrate
        out: dict[str, Any] = {"tick": s.tick, "chemicals": s.chemicals[:4],
                               "regions": {r.name: {"executed": r.executed, "traps": r.traps,
                                                    "out": r.output.tolist()[:8]} for r in self.regions}}
        if sample is not None and self.task is not None:
            answer = next((r for r in self.regions if self.target_of.get(r.name) == "@env"), None)
            ok = answer is not None and self.task.correct(answer.output, sample.label)
            s.reward, s.punish = (255, 0) if ok else (0, 255)
            self.accuracy_window.append(int(ok))
            if len(self.accuracy_window) > 200:
                self.accuracy_window.pop(0)
            out["correct"] = ok
            out["accuracy"] = sum(self.accuracy_window) / len(self.accuracy_window)
        return out

    def run(self, ticks: int, on_tick: Optional[Callable[[dict[str, Any]], None]] = None) -> list[dict[str, Any]]:
        history = []
        for _ in range(ticks):
            res = self.tick()
            history.append(res)
            if on_tick is not None:
                on_tick(res)
        return history

    # ---- persistence ------------------------------------------------------------------------------------
    def save(self) -> None:
        """Persist every keyed cold register (with temperatures) and every bank, atomically."""
        self.persist_stores()
        self.durability.checkpoint("exit")
        self.log_shutdown()

    def persist_stores(self) -> None:
        """Write every keyed cold register to the weight store and every bank to its file."""
        for r in self.regions:
            for c in r.machine.cold:
                if c is not None and c.key:
                    self.store.save(r, c)
        self.store.flush()
        self.banks.save_all()

    def log_shutdown(self) -> None:
        self.events.append({"tick": self.substrate.tick, "region": "kernel", "event": "shutdown", "data": []})
