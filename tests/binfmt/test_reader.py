"""Whole-file checks of the TVMR / TERN reader: sections inside the file, back to back, filled by
their counts, and every single-bit flip of a header either refused or harmless."""
from __future__ import annotations

import struct

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.paths import CORPUS
from ternsig.asm import assemble
from ternsig.binfmt import reader as R
from ternsig.binary import (LegacyHeader, TvmrHeader, deserialize, header_json, program_json,
                            read_tvmr, reference_checksum, serialize)
from ternsig.errors import FormatError
from ternsig.isa.encoding import Instruction

KEYED = """
.requires
    ternary    0x0002
    activation 0x0003
    learning   0x0004
.registers
    C0: ternary[4, 8]  key="net.w1"
    C1: ternary[4]     key="net.b1"
    C5: ternary[2, 4]
    H0: i32[8]
    H1: i32[4]
    H2: i32[2]
    P0: i32[1]
    S1: i32[3]
.program
    load_input H0
    ternary.ternary_matmul H1, C0, H0
    activation.relu H1, H1
    ternary_matmul H2, C5, H1
    store_output H2
    halt
"""

#: reference-written files (corpus) and files this engine writes, several shapes of program
FILES = {
    **{f"corpus/{name}": bytes.fromhex((CORPUS / "binary" / name / "binary.hex").read_text().strip())
       for name in ("bin_empty_program", "bin_minimal", "bin_labels_jumps", "bin_projection_meta",
                    "bin_requires_types_keys")},
    "corpus/violation_detector": bytes.fromhex(
        (CORPUS / "reasoning" / "reasoning_violation_detector__random" / "binary.hex").read_text().strip()),
    "keyed": serialize(assemble(KEYED)),
    "keyed_xxhash64": serialize(assemble(KEYED), "xxhash64"),
}


def _legacy(regs: bytes, words: bytes, counts: tuple[int, int, int, int]) -> bytes:
    content = regs + words
    return LegacyHeader("TERN", 2, 0, *counts, len(words) // 8, len(regs),
                        reference_checksum(content)).pack() + content


LEGACY = _legacy(bytes([0, 1, 1, 1, 4, 0, 0]) + bytes([0x40, 2, 3, 2, 2, 0, 3, 0, 3]) + b"k.w",
                 Instruction(0, 0x1007, 0, 0xFF).to_bytes() + Instruction(0, 1, 0xFF, 0xFF).to_bytes(),
                 (1, 1, 0, 0))


def _view(data: bytes) -> dict:
    return program_json(deserialize(data))


def _flip_outcomes(data: bytes, header_size: int) -> dict[str, int]:
    """Flip every bit of the header once: refused (FormatError with an offset inside the file),
    same (loads as the identical program) or different (loads as another program)."""
    want = _view(data)
    counts = {"refused": 0, "same": 0, "different": 0}
    for bit in range(header_size * 8):
        b = bytearray(data)
        b[bit >> 3] ^= 1 << (bit & 7)
        try:
            got = _view(bytes(b))
        except FormatError as exc:
            assert isinstance(exc.offset, int) and 0 <= exc.offset <= len(b), (bit, exc)
            counts["refused"] += 1
            continue
        counts["same" if got == want else "different"] += 1
    return counts


@pytest.mark.parametrize("name", sorted(FILES))
def test_no_header_bit_flip_loads_a_different_program(name: str) -> None:
    counts = _flip_outcomes(FILES[name], 48)
    print(f"{name}: {counts}")
    assert counts["different"] == 0
    # only the fields that do not describe the program (version, flags, reserved) may flip harmlessly
    assert counts["same"] <= (2 + 2 + 8) * 8


def test_no_legacy_header_bit_flip_loads_a_different_program() -> None:
    # a legacy program carries the header's version (any u16 is valid, the checksum does not
    # cover it): a flip there changes only that field. Every other flip is refused or harmless.
    want = _view(LEGACY)
    for bit in range(32 * 8):
        b = bytearray(LEGACY)
        b[bit >> 3] ^= 1 << (bit & 7)
        try:
            got = _view(bytes(b))
        except FormatError:
            continue
        if (bit >> 3) in (4, 5):
            got["version"] = want["version"]
        else:
            assert (bit >> 3) in (6, 7, 28, 29, 30, 31), bit  # flags, reserved
        assert got == want, bit


