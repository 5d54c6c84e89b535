"""SNN and pool DomainOps fulfilled by the default host's spiking substrate, under a real brain."""
from __future__ import annotations

import numpy as np
import pytest

from ternsig.errors import AssemblyError, HostError
from ternsig.host.spiking_ops import SpikingSubstrate

from tests.host.conftest import assert_clean, assert_trapped, firmware, hot, make_brain, reopen, set_hot

REGS = "\n".join(f"H{i}: i32[4]" for i in range(8))


def brain(root, program, config="", opts="role=test"):
    return make_brain(root, {"r": (firmware(program, REGS), opts)}, config=config)


def test_declared_snn_reads(root):
    b = brain(root, """
        neuro.snn_read_neuron_count H0
        neuro.snn_read_timestep H1
        neuro.snn_read_outputs H2
        neuro.snn_read_activities H3
        neuro.snn_read_activation H4
        halt
    """, config="snn r neurons=12 density=0.2 seed=4")
    b.tick()
    b.tick()
    assert_clean(b)
    pop = b.spiking.snn("r")
    assert hot(b, "r", 0)[0] == 12
    assert hot(b, "r", 1)[0] == 2 == pop.timestep          # stepped once per tick, at region start
    assert hot(b, "r", 2) == pop.outputs.tolist() and len(hot(b, "r", 2)) == 12
    assert hot(b, "r", 3) == pop.spike_counts.tolist()
    assert hot(b, "r", 4)[0] == pop.mean_activation()


def test_region_input_drives_its_snn(root):
    b = brain(root, "neuro.snn_read_activities H0\nhalt", config="snn r neurons=4 density=0 ratio=1.0",
              opts="role=test")
    for _ in range(60):
        b.region("r").pending_input = np.array([0, 10, 0, 20], np.int32)
        b.tick()
    counts = hot(b, "r", 0)
    assert counts[0] == counts[2] == 0 and 0 < counts[1] < counts[3]


def test_axes_step_toward_their_target_at_a_bounded_rate(root):
    b = brain(root, """
        neuro.snn_set_axes H0
        neuro.snn_step_axes H1
        halt
    """)
    set_hot(b, "r", 0, [100, -50, 200, 3])
    set_hot(b, "r", 1, [30])
    b.tick()
    pop = b.spiking.snn("r")
    assert pop.target_axes.tolist() == [100, -50, 127, 3]
    assert pop.axes.tolist() == [30, -30, 30, 3]
    b.tick()
    assert pop.axes.tolist() == [60, -50, 60, 3]


def test_grow_and_prune(root):
    b = brain(root, "neuro.snn_grow_neurons H0, H1\nneuro.snn_prune_neurons H2, H3\nhalt",
              config="snn r neurons=10")
    set_hot(b, "r", 0, [5])
    set_hot(b, "r", 2, [0, 1, 2])
    b.tick()
    assert_clean(b)
    assert hot(b, "r", 1)[0] == 15 and hot(b, "r", 3)[0] == 12
    set_hot(b, "r", 0, [100000])
    b.tick()
    assert_trapped(b, "r", "SNNGrowNeurons", "0..4096")


def test_pool_inject_tick_read_stats(root):
    b = brain(root, """
        pool.pool_inject H0, 0, 0, 1
        pool.pool_tick H1
        pool.pool_read_output_direct H2, 0, 0, 8
        pool.pool_read_stats H3
        halt
    """, config="pool r neurons=300 density=0 ratio=1.0")
    set_hot(b, "r", 0, [40])           # a strong current into neurons [0, 256)
    set_hot(b, "r", 1, [0])
    fired = []
    for _ in range(5):
        b.tick()
        fired.append(hot(b, "r", 1)[0])
    assert_clean(b)
    assert max(fired) == 256                        # every injected neuron spikes, none other
    pool = b.spiking.pool("r")
    assert pool.pop.spike_counts[256:].sum() == 0
    assert hot(b, "r", 3)[1:3] == [0, 5]            # no synapses, five ticks


