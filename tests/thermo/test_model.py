"""Thermogram lifecycle: hash chain, consolidation, crystallization, transitions, decay, bridge.

Expected numbers are derived by hand from the crate's f32 formulas (comments show the steps).
"""
from __future__ import annotations

import numpy as np
import pytest

from ternsig.signal import ZERO, Signal
from ternsig.thermo import (ConsolidatedEntry, ConsolidationPolicy, ConsolidationTrigger, Delta, DeltaType,
                            PlasticityRule, Signals, ThermalConfig, ThermalState, Thermogram, ThermoError,
                            Timestamp, UpdatePolicy)
from ternsig.host.tensor_thermogram import TensorThermogram, temps_key
from ternsig.thermo.rules import USIZE_MAX
from ternsig.thermo.signals import sig_add, sig_decayed, sig_scale, F32
from ternsig.vm.state import ColdBuffer, Machine

T0 = 1735689600


class Clock:
    """A settable clock: the model reads time only through it."""

    def __init__(self, secs: int = T0):
        self.t = Timestamp(secs)

    def __call__(self) -> Timestamp:
        return self.t

    def advance(self, secs: int) -> None:
        self.t = Timestamp(self.t.secs + secs, self.t.nanos)


def V(*mags: int) -> Signals:
    return Signals.from_pairs([(1, m) for m in mags])


def entry(key: str, mag: int, count: int, pol: int = 1) -> ConsolidatedEntry:
    return ConsolidatedEntry(key, V(1), Signal(pol, mag), Timestamp(T0), count)


def fresh(**kw) -> tuple[Thermogram, Clock]:
    clk = Clock()
    t = Thermogram.new("t", kw.pop("rule", PlasticityRule.stdp_like()), clock=clk, id="id", **kw)
    return t, clk


# ---- signal arithmetic (f32) -----------------------------------------------------------------------

def test_scale_is_f32_not_f64():
    # 0.7f32 = 0.699999988; 90 * that = 62.9999989 rounds (f32) to 63.0 -> 63; float64 gives 62
    assert sig_scale(Signal(1, 90), 0.7) == Signal(1, 63)
    assert sig_scale(Signal(-1, 1), 0.3) == Signal(0, 0)      # zero magnitude zeroes polarity
    assert sig_scale(Signal(1, 200), 2.0) == Signal(1, 255)   # clamped


def test_add_and_decay():
    assert sig_add(Signal(1, 100), Signal(1, 100)) == Signal(1, 200)
    assert sig_add(Signal(1, 100), Signal(-1, 100)) == Signal(0, 0)
    assert sig_add(Signal(1, 200), Signal(1, 200)) == Signal(1, 255)
    assert sig_add(Signal(-1, 50), Signal(1, 20)) == Signal(-1, 30)
    # 2/255 = 0.0078 is inside the ±0.01 dead band: polarity 0, magnitude 1 (non-canonical, as in Rust)
    assert sig_add(Signal(1, 3), Signal(-1, 1)) == Signal(0, 1)
    r = F32(1) - F32(26) / F32(255)                           # hot retention 0.8980392
    assert sig_decayed(Signal(1, 200), r) == Signal(1, 179)   # 179.6 truncated
    assert sig_decayed(Signal(-1, 1), r) == Signal(0, 0)


def test_plasticity_rules():
    stdp = PlasticityRule.stdp_like()
    # 128/255 + 26/255 * 204/255 = 0.50196 + 0.08157 = 0.58353 -> 148.8 -> 148
    assert stdp.apply_update(Signal(1, 128), Signal(1, 204), 0.0) == Signal(1, 148)
    # one day later: 0.50196 * (1 - 3/255) = 0.49606 + 0.08157 = 0.57763 -> 147.3 -> 147
    assert stdp.apply_update(Signal(1, 128), Signal(1, 204), 86400.0) == Signal(1, 147)
    ema = PlasticityRule(UpdatePolicy.EMA, learning_rate=Signal(1, 26))
    # 0.10196 * 1.0 + 0.89804 * 0.50196 = 0.55275 -> 140.95 -> 140 (the crate's own test value)
    assert ema.apply_update(Signal(1, 128), Signal(1, 255), 0.0) == Signal(1, 140)
    bayes = PlasticityRule.bayesian()
    # (0.4^2 + 0.8^2)/(1.2) with m=102,204: (0.16+0.64)/1.2 = 0.6667 -> 170
    assert bayes.apply_update(Signal(1, 102), Signal(-1, 204), 0.0) == Signal(-1, 170)
    assert bayes.apply_update(ZERO, ZERO, 0.0) == Signal(0, 0)
    wta = PlasticityRule(UpdatePolicy.WTA)
    assert wta.apply_update(Signal(-1, 200), Signal(1, 100), 0.0) == Signal(-1, 200)   # polarity of the stronger
    assert PlasticityRule.replace_only().apply_update(Signal(1, 200), Signal(1, 50), 0.0) == Signal(1, 50)


