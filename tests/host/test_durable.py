"""Brain checkpoints end to end: what survives a restart with no clean exit, triggers under a
driven clock, restarts after structural change or firmware edits."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from ternsig.errors import AssemblyError
from ternsig.host.brain import Brain
from ternsig.host.durable import CheckpointPolicy

from tests.host.conftest import brain_dir, firmware, hot

COUNTER = firmware("lifecycle.tick_read H0\nstore_output H0\nhalt", 'H0: i32[1]\nC0: ternary[2, 2] key="r.w"')


class Clock:
    def __init__(self) -> None:
        self.t = 0.0

    def __call__(self) -> float:
        return self.t


def open_brain(root: Path, clock=None, policy=None) -> Brain:
    b = Brain(root / "brain", state_dir=root / "state", clock=clock, checkpoint=policy)
    b.boot()
    return b


def test_weights_tick_and_banks_survive_a_kill_without_a_clean_exit(root):
    brain_dir(root, {"r": COUNTER}, config="bank r 0=mem\ncheckpoint every=1")
    b = open_brain(root)
    for _ in range(3):
        b.tick()
    c = b.region("r").machine.cold[0]
    c.pol[:] = [1, -1, 0, 1]
    c.mag[:] = [9, 8, 0, 7]
    c.temps = np.array([0, 1, 2, 3], np.uint8)
    b.banks.get("mem").insert(np.arange(64, dtype=np.int32) % 5, 3)
    b.tick()                                            # tick 4 is checkpointed; no save(), no exit
    b2 = open_brain(root)
    assert b2.substrate.tick == 4 and b2.durability.report.checkpoint == 4
    c2 = b2.region("r").machine.cold[0]
    assert c2.pol.tolist() == [1, -1, 0, 1] and c2.mag.tolist() == [9, 8, 0, 7] and c2.temps.tolist() == [0, 1, 2, 3]
    assert c2.key == "r.w" and len(b2.banks.get("mem")) == 1 and b2.dropped == []
    b2.tick()
    assert hot(b2, "r", 0) == [5]


def test_periodic_triggers_follow_ticks_and_the_injected_clock(root):
    brain_dir(root, {"r": COUNTER})
    clock = Clock()
    b = open_brain(root, clock, CheckpointPolicy(every=3, seconds=0, keep=10))
    for _ in range(7):
        b.tick()
    assert b.durability.store.ids() == [3, 6]
    b2 = open_brain(root, clock, CheckpointPolicy(every=0, seconds=1.0, keep=10))
    for _ in range(6):
        clock.t += 0.4
        b2.tick()
    assert b2.durability.store.ids() == [3, 6, 9, 12]    # 1.2 s after the restore, then 1.2 s later


def test_a_save_request_checkpoints_at_the_next_tick_boundary_at_most_every_min_seconds(root):
    saver = firmware("lifecycle.save_thermo C0\nhalt", 'C0: ternary[2, 2] key="r.w"')
    brain_dir(root, {"r": saver})
    clock = Clock()
    b = open_brain(root, clock, CheckpointPolicy(every=0, seconds=0, min_seconds=0.5, keep=10))
    for _ in range(6):
        clock.t += 0.25
        b.tick()
    assert b.durability.store.ids() == [2, 4, 6]


def test_keep_bounds_the_checkpoints_on_disk(root):
    brain_dir(root, {"r": COUNTER}, config="checkpoint every=1 keep=2 seconds=0")
    b = open_brain(root)
    for _ in range(5):
        b.tick()
    assert b.durability.store.ids() == [4, 5]
    assert [e["data"][0] for e in b.events if e["event"] == "checkpoint"] == [1, 2, 3, 4, 5]


def test_a_grown_register_is_restored_with_its_shape(root):
    # an evolutionary region may grow C0 up to twice its first size (the journal's layer-2 bound)
    grower = firmware("grow_neuron C0, 1, 0\nlifecycle.save_thermo C0\nhalt", 'C0: ternary[4, 2] key="r.w"')
    brain_dir(root, {"r": (grower, "role=evolutionary")}, config="checkpoint every=1")
    b = open_brain(root)
    b.tick()
    b.tick()
    assert b.region("r").machine.cold[0].shape == (6, 2)
    b.save()
    b2 = open_brain(root)                               # the thermogram holds 12 weights, C0 declares 8
    assert b2.region("r").machine.cold[0].shape == (6, 2) and b2.dropped == []
    b2.tick()
    assert b2.region("r").machine.cold[0].shape == (7, 2) and b2.region("r").traps == 0


def test_after_a_firmware_edit_the_brain_starts_and_reports_what_it_dropped(root):
    regs = 'C0: ternary[2, 2] key="r.w"\nC1: ternary[3] key="r.keep"\nH0: i32[1]'
    brain_dir(root, {"r": firmware("halt", regs), "old": firmware("halt", "H0: i32[2]")}, config="checkpoint every=1")
    b = open_brain(root)
    b.region("r").machine.cold[1].pol[:] = [1, 1, -1]
    b.region("r").machine.cold[1].mag[:] = [5, 6, 7]
    b.tick()
    edited = 'C0: ternary[3, 2] key="r.w"\nC2: ternary[3] key="r.keep"\nH0: i32[1]'
    brain_dir(root, {"r": firmware("halt", edited)})
    boot = (root / "brain" / "boot.ternsig").read_text()
    assert "region old" not in boot
    b2 = open_brain(root)
    r = b2.region("r").machine
    assert r.cold[0].shape == (3, 2) and not r.cold[0].mag.any()
    assert r.cold[2].pol.tolist() == [1, 1, -1] and r.cold[2].mag.tolist() == [5, 6, 7]   # moved, kept by key
    assert any("r.C0 (key r.w): saved shape [2, 2] does not fit the declared [3, 2]" in d for d in b2.dropped)
    assert any("region.old: the brain no longer has this region" in d for d in b2.dropped)
    assert len(b2.dropped) == 2
    b2.tick()


def test_dynamic_registers_come_back_with_their_shapes_and_contents(root):
    prog = "arch.alloc_dynamic H0, 0, 0, 3\narch.alloc_dynamic H1, 1, 0, 6\nhalt"
    brain_dir(root, {"r": (firmware(prog, "H0: i32[1]\nH1: i32[1]"), "role=test")})   # boot-layer ops
    b = open_brain(root)
    b.tick()
    m = b.region("r").machine
    m.hot[63].data[:] = [4, 5, 6]
    m.cold[63].pol[:] = 1
    m.cold[63].mag[:] = 3
    dyn = set(b.region("r").dyn_allocated)
    assert len(dyn) == 2
    b.save()
    b2 = open_brain(root)
    m2 = b2.region("r").machine
    assert b2.region("r").dyn_allocated == dyn and b2.dropped == []
    assert m2.hot[63].data.tolist() == [4, 5, 6] and m2.cold[63].shape == (6,) and m2.cold[63].mag.tolist() == [3] * 6


def test_a_bad_checkpoint_line_is_an_assembly_error(root):
    brain_dir(root, {"r": COUNTER}, config="checkpoint often=1")
    with pytest.raises(AssemblyError, match="unknown option 'often'"):
        open_brain(root)


def test_a_checkpoint_that_cannot_be_written_is_reported_and_the_brain_runs_on(root, monkeypatch):
    brain_dir(root, {"r": COUNTER}, config="checkpoint every=1")
    b = open_brain(root)

    def full(*a, **k):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(b.durability.store, "write_bundle", full)
    b.tick()
    b.tick()
    assert b.durability.failures == 2 and b.substrate.tick == 2
    assert b.events[-1]["note"] == "checkpoint failed: No space left on device"
    monkeypatch.undo()
    b.tick()
    assert b.durability.store.ids() == [3]


def test_region_names_that_are_not_plain_identifiers_still_checkpoint(root):
    from ternsig.host.brainstate import region_part_name
    from ternsig.host.checkpoint import check_part_name

    for name in ("a/b", "..", "x" * 300, "é"):
        assert check_part_name(region_part_name(name))
    assert region_part_name("learner") == "region.learner"


def test_a_hand_made_region_part_that_lies_is_a_format_error(root):
    from ternsig.errors import FormatError
    from ternsig.host.brainstate import encode_region, restore_region
    from ternsig.host.statefile import pack, unpack

    brain_dir(root, {"r": COUNTER})
    b = open_brain(root)
    good = unpack(encode_region(b, b.region("r")))
    for mutate in (lambda st: st["cold"][0].update(pol=np.zeros(3, np.int8)),
                   lambda st: st["cold"][0].update(i=99),
                   lambda st: st["cold"][0].update(pressure="x"),
                   lambda st: st.update(param=[0]),
                   lambda st: st.update(orchestration=[[-1, True, None, None]]),
                   lambda st: st.pop("hot")):
        st = unpack(pack(good))
        mutate(st)
        with pytest.raises(FormatError):
            restore_region(b, b.region("r"), st, [])
