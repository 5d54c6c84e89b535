"""Seed 001's tier examples (src/ternsig/examples/seed001/), each run for real: tier 2 as written,
tiers 3-5 with the smallest changes documented in their headers and docs/deviations.md."""
from __future__ import annotations

import io
import shutil

import numpy as np

from tests.paths import EXAMPLES
from ternsig.host.brain import Brain
from ternsig.plasticity.temperature import COLD, COOL, HOT
from ternsig.testing import run_test_files

from tests.host.conftest import assert_clean, firmware, hot, make_brain

SEED = EXAMPLES / "seed001"


def test_tier2_region_runs_as_written_in_a_learning_region(root):
    src = (SEED / "tier2_region.ternsig").read_text()
    b = make_brain(root, {"region": (src, "role=learning input=@env")})
    for _ in range(5):
        b.region("region").pending_input = np.arange(12, dtype=np.int32) * 20
        b.tick()
    assert_clean(b)
    assert hot(b, "region", 2) == [b.substrate.read_chemical(0)]     # dopamine, read through the host
    assert len(b.region("region").output) == 32


def _tier3_brain(root) -> Brain:
    d = root / "brain"
    d.mkdir(parents=True)
    shutil.copy(SEED / "tier3_boot.ternsig", d / "boot.ternsig")
    for name in ("representation", "language"):
        shutil.copy(SEED / f"{name}.ternsig", d / f"{name}.ternsig")
    return Brain(d, state_dir=root / "state")


def test_tier3_boot_topology_names_what_it_allocates(root):
    b = _tier3_brain(root)
    b.boot()
    assert b.store.registered == {"representation.w1": (32, 12), "language.w1": (64, 32)}
    b.region("representation").pending_input = np.ones(12, np.int32)
    b.tick()
    assert_clean(b)
    assert len(b.region("representation").output) == 32


def test_boot_allocations_are_handed_to_the_regions_that_declare_their_key(root):
    b = _tier3_brain(root)
    b.boot()

    class BootMachine:            # what the boot program left: a named, initialised register
        def __init__(self, cold):
            self.m = type("M", (), {"cold": [cold]})()

    rep = b.region("representation").machine.cold[0]
    given = rep.copy()
    given.pol[:] = 1
    given.mag[:] = 9
    given.key = "representation.w1"
    b._hand_over_boot_weights(BootMachine(given))
    assert (rep.pol == 1).all() and (rep.mag == 9).all()


def test_tier4_test_harness_passes():
    out = io.StringIO()
    assert run_test_files([SEED / "tier4_test_representation.ternsig"], out) == 0, out.getvalue()
    assert "1 passed" in out.getvalue()


def test_tier5_prunes_the_coldest_neuron(root):
    src = (SEED / "tier5_evolve_prune.ternsig").read_text()
    for coldest in range(4):
        b = make_brain(root / str(coldest), {"evo": (src, "role=evolutionary")})
        c = b.region("evo").machine.cold[0]
        c.pol[:] = np.repeat(np.array([1, -1, 1, -1], np.int8), 4)
        c.mag[:] = np.repeat(np.array([10, 20, 30, 40], np.uint8), 4)
        temps = np.full((4, 4), HOT, np.uint8)
        temps[coldest] = COLD
        c.temps = temps.ravel()
        c.touch()
        b.tick()
        assert_clean(b)
        left = c.mag.reshape(-1, 4)[:, 0].tolist()
        assert c.shape == (3, 4) and left == [m for i, m in enumerate([10, 20, 30, 40]) if i != coldest]


def test_firmware_consolidate_freezes_cooled_weights_cold(root):
    fw = firmware("learning.consolidate\nhalt", 'C0: ternary[2, 2] key="k.w"')
    b = make_brain(root, {"l": (fw, "role=learning")})
    c = b.region("l").machine.cold[0]
    c.temps = np.array([HOT, COOL, COOL, HOT], np.uint8)
    c.touch()
    b.tick()
    assert_clean(b)
    assert c.temps.tolist() == [HOT, COLD, COLD, HOT]
