"""Mastery learning as a library (the reference's src/learning.rs on NumPy arrays)."""
from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from ternsig.plasticity import (MasteryConfig, MasteryState, compute_participation_mask, count_active,
                              init_positive_bias, init_random_structure, mastery_update, sparsity)


def sig(pairs):
    return np.array([p for p, _ in pairs], np.int8), np.array([m for _, m in pairs], np.uint8)


def tdiv(a, b):
    q = abs(a) // abs(b)
    return q if (a >= 0) == (b >= 0) else -q


def model(pol, mag, pressure, acts, direction, cfg):
    """learning.rs mastery_update, one weight at a time with Python ints."""
    pol, mag, pressure = list(pol), list(mag), list(pressure)
    stats = [0, 0]
    peak = max(max(acts) if acts else 1, 1)
    thr = tdiv(peak, cfg.participation_divisor)
    for i, a in enumerate(acts):
        if a > thr:
            s = tdiv((a - thr) * 255, peak)
            pressure[i] += tdiv(direction * s * cfg.pressure_scale, 255)
    updates = 0
    step = cfg.magnitude_step
    for i in range(len(pol)):
        p = pressure[i]
        if abs(p) < cfg.pressure_threshold:
            continue
        need = 1 if p > 0 else -1
        updates += 1
        if pol[i] == need:
            mag[i] = min(mag[i] + step, 255)
            stats[0] += 1
            pressure[i] = tdiv(p * cfg.pressure_decay_num, cfg.pressure_decay_den)
        elif pol[i] == 0:
            pol[i], mag[i] = need, step * 2
            stats[1] += 1
            pressure[i] = 0
        elif mag[i] > step:
            mag[i] -= step
            stats[0] += 1
        else:
            pol[i], mag[i] = need, step
            stats[1] += 1
            pressure[i] = 0
    return pol, mag, pressure, updates, stats


def test_presets():
    d, f, s = MasteryConfig.default(), MasteryConfig.fast(), MasteryConfig.stable()
    assert (d.magnitude_step, d.pressure_threshold, d.participation_divisor, d.pressure_scale,
            d.pressure_decay_num, d.pressure_decay_den) == (3, 10, 4, 15, 2, 3)
    assert (f.magnitude_step, f.pressure_threshold, f.participation_divisor, f.pressure_scale,
            f.pressure_decay_num, f.pressure_decay_den) == (5, 5, 3, 20, 1, 2)
    assert (s.magnitude_step, s.pressure_threshold, s.participation_divisor, s.pressure_scale,
            s.pressure_decay_num, s.pressure_decay_den) == (2, 15, 4, 10, 3, 4)
    assert MasteryConfig() == d
    with pytest.raises(ValueError):
        MasteryConfig(magnitude_step=256)


def test_state_reset():
    s = MasteryState.new(10)
    assert s.pressure.dtype == np.int32 and s.pressure.tolist() == [0] * 10
    s.pressure[0] = 100
    s.magnitude_updates = s.polarity_flips = s.samples_learned = 4
    s.reset_pressure()
    s.reset_stats()
    assert s.pressure[0] == 0 and (s.magnitude_updates, s.polarity_flips, s.samples_learned) == (0, 0, 0)


def test_participation_mask_is_peak_relative():
    assert compute_participation_mask([100, 50, 25, 10, 5, 0], 4).tolist() == [True, True, False, False, False, False]
    assert compute_participation_mask([-5, -1], 4).tolist() == [False, False]     # max floored at 1, thr 0
    assert compute_participation_mask([], 4).tolist() == []


def test_strengthens_aligned_weight():
    pol, mag = sig([(1, 50)])
    state = MasteryState.new(1)
    cfg = MasteryConfig(5, 5, 2, 20, 1, 2)
    for _ in range(6):
        mastery_update(pol, mag, state, [100], 1, cfg)
    assert pol[0] == 1 and mag[0] > 50


def test_weakens_then_flips():
    pol, mag = sig([(1, 10)])
    state = MasteryState.new(1)
    cfg = MasteryConfig(5, 3, 2, 20, 1, 2)
    history = []
    for _ in range(20):
        mastery_update(pol, mag, state, [100], -1, cfg)
        history.append((int(pol[0]), int(mag[0])))
    assert pol[0] == -1 and state.polarity_flips > 0
    # magnitude is spent before the polarity turns: (1,10) → (1,5) → flip (-1,5)
    assert history[:2] == [(1, 5), (-1, 5)]


def test_non_participating_units_gain_no_pressure():
    pol, mag = sig([(1, 50), (1, 50)])
    state = MasteryState.new(2)
    for _ in range(10):
        mastery_update(pol, mag, state, [100, 10], 1)
    assert state.pressure[1] == 0 and mag[1] == 50


