"""The cluster plan: which regions are partitioned, the stages of a tick, balanced owners."""
from __future__ import annotations

from ternsig.cluster.plan import LOCAL_OPS, make_plan, schedule
from ternsig.host.brain import Brain
from tests.cluster.brains import array_brain, example_brain


def _names(stages):
    return [("replicated" if s.replicated else "partitioned", [r.name for r in s.regions]) for s in stages]


def test_example_brain_partitions_compute_and_replicates_kernel_writers(tmp_path):
    b = Brain(example_brain(tmp_path))
    plan = make_plan(b, 2)
    kinds = {r.name: plan.local[r.id] for r in b.regions}
    assert kinds == {"sensory": True, "memory": False, "learner": True, "regulation": False}
    why = {b.regions[i].name: w for i, w in plan.why.items()}
    assert why["memory"].startswith("yields Bank") and "ChemSet" in why["regulation"]
    # declaration order kept: memory (bank) and regulation (chemicals) are stage boundaries
    assert _names(plan.stages(b, b.regions)) == [("partitioned", ["sensory"]), ("replicated", ["memory"]),
                                                 ("partitioned", ["learner"]), ("replicated", ["regulation"])]
    assert plan.owner[b.region("memory").id] == -1 and plan.owner[b.region("sensory").id] in (0, 1)


def test_array_levels_and_balanced_contiguous_owners(tmp_path):
    b = Brain(array_brain(tmp_path, 4))
    plan = make_plan(b, 2)
    stages = _names(plan.stages(b, b.regions))
    assert stages[0] == ("partitioned", [f"sensory[{i}]" for i in range(4)])
    assert stages[1] == ("replicated", ["memory"])
    assert stages[2] == ("partitioned", [f"learner[{i}]" for i in range(4)])
    owners = [plan.owner[b.region(f"learner[{i}]").id] for i in range(4)]
    assert owners == [0, 0, 1, 1]
    assert [plan.owner[b.region(f"sensory[{i}]").id] for i in range(4)] == owners
    assert "8 partitioned region(s) (per rank: 4, 4), 2 replicated" in plan.summary()
    three = make_plan(b, 3)
    assert sorted(three.owner[b.region(f"learner[{i}]").id] for i in range(4)) == [0, 1, 1, 2]


def test_a_region_reading_an_earlier_one_waits_a_level_and_later_ones_wait_for_their_readers(tmp_path):
    b = Brain(array_brain(tmp_path, 2))
    s0, s1, l0, l1 = (b.region(n) for n in ("sensory[0]", "sensory[1]", "learner[0]", "learner[1]"))
    local = {r.id: True for r in b.regions}
    # l0 reads s0 (declared earlier): next level; s1 reads l1's *previous* output (declared later):
    # l1 may not run before s1 has read it, whatever l1's own inputs say
    s1.inputs = ["learner[1]"]
    l1.inputs = []
    st = schedule(b, [s0, s1, l0, l1], local)
    assert _names(st) == [("partitioned", ["sensory[0]", "sensory[1]", "learner[1]"]),
                          ("partitioned", ["learner[0]"])]


def test_barriers_or_fired_regions_replicate_every_region(tmp_path):
    d = example_brain(tmp_path)
    (d / "sensory.ternsig").write_text((d / "sensory.ternsig").read_text()
                                       .replace(".registers", ".requires\n    ipc 0x0009\n\n.registers")
                                       .replace("    halt", "    ipc.barrier_wait 1\n    halt"))
    b = Brain(d)
    plan = make_plan(b, 4)
    assert plan.everything_replicated == "region sensory yields BarrierWait"
    assert all(o == -1 for o in plan.owner.values())
    assert len(plan.stages(b, b.regions)) == 1


def test_local_ops_only_read_kernel_state():
    # a partitioned region may not write anything another rank would have to see
    writers = {"ChemSet", "ChemInject", "FieldWrite", "FieldSliceWrite", "SendSignal", "BankWrite", "StoreWeights",
               "HaltRegion", "RegionEnable", "RouteInput", "MailboxPop", "RecvSignal", "AtomicCas"}
    assert not writers & LOCAL_OPS