def test_harmless_flips_are_version_flags_and_reserved() -> None:
    data = FILES["keyed"]
    for bit in range(48 * 8):
        b = bytearray(data)
        b[bit >> 3] ^= 1 << (bit & 7)
        try:
            p, h = read_tvmr(bytes(b))
        except FormatError:
            continue
        assert (bit >> 3) in (4, 5, 6, 7, *range(40, 48)), bit
        assert program_json(p) == _view(data)
        assert header_json(h)["reg_defs_count"] == 8


# ---- each whole-file rule, with its message and offset -------------------------------------------

GOOD = FILES["keyed"]


def _fields(data: bytes) -> list:
    return list(struct.unpack_from("<4sHHIIIIIIQ8s", data, 0))


def _with(data: bytes, **edits: int) -> bytes:
    """The file with header fields replaced and the checksum recomputed over the new range."""
    names = ["magic", "version", "flags", "ext_off", "ext_n", "reg_off", "reg_n", "ins_off", "ins_n",
             "checksum", "reserved"]
    f = _fields(data)
    for k, v in edits.items():
        f[names.index(k)] = v
    out = bytearray(struct.pack("<4sHHIIIIIIQ8s", *f) + data[48:])
    end = f[7] + 8 * f[8]
    if f[3] <= end <= len(out):
        struct.pack_into("<Q", out, 32, reference_checksum(bytes(out[f[3]:end])))
    return bytes(out)


def _err(data: bytes) -> tuple[str, int]:
    with pytest.raises(FormatError) as ei:
        deserialize(data)
    return ei.value.message, ei.value.offset


def test_extension_table_must_follow_the_header() -> None:
    # the extension table moved 8 bytes into the file (and the header's reserved bytes with it)
    f = _fields(GOOD)
    moved = GOOD[:48] + b"\0" * 8 + GOOD[48:]
    moved = _with(moved, ext_off=56, reg_off=f[5] + 8, ins_off=f[7] + 8)
    assert _err(moved) == ("Extension table starts at offset 56, not right after the 48-byte header", 0x08)


def test_extension_count_must_match_its_section() -> None:
    assert _err(_with(GOOD, ext_n=2)) == (
        "2 extension entries end at offset 64 but the register definitions start at offset 72", 0x10)


def test_register_count_must_match_its_section() -> None:
    f = _fields(GOOD)
    p = deserialize(GOOD)
    p.registers.pop()
    seven_end = _fields(serialize(p))[7]
    msg, off = _err(_with(GOOD, reg_n=7))
    assert msg == f"7 register definitions end at offset {seven_end} but their section runs to offset {f[7]}"
    assert off == 0x14
    msg, off = _err(_with(GOOD, reg_n=9))
    assert msg == "Unexpected end of data in register definition (8 of 9 read)" and off == f[7]


def test_no_bytes_after_the_last_instruction() -> None:
    msg, off = _err(GOOD + b"\0")
    assert (msg, off) == (f"1 bytes after the last instruction (the instructions end at offset "
                          f"{len(GOOD)})", len(GOOD))


def test_fewer_instructions_than_the_file_holds_is_refused() -> None:
    f = _fields(GOOD)
    assert _err(_with(GOOD, ins_n=f[8] - 1))[0] == "8 bytes after the last instruction (the instructions " \
                                                   f"end at offset {len(GOOD) - 8})"


def test_overlapping_sections_are_refused() -> None:
    f = _fields(GOOD)
    # register section starting inside the extension table
    with pytest.raises(FormatError):
        deserialize(_with(GOOD, reg_off=f[5] - 8))
    # instruction section starting inside the register definitions (file end unchanged)
    with pytest.raises(FormatError):
        deserialize(_with(GOOD, ins_off=f[7] - 8, ins_n=f[8] + 1))


def test_legacy_register_counts_must_fill_the_section() -> None:
    short = _legacy(bytes([0, 1, 1, 1, 4, 0, 0, 9]), b"", (1, 0, 0, 0))
    assert _err(short) == ("1 register definitions end at offset 39 but their section runs to offset 40", 8)
    assert _err(LEGACY + b"x")[0].startswith("1 bytes after the last instruction")


