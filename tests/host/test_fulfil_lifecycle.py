"""lifecycle (0x0008) under a brain: phases, ticks, levels, events, thermograms, key-table weights,
transactions, rest/consolidation, coherence — plus the learning extension's checkpoint ops, whose
DomainOps (CheckpointSave/Restore/Discard) the host persists across restarts.
"""
from __future__ import annotations

import numpy as np
import pytest

from ternsig.extensions.lifecycle import TABLE

from tests.host.conftest import assert_clean, assert_trapped, firmware, hot, make_brain, reopen, set_hot

COVERED = {
    "phase_read", "tick_read", "level_read", "init_thermo", "save_thermo", "load_thermo", "log_event",
    "halt_region", "txn_begin", "txn_commit", "txn_rollback", "load_weights", "store_weights", "level_write",
    "phase_write", "rest_write", "consolidation_req", "coherence_singular_write",
    "coherence_multimodal_write", "coherence_singular_read",
}

W = 'C0: ternary[2, 3] key="r.w"'


def test_every_lifecycle_opcode_is_covered_here():
    assert {s.mnemonic for s in TABLE.specs} == COVERED


def one(root, program, registers="H0: i32[1]", role="test", **kw):
    """One region running ``program``. Most lifecycle instructions are boot-layer ones, which only
    the boot program or a ``test`` region may use, so these regions are test regions."""
    return make_brain(root, {"r": (firmware(program, registers), f"role={role}")}, **kw)


def set_weights(b, region, idx, values):
    c = b.region(region).machine.cold[idx]
    v = np.asarray(values, np.int64)
    c.pol[:] = np.sign(v)
    c.mag[:] = np.abs(v)
    c.touch()


def weights(b, region, idx):
    c = b.region(region).machine.cold[idx]
    return (c.pol.astype(np.int64) * c.mag).tolist()


def stored(b, key):
    sig = b.store.tt.load_weights(key)
    if sig is None:
        return None
    pol, mag = sig.arrays()
    return (pol.astype(np.int64) * mag).tolist()


# ---- phase, tick, level ---------------------------------------------------------------------------

def test_boot_program_advances_phase_and_level_and_regions_read_them(root):
    b = one(root, "lifecycle.phase_read H0\nlifecycle.tick_read H1\nlifecycle.level_read H2\nhalt",
            "H0: i32[1]\nH1: i32[1]\nH2: i32[1]",
            boot_program="set H0, 4\nlifecycle.phase_write H0\nset H0, 3\nlifecycle.level_write H0\nhalt",
            boot_registers="H0: i32[1]")
    b.tick()
    b.tick()
    assert_clean(b)
    assert hot(b, "r", 0) == [4] and hot(b, "r", 1) == [2] and hot(b, "r", 2) == [3]


@pytest.mark.parametrize("op,what", [("phase_write", "boot phase may only advance"),
                                     ("level_write", "neuronal level may only increase")])
def test_phase_and_level_only_advance(root, op, what):
    b = one(root, f"lifecycle.{op} H0\nhalt")
    set_hot(b, "r", 0, [3])
    b.tick()
    assert_clean(b)
    set_hot(b, "r", 0, [2])
    b.tick()
    assert_trapped(b, "r", what, "Write")
    assert (b.substrate.phase if op == "phase_write" else b.substrate.level) == 3


def test_phase_out_of_range_is_refused(root):
    b = one(root, "set H0, 7\nlifecycle.phase_write H0\nhalt")
    b.tick()
    assert_trapped(b, "r", "PhaseWrite", "out of range")
    assert b.substrate.phase == 0


# ---- events and halting -----------------------------------------------------------------------------

def test_log_event_records_region_kind_and_data(root):
    b = one(root, "lifecycle.log_event H0, 4\nhalt", "H0: i32[3]")
    set_hot(b, "r", 0, [7, -8, 9])
    b.tick()
    assert_clean(b)
    ev = [e for e in b.events if e["region"] == "r"]
    assert ev == [{"tick": 1, "region": "r", "event": "metric", "data": [7, -8, 9]}]


def test_halt_region_stops_the_target_from_the_next_tick(root):
    b = make_brain(root, {"ctl": (firmware("lifecycle.halt_region 1\nhalt"), "role=test"),
                          "victim": firmware("lifecycle.tick_read H0\nstore_output H0\nhalt")})
    b.tick()
    assert b.region("victim").halted
    ran = b.region("victim").executed
    b.tick()
    assert b.region("victim").executed == ran
    assert_clean(b)


# ---- thermograms -----------------------------------------------------------------------------------

def test_init_thermo_registers_in_the_boot_program_and_is_refused_after(root):
    b = one(root, "lifecycle.init_thermo C0\nhalt", 'C0: ternary[2, 2] key="r.late"',
            boot_program="lifecycle.init_thermo C0\nhalt", boot_registers='C0: ternary[4, 4] key="boot.extra"')
    assert b.store.registered["boot.extra"] == (4, 4)
    b.tick()
    assert_trapped(b, "r", "InitThermo", "frozen")


