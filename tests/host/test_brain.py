"""The brain as a whole: pool ops refused, dynamic registers from a bounded pool, bad DomainOp input
trapped (naming region, pc and op) while the other regions run on and nothing persisted is
corrupted, instruction budgets stopping stuck regions, and the example brain end to end."""
from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from tests.paths import EXAMPLES
from ternsig.extensions.pool import TABLE as POOL
from ternsig.host.brain import Brain
from ternsig.isa.encoding import COLD_REGS, HOT_REGS, make_reg

from tests.host.conftest import (assert_clean, assert_trapped, firmware, hot, make_brain, reopen, role_for,
                                 set_hot)

OK = firmware("lifecycle.tick_read H0\nstore_output H0\nhalt")
EXAMPLE = EXAMPLES / "brain"

POOL_OPS = {"pool_tick": "H0", "pool_save": "", "pool_load": "", "pool_inject": "H0, 0, 0, 1",
            "pool_read_output": "H0, 0, 0, 1", "pool_read_stats": "H0", "pool_modulate": "H0",
            "pool_prune_dead": "H0", "pool_synaptogenesis": "H0", "pool_inject_direct": "H0, 0, 0, 5",
            "pool_read_output_direct": "H0, 0, 0, 5"}


def test_every_pool_opcode_is_listed():
    assert {s.mnemonic for s in POOL.specs} == set(POOL_OPS)


@pytest.mark.parametrize("mnemonic", sorted(POOL_OPS))
def test_pool_ops_are_fulfilled_and_the_brain_runs_on(root, mnemonic):
    prog = f"set H0, 1\npool.{mnemonic} {POOL_OPS[mnemonic]}".rstrip(" ,") + "\nhalt"
    b = make_brain(root, {"pool": (firmware(prog), f"role={role_for('pool.' + mnemonic)}"), "ok": OK})
    b.tick()
    b.tick()
    if mnemonic == "pool_load":          # nothing saved yet: a clear trap, every tick, never wedged
        assert_trapped(b, "pool", "pc 1", "PoolLoad", "no saved pool")
        assert b.region("pool").traps == 2
    else:
        assert_clean(b, "pool")
    assert_clean(b, "ok")
    assert b.region("ok").output.tolist() == [2]


# ---- dynamic registers ---------------------------------------------------------------------------------

def test_alloc_dynamic_hands_out_free_registers_and_free_returns_them(root):
    prog = """
        arch.alloc_dynamic H0, 0, 0, 4
        arch.alloc_dynamic H1, 0, 0, 2
        arch.alloc_dynamic H2, 1, 0, 6
        arch.free_dynamic H62
        halt
    """
    b = make_brain(root, {"r": (firmware(prog, "H0: i32[1]\nH1: i32[1]\nH2: i32[1]\nH63: i32[1]"),
                                f"role={role_for('arch.alloc_dynamic')}")})
    b.tick()
    assert_clean(b)
    m = b.region("r").machine
    assert hot(b, "r", 0) == [make_reg(HOT_REGS, 62)]          # H63 is declared: skipped
    assert hot(b, "r", 1) == [make_reg(HOT_REGS, 61)]
    assert hot(b, "r", 2) == [make_reg(COLD_REGS, 63)]
    assert m.hot[62] is None                                    # freed again
    assert m.hot[61].data.tolist() == [0, 0] and m.cold[63].shape == (6,)
    assert b.region("r").dyn_allocated == {make_reg(HOT_REGS, 61), make_reg(COLD_REGS, 63)}


def test_dynamic_registers_are_bounded_by_the_regions_pool(root):
    b = make_brain(root, {"r": (firmware("loop 9\narch.alloc_dynamic H0, 0, 0, 1\nend_loop\nhalt"),
                                f"role={role_for('arch.alloc_dynamic')}"), "ok": OK})
    b.tick()
    assert_trapped(b, "r", "AllocRegister", "already holds 8")
    assert len(b.region("r").dyn_allocated) == 8
    assert_clean(b, "ok")


@pytest.mark.parametrize("prog,what", [("arch.alloc_dynamic H0, 4, 0, 1", "bank 4 out of range"),
                                       ("arch.free_dynamic H5", "was not allocated dynamically")])
def test_dynamic_register_misuse_traps(root, prog, what):
    b = make_brain(root, {"r": (firmware(prog + "\nhalt", "H5: i32[1]"), f"role={role_for('arch.alloc_dynamic')}")})
    b.tick()
    assert_trapped(b, "r", "pc 0", what)


# ---- bad DomainOp input ------------------------------------------------------------------------------