def test_silent_weight_takes_double_step_and_stats():
    pol, mag = sig([(0, 0), (0, 9)])
    state = MasteryState.new(2)
    n = mastery_update(pol, mag, state, [100, 100], -1, MasteryConfig(4, 1, 4, 15, 2, 3))
    assert n == 2 and pol.tolist() == [-1, -1] and mag.tolist() == [8, 8]
    assert state.pressure.tolist() == [0, 0] and state.polarity_flips == 2 and state.samples_learned == 1


def test_no_update_leaves_samples_learned():
    pol, mag = sig([(1, 1)])
    state = MasteryState.new(1)
    assert mastery_update(pol, mag, state, [0], 1) == 0
    assert state.samples_learned == 0


@settings(max_examples=150, deadline=None)
@given(st.data(), st.integers(1, 30), st.integers(-3, 3),
       st.sampled_from([MasteryConfig.default(), MasteryConfig.fast(), MasteryConfig.stable(),
                        MasteryConfig(7, 1, 2, 100, 5, 7), MasteryConfig(1, 40, -3, 9, 1, -2)]))
def test_vectorised_update_matches_the_scalar_model(data, n, direction, cfg):
    acts = data.draw(st.lists(st.integers(-10**6, 10**6), min_size=n, max_size=n))
    pol = data.draw(st.lists(st.sampled_from([-1, 0, 1]), min_size=n, max_size=n))
    mag = data.draw(st.lists(st.integers(0, 255), min_size=n, max_size=n))
    pressure = data.draw(st.lists(st.integers(-500, 500), min_size=n, max_size=n))
    want = model(pol, mag, pressure, acts, direction, cfg)
    p, m = np.array(pol, np.int8), np.array(mag, np.uint8)
    state = MasteryState(np.array(pressure, np.int32))
    got = mastery_update(p, m, state, acts, direction, cfg)
    assert (p.tolist(), m.tolist(), state.pressure.tolist(), got) == want[:4]
    assert [state.magnitude_updates, state.polarity_flips] == want[4]


# ---- initialisation ---------------------------------------------------------------------------

def test_init_random_structure_exact_and_in_range():
    pol, mag = init_random_structure(100, 42)
    for i in (0, 1, 2, 57, 99):
        h = ((i * 31 + 42) * 17) % 2**64
        assert pol[i] == (1 if h % 2 == 0 else -1) and mag[i] == (h >> 3) % 20 + 20
    assert set(pol.tolist()) <= {1, -1} and mag.min() >= 20 and mag.max() < 40
    assert 30 < int((pol == 1).sum()) < 70


def test_init_random_structure_wraps_u64():
    seed = 2**64 - 5
    pol, mag = init_random_structure(3, seed)
    for i in range(3):
        h = ((i * 31 + seed) % 2**64 * 17) % 2**64
        assert pol[i] == (1 if h % 2 == 0 else -1) and mag[i] == (h >> 3) % 20 + 20


def test_init_positive_bias_exact():
    pol, mag = init_positive_bias(20, 7)
    assert pol.tolist() == [1] * 20
    assert mag.tolist() == [((i * 41 + 7) >> 2) % 15 + 10 for i in range(20)]


def test_count_active_and_sparsity():
    pol = np.array([1, 0, -1, 0], np.int8)
    assert count_active(pol) == 2 and sparsity(pol) == 0.5
    assert sparsity(np.array([1, 1, 0], np.int8)) == float(np.float32(1) - np.float32(2) / np.float32(3))
    assert math.isnan(sparsity(np.zeros(0, np.int8)))


# ---- deviations: the reference asserts/panics or wraps; we raise -----------------------------

def test_length_mismatch_raises_value_error():
    pol, mag = sig([(1, 1), (1, 1)])
    with pytest.raises(ValueError, match="lengths differ"):
        mastery_update(pol, mag, MasteryState.new(2), [1], 1)
    with pytest.raises(ValueError, match="lengths differ"):
        mastery_update(pol, mag, MasteryState.new(3), [1, 2], 1)


def test_i32_overflow_raises_instead_of_wrapping():
    pol, mag = sig([(1, 1)])
    with pytest.raises(OverflowError, match="activity strength"):
        mastery_update(pol, mag, MasteryState.new(1), [2**31 - 1], 1)   # (a − thr)·255 overflows
    state = MasteryState(np.array([2**31 - 10], np.int32))
    with pytest.raises(OverflowError, match="pressure"):
        mastery_update(pol, mag, state, [1000], 1, MasteryConfig(pressure_scale=2000))
    with pytest.raises(OverflowError, match="u8"):
        mastery_update(*sig([(0, 0)]), MasteryState.new(1), [100], 1, MasteryConfig(magnitude_step=200, pressure_threshold=1))
    with pytest.raises(ValueError, match="must not be 0"):     # refused when the config is made
        MasteryConfig(participation_divisor=0)
    with pytest.raises(ValueError, match="must not be 0"):
        MasteryConfig(pressure_decay_den=0)
