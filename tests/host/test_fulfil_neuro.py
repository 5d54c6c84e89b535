"""neuro (0x0005): every opcode run under a brain, yielded and fulfilled by the default host.

Each test runs real firmware for a tick and checks what the host did: registers it wrote, substrate
state it changed. SNN ops are refused with a trap naming region, pc and op while the other regions
keep running. Chemical authority: only role=regulation may chem_set / chem_inject.
"""
from __future__ import annotations

import numpy as np
import pytest

from ternsig.errors import ValidationError
from ternsig.extensions.neuro import TABLE
from ternsig.signal import Signal

from tests.host.conftest import assert_clean, assert_trapped, firmware, hot, make_brain, set_hot

COVERED = {
    "chem_read", "chem_set", "chem_inject", "field_read", "field_write", "field_tick", "stim_read",
    "valence_read", "conv_read", "temp_read", "temp_write", "field_decay", "lateral_inhibit",
    "exhaustion_boost", "novelty_score", "field_slice_read", "field_slice_write", "coact_record",
    "coact_read", "coact_reset", "snn_set_axes", "snn_step_axes", "snn_read_activation",
    "snn_read_neuron_count", "snn_read_outputs", "snn_read_timestep", "snn_grow_neurons",
    "snn_prune_neurons", "snn_read_activities", "thermo_prune_hot", "thermo_valence_credit",
}


def test_every_neuro_opcode_is_covered_here():
    assert {s.mnemonic for s in TABLE.specs} == COVERED


def one(root, program, registers="H0: i32[1]", role="test", **kw):
    return make_brain(root, {"r": (firmware(program, registers), f"role={role}")}, **kw)


# ---- chemicals ------------------------------------------------------------------------------------

def test_chem_read_writes_the_level_into_target(root):
    b = one(root, "neuro.chem_read H0, 5\nneuro.chem_read H1, 0\nhalt", "H0: i32[2]\nH1: i32[1]")
    b.substrate.write_chemical(5, 77)
    b.tick()
    assert_clean(b)
    assert hot(b, "r", 0) == [77, 0]          # fixed-size result: prefix written, shape kept
    assert hot(b, "r", 1) == [128]            # dopamine baseline


def test_chem_set_by_the_regulation_region_clamps_to_a_byte(root):
    b = one(root, "set H0, 200\nneuro.chem_set H0, 0\nset H1, 999\nneuro.chem_set H1, 6\nhalt",
            "H0: i32[1]\nH1: i32[1]", role="regulation")
    b.tick()
    assert_clean(b)
    assert b.substrate.chemicals[0] == 200 and b.substrate.chemicals[6] == 255


def test_chem_inject_adds_an_element_signed_or_not(root):
    b = one(root, "neuro.chem_inject H0, 4, 1, 1\nneuro.chem_inject H0, 5\nhalt", "H0: i32[2]",
            role="regulation")
    set_hot(b, "r", 0, [30, 138])
    b.tick()
    assert_clean(b)
    assert b.substrate.chemicals[4] == 10     # cortisol 0 + (138 - 128)
    assert b.substrate.chemicals[5] == 30     # endorphin 0 + H0[0]


@pytest.mark.parametrize("op", ["neuro.chem_set H0, 0", "neuro.chem_inject H0, 0"])
def test_chemical_authority_only_regulation_may_write(root, op):
    # role=test passes the layer policy, so the host's own check is what refuses it
    b = make_brain(root, {"r": (firmware(f"set H0, 250\n{op}\nhalt"), "role=test"),
                          "other": firmware("neuro.chem_read H0, 0\nhalt")})
    b.tick()
    msg = assert_trapped(b, "r", "only the regulation region may write chemicals")
    assert "Chem" in msg
    assert b.substrate.chemicals[0] == 128    # unchanged
    assert_clean(b, "other")
    assert hot(b, "other", 0) == [128]


def test_a_runtime_region_writing_chemicals_is_refused_at_load(root):
    with pytest.raises(ValidationError, match="only a regulation program"):
        one(root, "set H0, 1\nneuro.chem_set H0, 0\nhalt", role="runtime", boot=False)


# ---- fields -----------------------------------------------------------------------------------------