# ---- hash chain ----------------------------------------------------------------------------------

def test_chain_append_rules_and_texts():
    t, clk = fresh()
    d1 = t.next_delta(DeltaType.CREATE, "a", V(1))
    t.apply_delta(d1)
    bad = Delta.update("a", V(2), "s", Signal(1, 9), "wrong", timestamp=clk())
    with pytest.raises(ThermoError) as ei:
        t.apply_delta(bad)
    assert str(ei.value) == f"Hash chain verification failed: Delta prev_hash wrong does not match current head {d1.hash}"
    with pytest.raises(ThermoError, match="Delta must reference previous hash"):
        t.apply_delta(Delta.update("a", V(2), "s", Signal(1, 9), None, timestamp=clk()))
    t2, _ = fresh()
    with pytest.raises(ThermoError, match="First delta should not reference previous hash"):
        t2.apply_delta(Delta.update("a", V(2), "s", Signal(1, 9), d1.hash, timestamp=clk()))
    assert t.metadata.total_deltas == 1 and len(t.dirty_chain) == 1


def test_chain_verify_detects_tampering():
    t, clk = fresh()
    for i in range(3):
        clk.advance(1)
        t.apply_delta(t.next_delta(DeltaType.UPDATE, f"k{i}", V(i)))
    assert t.dirty_chain.verify_error() is None
    t.dirty_chain.deltas[1].value = V(99)
    assert t.dirty_chain.verify_error() == "Hash chain verification failed: Delta 1 hash verification failed"
    t.dirty_chain.deltas[1].hash = t.dirty_chain.deltas[1].compute_hash()
    assert t.dirty_chain.verify_error() == "Hash chain verification failed: Delta 2 does not link to previous delta"


def test_hash_preimage_excludes_observation_count_and_custom():
    d = Delta.new(DeltaType.MERGE, "k", V(1, 2), "src", Signal(1, 5), None, timestamp=Timestamp(T0, 500_000_000), id="i")
    h = d.hash
    d.metadata.observation_count, d.metadata.custom = 12, b"\xde\xad"
    assert d.compute_hash() == h
    d.metadata.timestamp = Timestamp(T0, 500_000_001)
    assert d.compute_hash() != h


# ---- reads and consolidation ------------------------------------------------------------------------

def test_read_priority_dirty_then_layers():
    t, clk = fresh()
    t.layers[ThermalState.COLD]["k"] = entry("k", 200, 9)
    assert t.read_with_state("k")[2] == ThermalState.COLD
    t.layers[ThermalState.WARM]["k"] = entry("k", 100, 9)
    assert t.read_with_state("k")[2] == ThermalState.WARM
    t.apply_delta(t.next_delta(DeltaType.UPDATE, "k", V(7)))
    assert t.read("k") == V(7)
    t.apply_delta(t.next_delta(DeltaType.DELETE, "k"))
    assert t.read("k") is None and "k" in t.keys()    # still in layers; a dirty Delete only hides it


def test_consolidate_replays_into_hot():
    t, clk = fresh(config=ThermalConfig.fast_learner(), policy=ConsolidationPolicy.aggressive())
    t.apply_delta(t.next_delta(DeltaType.CREATE, "a", V(1), strength=Signal(1, 128)))
    clk.advance(60)
    t.apply_delta(t.next_delta(DeltaType.UPDATE, "a", V(2), strength=Signal(1, 204)))
    t.apply_delta(t.next_delta(DeltaType.CREATE, "weak", V(3), strength=Signal(1, 20)))     # < 26: pruned
    t.apply_delta(t.next_delta(DeltaType.CREATE, "gone", V(4)))
    t.apply_delta(t.next_delta(DeltaType.DELETE, "gone"))
    t.apply_delta(t.next_delta(DeltaType.MERGE, "absent", V(5)))                            # no-op
    t.apply_delta(t.next_delta(DeltaType.UPDATE, "fresh", V(6), strength=Signal(1, 120)))
    clk.advance(40)
    r = t.consolidate()
    assert (r.deltas_processed, r.entries_pruned, r.entries_after) == (7, 1, 2)
    assert list(t.hot) == ["a", "fresh"] and not t.dirty_chain.deltas
    a = t.hot["a"]
    # STDP, dt = 60 s: 0.50196*(1 - 0.011765*60/86400) + 0.10196*0.8 = 0.58352 -> 148
    assert (a.value, a.strength, a.update_count, a.updated_at) == (V(2), Signal(1, 148), 2, Timestamp(T0 + 60))
    assert t.hot["fresh"].update_count == 1
    assert t.metadata.total_consolidations == 1 and t.metadata.last_consolidation == Timestamp(T0 + 100)


