"""The disassembler: assemble(disassemble(p)) reproduces words, register defs and requires —
over the whole corpus and for random programs (hypothesis)."""
from __future__ import annotations

import string
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.asm.test_assembler import AT_USE, REFUSED
from tests.paths import CORPUS
from ternsig.asm import DisassemblyError, assemble, disassemble
from ternsig.extensions import STANDARD_IDS
from ternsig.extensions.core.table import CORE
from ternsig.isa.encoding import Instruction
from ternsig.isa.spec import ExtensionTable, Layer
from ternsig.isa.types import DTYPES
from ternsig.program import Program, Projection, RegisterDef, Requirement
from ternsig.registry import ExtensionRegistry


STANDARD = ExtensionRegistry.standard()


def same(p: Program, q: Program) -> None:
    assert q.instructions == p.instructions
    assert q.registers == p.registers
    assert [(r.name, r.ext_id) for r in q.requires] == [(r.name, r.ext_id) for r in p.requires]


def _corpus():
    out = []
    for src in sorted(CORPUS.rglob("program.ternsig")):
        case = src.parent
        if not (case / "assembled.json").exists():
            continue
        cid = str(case.relative_to(CORPUS))
        if cid not in REFUSED and cid not in AT_USE:   # the assembler refuses those (documented deviations)
            out.append(pytest.param(src, id=cid))
    return out


@pytest.mark.parametrize("src", _corpus())
def test_corpus_round_trip(src: Path) -> None:
    p = assemble(src.read_text())
    text = disassemble(p)
    q = assemble(text)
    same(p, q)
    assert q.labels.items() >= {k: v for k, v in p.labels.items() if v <= len(p.instructions)}.items()
    assert (q.name, q.version, q.domain, q.skull_origin, q.input_dim, q.output_dim) == \
           (p.name, p.version, p.domain, p.skull_origin, p.input_dim, p.output_dim)
    assert [vars(x) for x in q.projections] == [vars(x) for x in p.projections]
    assert ".word" not in text, "every corpus instruction has a readable form"


# ---- a registry with a user extension (layouts, hooks) and a stand-in standard table -------------

def _hook_asm(mnemonic, tokens):
    if mnemonic == "blob" and len(tokens) == 1 and tokens[0].startswith("#"):
        return bytes.fromhex(tokens[0][1:])
    return None


def _hook_dis(opcode, operands):
    return "#" + bytes(operands).hex() if opcode == 0x0005 else None


def registry() -> ExtensionRegistry:
    t = ExtensionTable(0x0100, "myext", assemble_hook=_hook_asm, disassemble_hook=_hook_dis)
    t.declare(0x0000, "poke", "reg@A imm8@B", Layer.RUNTIME, "poke")
    t.declare(0x0001, "span", "reg@A imm16@CD", Layer.RUNTIME, "span")
    t.declare(0x0002, "goto", "label@CD", Layer.RUNTIME, "jump")
    t.declare(0x0003, "tune", "reg@A rate@B=7 fix@D=0xFF", Layer.RUNTIME, "named param")
    t.declare(0x0005, "blob", "imm8@A imm8@B imm8@C imm8@D", Layer.RUNTIME, "hooked")
    s = ExtensionTable(0x0001, "tensor")
    s.declare(0x0004, "scale", "reg@A reg@B imm16@CD", Layer.RUNTIME, "scale")
    s.declare(0x0016, "kv_append", "reg@A reg@B pos@C len@D", Layer.RUNTIME, "kv")
    return ExtensionRegistry([t, s])


REG = registry()
CORE_OPS = [s.opcode for s in CORE.specs]

ext_ids = st.one_of(st.just(0), st.just(0), st.sampled_from(sorted(STANDARD_IDS.values())), st.just(0x0100),
                    st.just(0x0200), st.integers(0, 0xFFFF))
byte = st.one_of(st.integers(0, 255), st.sampled_from([0, 0, 0, 0xFF, 1]))


@st.composite
def words(draw) -> Instruction:
    ext = draw(ext_ids)
    if ext == 0:
        op = draw(st.one_of(st.sampled_from(CORE_OPS), st.integers(0, 0xFFFF)))
    elif ext in (0x0100, 0x0001):
        op = draw(st.one_of(st.sampled_from([0, 1, 2, 3, 4, 5, 0x16]), st.integers(0, 0xFFFF)))
    else:
        op = draw(st.integers(0, 0xFFFF))
    return Instruction(ext, op, draw(byte), draw(byte), draw(byte), draw(byte))


key_text = st.text(alphabet=string.ascii_letters + string.digits + "._-[] =:,", max_size=12)
reg_defs = st.builds(RegisterDef, reg=st.integers(0, 255), dtype=st.sampled_from(sorted(DTYPES)),
                     shape=st.lists(st.integers(0, 70000), max_size=3).map(tuple),
                     key=st.one_of(st.none(), key_text), frozen=st.booleans(), allocated=st.booleans())
req_names = st.from_regex(r"[a-z_][a-z0-9_]{0,7}", fullmatch=True)


