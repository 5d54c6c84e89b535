"""The weight temperature lifecycle: rules, usage tracking, review, one-way consolidation."""
from __future__ import annotations

import numpy as np
import pytest

from ternsig.intmath import I32_MAX
from ternsig.isa.encoding import Instruction as I
from ternsig.plasticity import temperature as T
from ternsig.program import Program, RegisterDef
from ternsig.vm.interpreter import Interpreter
from ternsig.vm.state import ColdBuffer


def buf(values, shape=None, temps=None):
    v = np.array(values)
    b = ColdBuffer(np.sign(v).astype(np.int8), np.minimum(np.abs(v), 255).astype(np.uint8),
                   tuple(shape or (len(v),)))
    if temps is not None:
        b.temps = np.array(temps, np.uint8)
    return b


# ---- rules ------------------------------------------------------------------------------------

def test_promote_demote_and_from_u8():
    t = np.array([0, 1, 2, 3, 7], np.uint8)
    assert T.promote(t).tolist() == [1, 2, 3, 3, 3]
    assert T.demote(t).tolist() == [0, 0, 1, 2, 2]
    assert T.normalize(t).tolist() == [0, 1, 2, 3, 3]


def test_gating_rules_match_the_reference_table():
    t = np.array([0, 1, 2, 3])
    assert T.threshold_multipliers(t).tolist() == [1, 2, 4, I32_MAX]
    assert T.learning_thresholds(50, t).tolist() == [25, 50, 100, I32_MAX]
    assert T.learning_thresholds(1, t).tolist() == [0, 1, 2, I32_MAX]
    assert T.can_learn(t).tolist() == [True, True, True, False]
    assert T.conductances(t).tolist() == [255, 200, 100, 30]
    assert T.can_conduct(t, np.array([0, 14, 60, 120])).tolist() == [True, False, True, True]
    assert T.can_conduct(t, np.array([0, 15, 59, 119])).tolist() == [True, True, False, False]


def test_vm_commit_uses_the_same_rule():
    """COLD never learns in the VM commit, at any pressure (see deviations)."""
    regs = [RegisterDef(0x40, "ternary", (4,))]
    it = Interpreter(Program([I(0, 0x5013, 0x40, 0xFF, 0, 50), I(0, 0x0001, 0xFF, 0xFF, 0, 0)], regs))
    c = it.m.cold[0]
    c.temps = np.array([0, 1, 2, 3], np.uint8)
    it.m.pressure[0] = np.array([25, 49, 100, I32_MAX], np.int32)
    it.run()
    assert c.values().tolist() == [5, 0, 5, 0]
    assert it.m.pressure[0].tolist() == [0, 49, 0, I32_MAX]


def test_histogram_treats_missing_temperatures_as_hot():
    assert T.temperature_histogram(buf([1, 2, 3])) == {"HOT": 3, "WARM": 0, "COOL": 0, "COLD": 0}
    assert T.temperature_histogram(buf([1, 2, 3], temps=[3, 1, 9])) == {"HOT": 0, "WARM": 1, "COOL": 0, "COLD": 2}


# ---- usage --------------------------------------------------------------------------------------

def test_usage_is_off_until_enabled_and_saturates_at_u32():
    b = buf([1, 1, 1])
    assert T.record_usage(b, [0, 1]) == 0 and b.usage is None
    T.enable_usage_tracking(b)
    assert b.usage.dtype == np.uint32
    T.record_usage(b, [0, 2, 2, 7, -1])           # duplicates count once, out-of-range ignored
    T.record_usage(b, np.array([True, False, False]))
    assert b.usage.tolist() == [2, 0, 1]
    b.usage[0] = 2**32 - 1
    T.record_usage(b, [0])
    assert b.usage[0] == 2**32 - 1
    with pytest.raises(ValueError):
        T.record_usage(b, np.array([True]))


def test_decay_frequently_rarely_and_reset():
    b = buf([1, 1, 1, 1])
    T.enable_usage_tracking(b)
    b.usage[:] = [255, 100, 3, 0]
    T.decay_usage(b, 128)
    assert b.usage.tolist() == [128, 50, 1, 0]
    assert T.frequently_used(b, 50).tolist() == [0, 1] and T.rarely_used(b, 50).tolist() == [2, 3]
    T.reset_usage(b)
    assert b.usage.tolist() == [0, 0, 0, 0]
    with pytest.raises(ValueError):
        T.decay_usage(b, 256)
    assert T.frequently_used(buf([1]), 0).tolist() == []