def test_merge_changes_strength_only_and_crystallize_goes_straight_to_cold():
    t, clk = fresh(config=ThermalConfig.fast_learner())      # crystallize >= 217 with >= 2 observations
    t.apply_delta(t.next_delta(DeltaType.CREATE, "m", V(7), strength=Signal(1, 100)))
    t.apply_delta(t.next_delta(DeltaType.CREATE, "s", V(60), strength=Signal(1, 255)))
    t.consolidate()
    assert set(t.hot) == {"m", "s"}                           # count 1 < 2: not yet
    t.apply_delta(t.next_delta(DeltaType.MERGE, "m", V(99), strength=Signal(1, 50)))
    t.apply_delta(t.next_delta(DeltaType.UPDATE, "s", V(61), strength=Signal(1, 255)))
    r = t.consolidate()
    assert t.hot["m"].value == V(7) and t.hot["m"].update_count == 2
    assert "s" not in t.hot and t.cold["s"].value == V(61) and t.cold["s"].strength == Signal(1, 255)
    assert r.entries_merged == 2                               # one merge delta + one crystallized
    assert not t.layers[1] and not t.layers[2]


def test_auto_consolidation_triggers():
    t, clk = fresh(policy=ConsolidationPolicy([ConsolidationTrigger.delta_count(3)]))
    for i in range(2):
        assert t.apply_delta(t.next_delta(DeltaType.CREATE, f"k{i}", V(i))) is None
    assert t.apply_delta(t.next_delta(DeltaType.CREATE, "k2", V(2))) is not None
    assert not t.dirty_chain.deltas and len(t.hot) == 3
    t, clk = fresh(policy=ConsolidationPolicy([ConsolidationTrigger.time_period(24)]))
    t.apply_delta(t.next_delta(DeltaType.CREATE, "a", V(1)))
    assert t.dirty_chain.deltas
    clk.advance(24 * 3600)
    t.apply_delta(t.next_delta(DeltaType.CREATE, "b", V(1)))
    assert not t.dirty_chain.deltas
    t, clk = fresh(policy=ConsolidationPolicy([ConsolidationTrigger.dirty_size(2 * (200 + 1 + 4))]))
    t.apply_delta(t.next_delta(DeltaType.CREATE, "a", V(1, 2)))
    assert t.dirty_chain.deltas
    t.apply_delta(t.next_delta(DeltaType.CREATE, "b", V(1, 2)))
    assert not t.dirty_chain.deltas


def test_time_period_beyond_chrono_never_fires_and_wrapped_hours_fire():
    pol = ConsolidationPolicy([ConsolidationTrigger.time_period(2 ** 62)])   # chrono would panic
    assert not pol.should_consolidate(0, Timestamp(0), 0, Timestamp(10 ** 12))
    pol = ConsolidationPolicy([ConsolidationTrigger.time_period(2 ** 64 - 1)])   # `as i64` = -1 hour
    assert pol.should_consolidate(0, Timestamp(100), 0, Timestamp(100))
    assert not ConsolidationPolicy([ConsolidationTrigger.manual()]).should_consolidate(10 ** 9, Timestamp(0), 10 ** 9, Timestamp(10 ** 9))


# ---- thermal transitions ------------------------------------------------------------------------------

