"""A brain ticking over several ranks with exactly the results of one process.

:class:`ClusterBrain` wraps a fully loaded :class:`~ternsig.host.brain.Brain` on each rank and
replaces its ``tick`` with the staged one of :mod:`.plan`: the tick's prologue (tick counter,
IPC delivery, the task's sample) and epilogue (journal, temperature review, scoring, telemetry)
run on every rank on identical data; each stage runs the regions this rank executes, in
declaration order, then — for a stage of partitioned regions — one allgather carries their
outputs, counters and traps to every rank. Whether to checkpoint is rank 0's decision (its clock),
broadcast to all; each rank then writes the parts of the regions it holds, rank 0 the kernel part,
and rank 0 publishes one manifest once every rank's parts are on disk.
"""
from __future__ import annotations

from typing import Any, Optional

import numpy as np

from ..errors import HostError
from ..host.brainstate import decode_part, encode_region, region_part_name, restore_region
from ..host.checkpoint import PartRef
from ..host.region import STATUS_ACTIVE
from ..host.statefile import pack, unpack
from .plan import Plan, make_plan


class RankFailed(HostError):
    """A rank could not write its part of a checkpoint; every rank learns it at the gather, so
    rank 0 reports it and the job ends cleanly (no ``MPI_Abort``, whose cleanup can lose the
    failing rank's last stderr line)."""

    def __init__(self, rank: int, message: str):
        self.rank = rank
        super().__init__(message)