def test_field_read_and_write_use_the_regions_own_slice(root):
    b = make_brain(root, {"w": firmware("neuro.field_write H0, 3\nhalt", "H0: i32[3]"),
                          "r": firmware("neuro.field_read H1, 3\nhalt", "H1: i32[1]")})
    set_hot(b, "w", 0, [5, -6, 7])
    b.substrate.fields[3, 1, :2] = [40, 41]
    b.tick()
    assert_clean(b)
    assert b.substrate.slice(3, 0)[:4].tolist() == [5, -6, 7, 0]
    got = hot(b, "r", 1)
    assert len(got) == b.substrate.field_width and got[:3] == [40, 41, 0]


def test_field_slice_read_and_write_address_any_slice(root):
    b = one(root, "neuro.field_slice_write H0, 2, 9\nneuro.field_slice_read H1, 2, 9\nhalt",
            "H0: i32[2]\nH1: i32[1]")
    set_hot(b, "r", 0, [11, 12])
    b.tick()
    assert_clean(b)
    assert b.substrate.slice(2, 9)[:3].tolist() == [11, 12, 0]
    assert hot(b, "r", 1)[:3] == [11, 12, 0]


def test_field_tick_decays_by_retention_and_ages_the_field(root):
    b = one(root, "neuro.field_tick 6\nhalt")
    b.substrate.fields[6, 0, :3] = [256, -256, 100]
    b.tick()
    assert_clean(b)
    assert b.substrate.slice(6, 0)[:3].tolist() == [230, -230, 89]
    assert b.substrate.field_age[6] == 1


def test_field_decay_scales_and_raises_fatigue(root):
    b = one(root, "neuro.field_decay 0, 128, 10\nhalt")
    b.substrate.fields[0, 4, :2] = [255, -255]
    b.tick()
    assert_clean(b)
    assert b.substrate.slice(0, 4)[:2].tolist() == [128, -128]
    assert b.substrate.chemicals[7] == 10


# ---- stimulation, valence, convergence ----------------------------------------------------------------

def test_stim_valence_and_convergence_reads(root):
    b = one(root, "neuro.stim_read H0\nneuro.valence_read H1\nneuro.conv_read H2\nhalt",
            "H0: i32[1]\nH1: i32[2]\nH2: i32[1]")
    b.substrate.stim[:] = np.arange(8) * 3
    b.substrate.reward, b.substrate.punish, b.substrate.convergence = 9, 200, 42
    b.tick()
    assert_clean(b)
    assert hot(b, "r", 0) == [0, 3, 6, 9, 12, 15, 18, 21]
    assert hot(b, "r", 1) == [9, 200] and hot(b, "r", 2) == [42]


# ---- temperatures (local to the machine, no yield) -------------------------------------------------

def test_temp_write_then_read_round_trip_in_a_region(root):
    b = one(root, "neuro.temp_write H0, C0\nneuro.temp_read H1, C0\nhalt",
            'C0: ternary[2, 2] key="r.w"\nH0: i32[3]\nH1: i32[1]', role="test")
    set_hot(b, "r", 0, [3, 9, -1])
    b.tick()
    assert_clean(b)
    assert hot(b, "r", 1) == [3, 3, 0, 0]     # clamped 0..3, padded with HOT
    assert b.region("r").machine.cold[0].temps.tolist() == [3, 3, 0, 0]


# ---- activity shaping -----------------------------------------------------------------------------------

def test_lateral_inhibit_pulls_losers_toward_zero(root):
    b = one(root, "neuro.lateral_inhibit H0, 128\nhalt", "H0: i32[3]")
    set_hot(b, "r", 0, [100, 50, 0])
    b.tick()
    assert_clean(b)
    assert hot(b, "r", 0) == [100, 25, 0]     # 50 - 50*128//255, 0 - 100*128//255 → floored at 0


def test_exhaustion_boost_decays_positive_activity(root):
    b = one(root, "neuro.exhaustion_boost H0, 51\nhalt", "H0: i32[3]")
    set_hot(b, "r", 0, [100, -10, 0])
    b.tick()
    assert_clean(b)
    assert hot(b, "r", 0) == [80, -10, 0]


def test_novelty_score_tracks_running_statistics_across_ticks(root):
    b = one(root, "lifecycle.tick_read H0\nneuro.novelty_score H1, H0\nhalt", "H0: i32[1]\nH1: i32[1]")
    seen = []
    for _ in range(3):
        b.tick()
        seen.append(hot(b, "r", 1)[0])
    assert_clean(b)
    # tick 1: no history; tick 2: mean 1, var floor 1 → (2-1)*256; tick 3: mean 1, var 1 → (3-1)*256
    assert seen == [0, 256, 512]