def test_pool_plasticity_uses_the_chemicals(root):
    b = brain(root, """
        pool.pool_tick H0
        pool.pool_synaptogenesis H1
        pool.pool_modulate H2
        pool.pool_prune_dead H3
        halt
    """, config="pool r neurons=8 density=0 ratio=1.0")
    s = b.substrate
    s.chemicals[s.chem_ids["acetylcholine"]] = 200
    s.chemicals[s.chem_ids["dopamine"]] = 200
    set_hot(b, "r", 0, [30, 30, 30, 0, 0, 0, 0, 0])
    for _ in range(6):
        set_hot(b, "r", 0, [30, 30, 30, 0, 0, 0, 0, 0])
        b.tick()
    assert_clean(b)
    pool = b.spiking.pool("r")
    syn = pool.pop.synapses
    assert len(syn) == 6                                        # all pairs among the three driven
    assert set(zip(syn.pre.tolist(), syn.post.tolist())) == {(i, j) for i in range(3) for j in range(3) if i != j}
    assert (syn.cond > 32).any()                                # dopamine reinforced eligible ones


def test_pool_save_and_load_survive_a_restart(root):
    prog = """
        if_nonzero H7, load
        pool.pool_tick H0
        pool.pool_save
        halt
    load:
        pool.pool_load
        pool.pool_read_stats H1
        halt
    """
    b = brain(root, prog, config="pool r neurons=16")
    set_hot(b, "r", 0, [20] * 4)
    b.tick()
    b.tick()
    assert_clean(b)
    assert (root / "state" / "pool" / "r.npz").is_file()
    b2 = reopen(root)
    set_hot(b2, "r", 7, [1])
    b2.tick()
    assert_clean(b2)
    assert hot(b2, "r", 1)[2] == 2                              # the saved pool had ticked twice


def test_damaged_pool_file_is_a_trap_not_a_crash(root):
    b = brain(root, "pool.pool_load\nhalt")
    (root / "state" / "pool").mkdir(parents=True)
    (root / "state" / "pool" / "r.npz").write_bytes(b"PK\x03\x04garbage")
    b.tick()
    assert_trapped(b, "r", "PoolLoad", "damaged")


def test_substrate_state_round_trip(root):
    b = brain(root, "pool.pool_tick H0\nneuro.snn_read_timestep H1\nhalt", config="snn r neurons=9\npool r neurons=7")
    set_hot(b, "r", 0, [25] * 7)
    b.tick()
    st = b.spiking.state()
    assert {k.split("/")[0] for k in st} == {"snn", "pool"}
    other = SpikingSubstrate()
    other.restore(st)
    assert len(other.snn("r")) == 9 and other.pool("r").ticks == 1
    assert (other.snn("r").v == b.spiking.snn("r").v).all()
    with pytest.raises(HostError):
        other.restore({"bogus": np.zeros(1)})


@pytest.mark.parametrize("line, needle", [
    ("snn r model=lif", "unknown neuron model"),
    ("snn r neurons=x", "bad value"),
    ("pool r colour=red", "unknown setting"),
    ("snn nobody neurons=3", "unknown region"),
])
def test_bad_declarations_are_reported_at_load(root, line, needle):
    with pytest.raises(AssemblyError, match=needle):
        brain(root, "halt", config=line)


def test_checkpoint_and_restart_keep_the_spiking_state(root):
    b = brain(root, "pool.pool_tick H0\nneuro.snn_read_timestep H1\nhalt", config="snn r neurons=9\npool r neurons=7")
    for _ in range(3):
        set_hot(b, "r", 0, [25] * 7)
        b.tick()
    b.durability.checkpoint("test")
    v, counts = b.spiking.snn("r").v.copy(), b.spiking.pool("r").pop.spike_counts.copy()
    b2 = reopen(root)
    assert b2.spiking.snn("r").timestep == 3 and (b2.spiking.snn("r").v == v).all()
    assert b2.spiking.pool("r").ticks == 3 and (b2.spiking.pool("r").pop.spike_counts == counts).all()
