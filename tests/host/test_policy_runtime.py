"""Run-time enforcement of seed 003 by the brain: roles at load, layer 4 weight rules while running."""
from __future__ import annotations

import numpy as np
import pytest

from ternsig.errors import ValidationError

from tests.host.conftest import firmware, make_brain

LEARNER_REGS = """
C0: ternary[1, 4]
H0: i32[4]
H1: i32[1]
"""
# pressure then commit: with dopamine high enough the weights move
LEARN = """
load_input H0
set H1, 1
learning.mastery_update C0, H0, H1, 255
learning.mastery_commit C0
halt
"""
# apply_magnitude writes weights without consulting dopamine
ROLLBACK = """
load_input H0
learning.checkpoint_weights C0
ternary.apply_magnitude C0, H0
halt
"""


def _learner(tmp_path, src=LEARN, temps=None, dopamine=200):
    b = make_brain(tmp_path, {"l": (firmware(src, LEARNER_REGS), "role=learning input=@env")})
    c = b.region("l").machine.cold[0]
    if temps is not None:
        c.temps = np.array(temps, np.uint8)
        c.touch()
    b.substrate.chemicals[0] = dopamine
    return b, c


def _tick_with_input(b, x):
    b.region("l").pending_input = np.array(x, np.int32)
    b.tick()


def test_a_runtime_region_with_a_learning_instruction_is_refused_at_load(tmp_path):
    with pytest.raises(ValidationError, match="learning"):
        make_brain(tmp_path, {"r": (firmware(LEARN, LEARNER_REGS), "role=runtime")})


def test_only_the_regulation_role_may_contain_chemical_writes(tmp_path):
    src = firmware("set H0, 9\nneuro.chem_set H0, 0\nhalt", "H0: i32[1]")
    with pytest.raises(ValidationError, match="chemical"):
        make_brain(tmp_path / "a", {"r": (src, "role=learning")})
    make_brain(tmp_path / "b", {"r": (src, "role=regulation")})


def test_learning_with_dopamine_changes_hot_weights(tmp_path):
    b, c = _learner(tmp_path)
    _tick_with_input(b, [100, 100, 100, 100])
    assert b.region("l").traps == 0 and c.mag.any()


def test_weight_writes_below_the_dopamine_threshold_are_reverted(tmp_path):
    b, c = _learner(tmp_path, src=ROLLBACK, dopamine=40)
    _tick_with_input(b, [7, 7, 7, 7])
    r = b.region("l")
    assert not c.mag.any() and r.traps == 1 and "below the learning threshold" in r.last_trap


def test_learning_may_not_write_cool_or_cold_weights(tmp_path):
    b, c = _learner(tmp_path, src=ROLLBACK, temps=[0, 1, 2, 3])
    _tick_with_input(b, [9, 9, 9, 9])
    r = b.region("l")
    assert c.mag.tolist() == [9, 9, 0, 0]              # HOT and WARM changed, COOL and COLD were reverted
    assert r.traps == 1 and "read-only" in r.last_trap


def test_a_weight_guard_trap_names_the_pc_and_instruction_that_wrote(tmp_path):
    """Before: the guard ran after the run and its trap said neither where nor which instruction."""
    b, c = _learner(tmp_path, src=ROLLBACK + "\n", temps=[0, 1, 2, 3])
    _tick_with_input(b, [9, 9, 9, 9])
    msg = b.region("l").last_trap
    assert msg.startswith("region l: pc 2 (0002:") and "policy: C0: 2 weight write(s) reverted" in msg


def test_the_guard_stops_the_run_at_the_bad_write(tmp_path):
    src = "load_input H0\nternary.apply_magnitude C0, H0\nset H1, 77\nhalt"
    b, c = _learner(tmp_path, src=src, dopamine=40)
    _tick_with_input(b, [5, 5, 5, 5])
    m = b.region("l").machine
    assert not c.mag.any() and m.hot[1].data.tolist() == [0]      # reverted, and `set` never ran
    assert "pc 1 (" in b.region("l").last_trap and b.region("l").traps == 1


def test_a_host_fulfilled_weight_write_is_guarded_at_its_pc(tmp_path):
    """rollback_weights without an in-memory copy asks the host to restore the saved checkpoint;
    the guard checks that write when the host is done and names the yielding instruction."""
    b = make_brain(tmp_path, {"l": (firmware("learning.rollback_weights C0\nhalt", LEARNER_REGS), "role=learning")})
    r = b.region("l")
    saved = r.machine.cold[0].copy()
    saved.pol[:], saved.mag[:] = 1, 7
    b.store.checkpoint_save(r, 0, saved)
    b.substrate.chemicals[0] = 40                                  # below the learning threshold
    b.tick()
    assert not r.machine.cold[0].mag.any(), "the restore was not reverted"
    assert r.traps == 1 and r.last_trap.startswith("region l: pc 0 (0004:") and "policy: C0" in r.last_trap
