"""Classification flags on the instruction tables: the one place that says which opcodes branch,
end a block, loop, call, restructure, write weights or chemicals, and which DomainOp they yield."""
from __future__ import annotations

import pytest

from ternsig.errors import UsageError
from ternsig.extensions import STANDARD, STANDARD_IDS
from ternsig.extensions.core import CORE
from ternsig.isa.spec import FLAGS, ExtensionTable, Layer, parse_flags
from ternsig.registry import ExtensionRegistry, RegistryError
from ternsig.vm.domainops import OPS

REG = ExtensionRegistry.standard()
ALL = [s for t in REG.all_tables() for s in t.specs]


def test_core_is_extension_zero_behind_the_same_lookup():
    assert REG.get(0) is CORE and REG.all_tables()[0] is CORE
    assert REG.spec(0, CORE.by_mnemonic["halt"].opcode) is CORE.by_mnemonic["halt"]
    assert ExtensionRegistry().get(0) is CORE            # every registry holds the core ISA
    assert REG.spec(0, 0xFFFF) is None and REG.spec(0x7777, 0) is None
    with pytest.raises(RegistryError):
        ExtensionRegistry([ExtensionTable(0, "other")])
    assert STANDARD_IDS == {t.name: t.ext_id for t in REG.tables()}
    assert [t.ext_id for t in STANDARD] == [t.ext_id for t in REG.all_tables()]


def test_every_yielding_instruction_names_real_domainops():
    for s in ALL:
        assert s.yields == bool(s.yields_ops), s.qualified
        assert set(s.yields_ops) <= set(OPS), (s.qualified, s.yields_ops)


def test_chemical_writers_are_exactly_the_chemical_domainops():
    writers = {s.qualified for s in ALL if s.writes_chemicals}
    assert writers == {s.qualified for s in ALL if {"ChemSet", "ChemInject"} & set(s.yields_ops)}
    assert writers                                          # the policy's chemical authority reads this


def test_control_flow_flags_are_consistent():
    for s in ALL:
        if s.branch:
            assert any(o.kind == "label" and o.slot == "CD" for o in s.layout), s.qualified
        if s.call or s.ret or s.loop:
            assert s.ext_id == 0, s.qualified
    roles = [s.loop for s in CORE.specs if s.loop]
    assert sorted(roles) == ["break", "end", "start"]
    assert [s.mnemonic for s in CORE.specs if s.call] == ["call"]
    assert {s.mnemonic for s in CORE.specs if s.terminator} == {"halt", "jump", "return"}


def test_structural_and_weight_writers():
    structural = {s.qualified for s in ALL if s.structural}
    assert {"alloc_tensor", "free_tensor", "grow_neuron", "arch.alloc_tensor", "arch.define_layer"} <= structural
    # every structural instruction is a boot or evolutionary one: runtime programs never restructure
    assert all(s.layer in (Layer.BOOT, Layer.EVOLUTIONARY) for s in ALL if s.structural)
    weights = {s.qualified for s in ALL if s.writes_weights}
    assert {"mastery_commit", "learning.mastery_commit", "lifecycle.load_weights", "ternary.quantize"} <= weights
    assert not any(s.layer == Layer.RUNTIME and s.writes_weights for s in ALL if s.ext_id != 0x000A)


def test_flag_names_are_checked():
    assert parse_flags("branch terminator loop=start") == {"branch": True, "terminator": True, "loop": "start"}
    for bad in ("jumps", "loop=sideways", "branch=1"):
        with pytest.raises(UsageError):
            parse_flags(bad)
    for s in ALL:
        assert set(f.partition("=")[0] for f in s.flags) <= set(FLAGS) | {"loop"}


def test_flagged_lookup_is_derived_from_the_rows_and_follows_registration():
    reg = ExtensionRegistry.standard()
    for flag in list(FLAGS) + ["loop"]:
        want = {(s.ext_id, s.opcode) for s in ALL if getattr(s, flag)}
        got = reg.flagged(flag)
        assert set(got) == want, flag
        assert all(getattr(spec, flag) for spec in got.values())
    assert list(reg.flagged("loads_input").values()) == [CORE.by_mnemonic["load_input"]]
    t = ExtensionTable(0x0100, "sensor")
    t.declare(0x0000, "read", "reg@A", Layer.RUNTIME, "reads the input buffer", flags="loads_input")
    reg.register(t)      # the cache is rebuilt after a registration
    assert (0x0100, 0x0000) in reg.flagged("loads_input")