class ClusterBrain:
    def __init__(self, brain: Any, comm: Any, plan: Optional[Plan] = None):
        self.brain = brain
        self.comm = comm
        self.rank = comm.rank
        self.plan = plan or make_plan(brain, comm.size)
        self.stage_count = 0          # stages run (for the scale figures)

    # ---- the tick ----------------------------------------------------------------------------------
    def boot(self) -> None:
        self.comm.what = "booting"
        self.brain.boot()

    def tick(self) -> dict[str, Any]:
        b = self.brain
        if not b.booted:
            self.boot()
        s = b.substrate
        s.advance_tick()
        self.comm.what = f"running tick {s.tick}"
        b.ipc.deliver()
        sample = b.task.sample() if b.task is not None else None
        if sample is not None:
            s.stim[: min(len(s.stim), len(sample.x))] = sample.x[: len(s.stim)]
        live = [r for r in b.regions if r.enabled and not r.halted]
        for r in live:
            r.status = STATUS_ACTIVE
        for stage in self.plan.stages(b, live):
            self.stage_count += 1
            mine = stage.regions if stage.replicated else [r for r in stage.regions
                                                          if self.plan.owner[r.id] == self.rank]
            self._run(mine, sample)
            if not stage.replicated and self.comm.size > 1:
                self._exchange(mine)
        result = b.finish_tick(live, sample, self._review_temperatures)
        self._after_tick()
        return result

    def _run(self, regions: list[Any], sample: Any) -> None:
        """This rank's regions of a stage, run as ``Brain.tick`` runs regions that never block
        (host/grouprun.py: the same per-region sequence, regions sharing firmware as groups)."""
        from ..host.grouprun import run_pass

        b = self.brain
        budgets = {r.id: b.runner.budget_for(r) for r in regions}
        blocked = run_pass(b, regions, sample, budgets, set(), {})
        if blocked:                  # the plan replicates every region of a brain with barriers
            raise HostError(f"region {blocked[0].name} blocked at a barrier in a partitioned stage")

    def _exchange(self, mine: list[Any]) -> None:
        """Every rank learns the outputs, counters and traps of the regions the others just ran."""
        rows = [[r.id, np.asarray(r.output, np.int32), r.executed, r.yields, r.traps, r.last_trap, r.status]
                for r in mine]
        b = self.brain
        for rank, data in enumerate(self.comm.allgather(pack(rows))):
            if rank == self.rank:
                continue
            for rid, out, executed, yields, traps, last_trap, status in unpack(data, f"rank {rank}'s outputs"):
                r = b.regions[rid]
                new_traps = traps > r.traps
                r.output, r.executed, r.yields, r.traps, r.last_trap, r.status = (
                    np.array(out, np.int32), executed, yields, traps, last_trap, status)
                if new_traps and b.telemetry is not None:   # the owner logged it; telemetry is rank 0's
                    b.log_event(r, 2, [], note=f"{last_trap} (on rank {rank})")

    def _review_temperatures(self) -> None:
        """``Brain._review_temperatures`` over the learning regions this rank runs."""
        from ..plasticity.temperature import LifecyclePolicy, review_machine

        b = self.brain
        hot_uses, warm_uses = b.config.lifecycle_promote
        policy = LifecyclePolicy(promote_at=(hot_uses, warm_uses, None))
        for r in b.regions:
            if r.role == "learning" and self.plan.runs_on(r, self.rank):
                moved = review_machine(r.machine, policy)
                if moved:
                    b.log_event(r, 4, [sum(x.promoted for x in moved.values()),
                                       sum(x.demoted for x in moved.values())], note="temperature review")

    # ---- checkpoints ---------------------------------------------------------------------------------
    def _after_tick(self) -> None:
        """Rank 0 decides (its clock and policy); every rank follows."""
        d = self.brain.durability
        reason = (d.due() or "") if self.rank == 0 else ""
        if self.comm.size > 1:
            self.comm.what = f"deciding on a checkpoint at tick {self.brain.substrate.tick}"
            reason = self.comm.bcast(reason.encode()).decode()
        if reason:
            try:
                self.checkpoint(reason)
            except OSError as exc:
                d.failures += 1
                d._event("warning", [], f"checkpoint failed on rank {self.rank}: {exc.strerror or exc}")
                raise

    def checkpoint(self, reason: str) -> Optional[Any]:
        """Every rank writes the parts of the regions it holds (rank 0: the replicated ones and the
        kernel) into one file of its own, then rank 0 publishes one manifest naming all of them."""
        b, d = self.brain, self.brain.durability
        tick = b.substrate.tick
        d._mark(tick)
        if d.last_id == tick:
            return None
        self.comm.what = f"writing checkpoint {tick}"
        try:
            refs = d.write_parts(tick, regions=self.plan.owned(b.regions, self.rank), kernel=self.rank == 0,
                                 file=f"rank{self.rank}")
            mine = {"parts": [p.to_json() for p in refs]}
        except OSError as exc:             # every rank must still reach the gather: report, don't vanish
            mine = {"error": str(exc)}
        gathered = self.comm.gather(pack(mine))
        m = None
        failure = ""
        if self.rank == 0:
            if gathered is None:
                raise HostError("checkpoint: rank 0 received no part lists")
            docs = [unpack(data, "checkpoint part list") for data in gathered]
            failed = [(r, doc["error"]) for r, doc in enumerate(docs) if "error" in doc]
            if failed:
                failure = f"{failed[0][0]}:{failed[0][1]}"
        if self.comm.size > 1:
            failure = self.comm.bcast(failure.encode()).decode()
        if failure:
            d.failures += 1
            rank, _, message = failure.partition(":")
            raise RankFailed(int(rank), message)
        if self.rank == 0:
            parts = [PartRef.from_json(p) for doc in docs for p in doc["parts"]]
            order = {region_part_name(r.name): r.id for r in b.regions}
            parts.sort(key=lambda p: order.get(p.name, -1))
            m = d.store.publish(tick, tick, parts, {"brain": b.config.name, "reason": reason,
                                                    "regions": [r.name for r in b.regions],
                                                    "ranks": self.comm.size})
            d.written += 1
            d._event("checkpoint", [tick, sum(p.size for p in parts)], f"checkpoint {tick} ({reason})")
            if d.on_publish is not None:
                d.on_publish(m, reason)
        if self.comm.size > 1:       # nobody runs on (and may die) before the commit is on disk
            self.comm.bcast(b"")
        d.last_id = tick
        return m

    def save(self) -> None:
        """What ``Brain.save`` does, across ranks: rank 0 first receives the partitioned regions'
        state from their owners (the weight store and banks it saves span every region), then
        every rank takes part in the exit checkpoint."""
        b = self.brain
        self.comm.what = "saving on exit"
        mine = [[r.id, encode_region(b, r)] for r in b.regions if self.plan.owner[r.id] == self.rank]
        gathered = self.comm.gather(pack(mine)) if self.comm.size > 1 else None
        if self.rank == 0:
            for rank, data in enumerate(gathered or []):
                if rank == 0:
                    continue
                for rid, part in unpack(data, f"rank {rank}'s regions"):
                    r = b.regions[rid]
                    restore_region(b, r, decode_part(part, region_part_name(r.name)), b.dropped)
            b.persist_stores()
        self.checkpoint("exit")
        b.log_shutdown()