def test_save_and_load_thermo_round_trip_and_survive_a_restart(root):
    prog = "if_nonzero H0, load\nlifecycle.save_thermo C0\nhalt\nload:\nlifecycle.load_thermo C0\nhalt"
    b = one(root, prog, W + "\nH0: i32[1]")
    set_weights(b, "r", 0, [1, -200, 0, 255, -1, 3])
    b.tick()
    assert stored(b, "r.w") == [1, -200, 0, 255, -1, 3]
    set_weights(b, "r", 0, [0] * 6)
    set_hot(b, "r", 0, [1])
    b.tick()                                      # load_thermo brings the saved weights back
    assert_clean(b)
    assert weights(b, "r", 0) == [1, -200, 0, 255, -1, 3]
    b.save()
    b2 = reopen(root)
    assert weights(b2, "r", 0) == [1, -200, 0, 255, -1, 3]


def test_load_thermo_with_nothing_saved_traps(root):
    b = one(root, "lifecycle.load_thermo C0\nhalt", W)
    b.tick()
    assert_trapped(b, "r", "LoadThermo", "holds no weights yet")


# ---- weights by key id through the per-region key table ---------------------------------------------

KEYED = 'C0: ternary[2, 3] key="r.w0"\nC1: ternary[2, 3] key="r.w1"'


def test_store_and_load_weights_by_key_id(root):
    # operand B is a raw param index; P0 holds key id 0 → the key table maps it to "r.w1"
    prog = "lifecycle.store_weights C0, 0\nlifecycle.load_weights C1, 0\nhalt"
    b = one(root, prog, KEYED, config="key r 0=r.w1")
    set_weights(b, "r", 0, [5, 0, -5, 9, 9, -9])
    b.tick()
    assert_clean(b)
    assert stored(b, "r.w1") == [5, 0, -5, 9, 9, -9]
    assert stored(b, "r.w0") is None
    assert weights(b, "r", 1) == [5, 0, -5, 9, 9, -9]


def test_key_id_is_read_from_the_param_register(root):
    prog = "lifecycle.store_weights C0, 3\nhalt"
    b = one(root, prog, KEYED, config="key r 0=r.w0\nkey r 7=r.w1")
    b.region("r").machine.param[3] = 7                # P3 holds key id 7
    set_weights(b, "r", 0, [1, 2, 3, 4, 5, 6])
    b.tick()
    assert_clean(b)
    assert stored(b, "r.w1") == [1, 2, 3, 4, 5, 6] and stored(b, "r.w0") is None


def test_brain_preloads_key_ids_into_param_registers(root):
    b = one(root, "lifecycle.store_weights C0, 3\nhalt", KEYED, config="key r 3=r.w1")
    set_weights(b, "r", 0, [1, 2, 3, 4, 5, 6])
    b.tick()
    assert_clean(b)
    assert stored(b, "r.w1") == [1, 2, 3, 4, 5, 6]


def test_unknown_key_id_traps_and_stores_nothing(root):
    b = one(root, "lifecycle.store_weights C0, 0\nhalt", KEYED, config="key r 1=r.w1")
    b.tick()
    assert_trapped(b, "r", "StoreWeights", "key id 0 is not in region 'r'")
    assert stored(b, "r.w0") is None and stored(b, "r.w1") is None


# ---- transactions ------------------------------------------------------------------------------------

def txn_brain(root, first: str, second: str):
    prog = f"if_nonzero H0, second\n{first}\nhalt\nsecond:\n{second}\nhalt"
    b = one(root, prog, W + "\nH0: i32[1]", config="key r 0=r.w")
    set_weights(b, "r", 0, [1, 1, 1, -1, -1, -1])
    return b


def test_save_inside_a_rolled_back_transaction_leaves_the_store_unchanged(root):
    b = txn_brain(root, "lifecycle.txn_begin 1\nlifecycle.save_thermo C0\nlifecycle.txn_rollback 1", "halt")
    b.tick()
    assert_clean(b)
    assert stored(b, "r.w") is None and not b.txns.get(0)


def test_commit_applies_the_snapshot_taken_at_save_time(root):
    b = txn_brain(root, "lifecycle.txn_begin 1\nlifecycle.save_thermo C0", "lifecycle.txn_commit 1")
    b.tick()
    assert stored(b, "r.w") is None               # still buffered
    set_weights(b, "r", 0, [0] * 6)               # changed after the save, before the commit
    set_hot(b, "r", 0, [1])
    b.tick()
    assert_clean(b)
    assert stored(b, "r.w") == [1, 1, 1, -1, -1, -1]


def test_nested_commit_merges_into_the_outer_transaction(root):
    b = txn_brain(root, "lifecycle.txn_begin 1\nlifecycle.txn_begin 2\nlifecycle.save_thermo C0\n"
                        "lifecycle.txn_commit 2", "lifecycle.txn_commit 1")
    b.tick()
    assert_clean(b)
    assert stored(b, "r.w") is None               # inner commit only moved it to the outer txn
    assert [t for t, _ in b.txns[0]] == [1]
    set_hot(b, "r", 0, [1])
    b.tick()
    assert_clean(b)
    assert stored(b, "r.w") == [1, 1, 1, -1, -1, -1] and not b.txns[0]