def test_promotion_cascades_and_merges_30_70():
    t, clk = fresh()
    t.thermal_config.promotion_thresholds = [Signal(1, 128)] * 3 + [Signal(1, 255)]
    t.thermal_config.min_observations = [1, 1, 1, USIZE_MAX]
    t.hot["k"] = entry("k", 204, 5)
    t.run_thermal_transitions()
    assert [len(l) for l in t.layers] == [0, 0, 0, 1] and t.cold["k"].strength == Signal(1, 204)
    t2, _ = fresh()
    t2.thermal_config.promotion_thresholds = [Signal(1, 128), Signal(1, 255), Signal(1, 255), Signal(1, 255)]
    t2.thermal_config.min_observations = [1, USIZE_MAX, USIZE_MAX, USIZE_MAX]
    t2.hot["k"] = entry("k", 130, 2)
    t2.layers[1]["k"] = entry("k", 90, 3)
    t2.run_thermal_transitions()
    w = t2.layers[1]["k"]
    # 0.3 * 90 = 27.0000011 -> 27; 0.7 * 130 = 91.0 -> 91; 27/255 + 91/255 = 118/255 -> 118
    assert (w.strength, w.update_count) == (Signal(1, 118), 5)


def test_promotion_merge_uses_f32_scale():
    t, _ = fresh()
    t.thermal_config.promotion_thresholds = [Signal(1, 80), Signal(1, 255), Signal(1, 255), Signal(1, 255)]
    t.thermal_config.min_observations = [1, USIZE_MAX, USIZE_MAX, USIZE_MAX]
    t.hot["k"] = entry("k", 90, 1)
    t.layers[1]["k"] = entry("k", 0, 1)
    t.thermal_config.prune_threshold = Signal(1, 0)
    t.thermal_config.allow_demotion = [False] * 4
    t.run_thermal_transitions()
    # 0.3*0 = 0; 0.7f32*90 = 62.9999989 -> f32 63.0 -> 63; add: 63/255 (f32) * 255 = 63.0
    assert t.layers[1]["k"].strength == Signal(1, 63)        # f32 0.7*90 -> 63 (f64 would give 62)


def test_demotion_scales_095_with_floor_and_respects_allow():
    t, clk = fresh()
    t.thermal_config.prune_threshold = Signal(1, 0)
    t.cold["c"] = entry("c", 100, 1)        # < 128: demote to cool with 0.95*100 = 95
    t.cold["z"] = entry("z", 1, 1)          # 0.95 -> 0 -> floor Signal(+1, 1)
    t.run_thermal_transitions()
    # cool then demotes again (95 < 102) -> warm with 90; warm 90 >= 77 stays
    assert t.layers[1]["c"].strength == Signal(1, 90)
    assert t.layers[0]["z"].strength == Signal(1, 1) and t.layers[0]["z"].updated_at == clk()
    t.thermal_config.allow_demotion = [False, False, False, False]
    t.cold["q"] = entry("q", 5, 1)
    t.run_thermal_transitions()
    assert "q" in t.cold


def test_demotion_into_existing_keeps_stronger():
    t, _ = fresh()
    t.thermal_config.allow_demotion = [False, True, False, False]
    t.thermal_config.prune_threshold = Signal(1, 0)
    t.layers[1]["k"] = entry("k", 60, 1)
    t.hot["k"] = entry("k", 10, 1)
    t.run_thermal_transitions()
    assert t.hot["k"].strength == Signal(1, 57)


def test_prune_decay_reinforce_weaken_warm():
    t, clk = fresh()
    t.hot["a"] = entry("a", 200, 1)
    t.cold["b"] = entry("b", 200, 1)
    t.layers[2]["w"] = entry("w", 12, 1)
    t.apply_decay()
    assert t.hot["a"].strength == Signal(1, 179)            # 1 - 26/255
    assert t.cold["b"].strength == Signal(1, 199)           # 1 - 1/255 -> 199.2
    assert t.prune_all_layers() == 1 and "w" not in t.layers[2]
    clk.advance(5)
    assert t.reinforce("a", Signal(1, 30)) and t.hot["a"].strength == Signal(1, 209)
    assert t.hot["a"].update_count == 2 and t.hot["a"].updated_at == clk()
    assert t.weaken("a", Signal(1, 250)) and t.hot["a"].strength == ZERO
    assert not t.reinforce("nope", Signal(1, 1))
    # warm: 199 * (1 - 77/255*0.1) = 199 * 0.9698 = 192.99 -> 192
    assert t.warm("b") and t.hot["b"].strength == Signal(1, 192) and "b" not in t.cold
    t.cold["c"] = entry("c", 1, 1)
    assert t.warm_matching(lambda k, e: k == "c") == 1 and t.hot["c"].strength == Signal(1, 1)
    t.thermal_config.allow_warming = False
    t.cold["d"] = entry("d", 50, 1)
    assert not t.warm("d")


# ---- bridge ---------------------------------------------------------------------------------------