def test_every_reference_written_corpus_file_still_loads() -> None:
    checked = 0
    for hx in sorted(CORPUS.glob("*/*/program.ternsig")):
        hx = hx.parent / "binary.hex"
        if not hx.exists():
            continue
        data = bytes.fromhex(hx.read_text().strip())
        cid = f"{hx.parent.parent.name}/{hx.parent.name}"
        if cid == "binary/bin_long_key":  # the reference's own reader refuses it too
            continue
        p = deserialize(data)
        assert serialize(p, lossy=True) == data, cid
        checked += 1
    assert checked > 100


def test_deserialize_takes_any_bytes_like() -> None:
    want = _view(GOOD)
    assert program_json(deserialize(bytearray(GOOD))) == want
    assert program_json(deserialize(memoryview(GOOD))) == want
    assert isinstance(read_tvmr(GOOD)[1], TvmrHeader)



@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(st.integers(0, 3), st.integers(0, 255)), max_size=60).map(bytes),
       st.integers(0, 6))
def test_register_fast_path_reads_what_the_careful_path_reads(section: bytes, count: int) -> None:
    """One struct call per whole definition gives the same definitions, end offset and errors as
    reading every definition field by field."""
    def careful() -> object:
        out, pos = [], 0
        for _ in range(count):
            rd, pos = R._careful_def(section, pos, 0, len(section), False, len(out), count)
            out.append(rd)
        return out, pos

    def outcome(fn) -> object:
        try:
            return fn()
        except FormatError as exc:
            return exc.message, exc.offset

    fast = outcome(lambda: R._register_defs(section, 0, len(section), count, legacy=False))
    assert fast == outcome(careful)
    # a second read of the same section comes from the memo (R._DEFS_MEMO) and must read the same
    assert outcome(lambda: R._register_defs(section, 0, len(section), count, legacy=False)) == fast


def test_a_bad_key_is_refused_every_time_and_never_remembered() -> None:
    """Only sections read without error are remembered, so the same bad bytes are refused on
    every read."""
    bad = bytes([0x40, 0x02, 0x00, 0x01, 0x01, 0x04, 0x00, 0x02]) + b"k\xff"
    for _ in range(3):
        with pytest.raises(FormatError, match="not valid UTF-8") as exc:
            R._register_defs(bad, 0, len(bad), 1, legacy=False)
        assert exc.value.offset == 9
    assert (False, 1, bad) not in R._DEFS_MEMO


def test_remembered_sections_give_fresh_objects() -> None:
    """Words are shared immutable tuples, register definitions and lists fresh objects: editing
    one program leaves the next deserialized program as the file says."""
    data = serialize(assemble(KEYED))
    first, second = deserialize(data), deserialize(data)
    assert first == second and first.registers is not second.registers
    assert first.instructions is not second.instructions
    assert all(a is not b for a, b in zip(first.registers, second.registers))
    first.registers[0].key = "edited"
    first.registers[0].shape = (1,)
    first.instructions[0] = Instruction(0, 0)
    third = deserialize(data)
    assert third == second and third.registers[0].key == "net.w1"


def test_the_memos_stop_growing_at_their_bound(monkeypatch: pytest.MonkeyPatch) -> None:
    """Many distinct sections, or large ones (a hostile stream of files), cost at most the memos'
    bound; what is read past the bound is still right, and the same at the next read."""
    monkeypatch.setattr(R, "_WORDS_MEMO", R._SectionMemo(3, 64))
    monkeypatch.setattr(R, "_DEFS_MEMO", R._SectionMemo(3, 64))
    for n in range(6):
        words = bytes(range(n, n + 8 * (n + 1)))
        want = [Instruction(*struct.unpack(">HH4B", words[i:i + 8])) for i in range(0, len(words), 8)]
        assert R._words(words, 0, len(words)) == want == R._words(words, 0, len(words))
        section = b"".join(bytes([r, 0x02, 0x00, 0x01, 0x01, r + n, 0x00, 0x00]) for r in range(n + 1))
        for _ in range(2):
            defs, end = R._register_defs(section, 0, len(section), n + 1, legacy=False)
            assert end == len(section)
            assert [(d.reg, d.shape) for d in defs] == [(r, (r + n,)) for r in range(n + 1)]
    assert len(R._WORDS_MEMO) == 3 and len(R._DEFS_MEMO) == 3
    assert all(len(k) <= 64 for k in R._WORDS_MEMO) and all(len(k[2]) <= 64 for k in R._DEFS_MEMO)