def test_outer_rollback_discards_a_committed_inner_transaction(root):
    b = txn_brain(root, "lifecycle.txn_begin 1\nlifecycle.txn_begin 2\nlifecycle.store_weights C0, 0\n"
                        "lifecycle.txn_commit 2\nlifecycle.txn_rollback 1", "halt")
    b.tick()
    assert_clean(b)
    assert stored(b, "r.w") is None and not b.txns[0]


@pytest.mark.parametrize("body,what", [
    ("lifecycle.txn_commit 1", "no transaction is open"),
    ("lifecycle.txn_begin 1\nlifecycle.txn_begin 2\nlifecycle.txn_commit 1", "not the innermost"),
    ("lifecycle.txn_begin 1\nlifecycle.txn_begin 1", "already open"),
])
def test_transaction_misuse_traps(root, body, what):
    b = txn_brain(root, body, "halt")
    b.tick()
    assert_trapped(b, "r", what)


# ---- checkpoints (learning ext, host-persisted) --------------------------------------------------------

def test_checkpoint_survives_a_restart_and_discard_removes_it(root):
    prog = ("if_nonzero H0, restore\nlearning.checkpoint_weights C0\nhalt\n"
            "restore:\nlearning.rollback_weights C0\nhalt")
    b = one(root, prog, W + "\nH0: i32[1]")
    set_weights(b, "r", 0, [3, -3, 0, 7, 0, -7])
    b.tick()
    assert_clean(b)
    files = list((root / "state" / "thermo" / "checkpoints").glob("*.thermo"))
    assert [f.name for f in files] == ["r.C0.thermo"]
    b2 = reopen(root)                             # the in-memory copy is gone: the host restores
    set_weights(b2, "r", 0, [0] * 6)
    set_hot(b2, "r", 0, [1])
    b2.tick()
    assert_clean(b2)
    assert weights(b2, "r", 0) == [3, -3, 0, 7, 0, -7]


def test_checkpoint_discard_then_restore_traps(root):
    prog = "if_nonzero H0, restore\nlearning.checkpoint_weights C0\nlearning.discard_checkpoint C0\nhalt\n" \
           "restore:\nlearning.rollback_weights C0\nhalt"
    b = one(root, prog, W + "\nH0: i32[1]")
    b.tick()
    assert_clean(b)
    assert not list((root / "state" / "thermo" / "checkpoints").glob("*.thermo"))
    b2 = reopen(root)
    set_hot(b2, "r", 0, [1])
    b2.tick()
    assert_trapped(b2, "r", "CheckpointRestore", "no checkpoint")


# ---- rest and consolidation ----------------------------------------------------------------------------

def test_rest_write_and_consolidation_request(root):
    b = one(root, "lifecycle.save_thermo C0\nlifecycle.rest_write H0\nlifecycle.consolidation_req H0\nhalt",
            W + "\nH0: i32[1]")
    set_hot(b, "r", 0, [1])
    b.tick()
    assert_clean(b)
    assert b.substrate.rest is True
    st = b.store.tt.stats()
    assert st["dirty_deltas"] == 0 and st["total_keys"] >= 1     # merged out of the dirty chain


def test_consolidation_outside_rest_and_bad_rest_values_trap(root):
    b = one(root, "lifecycle.consolidation_req H0\nhalt")
    b.tick()
    assert_trapped(b, "r", "ConsolidationRequest", "rest mode")
    b2 = make_brain(root / "two", {"r": firmware("set H0, 2\nlifecycle.rest_write H0\nhalt")})
    b2.tick()
    assert_trapped(b2, "r", "RestWrite", "neither 0")
    assert b2.substrate.rest is False


# ---- coherence -------------------------------------------------------------------------------------------

def test_coherence_singular_and_multimodal(root):
    prog = ("lifecycle.coherence_singular_write H0\nlifecycle.coherence_multimodal_write H1\n"
            "lifecycle.coherence_singular_read H2\nhalt")
    b = one(root, prog, "H0: i32[2]\nH1: i32[3]\nH2: i32[1]")
    set_hot(b, "r", 0, [3, 180])
    set_hot(b, "r", 1, [5, 2, 99])
    b.tick()
    assert_clean(b)
    assert hot(b, "r", 2) == [0, 0, 0, 180, 0, 0, 0]
    assert b.substrate.coherence_pairs == {(2, 5): 99}


@pytest.mark.parametrize("reg,vals,op", [(0, [7, 1], "CoherenceSingularWrite"), (0, [3], "CoherenceSingularWrite"),
                                         (1, [0, 9, 1], "CoherenceMultimodalWrite")])
def test_coherence_bad_input_traps(root, reg, vals, op):
    b = one(root, f"lifecycle.{'coherence_singular_write H0' if reg == 0 else 'coherence_multimodal_write H1'}\nhalt",
            "H0: i32[2]\nH1: i32[3]")
    set_hot(b, "r", reg, vals)
    b.tick()
    assert_trapped(b, "r", op)
    assert b.substrate.coherence == [0] * 7 and not b.substrate.coherence_pairs
