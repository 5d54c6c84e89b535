"""The spiking population checked against the published dynamics (Izhikevich 2003, "Simple Model
of Spiking Neurons"): the RS, FS, CH and IB parameter sets show their firing patterns under a step
current, and spike counts equal those of a separate plain-Python Euler integration of the same
equations written out here (not taken from the implementation)."""
from __future__ import annotations

import numpy as np
import pytest

from ternsig.errors import HostError
from ternsig.host.spiking import Population

# the published parameter sets, written out independently of IZH_PROFILES
PAPER = {"rs": (0.02, 0.2, -65.0, 8.0), "fs": (0.1, 0.2, -65.0, 2.0),
         "ch": (0.02, 0.2, -50.0, 2.0), "ib": (0.02, 0.2, -55.0, 4.0)}


def euler_spike_times(a, b, c, d, current, ms, substeps):
    """Plain-Python forward Euler of v' = 0.04v² + 5v + 140 − u + I, u' = a(bv − u); v ≥ 30 mV:
    v ← c, u ← u + d. Starts at rest (v = −65, u = b·v); ``substeps`` steps of 1/substeps ms."""
    v, u, h, times = -65.0, b * -65.0, 1.0 / substeps, []
    for t in range(ms):
        fired = False
        for _ in range(substeps):
            dv = (0.04 * v * v + 5.0 * v + 140.0 - u + current) * h
            du = a * (b * v - u) * h
            v, u = v + dv, u + du
            if v >= 30.0:
                v, u, fired = c, u + d, True
        if fired:
            times.append(t)
    return times


def population_spike_times(profile, currents, ms, substeps):
    pop = Population(len(currents), profile=profile, excitatory_ratio=1.0, density=0.0, substeps=substeps)
    drive = np.asarray(currents, np.int64) * 256
    times = [[] for _ in currents]
    for t in range(ms):
        for i in np.flatnonzero(pop.step(drive)):
            times[i].append(t)
    return times


@pytest.mark.parametrize("substeps", [1, 2])
@pytest.mark.parametrize("profile", sorted(PAPER))
def test_spike_times_equal_an_independent_euler_integration(profile, substeps):
    currents = [0, 3, 4, 7, 10, 15]
    got = population_spike_times(profile, currents, 400, substeps)
    for cur, times in zip(currents, got):
        assert times == euler_spike_times(*PAPER[profile], cur, 400, substeps), (profile, cur)


def test_below_rheobase_nothing_fires_and_more_current_fires_more():
    for profile in PAPER:
        counts = [len(t) for t in population_spike_times(profile, [0, 3, 5, 10, 20], 500, 2)]
        assert counts[0] == counts[1] == 0, profile
        assert counts[2] < counts[3] < counts[4], (profile, counts)


def _isis(profile):
    (times,) = population_spike_times(profile, [10], 400, 2)     # the paper's step current I = 10
    return times, np.diff(times)


def test_regular_spiking_is_tonic_and_adapts():
    times, isi = _isis("rs")
    assert 5 <= len(times) <= 12
    assert isi[0] < isi[-1]                       # spike-frequency adaptation
    assert isi.min() > 15                         # no bursts
    assert np.ptp(isi[2:]) <= 2                   # then regular


def test_fast_spiking_fires_fast_without_adaptation():
    times, isi = _isis("fs")
    rs, _ = _isis("rs")
    _, rs_isi = _isis("rs")
    assert len(times) > 3 * len(rs)
    assert isi.max() <= 10 and np.ptp(isi[3:]) <= 2     # ~110 Hz, steady after the first spikes
    assert rs_isi[-1] > 4 * isi[-1]


def test_chattering_fires_bursts():
    times, isi = _isis("ch")
    short, long_ = isi[isi <= 6], isi[isi >= 30]
    assert len(long_) >= 3                        # at least four bursts ...
    assert len(short) >= 3 * len(long_)           # ... of several closely spaced spikes each


def test_intrinsically_bursting_bursts_then_spikes_regularly():
    times, isi = _isis("ib")
    assert isi[0] <= 8 and isi[1] <= 8            # an initial burst
    assert (isi[2:] >= 25).all()                  # then single spikes
    assert np.ptp(isi[3:]) <= 2                   # at a regular rate


def test_hodgkin_huxley_fires_repetitively_above_threshold_only():
    def count(i_ext):
        pop = Population(1, model="hodgkin_huxley", excitatory_ratio=1.0, density=0.0, dt=0.025)
        return sum(int(pop.step(np.array([i_ext * 256]))[0]) for _ in range(2000))   # 50 ms

    assert count(0) == 0
    assert 2 <= count(10) <= 5                    # ~70 Hz at 10 µA/cm² (Hodgkin-Huxley 1952)


def test_activation_maps_membrane_to_signed_magnitude():
    pop = Population(2, density=0.0, excitatory_ratio=1.0)
    pop.v[:] = [-65.0 + 47.5, -80.0]
    pop._activation()
    assert pop.outputs.tolist() == [127, 0]       # depolar-only: hyperpolarisation reads 0
    pop.bipolar = True
    pop._activation()
    assert pop.outputs.tolist() == [127, -40]


def test_synapses_carry_activation_times_conductance():
    pop = Population(3, density=0.0, excitatory_ratio=1.0)
    pop.synapses.extend(np.array([0, 1]), np.array([2, 2]), np.array([256, -128], np.int16))
    pop.outputs[:] = [100, 50, 0]
    assert pop.synaptic_input().tolist() == [0, 0, 100 - 25]


def test_grow_and_prune_keep_synapses_consistent():
    pop = Population(20, density=0.2, seed=5)
    assert pop.grow(10) == 30 and len(pop.spike_counts) == 30
    syn = pop.synapses
    assert syn.pre.max() < 30 and syn.post.max() < 30
    before = {(int(a), int(b)) for a, b in zip(syn.pre, syn.post) if a != 3 and b != 3}
    assert pop.prune([3]) == 29
    after = {(int(a), int(b)) for a, b in zip(pop.synapses.pre, pop.synapses.post)}
    assert after == {(a - (a > 3), b - (b > 3)) for a, b in before}
    assert pop.prune(list(range(28))) == 29       # never below two neurons
    with pytest.raises(HostError):
        pop.grow(-1)


def test_state_round_trip_continues_identically():
    pop = Population(50, density=0.1, seed=9)
    drive = np.arange(50) * 40
    for _ in range(30):
        pop.step(drive)
    twin = Population.from_state(pop.state())
    for _ in range(30):
        assert (pop.step(drive) == twin.step(drive)).all()
    assert (pop.v == twin.v).all() and (pop.spike_counts == twin.spike_counts).all()


def test_damaged_state_is_a_host_error():
    st = Population(5, density=0.5).state()
    st["syn_pre"] = st["syn_pre"] + 100
    with pytest.raises(HostError, match="damaged"):
        Population.from_state(st)
    del st["v"]
    with pytest.raises(HostError, match="damaged"):
        Population.from_state(st)


def test_same_seed_same_network():
    a, b = Population(40, seed=3), Population(40, seed=3)
    assert (a.synapses.pre == b.synapses.pre).all() and (a.synapses.cond == b.synapses.cond).all()
    assert not np.array_equal(Population(40, seed=4).synapses.pre, a.synapses.pre)


@pytest.mark.parametrize("kw", [{"model": "lif"}, {"profile": "zz"}, {"density": 2.0}, {"n": -1}])
def test_bad_settings_are_host_errors(kw):
    n = kw.pop("n", 4)
    with pytest.raises(HostError):
        Population(n, **kw)
