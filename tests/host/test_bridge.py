"""Pluggable substrates: ``Brain(directory, substrate=…)`` with seed 001's SubstrateHandle.

``World`` is a test substrate: an outside world of plain dicts that implements the protocol and
nothing else. A brain bridged to it reads and writes chemicals and fields through it, sees its
convergence and stimulation, and keeps its own clock."""
from __future__ import annotations

import pytest

from ternsig.errors import UsageError
from ternsig.host.brain import Brain
from ternsig.host.bridge import BridgedSubstrate
from ternsig.host.substrate import Substrate, SubstrateHandle

from tests.host.conftest import assert_clean, brain_dir, firmware, hot


class World:
    """An outside world: chemicals and fields in dicts, a convergence level, eight stimuli."""

    def __init__(self):
        self.chem = {i: 100 + i for i in range(8)}
        self.fields: dict[tuple[int, int], int] = {}
        self.conv = 42
        self.stim = [7] * 8
        self.writes: list[tuple] = []

    def read_chemical(self, chem_id): return self.chem[chem_id]
    def write_chemical(self, chem_id, value): self.chem[chem_id] = value; self.writes.append(("chem", chem_id, value))
    def read_field(self, field_id, index): return self.fields.get((field_id, index), 0)
    def write_field(self, field_id, index, value): self.fields[(field_id, index)] = value
    def read_convergence(self): return self.conv
    def read_stimulation(self, stim_id): return self.stim[stim_id]
    def read_temperature(self, cold_reg, index): return 0
    def boot_phase(self): return 0
    def tick_count(self): return 1000
    def neuronal_level(self): return 3


READER = firmware("""
    neuro.chem_read H0, 1
    neuro.conv_read H1
    neuro.stim_read H2
    neuro.field_read H3, 5
    halt
""", "H0: i32[1]\nH1: i32[1]\nH2: i32[8]\nH3: i32[4]")
REGULATOR = firmware("""
    set H0, 200
    neuro.chem_set H0, 0
    set H1, 9
    neuro.field_write H1, 5
    halt
""", "H0: i32[1]\nH1: i32[1]")


def bridged(root, world):
    d = brain_dir(root, {"reg": (REGULATOR, "role=regulation"), "reader": READER})
    return Brain(d, state_dir=root / "state", substrate=world)


def test_world_implements_the_protocol():
    assert isinstance(World(), SubstrateHandle)


def test_brain_reads_and_writes_the_world_through_the_handle(root):
    world = World()
    b = bridged(root, world)
    assert isinstance(b.substrate, BridgedSubstrate)
    world.fields[(5, 1 * b.substrate.field_width)] = 33      # slice of region 1 (reader), element 0
    b.tick()
    assert_clean(b)
    assert world.chem[0] == 200 and ("chem", 0, 200) in world.writes     # regulation wrote through
    assert world.fields[(5, 0)] == 9                                      # region 0's slice, element 0
    assert hot(b, "reader", 0) == [101]
    assert hot(b, "reader", 1) == [42]
    assert hot(b, "reader", 2) == [7] * 8
    assert hot(b, "reader", 3)[:4] == [33, 0, 0, 0]
    world.conv, world.chem[1] = 77, 5                                     # the world changes outside
    b.tick()
    assert hot(b, "reader", 0) == [5] and hot(b, "reader", 1) == [77]


def test_the_brain_keeps_its_own_clock(root):
    b = bridged(root, World())
    b.tick()
    b.tick()
    assert b.substrate.tick == 1002 and b.substrate.level == 3


def test_a_substrate_instance_is_used_as_is_and_the_default_is_built_in(root):
    d = brain_dir(root, {"reader": READER})
    mine = Substrate(field_slices=16)
    assert Brain(d, state_dir=root / "s1", substrate=mine).substrate is mine
    assert type(Brain(d, state_dir=root / "s2").substrate) is Substrate


def test_something_else_is_a_usage_error_naming_what_is_missing(root):
    d = brain_dir(root, {"reader": READER})
    with pytest.raises(UsageError, match="read_field"):
        Brain(d, state_dir=root / "s", substrate=object())


def test_field_decay_goes_through_the_handle(root):
    world = World()
    b = bridged(root, world)
    world.fields[(5, 3)] = 256
    b.substrate.tick_field(5)
    assert world.fields[(5, 3)] == (256 * b.substrate.retention[5]) >> 8
    assert b.substrate.slice(5, 0).tolist()[3] == world.fields[(5, 3)]