def test_forward_usage_needs_weight_input_and_conduction():
    # W [2,3]; row 0 is HOT, row 1 COOL (barrier 60)
    b = buf([1, 0, 1, 1, 1, 1], shape=(2, 3), temps=[0, 0, 0, 2, 2, 2])
    T.enable_usage_tracking(b)
    n = T.record_forward_usage(b, np.array([59, 500, 0]))
    assert b.usage.tolist() == [1, 0, 0, 0, 1, 0] and n == 2
    # the extension's matmul sees |x| mod 256: 256 has intensity 0 and cannot cross COOL
    T.reset_usage(b)
    T.record_forward_usage(b, np.array([300, 256, 5]), wrap_intensity=True)
    assert b.usage.tolist() == [1, 0, 1, 0, 0, 0]
    # a short input only covers its columns
    T.reset_usage(b)
    T.record_forward_usage(b, np.array([100]))
    assert b.usage.tolist() == [1, 0, 0, 1, 0, 0]
    flat = buf([1, 1])
    assert T.record_forward_usage(flat, np.array([1])) == 0      # tracking off: nothing to check
    T.enable_usage_tracking(flat)
    with pytest.raises(ValueError):
        T.record_forward_usage(flat, np.array([1]))


def test_usage_follows_a_resized_buffer():
    b = buf([1, 1])
    T.enable_usage_tracking(b)
    T.record_usage(b, [0, 1])
    b.pol, b.mag = np.ones(3, np.int8), np.ones(3, np.uint8)
    T.record_usage(b, [2])
    assert b.usage.tolist() == [1, 1, 1]


# ---- review and consolidation ----------------------------------------------------------------

def test_review_promotes_proven_and_demotes_unused():
    policy = T.LifecyclePolicy(promote_at=(4, 8, 16), demote_below=1, usage_decay=128)
    b = buf([1] * 8, temps=[0, 0, 1, 1, 2, 2, 3, 3])
    T.enable_usage_tracking(b)
    b.usage[:] = [4, 3, 8, 0, 16, 0, 0, 99]
    v = b.version
    rep = T.review(b, policy)
    assert b.temps.tolist() == [1, 0, 2, 0, 3, 1, 3, 3]
    assert (rep.promoted, rep.demoted, rep.changed) == (3, 2, 5)
    # moved weights start over; the others decay
    assert b.usage.tolist() == [0, 1, 0, 0, 0, 0, 0, 49]
    assert b.version > v


def test_review_default_leaves_cold_to_explicit_consolidation():
    b = buf([1, 1], temps=[2, 2])
    T.enable_usage_tracking(b)
    b.usage[:] = [10**6, 5]
    assert T.review(b) == T.ReviewReport(0, 0)
    assert b.temps.tolist() == [2, 2]


def test_review_without_tracking_or_changes_does_nothing():
    b = buf([1, 1])
    assert T.review(b) == T.ReviewReport(0, 0) and b.temps is None
    T.enable_usage_tracking(b)
    b.usage[:] = [3, 3]
    v = b.version
    assert T.review(b, T.LifecyclePolicy(promote_at=(4, None, None))) == T.ReviewReport(0, 0)
    assert b.temps is None and b.version == v      # HOT cannot be demoted further


def test_a_weight_climbs_to_cool_through_repeated_use_then_cools_off_when_idle():
    policy = T.LifecyclePolicy(promote_at=(2, 4, None), demote_below=1, usage_decay=0)
    b = buf([5, 5], shape=(1, 2))
    T.enable_usage_tracking(b)
    x_used = np.array([200, 0])
    path = []
    for _ in range(8):
        T.record_forward_usage(b, x_used)
        T.record_forward_usage(b, x_used)
        T.record_forward_usage(b, x_used)
        T.record_forward_usage(b, x_used)
        T.review(b, policy)
        path.append(b.temps.tolist())
    assert path[0] == [1, 0] and path[1] == [2, 0] and path[-1] == [2, 0]   # weight 1 never used
    T.review(b, policy)                                                      # idle round
    assert b.temps.tolist() == [1, 0]


