"""The assembler: the golden corpus (assembled.json / asm_errors), every syntax feature, and each
documented deviation (docs/deviations.md)."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.paths import CORPUS
from ternsig.asm import assemble
from ternsig.errors import AssemblyError
from ternsig.isa.encoding import Instruction
from ternsig.isa.spec import ExtensionTable, Layer
from ternsig.registry import ExtensionRegistry


STANDARD = ExtensionRegistry.standard()

#: cases the reference assembles but we refuse (deviations "refuse garbage"), with the line/col
REFUSED = {
    "asm_errors/bad_declared_ext_unknown_mnemonic_ok": (7, 5),
    "asm_errors/bad_empty_label_ok": (5, 1),
    "asm_errors/bad_gain": (4, 26),
    "asm_errors/bad_unknown_ext_mnemonic": (6, 5),
    "ext_misc/unknown_user_extension__err": (9, 5),
    "ext_tensor/ext_tensor_arith__edges": (18, 26),
    "ext_tensor/ext_tensor_arith__small": (18, 26),
    "ext_tensor/ext_tensor_nn__basic": (22, 30),
    "ext_tensor/ext_tensor_nn__same_rows": (22, 30),
}
#: undefined labels: the reference reports the last line, we report the use (line, column)
AT_USE = {
    "asm_errors/bad_undefined_label": (5, 10),
    "asm_errors/bad_undefined_label_if_zero": (4, 17),
    "asm_errors/bad_label_reference_case": (6, 10),
}


def program_view(p) -> dict:
    """The fields of assembled.json, built from a Program."""
    return {
        "name": p.name, "version": p.version, "domain": p.domain,
        "required_extensions": [{"name": r.name, "ext_id": r.ext_id} for r in p.requires],
        "registers": [{"id": r.reg, "name": r.name, "dtype": r.dtype, "shape": list(r.shape),
                       "allocated": r.allocated, "thermogram_key": r.key, "frozen": r.frozen}
                      for r in p.registers],
        "instructions": [{"ext_id": i.ext_id, "opcode": i.opcode, "operands": list(i.operands), "hex": i.hex()}
                         for i in p.instructions],
        "labels": p.labels, "input_shape": p.input_shape, "output_shape": p.output_shape,
        "projections": [{"target": x.target, "bundle": x.bundle, "weight": x.weight, "delay": x.delay,
                         "density": x.density, "mapping": x.mapping, "modulator": x.modulator}
                        for x in p.projections],
        "skull_origin": list(p.skull_origin) if p.skull_origin else None,
    }


def _corpus_cases():
    out = []
    for src in sorted(CORPUS.rglob("program.ternsig")):
        case = src.parent
        cid = str(case.relative_to(CORPUS))
        out.append(pytest.param(case, id=cid))
    return out


@pytest.mark.parametrize("case", _corpus_cases())
def test_corpus(case: Path) -> None:
    cid = str(case.relative_to(CORPUS))
    source = (case / "program.ternsig").read_text()
    if cid in REFUSED or cid in AT_USE:
        with pytest.raises(AssemblyError) as ei:
            assemble(source)
        assert (ei.value.line, ei.value.column) == (REFUSED.get(cid) or AT_USE[cid])
        return
    want_path = case / "assembled.json"
    if not want_path.exists():
        expected = json.loads((case / "expected.json").read_text())
        assert expected["assemble_ok"] is False
        with pytest.raises(AssemblyError) as ei:
            assemble(source)
        assert ei.value.line == expected["line"], (str(ei.value), expected["error"])
        assert ei.value.column >= 1
        return
    want = json.loads(want_path.read_text())
    if want["skull_origin"] is not None:
        want["skull_origin"] = list(want["skull_origin"])
    got = program_view(assemble(source))
    for key, value in got.items():
        assert value == want[key], key


def test_corpus_is_present() -> None:
    assert len(list(CORPUS.rglob("program.ternsig"))) >= 150


# ---- language features ---------------------------------------------------------------------------

def asm(body: str, **kw):
    return assemble(body, **kw)


def err(body: str, **kw) -> AssemblyError:
    with pytest.raises(AssemblyError) as ei:
        assemble(body, **kw)
    assert ei.value.line >= 1 and ei.value.column >= 1
    return ei.value


def words(p) -> list[str]:
    return [i.hex() for i in p.instructions]


def test_sections_comments_case_and_lines() -> None:
    p = asm(".REGISTERS\n  h0: I32[2] ; c\n\n.Code\n ; x\n  LOAD_INPUT h0 ; in\n  Halt\n")
    assert words(p) == ["0000100700ff0000", "00000001ffff0000"]
    assert p.lines == [6, 7]
    assert p.input_shape == [2] and p.output_shape == [1]


def test_crlf_and_unicode_separators_keep_line_numbers() -> None:
    e = err(".program\r\n nop\r\n\x0c bogus\r\n")
    assert (e.line, e.column) == (3, 3)


def test_meta_fields_and_role() -> None:
    p = asm('.meta\n name "n"\n version 3\n domain "d.x"\n input_dim 4\n output_dim 2\n'
            ' skull_x 1\n skull_y 2\n skull_z 3\n role "learning"\n whatever 5\n.program\n halt\n')
    assert (p.name, p.version, p.domain, p.input_dim, p.output_dim) == ("n", 3, "d.x", 4, 2)
    assert p.skull_origin == (1, 2, 3) and p.role == "learning"


@pytest.mark.parametrize("line,msg", [("version -1", "Invalid version"), ("input_dim x", "Invalid input_dim"),
                                      ("skull_x 70000", "Invalid skull_x")])
def test_meta_errors(line: str, msg: str) -> None:
    e = err(f".meta\n  {line}\n")
    assert msg in e.message and e.line == 2 and e.column == len(line.split()[0]) + 4


def test_partial_skull_reported_at_last_line_like_the_reference() -> None:
    assert err(".meta\n skull_x 1\n.program\n halt\n; end\n").line == 5


def test_requires_forms() -> None:
    p = asm(".requires\n Tensor\n activation 3\n myext 0x0100\n.program\n halt\n")
    assert [(r.name, r.ext_id) for r in p.requires] == [("tensor", 1), ("activation", 3), ("myext", 0x100)]


@pytest.mark.parametrize("body,msg,col", [
    (" warpdrive", "Unknown extension: warpdrive", 2),
    (" tensor 0xG1", "Invalid extension ID: 0xG1", 9),
    (" tensor 70000", "Invalid extension ID", 9),
    (" tensor\n ternary 1", "Duplicate extension requirement: ternary", 2),
    (" myext 0", "core ISA", 8),
    (" tensor 1 extra", "Unexpected text", 11),
])
def test_requires_errors(body: str, msg: str, col: int) -> None:
    e = err(f".requires\n{body}\n")
    assert msg in e.message and e.column == col


def test_registers_dtypes_shapes_attributes() -> None:
    p = asm('.registers\n C0: ternary[2, 3]  key="a.w"  frozen=true\n T5: float\n P1: i64\n'
            ' S2: half[4]\n H3: i32[]\n H4: int[2] allocated=false frozen=false\n H4: i8[1]\n')
    r = p.registers
    assert [(x.reg, x.dtype, x.shape, x.key, x.frozen, x.allocated) for x in r] == [
        (0x40, "ternary", (2, 3), "a.w", True, True), (5, "f32", (1,), None, False, True),
        (0x81, "i64", (1,), None, False, True), (0xC2, "f16", (4,), None, False, True),
        (3, "i32", (), None, False, True), (4, "i32", (2,), None, False, False), (4, "i8", (1,), None, False, True)]


@pytest.mark.parametrize("line,msg,col", [
    ("H0 i32[2]", "Missing ':'", 3),
    ("Q0: i32[2]", "Invalid register: Q0", 3),
    ("H64: i32", "Invalid register: H64", 3),
    ("H0: i32[2", "Missing ']'", 10),
    ("H0: i32[2, x]", "Invalid dimension: x", 14),
    ("H0: u32[2]", "Unknown dtype: u32", 7),
    ("H0: signal", "Unknown dtype: signal", 7),
    ("H0:", "Unknown dtype", 6),
    ("C0: ternary[2] key=w", "Unexpected text in register definition: key=w", 18),
    ("C0: ternary[2] frozen=True", "Unexpected text", 18),
    ("C0: ternary[2] frozen=true frozen=true", "given twice", 30),
])
def test_register_errors(line: str, msg: str, col: int) -> None:
    e = err(f".registers\n  {line}\n")
    assert msg in e.message and (e.line, e.column) == (2, col)


def test_projection_fields_and_repeat() -> None:
    p = asm('.projection\n target "spatial"\n bundle "dorsal"\n weight -5\n delay 3\n density 0.7\n'
            ' mapping "Random"\n modulator "Dopamine"\n.projection\n target t\n bundle b\n modulator none\n')
    a, b = p.projections
    assert (a.target, a.bundle, a.weight, a.delay, a.mapping, a.modulator) == ("spatial", "dorsal", -5, 3,
                                                                              "random", "dopamine")
    assert a.density == pytest.approx(0.7) and a.density == float(__import__("numpy").float32(0.7))
    assert (b.weight, b.delay, b.density, b.mapping, b.modulator) == (50, 1, 0.30000001192092896, "topographic", None)


@pytest.mark.parametrize("body,msg,line", [
    ('.projection\n bundle "b"\n.program\n halt\n', "missing 'target'", 3),
    ('.projection\n target "t"\n', "missing 'bundle'", 2),
    ('.projection\n target t\n bundle b\n weight 200\n', "Invalid projection weight", 4),
    ('.projection\n delay 300\n', "Invalid projection delay", 2),
    ('.projection\n density fast\n', "Invalid projection density", 2),
])
def test_projection_errors(body: str, msg: str, line: int) -> None:
    e = err(body)
    assert msg in e.message and e.line == line


def test_aliases_config_include_skipped() -> None:
    p = asm('.aliases\n anything goes\n.config\n  x = 1\n.program\n include "x.ternsig"\n halt\n')
    assert words(p) == ["00000001ffff0000"]


def test_structure_errors() -> None:
    assert (lambda e: (e.line, e.column, e.message))(err("  load_input H0\n")) == (1, 3, "Code outside of section")
    e = err(".registers\n.programme\n")
    assert (e.line, e.column, e.message) == (2, 1, "Unknown directive: .programme")
    assert "Unknown directive" in err(".registers\n.word 0x0000000000000000\n").message
    e = err(".program\n  frobnicate H0\n")
    assert (e.line, e.column, e.message) == (2, 3, "Unknown mnemonic: frobnicate")


CORE_CASES = [
    # (source line, expected hex) — bytes the reference assembler writes for each core mnemonic
    ("nop", "00000000ffff0000"),
    ("load_input H0", "0000100700ff0000"),
    ("store_output H3", "00001008ff030000"),
    ("copy H1, H2", "0000100401020000"), ("mov H1, H2", "0000100401020000"),
    ("zero H1", "0000100601ff0000"), ("load_target H2", "0000100902ff0000"),
    ("add H2, H0, C1", "0000300102004100"), ("mul H2, H0, H17", "0000300202001100"),
    ("relu H1, H0", "0000300301000000"),
    ("sigmoid H1, H0", "0000300401000040"), ("sigmoid H1, H0, gain=2.5", "0000300401000028"),
    ("sigmoid H1, H0, 0.0625", "0000300401000001"),
    ("shift H1, H0, 0x1F", "0000300901001f00"), ("clamp H1, H0, -1, 200", "0000300a0100ffc8"),
    ("set H0, -1", "000030110000ffff"), ("set_const H0, 0x7FFF", "0000301100007fff"),
    ("dequantize H6, H3, scale=4", "0000400206030004"), ("dequantize H6, H3, 300", "000040020603012c"),
    ("reduce_avg H1, H0, 2, 3", "0000400b01000203"), ("narrow H1, H0, 1, 2", "0000400c01000102"),
    ("cat H1, H0, H2", "0000400e01000200"), ("mean_dim H1, H0, 1", "0000401501000100"),
    ("squeeze H1, H0", "0000400f01000000"), ("transpose H1, H0", "0000401101000001"),
    ("transpose H1, H0, 1, 0", "0000401101000100"), ("gate_update H0, H1, H2, H3", "0000401200010203"),
    ("embed_sequence H0, C1, 5", "0000401400410500"),
    ("mark_elig H1, H0, layer=2", "0000500001000200"), ("add_babble H1, 3", "0000500401ff0300"),
    ("mastery_update C0, H0, H3", "000050124000030f"),
    ("mastery_update C0, H0, H3, scale=20, threshold_div=2", "0000501240000314"),
    ("mastery_commit C0", "0000501340ff0032"), ("mastery_commit C0, threshold=30, step=9", "0000501340ff001e"),
    ("loop 300", "00006000ffff012c"), ("end_loop", "00006001ffff0000"), ("break", "00006002ffff0000"),
    ("reset", "00000003ffff0000"), ("return", "00006007ffff0000"),
    ("alloc_tensor H3, 4, 2", "0000100003040002"), ("free_tensor C1", "0000100141000000"),
    ("wire_forward H1, C0, H0", "0000200301400000"), ("grow_neuron C0, 2, 7", "0000200840000207"),
    ("prune_neuron C0, 1", "0000200940000100"), ("init_random C0, 42", "0000200a4000002a"),
    ("jump 0x10", "0000600800000010"), ("call 3", "0000600600000003"),
]


@pytest.mark.parametrize("line,hexword", CORE_CASES)
def test_core_encodings(line: str, hexword: str) -> None:
    assert words(asm(f".program\n {line}\n")) == [hexword]


def test_labels_patch_cd_and_are_case_sensitive() -> None:
    p = asm(".registers\n H0: i32[1]\n.program\nTop:\n nop\n jump Top\n if_zero H0, done\n"
            " if_nonzero H0, Top\n call done\ndone:\n")
    assert p.labels == {"Top": 0, "done": 5}
    assert [i.cd for i in p.instructions[1:]] == [0, 5, 0, 5]
    assert p.instructions[2].a == 0


@pytest.mark.parametrize("body,msg,line,col", [
    ("jump", "jump requires a label", 2, 7),
    ("if_zero H0", "if_zero requires a label", 2, 13),
    ("jump nowhere\n halt", "Undefined label: nowhere", 2, 7),
    ("jump 70000", "Jump target", 2, 7),
    ("jump a b", "Invalid label: a b", 2, 7),
    ("a:\n nop\na:", "Duplicate label: a", 4, 1),
    (":", "Empty label", 2, 1),
    ("9lives:", "Invalid label name", 2, 1),
])
def test_label_errors(body: str, msg: str, line: int, col: int) -> None:
    src = ".program\n" + "\n".join(ln if ln.endswith(":") else " " + ln for ln in body.split("\n")) + "\n"
    e = err(src)
    assert msg in e.message and (e.line, e.column) == (line, col), e


@pytest.mark.parametrize("line,msg,col", [
    ("add H0, H0", "Missing register operand", 13),
    ("relu X1, H0", "Invalid register: X1", 7),
    ("shift H0, H0, eight", "Invalid number: eight", 16),
    ("set H0, 0xZZ", "Invalid hex: 0xZZ", 10),
    ("set H0, 0x-5", "Invalid hex", 10),
    ("shift H0, H0, 300", "does not fit a byte", 16),
    ("clamp H0, H0, -129, 0", "does not fit a byte", 16),
    ("set H0, 65536", "does not fit 16 bits", 10),
    ("set H0, -32769", "does not fit 16 bits", 10),
    ("relu H0, H1, H2", "Too many operands for relu", 15),
    ("halt H0", "Too many operands for halt: it takes no operands", 7),
    ("add_babble H0", "Missing layer parameter", 16),
    ("add_babble H0, layer=x", "Invalid layer: x", 23),
    ("add_babble H0, layer=256", "Invalid layer: 256", 23),
    ("dequantize H0", "Missing register operand", 16),
    ("dequantize H0, H0, scale=-1", "Invalid scale: -1", 27),
    ("dequantize H0, 5", "Invalid register: 5", 17),
    ("mastery_update C0, H0, H1, threshold_div=2", "Expected scale=N", 29),
    ("mastery_commit C0, step=2", "Expected threshold=N", 21),
    ("sigmoid H0, H0, gain=fast", "Invalid gain: fast", 23),
    ("sigmoid H0, H0, speed=2", "Expected gain=X", 18),
    ("sigmoid H0, H0, gain=0", "not encodable", 23),
    ("sigmoid H0, H0, gain=16", "not encodable", 23),
    ("sigmoid H0, H0, gain=nan", "Invalid gain", 23),
    ("squeeze H0, H0, zzz", "Invalid number: zzz", 18),
    ("add H0,, H1", "Invalid register: ", 9),
])
def test_operand_errors(line: str, msg: str, col: int) -> None:
    e = err(f".program\n {line}\n")
    assert msg in e.message and (e.line, e.column) == (2, col), e


def test_twos_complement_spellings_kept() -> None:
    p = asm(".program\n set H0, -1\n set H0, -32768\n shift H0, H0, -1\n loop -2\n")
    assert [i.cd for i in p.instructions] == [0xFFFF, 0x8000, 0xFF00, 0xFFFE]


def test_shape_inference_uses_first_declared_register() -> None:
    p = asm(".registers\n H1: i32[2, 4]\n H1: i32[9]\n H2: i32[3]\n.program\n load_input H0\n load_input H1\n"
            " store_output H2\n")
    assert p.input_shape == [2, 4] and p.output_shape == [3]
    assert asm(".program\n load_input T7\n").input_shape == [1]


def test_source_name_in_errors() -> None:
    e = err(".program\n bogus\n", source_name="fw.ternsig")
    assert e.source_name == "fw.ternsig" and str(e).startswith("fw.ternsig:2:2:")


def test_empty_source() -> None:
    p = asm("")
    assert p.instructions == [] and p.input_shape == [1] and p.output_shape == [1]


# ---- extensions ------------------------------------------------------------------------------------

def user_registry(**hooks) -> ExtensionRegistry:
    t = ExtensionTable(0x0100, "myext", **hooks)
    t.declare(0x0000, "poke", "reg@A imm8@B", Layer.RUNTIME, "poke")
    t.declare(0x0001, "span", "reg@A imm16@CD", Layer.RUNTIME, "span")
    t.declare(0x0002, "goto", "label@CD", Layer.RUNTIME, "jump")
    t.declare(0x0003, "tune", "reg@A rate@B=7", Layer.RUNTIME, "named param")
    s = ExtensionTable(0x0001, "tensor")   # a stand-in standard table: generic operand encoding
    s.declare(0x0004, "scale", "reg@A reg@B imm16@CD", Layer.RUNTIME, "x*imm/256")
    s.declare(0x0016, "kv_append", "reg@A reg@B pos@C len@D", Layer.RUNTIME, "kv")
    return ExtensionRegistry([t, s])


REQ = ".requires\n myext 0x0100\n.registers\n H0: i32[1]\n.program\n"


def test_user_extension_layout_driven() -> None:
    reg = user_registry()
    p = asm(REQ + " myext.poke H1, -2\n MYEXT.SPAN H0, 1000\nend:\n myext.goto end\n myext.tune T3\n", registry=reg)
    assert p.instructions == [Instruction(0x100, 0, 1, 0xFE, 0, 0), Instruction(0x100, 1, 0, 0, 0x03, 0xE8),
                              Instruction(0x100, 2, 0, 0, 0, 2), Instruction(0x100, 3, 3, 7, 0, 0)]
    e = err(REQ + " myext.poke 5, H1\n", registry=reg)
    assert (e.line, e.column, e.message) == (6, 13, "Invalid register: 5")
    e = err(REQ + " myext.nope H0\n", registry=reg)
    assert "Unknown mnemonic 'nope' in extension 'myext' (0x0100)" in e.message and e.column == 2


def test_user_extension_must_be_declared_and_requires_by_name() -> None:
    reg = user_registry()
    e = err(".program\n myext.poke H0, 1\n", registry=reg)
    assert "Unknown extension mnemonic: myext.poke" in e.message and ".requires myext 0x0100" in e.message
    p = asm(".requires\n myext\n.program\n myext.poke H0, 1\n", registry=reg)
    assert p.requires[0].ext_id == 0x100 and p.instructions[0] == Instruction(0x100, 0, 0, 1, 0, 0)


def test_standard_extension_generic_encoding_like_the_reference() -> None:
    reg = user_registry()
    p = asm(".program\n tensor.scale H6, H0, 1, 128\n tensor.scale H7, C0, -1\n Tensor.KV_APPEND H1, 2, pos=3, len=4\n",
            registry=reg)
    assert [i.operands for i in p.instructions] == [(6, 0, 1, 128), (7, 0x40, 255, 0), (1, 2, 3, 4)]


@pytest.mark.parametrize("line,msg,col", [
    ("tensor.scale H7, H0, 300", "does not fit a byte", 23),
    ("tensor.scale H7, H0, zzz", "Invalid operand: zzz", 23),
    ("tensor.scale H7, H0, key=val", "Invalid operand: key=val", 23),
    ("tensor.kv_append H1, H2, len=3", "Invalid operand: len=3", 27),
    ("tensor.kv_append H1, H2, pos=300", "Invalid pos: 300", 31),
    ("tensor.scale H0, H0, 1, 2, 3", "Too many operands", 29),
    ("tensor.frobnicate H0", "Unknown extension mnemonic: tensor.frobnicate", 2),
    ("ternary.ternary_matmul H0", "not registered with the assembler", 2),
])
def test_standard_extension_refusals(line: str, msg: str, col: int) -> None:
    e = err(f".program\n {line}\n", registry=user_registry())
    assert msg in e.message and (e.line, e.column) == (2, col), e


def test_declared_standard_extension_unknown_mnemonic_refused() -> None:
    e = err(".requires\n tensor\n.program\n tensor.frobnicate H0\n", registry=user_registry())
    assert "Unknown mnemonic 'frobnicate' in extension 'tensor' (0x0001)" in e.message


def test_unregistered_declared_extension_refused_raw_form_accepted() -> None:
    src = ".requires\n other 0x0200\n.program\n"
    e = err(src + " other.frobnicate H0, 5\n", registry=user_registry())
    assert "not registered" in e.message and "other.0x0000" in e.message
    p = asm(src + " other.0x0003 H0, 5, C1, -1\n other.7\n ternary.0x000D H1, H2\n", registry=user_registry())
    assert p.instructions == [Instruction(0x200, 3, 0, 5, 0x41, 0xFF), Instruction(0x200, 7),
                              Instruction(2, 0x0D, 1, 2, 0, 0)]
    assert "does not fit 16 bits" in err(src + " other.0x10000\n", registry=user_registry()).message
    assert "Unknown extension mnemonic" in err(".program\n nobody.0x0001\n", registry=user_registry()).message


def test_word_directive_any_bytes() -> None:
    p = asm(".program\n .word 0x0000300100010200\n .WORD FFFFFFFFFFFFFFFF\n")
    assert p.instructions == [Instruction(0, 0x3001, 0, 1, 2, 0), Instruction(0xFFFF, 0xFFFF, 255, 255, 255, 255)]
    assert p.lines == [2, 3]
    e = err(".program\n .word 0x00\n")
    assert ".word wants" in e.message and (e.line, e.column) == (2, 8)


def test_assemble_hook_and_its_errors() -> None:
    def hook(mnemonic, tokens):
        if mnemonic == "poke" and tokens and tokens[0] == "magic":
            return b"\x01\x02\x03\x04"
        if tokens and tokens[0] == "bad":
            raise ValueError("poke: bad is not allowed")
        if tokens and tokens[0] == "short":
            return b"\x01"
        return None

    reg = user_registry(assemble_hook=hook)
    assert asm(REQ + " myext.poke magic\n", registry=reg).instructions[0].operands == (1, 2, 3, 4)
    assert asm(REQ + " myext.poke H1, 2\n", registry=reg).instructions[0].operands == (1, 2, 0, 0)
    e = err(REQ + " myext.poke bad\n", registry=reg)
    assert (e.line, e.column, e.message) == (6, 13, "poke: bad is not allowed")
    assert "returned 1 operand bytes" in err(REQ + " myext.poke short\n", registry=reg).message


def test_default_registry_resolves_registered_standard_tables() -> None:
    for table in STANDARD.tables():
        spec = table.specs[0]
        p = asm(f".program\n {table.name}.{spec.mnemonic.upper()}\n")
        assert (p.instructions[0].ext_id, p.instructions[0].opcode) == (table.ext_id, spec.opcode)


def test_label_beyond_16_bits_refused() -> None:
    src = ".program\n jump far\n" + " nop\n" * 65536 + "far:\n"
    e = err(src)
    assert "beyond the 16-bit jump range" in e.message and (e.line, e.column) == (2, 7)


def test_io_shapes_come_from_the_table_flags() -> None:
    """The input/output shape is that of the register the first loads_input / stores_output
    instruction names — whatever table the instruction is in."""
    t = ExtensionTable(0x0100, "sensor")
    t.declare(0x0000, "read", "reg@A", Layer.RUNTIME, "reads the input buffer", flags="loads_input")
    reg = ExtensionRegistry([t])
    p = asm(".requires\n sensor 0x0100\n.registers\n H0: i32[1]\n H2: i32[3, 4]\n H5: i32[7]\n"
            ".program\n sensor.read H2\n load_input H0\n store_output H5\n", registry=reg)
    assert p.input_shape == [3, 4] and p.output_shape == [7]
    p = asm(".registers\n H0: i32[1]\n.program\n load_input H9\n load_input H0\n", registry=reg)
    assert p.input_shape == [1] and p.output_shape == [1]   # an undeclared register is passed over
