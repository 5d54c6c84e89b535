"""Property and fuzz tests for the TVMR / TERN reader and writer.

Hostile input must end in a FormatError (never another exception, a hang or an allocation out of
proportion to the file); valid programs must survive a round trip unchanged.
"""
from __future__ import annotations

import os
import struct
import tracemalloc
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.paths import CORPUS
from ternsig.binary import (LegacyHeader, deserialize, header_json, program_json, read_tvmr,
                            reference_checksum, serialize)
from ternsig.errors import FormatError
from ternsig.isa.encoding import Instruction
from ternsig.isa.types import DTYPES
from ternsig.program import Program, RegisterDef, Requirement


SEEDS = [bytes.fromhex(p.read_text().strip()) for p in sorted(CORPUS.glob("binary*/*/binary.hex"))]
#: TERNSIG_FUZZ_EXAMPLES raises the example count for a long soak run
FUZZ = settings(max_examples=int(os.environ.get("TERNSIG_FUZZ_EXAMPLES", "300")), deadline=1000,
                suppress_health_check=[HealthCheck.too_slow])


def _read(data: bytes) -> None:
    """Read; anything but success or FormatError fails the test. Successful reads must render."""
    try:
        program, header = read_tvmr(data)
    except FormatError as exc:
        assert isinstance(exc.offset, int) and 0 <= exc.offset <= len(data)
        return
    # every register definition consumes ≥ 5 bytes, every word 8: nothing is invented
    assert 5 * len(program.registers) + 8 * len(program.instructions) <= len(data) + 5
    program_json(program)
    header_json(header)


def _refix(b: bytearray) -> bytes:
    """Recompute the checksum after an edit so the edit reaches the section parsers."""
    if b[:4] == b"TVMR" and len(b) >= 48:
        ext_off, ins_off, ins_n = (struct.unpack_from("<I", b, o)[0] for o in (8, 24, 28))
        end = ins_off + 8 * ins_n
        if ext_off <= end <= len(b):
            b[32:40] = struct.pack("<Q", reference_checksum(bytes(b[ext_off:end])))
    elif b[:4] == b"TERN" and len(b) >= 32:
        size, n = struct.unpack_from("<I", b, 16)[0], struct.unpack_from("<I", b, 12)[0]
        end = 32 + size + 8 * n
        if end <= len(b):
            b[20:28] = struct.pack("<Q", reference_checksum(bytes(b[32:end])))
    return bytes(b)


@FUZZ
@given(st.binary(max_size=512))
def test_random_bytes(data: bytes) -> None:
    _read(data)


@FUZZ
@given(st.sampled_from([b"TVMR", b"TERN"]), st.binary(max_size=400), st.booleans())
def test_random_bytes_behind_a_magic(magic: bytes, rest: bytes, fix: bool) -> None:
    data = magic + rest
    _read(_refix(bytearray(data)) if fix else data)


@FUZZ
@given(st.sampled_from(SEEDS), st.lists(st.tuples(st.integers(0, 10**6), st.integers(0, 7)),
                                        min_size=1, max_size=8), st.booleans())
def test_bit_flips(seed: bytes, flips: list[tuple[int, int]], fix: bool) -> None:
    b = bytearray(seed)
    for pos, bit in flips:
        b[pos % len(b)] ^= 1 << bit
    _read(_refix(b) if fix else bytes(b))


@FUZZ
@given(st.sampled_from(SEEDS), st.integers(0, 10**6))
def test_truncations(seed: bytes, cut: int) -> None:
    _read(seed[:cut % (len(seed) + 1)])


HEADER_FIELDS = [8, 12, 16, 20, 24, 28]  # u32 offsets and counts


@FUZZ
@given(st.sampled_from(SEEDS), st.sampled_from(HEADER_FIELDS),
       st.one_of(st.integers(0, 600), st.integers(0, 0xFFFFFFFF),
                 st.sampled_from([0xFFFFFFFF, 0x80000000, 0x1FFFFFFF])), st.booleans())