def test_consolidation_is_explicit_and_one_way():
    b = buf([1, 1, 1, 1], temps=[0, 1, 2, 3])
    T.enable_usage_tracking(b)
    b.usage[:] = 7
    assert T.consolidate(b, min_temperature=T.COOL) == 1
    assert b.temps.tolist() == [0, 1, 3, 3] and b.usage.tolist() == [7, 7, 0, 7]
    assert T.consolidate(b, [0]) == 1 and b.temps.tolist() == [3, 1, 3, 3]
    assert T.consolidate(b) == 1 and b.temps.tolist() == [3, 3, 3, 3]
    assert T.consolidate(b) == 0
    # the lifecycle never thaws COLD, however idle
    b.usage[:] = 0
    for _ in range(5):
        T.review(b, T.LifecyclePolicy(demote_below=10**6))
    assert b.temps.tolist() == [3, 3, 3, 3]


def test_consolidated_weights_stop_learning_in_the_vm():
    regs = [RegisterDef(0x40, "ternary", (2,))]
    it = Interpreter(Program([I(0, 0x5013, 0x40, 0xFF, 0, 0), I(0, 0x0001, 0xFF, 0xFF, 0, 0)], regs))
    c = it.m.cold[0]
    T.consolidate(c, [1])
    it.m.pressure[0] = np.array([1000, 1000], np.int32)
    it.run()
    assert c.values().tolist() == [5, 0]


def test_policy_validation():
    with pytest.raises(ValueError):
        T.LifecyclePolicy(promote_at=(1, 2))         # type: ignore[arg-type]
    with pytest.raises(ValueError):
        T.LifecyclePolicy(promote_at=(0, None, None))
    with pytest.raises(ValueError):
        T.LifecyclePolicy(usage_decay=300)


def test_machine_level_tracking_and_review():
    from ternsig.vm.state import Machine

    m = Machine()
    m.cold[2], m.cold[40] = buf([1, 1]), buf([1])
    assert T.track_machine(m) == 2
    T.record_usage(m.cold[40], [0])
    reports = T.review_machine(m, T.LifecyclePolicy(promote_at=(1, None, None)))
    assert reports == {40: T.ReviewReport(1, 0)}
    assert m.cold[40].temps.tolist() == [1] and m.cold[2].temps is None


@pytest.mark.parametrize("seed", range(8))
def test_forward_usage_matches_the_plain_formula(seed):
    """The cached barrier table gives exactly: used = w != 0 and x != 0 and intensity ≥ barrier,
    over random shapes, temperatures 0..255, short inputs and short weight/temperature arrays;
    and it follows weight and temperature changes."""
    rng = np.random.default_rng(seed)
    out, inn = int(rng.integers(1, 12)), int(rng.integers(1, 12))
    n = out * inn - int(rng.integers(0, 3))            # sometimes fewer weights than the shape
    b = buf(rng.integers(-2, 3, max(n, 0)).tolist(), shape=(out, inn),
            temps=rng.integers(0, 6, max(n - int(rng.integers(0, 2)), 0)).tolist())
    T.enable_usage_tracking(b)
    barrier = np.array([0, 15, 60, 120])
    for step in range(4):
        x = rng.integers(-400, 400, int(rng.integers(0, inn + 2))) * (rng.random() < 0.9)
        wrap = bool(rng.integers(2))
        before = b.usage.astype(np.int64).copy()
        got = T.record_forward_usage(b, x, wrap_intensity=wrap)
        xs = np.zeros(inn, np.int64)
        xs[:min(len(x), inn)] = x[:inn]
        inten = (np.abs(xs) & 0xFF) if wrap else np.minimum(np.abs(xs), 255)
        want = np.zeros(len(b), bool)
        for i in range(len(b)):
            o, c = divmod(i, inn)
            t = min(int(b.temps[i]), 3) if b.temps is not None and i < len(b.temps) else 0
            want[i] = o < out and b.values()[i] != 0 and xs[c] != 0 and inten[c] >= barrier[t]
        assert (b.usage - before).tolist() == want.astype(int).tolist() and got == int(want.sum())
        if step == 1:                                   # weights and temperatures change
            b.pol = -b.pol
            b.mag = np.where(b.mag > 0, 0, 7).astype(np.uint8)
            b.temps = np.zeros(len(b), np.uint8)
            b.touch()


def test_forward_usage_saturates_at_u32():
    b = buf([1, 1], shape=(1, 2))
    T.enable_usage_tracking(b)
    b.usage[:] = [T.U32_MAX, 5]
    assert T.record_forward_usage(b, np.array([3, 3])) == 2
    assert b.usage.tolist() == [T.U32_MAX, 6]