BAD = [
    ("neuro.chem_read H0, 9", "ChemRead", "chemical id 9 out of range"),
    ("neuro.field_read H0, 12", "FieldRead", "field id 12 out of range"),
    ("neuro.field_slice_read H0, 0, 99", "FieldSliceRead", "slice 99 out of range"),
    ("neuro.field_write H40, 0", "FieldWrite", "H40 is not allocated"),
    ("neuro.chem_read C0, 0", "ChemRead", "is not a hot register"),
    ("neuro.lateral_inhibit H41, 3", "LateralInhibit", "H41 is not allocated"),
    ("lifecycle.save_thermo H0", "SaveThermo", "is not a cold register"),
    ("lifecycle.save_thermo C9", "SaveThermo", "C9 is not allocated"),
    ("lifecycle.log_event H40, 0", "LogEvent", "H40 is not allocated"),
    ("lifecycle.halt_region 50", "HaltRegion", "region id 50 out of range"),
    ("lifecycle.phase_write H40", "PhaseWrite", "H40 is not allocated"),
    ("ipc.recv_signal H0, 99", "RecvSignal", "region id 99 out of range"),
    ("orchestration.region_fire H0, 77", "RegionFire", "region id 77 out of range"),
]


@pytest.mark.parametrize("ins,op,what", BAD)
def test_bad_domainop_input_traps_and_nothing_persisted_is_corrupted(root, ins, op, what):
    keeper = firmware("lifecycle.save_thermo C0\nhalt", 'C0: ternary[2, 2] key="keeper.w"')
    b = make_brain(root, {"keeper": (keeper, "role=test"),
                          "bad": (firmware(f"{ins}\nhalt"), f"role={role_for(ins.split()[0])}"), "ok": OK})
    c = b.region("keeper").machine.cold[0]
    c.pol[:], c.mag[:] = [1, -1, 0, 1], [9, 8, 0, 7]
    c.touch()
    b.tick()
    b.save()
    before = (root / "state" / "thermo" / "weights.thermo").read_bytes()
    b.tick()
    assert_trapped(b, "bad", "pc 0", op, what)
    assert b.region("bad").traps == 2
    assert_clean(b, "keeper", "ok")
    assert b.region("ok").output.tolist() == [2]
    b.save()
    b2 = reopen(root)                                     # the store still loads, with the weights
    c2 = b2.region("keeper").machine.cold[0]
    assert (c2.pol.astype(int) * c2.mag).tolist() == [9, -8, 0, 7]
    assert len(before) > 0


# ---- instruction budget ------------------------------------------------------------------------------------

@pytest.mark.parametrize("body", ["spin:\njump spin", "spin:\nlifecycle.tick_read H0\njump spin"])
def test_a_region_stuck_in_a_loop_is_stopped_by_its_budget(root, body):
    b = make_brain(root, {"spin": (firmware(body), "budget=1000"), "ok": OK})
    for t in (1, 2, 3):
        b.tick()
        assert b.region("spin").executed == 1000 * t              # exactly its budget, every tick
        assert b.region("ok").output.tolist() == [t]
    msg = assert_trapped(b, "spin")
    assert "budget" in msg or "fuel exhausted" in msg
    assert b.region("spin").traps == 3
    assert_clean(b, "ok")


# ---- the example brain ---------------------------------------------------------------------------------------

def test_example_brain_runs_learns_and_persists(tmp_path):
    d = tmp_path / "brain"
    shutil.copytree(EXAMPLE, d)
    b = Brain(d, state_dir=tmp_path / "state")
    hist = b.run(400)
    assert all(r.traps == 0 for r in b.regions), [r.last_trap for r in b.regions]
    assert all(r.yields > 0 for r in b.regions if r.name in ("memory", "regulation"))
    assert hist[-1]["accuracy"] > 0.5                       # well above chance (0.25)
    assert 0 < len(b.banks.get("episodic")) <= 4096
    b.save()
    learner = b.region("learner").machine
    b2 = Brain(d, state_dir=tmp_path / "state")
    b2.boot()
    for i in range(4):
        assert np.array_equal(b2.region("learner").machine.cold[i].mag, learner.cold[i].mag)
    assert len(b2.banks.get("episodic")) == len(b.banks.get("episodic"))


def test_write_prefix_saturates_on_the_fast_path_and_the_array_path():
    from ternsig.host.regio import write_prefix
    from ternsig.vm.state import HotBuffer, Machine

    m = Machine()
    m.hot[0] = HotBuffer(np.zeros(3, np.int32), (3,))
    write_prefix(m, "T", make_reg(HOT_REGS, 0), [2**40, -2**40])            # small list: fast path
    assert m.hot[0].data.tolist() == [2**31 - 1, -2**31, 0] and m.hot[0].shape == (3,)
    write_prefix(m, "T", make_reg(HOT_REGS, 1), np.array([2**40, 5, 6, 7, 8]))  # missing: allocated
    assert m.hot[1].data.tolist() == [2**31 - 1, 5, 6, 7, 8]