# ---- co-activation -------------------------------------------------------------------------------------

def test_coactivation_record_read_and_reset(root):
    prog = """
        neuro.coact_record H0, H1
        neuro.coact_read H2, H0
        if_zero H3, done
        neuro.coact_reset
        neuro.coact_read H2, H0
    done:
        halt
    """
    b = one(root, prog, "H0: i32[3]\nH1: i32[2]\nH2: i32[1]\nH3: i32[1]")
    set_hot(b, "r", 0, [1, 0, 2])
    set_hot(b, "r", 1, [0, 3])
    b.tick()
    b.tick()
    assert_clean(b)
    assert hot(b, "r", 2) == [0, 2, 0, 0, 0, 2]   # outer(a>0, b>0) counted twice
    set_hot(b, "r", 3, [1])
    b.tick()
    assert hot(b, "r", 2) == [0]                  # after reset: nothing recorded for H0
    assert not b.coactivation


# ---- thermogram maintenance -------------------------------------------------------------------------

def test_thermo_valence_credit_reinforces_under_dopamine(root):
    prog = """
        lifecycle.save_thermo C0
        lifecycle.rest_write H0
        lifecycle.consolidation_req H0
        neuro.thermo_valence_credit H0, H1
        halt
    """
    b = one(root, prog, 'C0: ternary[2, 2] key="r.w"\nH0: i32[1]\nH1: i32[2]')
    set_hot(b, "r", 0, [1])
    b.substrate.write_chemical(0, 200)
    b.tick()
    assert_clean(b)
    t = b.store.tt.substrate
    entry = t._find("r.w")
    assert entry is not None
    assert hot(b, "r", 1)[0] >= 1 and entry.strength.magnitude > 200   # 200 stored, then +13


def test_thermo_valence_credit_with_zero_source_does_nothing(root):
    b = one(root, "neuro.thermo_valence_credit H0, H1\nhalt", "H0: i32[1]\nH1: i32[1]")
    set_hot(b, "r", 1, [77])
    b.tick()
    assert_clean(b)
    assert hot(b, "r", 1) == [0]


def test_thermo_prune_hot_removes_weak_hot_entries(root):
    prog = """
        if_nonzero H2, prune
        lifecycle.save_thermo C0
        lifecycle.rest_write H0
        lifecycle.consolidation_req H0
        halt
    prune:
        neuro.thermo_prune_hot H0, H1
        halt
    """
    b = one(root, prog, 'C0: ternary[2, 2] key="r.w"\nH0: i32[1]\nH1: i32[1]\nH2: i32[1]')
    set_hot(b, "r", 0, [1])
    b.tick()
    t = b.store.tt.substrate
    assert "r.w" in t.hot, t.stats()
    t.hot["r.w"].strength = Signal(1, 1)          # below the prune threshold
    set_hot(b, "r", 2, [1])
    b.tick()
    assert_clean(b)
    assert hot(b, "r", 1) == [1] and "r.w" not in t.hot


# ---- SNN: fulfilled by the spiking substrate (details in tests/host/test_spiking_ops.py) -----------------

SNN = ["snn_set_axes H0", "snn_step_axes H0", "snn_read_activation H0", "snn_read_neuron_count H0",
       "snn_read_outputs H0", "snn_read_timestep H0", "snn_grow_neurons H0, H1", "snn_prune_neurons H0, H1",
       "snn_read_activities H0"]


@pytest.mark.parametrize("ins", SNN)
def test_snn_ops_are_fulfilled_and_the_brain_runs_on(root, ins):
    b = make_brain(root, {"first": firmware("lifecycle.tick_read H0\nhalt"),
                          "snn": (firmware(f"set H0, 1\nneuro.{ins}\nhalt", "H0: i32[1]\nH1: i32[1]"),
                                  "role=evolutionary"),
                          "after": firmware("lifecycle.tick_read H0\nstore_output H0\nhalt")})
    b.tick()
    b.tick()
    assert_clean(b)
    assert b.region("snn").yields == 2
    assert b.region("after").output.tolist() == [2]
