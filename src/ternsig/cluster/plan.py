"""Which rank runs which region, and in which stages a tick runs, so that N ranks compute exactly
what one process computes.

Every rank holds the whole brain (firmware, kernel state: substrate, banks, IPC, journal, weight
store). Regions come in two kinds, decided from the instruction table (what DomainOps a firmware
can yield) and the brain's configuration:

* **partitioned** — the firmware touches only its own registers and output and *reads* kernel
  state (chemicals, stimulation, fields, valence, tick...). Such a region runs on one rank, its
  owner; its output and counters travel to the other ranks after each stage (one allgather).
* **replicated** — the firmware can change kernel state (chemical writes of the regulation region,
  bank requests, IPC messages, lifecycle and orchestration ops, structural edits, spiking
  populations). It runs on *every* rank: same inputs, same kernel, same results, so kernel state
  stays identical everywhere with no messages at all. Rank 0 writes it to checkpoints.

A brain that can wait at barriers or fire regions (``BarrierWait``, ``RegionFire``) makes every
region replicated: a barrier interleaves the second half of one region with the first halves of
all others, and a fired region runs inside its caller, wherever that is.

Stages. One process runs regions in declaration order; a region reads the outputs its inputs
produced *this* tick when they are declared before it, the previous tick's otherwise. The plan
keeps exactly that: a replicated region is a full stage boundary (everything declared before it
has run and been exchanged), and between two replicated regions partitioned regions are levelled
— level = 1 + the highest level of an earlier-declared input or target, and never below the level
of an earlier-declared region that reads it (so that region still sees the old output). Regions
of one level run in parallel on their owners; an allgather ends each level.

Ownership is static (a region's registers live on its owner): each level's partitioned regions
are split into contiguous, work-balanced blocks over the ranks, so instance *i* of one array and
instance *i* of the next tend to share a rank.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable, Sequence

#: DomainOps a partitioned region may yield: they read kernel state that only replicated regions
#: (or the tick itself) write, or they keep state that belongs to the region (its checkpoint part)
LOCAL_OPS = frozenset({
    "ChemRead", "FieldRead", "FieldSliceRead", "StimRead", "ValenceRead", "ConvRead", "PhaseRead",
    "TickRead", "LevelRead", "LateralInhibit", "ExhaustionBoost", "NoveltyScore", "CoActivation",
    "CoActivationRead", "CoActivationReset",
})
#: DomainOps that make every region of the brain replicated (see the module doc)
GLOBAL_OPS = frozenset({"BarrierWait", "RegionFire"})


def firmware_ops(program: Any, registry: Any) -> tuple[frozenset[str], bool]:
    """(DomainOps the program may yield, whether it yields something unnamed)."""
    ops: set[str] = set()
    unnamed = False
    for ins in program.instructions:
        spec = registry.spec(ins.ext_id, ins.opcode)
        if spec is None or not spec.yields:
            continue
        if spec.yields_ops:
            ops.update(spec.yields_ops)
        else:
            unnamed = True
    return frozenset(ops), unnamed


def why_replicated(brain: Any, region: Any) -> str:
    """Why ``region`` must run on every rank ('' when it can be partitioned)."""
    ops, unnamed = firmware_ops(region.program, brain.registry)
    if unnamed:
        return "yields an unnamed DomainOp"
    extra = sorted(ops - LOCAL_OPS)
    if extra:
        return "yields " + ", ".join(extra)
    if brain.journal.targets(region.program):
        return "makes structural changes (journaled)"
    if region.name in brain.config.spiking:
        return "drives a spiking population"
    return ""


def region_work(region: Any) -> int:
    """The work a region declares per tick: ``work=`` when given, else its instruction budget."""
    w = getattr(region, "work", None)
    return int(w) if w else int(region.budget)


def deps(brain: Any, region: Any) -> list[str]:
    """Names of the regions whose output ``region`` reads when it starts (inputs and target)."""
    out = [s for s in region.inputs if s != "@env"]
    tgt = brain.target_of.get(region.name)
    if tgt and tgt != "@env":
        out.append(tgt)
    return out


@dataclass
class Stage:
    replicated: bool
    regions: list[Any]          # in declaration order


def schedule(brain: Any, live: Sequence[Any], local: dict[int, bool]) -> list[Stage]:
    """The stages of one tick over the ``live`` regions (declaration order); see the module doc."""
    stages: list[Stage] = []
    level: dict[int, int] = {}
    floor: dict[str, int] = {}            # region name -> lowest level it may take (earlier readers)
    segment: list[Any] = []
    live_local = {r.name for r in live if local[r.id]}

    def close() -> None:
        if segment:
            for lv in range(max(level[r.id] for r in segment) + 1):
                stages.append(Stage(False, [r for r in segment if level[r.id] == lv]))
        segment.clear()
        level.clear()
        floor.clear()

    for r in live:
        if not local[r.id]:
            close()
            if stages and stages[-1].replicated:
                stages[-1].regions.append(r)
            else:
                stages.append(Stage(True, [r]))
            continue
        lv = floor.get(r.name, 0)
        later = []
        for d in deps(brain, r):
            q = brain._by_name.get(d) if hasattr(brain, "_by_name") else None
            if q is None or q.name not in live_local:
                continue
            if q.id in level:
                lv = max(lv, level[q.id] + 1)
            elif q.id > r.id:
                later.append(q.name)
        level[r.id] = lv
        for name in later:
            floor[name] = max(floor.get(name, 0), lv)
        segment.append(r)
    close()
    return stages


def _blocks(items: list[Any], size: int) -> list[int]:
    """Owner of each item: contiguous blocks with balanced cumulative work."""
    total = sum(region_work(r) for r in items) or 1
    owners, acc = [], 0
    for r in items:
        w = region_work(r)
        owners.append(min(size - 1, (2 * acc + w) * size // (2 * total)))   # block of the item's midpoint
        acc += w
    return owners


@dataclass
class Plan:
    size: int
    local: dict[int, bool]                    # region id -> partitioned?
    owner: dict[int, int]                     # region id -> rank (-1: every rank)
    why: dict[int, str] = field(default_factory=dict)   # region id -> why it is replicated
    everything_replicated: str = ""           # why the whole brain is replicated ('' when not)
    _stages: dict[tuple[int, ...], list[Stage]] = field(default_factory=dict)

    def stages(self, brain: Any, live: Sequence[Any]) -> list[Stage]:
        key = tuple(r.id for r in live)
        st = self._stages.get(key)
        if st is None:
            st = self._stages[key] = schedule(brain, live, self.local)
        return st

    def owned(self, regions: Iterable[Any], rank: int) -> list[Any]:
        """Regions whose state ``rank`` holds (replicated ones: rank 0)."""
        return [r for r in regions if self.owner[r.id] == rank or (self.owner[r.id] < 0 and rank == 0)]

    def runs_on(self, r: Any, rank: int) -> bool:
        return self.owner[r.id] < 0 or self.owner[r.id] == rank

    def summary(self) -> str:
        counts = [0] * self.size
        work = [0] * self.size
        for rid, o in self.owner.items():
            if o >= 0:
                counts[o] += 1
        rep = sum(1 for o in self.owner.values() if o < 0)
        return (f"{self.size} rank(s); {len(self.owner) - rep} partitioned region(s) "
                f"(per rank: {', '.join(map(str, counts))}), {rep} replicated on every rank"
                + (f" ({self.everything_replicated})" if self.everything_replicated else ""))


def make_plan(brain: Any, size: int) -> Plan:
    """Classify every region and assign owners for ``size`` ranks (deterministic: depends only on
    the brain's configuration and firmware)."""
    if size < 1:
        raise ValueError("size must be at least 1")
    why = {r.id: why_replicated(brain, r) for r in brain.regions}
    every = ""
    for r in brain.regions:
        ops, _ = firmware_ops(r.program, brain.registry)
        hit = sorted(ops & GLOBAL_OPS)
        if hit:
            every = f"region {r.name} yields {', '.join(hit)}"
            break
    local = {r.id: not every and not why[r.id] for r in brain.regions}
    owner = {r.id: -1 for r in brain.regions}
    for st in schedule(brain, brain.regions, local):
        if not st.replicated:
            for r, o in zip(st.regions, _blocks(st.regions, size)):
                owner[r.id] = o
    return Plan(size, local, owner, {k: v for k, v in why.items() if v}, every)