@st.composite
def programs(draw) -> Program:
    reqs = [Requirement("myext", 0x0100), Requirement("other", 0x0200)]
    for name, ext in draw(st.lists(st.tuples(req_names, st.integers(1, 0xFFFF)), max_size=4)):
        if all(r.ext_id != ext for r in reqs):
            reqs.append(Requirement(name, ext))
    reqs = draw(st.permutations(reqs))
    return Program(instructions=draw(st.lists(words(), max_size=24)), registers=draw(st.lists(reg_defs, max_size=5)),
                   requires=list(reqs))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(programs())
def test_random_programs_round_trip(p: Program) -> None:
    same(p, assemble(disassemble(p, registry=REG), registry=REG))


@settings(max_examples=150, deadline=None)
@given(st.lists(words(), max_size=16))
def test_random_words_round_trip_with_the_standard_registry(ins: list[Instruction]) -> None:
    p = Program(instructions=ins)
    assert assemble(disassemble(p)).instructions == ins


def test_labels_synthesised_kept_and_numeric_beyond_end() -> None:
    p = Program(instructions=[Instruction(0, 0x6008, 0, 0, 0, 2), Instruction(0, 0x6009, 3, 0, 0, 0),
                              Instruction(0, 0x0001, 0xFF, 0xFF), Instruction(0, 0x6006, 0, 0, 0x01, 0x00),
                              Instruction(0, 0x600A, 1, 0, 0, 5)],
                labels={"start": 0, "L2": 3, "": 1})
    text = disassemble(p)
    assert "start:\n    jump L2_1\n" in text and "if_zero H3, start" in text and "call 256" in text
    assert "L2:\n    call 256\n" in text and "if_nonzero H1, L5\nL5:\n" in text
    q = assemble(text)
    assert q.instructions == p.instructions and q.labels["start"] == 0 and q.labels["L2"] == 3


def test_raw_forms_for_what_no_layout_reproduces() -> None:
    p = Program(instructions=[Instruction(0, 0x3003, 1, 0, 0, 9),     # relu with padding in D
                              Instruction(0, 0x7001, 1, 2, 3, 4),     # unknown core opcode
                              Instruction(0x0002, 0x00FF, 1, 2),      # standard ext, no table here
                              Instruction(0x0300, 0x0001, 1),         # undeclared user ext
                              Instruction(0x0200, 0x0009, 0x41, 0xFF)],
                requires=[Requirement("other", 0x0200)])
    lines = [ln.strip() for ln in disassemble(p, registry=REG).splitlines()]
    assert ".word 0x0000300301000009" in lines and ".word 0x0000700101020304" in lines
    assert "ternary.0x00FF 1, 2" in lines and ".word 0x0300000101000000" in lines
    assert "other.0x0009 65, 255" in lines
    same(p, assemble("\n".join(lines), registry=REG))


def test_readable_forms() -> None:
    p = Program(instructions=[Instruction(0, 0x3004, 1, 0, 0, 64), Instruction(0, 0x3004, 1, 0, 0, 40),
                              Instruction(0, 0x4011, 1, 0, 0, 1), Instruction(0, 0x5012, 0x40, 0, 3, 20),
                              Instruction(0x0100, 3, 2, 7, 0, 0xFF), Instruction(0x0100, 3, 2, 9, 0, 0xFF),
                              Instruction(0x0100, 5, 1, 2, 3, 4), Instruction(0x0001, 0x16, 1, 2, 3, 0),
                              Instruction(0x0100, 1, 0, 0, 1, 0)],
                requires=[Requirement("myext", 0x0100)])
    body = disassemble(p, registry=REG).split(".program\n")[1].split("\n")
    assert [ln.strip() for ln in body if ln] == [
        "sigmoid H1, H0", "sigmoid H1, H0, gain=2.5", "transpose H1, H0", "mastery_update C0, H0, H3, scale=20",
        "myext.tune H2", "myext.tune H2, rate=9", "myext.blob #01020304", "tensor.kv_append H1, H2, 3, 0",
        "myext.span H0, 256"]
    same(p, assemble(disassemble(p, registry=REG), registry=REG))


def test_meta_projection_and_register_attributes_round_trip() -> None:
    p = Program(name="demo", version=4, domain="x.y", role="learning", input_dim=3, output_dim=2,
                skull_origin=(1, 2, 3),
                projections=[Projection("t", "b", -3, 2, 0.30000001192092896, "random", "dopamine")],
                registers=[RegisterDef(0x40, "ternary", (2, 3), "a.w", True), RegisterDef(0xFF, "i8", ()),
                           RegisterDef(1, "i32", (4,), allocated=False)])
    q = assemble(disassemble(p))
    same(p, q)
    assert (q.name, q.version, q.domain, q.role, q.input_dim, q.output_dim, q.skull_origin) == \
           ("demo", 4, "x.y", "learning", 3, 2, (1, 2, 3))
    assert [vars(x) for x in q.projections] == [vars(x) for x in p.projections]


@pytest.mark.parametrize("prog", [
    Program(registers=[RegisterDef(0x40, "ternary", (2,), 'a"b')]),
    Program(registers=[RegisterDef(0x40, "ternary", (2,), "a;b")]),
    Program(registers=[RegisterDef(0, "u32", (2,))]),
    Program(requires=[Requirement("My Ext", 0x100)]),
    Program(requires=[Requirement("a", 0x100), Requirement("b", 0x100)]),
])
def test_unrepresentable_programs_raise(prog: Program) -> None:
    with pytest.raises(DisassemblyError):
        disassemble(prog)