def test_size_field_edits(seed: bytes, field: int, value: int, fix: bool) -> None:
    b = bytearray(seed)
    if len(b) < 48 or b[:4] != b"TVMR":
        return _read(bytes(b))
    struct.pack_into("<I", b, field, value)
    _read(_refix(b) if fix else bytes(b))


@settings(max_examples=60, deadline=None)
@given(st.sampled_from(SEEDS), st.sampled_from(HEADER_FIELDS), st.integers(0, 0xFFFFFFFF))
def test_size_fields_never_cause_big_allocations(seed: bytes, field: int, value: int) -> None:
    b = bytearray(seed)
    if len(b) < 48 or b[:4] != b"TVMR":
        return
    struct.pack_into("<I", b, field, value)
    data = _refix(b)
    tracemalloc.start()
    try:
        _read(data)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 64 * len(data) + 256 * 1024, f"peak {peak} bytes for a {len(data)}-byte file"


@FUZZ
@given(st.lists(st.tuples(st.integers(0, 255), st.integers(0, 10), st.integers(0, 255),
                          st.integers(0, 3), st.binary(max_size=12)), max_size=6),
       st.lists(st.binary(min_size=8, max_size=8), max_size=6), st.integers(0, 0xFFFF))
def test_legacy_structured(regs, words, version) -> None:
    """Well-framed legacy files with random register records (dtype codes include invalid ones)."""
    body = bytearray()
    for reg, code, flags, ndims, tail in regs:
        body += bytes([reg, code, flags, ndims]) + tail
    content = bytes(body) + b"".join(words)
    h = LegacyHeader("TERN", version, 0, len(regs), 0, 0, 0, len(words), len(body),
                     reference_checksum(content))
    _read(h.pack() + content)


# ---- round trips ---------------------------------------------------------------------------------

keys = st.one_of(st.none(), st.text(min_size=1, max_size=40).filter(lambda k: len(k.encode()) <= 255))
register_defs = st.builds(RegisterDef, reg=st.integers(0, 255), dtype=st.sampled_from(sorted(DTYPES)),
                          shape=st.lists(st.integers(0, 0xFFFF), max_size=5).map(tuple), key=keys,
                          frozen=st.booleans(), allocated=st.booleans())
instructions = st.builds(Instruction, st.integers(0, 0xFFFF), st.integers(0, 0xFFFF), st.integers(0, 255),
                         st.integers(0, 255), st.integers(0, 255), st.integers(0, 255))
programs = st.builds(Program, instructions=st.lists(instructions, max_size=30),
                     registers=st.lists(register_defs, max_size=12),
                     requires=st.lists(st.integers(0, 0xFFFF).map(lambda i: Requirement("x", i)), max_size=6))


@FUZZ
@given(programs, st.sampled_from(["reference", "xxhash64"]))
def test_round_trip(program: Program, kind: str) -> None:
    data = serialize(program, kind)
    back, header = read_tvmr(data)
    assert back.instructions == program.instructions
    assert back.registers == program.registers
    assert [r.ext_id for r in back.requires] == [r.ext_id for r in program.requires]
    assert header.checksum_kind == kind
    assert serialize(back, kind) == data  # reading then writing is the identity on our files


@FUZZ
@given(programs)
def test_any_single_byte_change_is_caught_or_harmless(program: Program) -> None:
    """A changed content byte fails the checksum; a changed header byte is refused or decoded
    consistently — never an unexpected exception."""
    data = serialize(program)
    for pos in range(0, len(data), max(1, len(data) // 16)):
        b = bytearray(data)
        b[pos] ^= 0x5A
        if pos >= 48:
            try:
                deserialize(bytes(b))
            except FormatError as exc:
                assert exc.message.startswith("Checksum mismatch")
            else:  # only possible on a hash collision
                raise AssertionError(f"content change at {pos} went unnoticed")
        else:
            _read(bytes(b))
