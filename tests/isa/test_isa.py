import pytest
from hypothesis import given, strategies as st

from ternsig.extensions import STANDARD_IDS
from ternsig.extensions.core import CORE
from ternsig.isa.encoding import Instruction, decode_words, encode_words, parse_register, reg_name
from ternsig.isa.spec import ExtensionTable, Layer, parse_layout
from ternsig.isa.types import TypeId, dtype_from_typeid, dtype_typeid, parse_dtype
from ternsig.registry import ExtensionRegistry, RegistryError

byte = st.integers(0, 255)
u16 = st.integers(0, 0xFFFF)


@given(u16, u16, byte, byte, byte, byte)
def test_instruction_word_round_trip(e, o, a, b, c, d):
    ins = Instruction(e, o, a, b, c, d)
    raw = ins.to_bytes()
    assert len(raw) == 8 and raw[:2] == e.to_bytes(2, "big") and raw[2:4] == o.to_bytes(2, "big")
    assert Instruction.from_bytes(raw) == ins
    assert decode_words(encode_words([ins, ins])) == [ins, ins]
    assert ins.cd == (c << 8) | d


def test_register_bytes():
    assert parse_register("H3") == 0x03
    assert parse_register("t3") == 0x03          # T is an alias of the hot bank
    assert parse_register("C0") == 0x40
    assert parse_register("P1") == 0x81
    assert parse_register("S0x3F") == 0xFF
    assert parse_register("H64") is None and parse_register("X1") is None and parse_register("H") is None
    assert reg_name(0x43) == "C3" and reg_name(0xFF) == "NULL"


@given(byte)
def test_register_name_round_trip(b):
    if b != 0xFF:
        assert parse_register(reg_name(b)) == b


def test_type_ids():
    assert TypeId.SIGNAL == 0x0100 and TypeId.PACKED_SIGNAL == 0x0101 and TypeId.CHEMICAL == 0x0102
    assert parse_dtype("Float32") == "f32" and parse_dtype("packedternary") == "packed"
    assert parse_dtype("signal") is None
    assert dtype_typeid("ternary") == 0x0100 and dtype_from_typeid(0x0100) == "ternary"
    assert dtype_from_typeid(0x0777) == "i32"   # unknown ids decode to i32, as the reference


def test_layout_language():
    ops = parse_layout("reg@A fix@B=0xFF gain@D=4.0 scale@CD=15 threshold_div@-=4")
    assert [o.kind for o in ops] == ["reg", "fix", "gain", "scale", "threshold_div"]
    assert ops[1].default == 0xFF and ops[2].default == 4.0 and ops[4].slot == "-"
    assert ops[3].is_param and not ops[0].is_param
    with pytest.raises(ValueError):
        parse_layout("reg@Q")


def test_core_table_is_complete_and_consistent():
    assert len(CORE.specs) == 55          # every core opcode the reference dispatches
    assert CORE.lookup("mov") is CORE.lookup("copy_reg")
    assert CORE.by_opcode[0x3011].mnemonic == "set"
    for spec in CORE.specs:
        assert spec.handler is not None, f"core {spec.mnemonic} has no handler"
        slots = [o.slot for o in spec.layout if o.slot != "-"]
        flat = [s for slot in slots for s in (("C", "D") if slot == "CD" else (slot,))]
        assert len(flat) == len(set(flat)), f"{spec.mnemonic}: two operands share a slot"


def _user_table(ext_id=0x0100, name="myext"):
    t = ExtensionTable(ext_id, name)

    @t.op(0x0000, "poke", "reg@A imm8@B", Layer.RUNTIME, "test op")
    def poke(m, a, b, c, d):
        return None

    return t


def test_registry_rules():
    reg = ExtensionRegistry([_user_table()])
    assert reg.get(0x0100).name == "myext" and reg.resolve("myext.POKE").opcode == 0
    with pytest.raises(RegistryError):
        reg.register(_user_table(0x0100, "other"))          # duplicate id
    with pytest.raises(RegistryError):
        reg.register(_user_table(0x0101, "myext"))          # colliding qualified mnemonics
    with pytest.raises(RegistryError):
        reg.register(ExtensionTable(0x0000, "zero"))       # id 0 is the core
    with pytest.raises(ValueError):
        t = _user_table(0x0102, "dup")
        t.declare(0x0001, "poke", "reg@A", Layer.RUNTIME, "same mnemonic twice")


def test_standard_registry_ids_match_reference_names():
    reg = ExtensionRegistry.standard()
    for t in reg.tables():
        assert STANDARD_IDS[t.name] == t.ext_id
        assert all(s.handler is not None for s in t.specs), t.name