def _machine(slot: int = 20, temps=True) -> Machine:
    m = Machine()
    b = ColdBuffer.zeros((2, 3), key="l1.w")
    b.pol[:] = [1, -1, 0, 1, 1, -1]
    b.mag[:] = [5, 6, 0, 7, 8, 9]
    if temps:
        b.temps = np.array([0, 1, 2, 3, 0, 1], np.uint8)
    m.cold[slot] = b
    m.cold[0] = ColdBuffer.zeros((4,), key=None)
    return m


def test_tensor_config_overrides():
    c = ThermalConfig.tensor()
    assert [s.magnitude for s in c.promotion_thresholds] == [128, 179, 217, 255]
    assert c.demotion_thresholds[0] == Signal(0, 0) and [s.magnitude for s in c.demotion_thresholds[1:]] == [51, 77, 102]
    assert c.min_observations == [5, 20, 100, USIZE_MAX] and c.allow_demotion == [False, True, True, False]
    assert c.prune_threshold == Signal(1, 13) and c.warming_delta == Signal(1, 77)


def test_bridge_roundtrip_with_temperatures(tmp_path):
    clk = Clock()
    tt = TensorThermogram("net", clock=clk)
    m = _machine()
    assert tt.store_machine(m, Signal(1, 200)) == 1          # slot 20: beyond the reference's 0..15
    d = tt.substrate.dirty_chain.deltas
    assert [x.key for x in d] == ["l1.w", temps_key("l1.w")] and d[0].metadata.source == "tensor_isa"
    tt.consolidate()
    tt.save(tmp_path / "net.thermo")
    back = TensorThermogram.load(tmp_path / "net.thermo", clock=clk)
    m2 = Machine()
    m2.cold[20] = ColdBuffer.zeros((2, 3), key="l1.w")
    m2.cold[21] = ColdBuffer.zeros((5,), key="missing")
    rep = back.load_machine(m2)
    assert rep.loaded == [20] and rep.temperatures == [20] and rep.skipped[0][:2] == (21, "missing")
    b = m2.cold[20]
    assert b.pol.tolist() == [1, -1, 0, 1, 1, -1] and b.mag.tolist() == [5, 6, 0, 7, 8, 9]
    assert b.temps.tolist() == [0, 1, 2, 3, 0, 1]


def test_bridge_shape_mismatch_and_removed_temperatures():
    tt = TensorThermogram("net", clock=Clock())
    m = _machine()
    tt.store_machine(m, Signal(1, 200))
    m.cold[20].temps = None
    tt.store_machine(m, Signal(1, 200))
    assert tt.substrate.dirty_chain.deltas[-1].delta_type == DeltaType.DELETE
    m2 = Machine()
    m2.cold[20] = ColdBuffer.zeros((2, 3), key="l1.w")
    m2.cold[20].temps = np.full(6, 3, np.uint8)
    m2.cold[5] = ColdBuffer.zeros((7,), key="l1.w")
    rep = tt.load_machine(m2)
    assert m2.cold[20].temps is None and rep.loaded == [20]
    assert any(s[0] == 5 and "shape mismatch: expected 7, got 6" in s[2] for s in rep.skipped)
    assert m2.cold[5].mag.tolist() == [0] * 7


def test_bridge_load_buffer_under_another_key():
    tt = TensorThermogram("net", clock=Clock())
    tt.store_weights("ckpt", _machine().cold[20], Signal(1, 200))
    b = ColdBuffer.zeros((2, 3), key="live.w")          # its own key has nothing stored
    assert tt.load_buffer(b) == (False, False, "no stored weights") and b.mag.tolist() == [0] * 6
    v0 = b.version
    assert tt.load_buffer(b, "ckpt") == (True, True, None)
    assert b.mag.tolist() == [5, 6, 0, 7, 8, 9] and b.temps.tolist() == [0, 1, 2, 3, 0, 1] and b.version > v0
    short = ColdBuffer.zeros((4,))
    assert tt.load_buffer(short, "ckpt") == (False, False, "shape mismatch: expected 4, got 6")


def test_bridge_tick_cadence():
    tt = TensorThermogram("net", clock=Clock())
    tt.substrate.hot["k"] = entry("k", 200, 1)
    for _ in range(9):
        tt.advance_tick()
    assert tt.substrate.hot["k"].strength == Signal(1, 200)
    tt.advance_tick()
    assert tt.substrate.hot["k"].strength == Signal(1, 179) and tt.cache_dirty
