"""Program → TVMR v1 bytes, byte-for-byte what the reference's ``serialize`` writes.

The reference casts dims ``as u16`` and key lengths ``as u8`` without checking, so a dim above
65535 silently changes the program and a key longer than 255 bytes makes a file its own reader
rejects. This writer refuses both (and every other value its field cannot hold) with a
FormatError whose offset is where the field would have been written. ``lossy=True`` reproduces
the reference's truncating bytes exactly; it exists only to compare against the reference.

Speed: a program whose every field fits is packed by one fast pass (one ``struct`` call per
register definition and per instruction word, the checksum by the fold kernel). Anything that
pass cannot pack falls back to the checking pass below, which raises the precise FormatError (or,
with ``lossy``, truncates like the reference); both passes give the same bytes.
"""
from __future__ import annotations

import struct
from typing import Sequence

import numpy as np

from ..errors import FormatError
from ..isa.encoding import Instruction
from ..isa.types import DTYPES
from ..program import Program, RegisterDef, Requirement
from .layout import (StructCache, EXT_ENTRY_SIZE, INSTRUCTION_SIZE, TVMR_HEADER_SIZE, TVMR_MAGIC, TVMR_VERSION,
                     U32_MAX, TvmrHeader, checksum_of)

_EXT_ENTRY = struct.Struct("<HHHH")
_WORD = struct.Struct(">HH4B")
_HEADER = struct.Struct("<4sHHIIIIIIQ8s")
_TYPEID = {name: int(tid) for name, (tid, _) in DTYPES.items()}
#: ``[id][TypeId][flags][ndims][dims...][keylen]`` for each ndims
_REG_PACK = StructCache("<BHBB{}HB", "pack")


class _Unpackable(Exception):
    """The fast pass met a field it cannot pack; the checking pass will say which."""


def _fast_sections(program: Program) -> tuple[bytes, bytes, bytes]:
    """Extension table, register definitions and words of a program whose fields all fit."""
    try:
        ext_pack = _EXT_ENTRY.pack
        ext = b"".join([ext_pack(r.ext_id, 1, 0, 0) for r in program.requires])
        typeid = _TYPEID
        heads = _REG_PACK
        parts = []
        append = parts.append
        for rd in program.registers:
            shape = rd.shape
            nd = len(shape)
            key = rd.key
            if key:
                key = key.encode("utf-8")
                klen = len(key)
            else:
                klen = 0
            if klen > 0xFF or nd > 0xFF:
                raise _Unpackable
            append(heads[nd](rd.reg, typeid[rd.dtype], (1 if rd.allocated else 0) | (2 if rd.frozen else 0),
                             nd, *shape, klen))
            if klen:
                append(key)
        word = _WORD.pack
        words = b"".join([word(*ins) for ins in program.instructions])
    except (struct.error, KeyError, TypeError, ValueError, AttributeError, _Unpackable):
        raise _Unpackable from None
    return ext, b"".join(parts), words


def _ext_table(requires: Sequence[Requirement]) -> bytes:
    out = bytearray()
    for i, req in enumerate(requires):
        if not 0 <= req.ext_id <= 0xFFFF:
            raise FormatError(f"extension {req.name!r}: id {req.ext_id} does not fit in u16",
                              TVMR_HEADER_SIZE + i * EXT_ENTRY_SIZE)
        out += _EXT_ENTRY.pack(req.ext_id, 1, 0, 0)  # version always 1.0.0, as the reference
    return bytes(out)


def _register_def(rd: RegisterDef, at: int, lossy: bool) -> bytes:
    """One ``[id][TypeId LE][flags][ndims][dims u16 LE...][keylen][key]`` record; ``at`` is the
    file offset of its first byte (for error positions)."""
    if not 0 <= rd.reg <= 0xFF:
        raise FormatError(f"register byte {rd.reg}: a register id is one byte (0..255)", at)
    name = rd.name
    if rd.dtype not in DTYPES:
        raise FormatError(f"{name}: unknown dtype {rd.dtype!r} (known: {', '.join(DTYPES)})", at + 1)
    shape = [int(d) for d in rd.shape]
    if len(shape) > 0xFF:
        raise FormatError(f"{name}: {len(shape)} dimensions; TVMR stores at most 255", at + 4)
    out = bytearray()
    out.append(rd.reg)
    out += struct.pack("<H", int(DTYPES[rd.dtype][0]))
    out.append((1 if rd.allocated else 0) | (2 if rd.frozen else 0))
    out.append(len(shape))
    for k, dim in enumerate(shape):
        if not 0 <= dim <= 0xFFFF:
            if not lossy or dim < 0:
                raise FormatError(f"{name}: dimension {k} is {dim}; TVMR stores dims as u16 "
                                  f"(0..65535) and the reference would silently write {dim & 0xFFFF}",
                                  at + 5 + 2 * k)
            dim &= 0xFFFF
        out += struct.pack("<H", dim)
    key = rd.key.encode("utf-8") if rd.key else b""
    if len(key) > 0xFF:
        if not lossy:
            raise FormatError(f"{name}: thermogram key is {len(key)} bytes; TVMR stores at most 255 "
                              f"(the reference writes an unreadable file)", at + len(out))
    out.append(len(key) & 0xFF)
    out += key
    return bytes(out)


def _instruction_words(instructions: Sequence[Instruction], at: int) -> bytes:
    """Encode every word at once; refuse fields that do not fit (u16 ids, u8 operands)."""
    n = len(instructions)
    if n == 0:
        return b""
    try:
        arr = np.array([tuple(ins) for ins in instructions], dtype=np.int64).reshape(n, 6)
    except (TypeError, ValueError, OverflowError) as exc:
        raise FormatError(f"instructions must be 6 integers each: {exc}", at) from None
    limits = np.array([0xFFFF, 0xFFFF, 0xFF, 0xFF, 0xFF, 0xFF], dtype=np.int64)
    bad = (arr < 0) | (arr > limits)
    if bad.any():
        i, f = (int(x) for x in np.argwhere(bad)[0])
        field = ("ext_id", "opcode", "A", "B", "C", "D")[f]
        raise FormatError(f"instruction {i}: {field} = {int(arr[i, f])} does not fit in "
                          f"{'u16' if f < 2 else 'u8'}", at + i * INSTRUCTION_SIZE)
    words = np.empty((n, 8), dtype=np.uint8)
    words[:, 0] = arr[:, 0] >> 8
    words[:, 1] = arr[:, 0] & 0xFF
    words[:, 2] = arr[:, 1] >> 8
    words[:, 3] = arr[:, 1] & 0xFF
    words[:, 4:] = arr[:, 2:]
    return words.tobytes()


def _checked_sections(program: Program, lossy: bool) -> tuple[bytes, bytes, bytes]:
    """The same sections as :func:`_fast_sections`, refusing (or truncating) what does not fit."""
    ext = _ext_table(program.requires)
    regs = bytearray()
    reg_off = TVMR_HEADER_SIZE + len(ext)
    for rd in program.registers:
        regs += _register_def(rd, reg_off + len(regs), lossy)
    words = _instruction_words(program.instructions, reg_off + len(regs))
    return ext, bytes(regs), words


def _serialize(program: Program, checksum: str, lossy: bool) -> tuple[bytes, tuple]:
    """The file bytes and the header fields written into them."""
    try:
        ext, regs, words = _fast_sections(program)
    except _Unpackable:
        ext, regs, words = _checked_sections(program, lossy)
    reg_off = TVMR_HEADER_SIZE + len(ext)
    instr_off = reg_off + len(regs)
    counts = (len(program.requires), len(program.registers), len(program.instructions))
    if instr_off > U32_MAX or max(counts) > U32_MAX:
        raise FormatError("program too large for TVMR v1 (offsets and counts are u32)", 0)
    content = ext + regs + words
    fields = (TVMR_MAGIC, TVMR_VERSION, 0, TVMR_HEADER_SIZE, counts[0], reg_off, counts[1], instr_off,
              counts[2], checksum_of(content, checksum), b"\0" * 8)
    return _HEADER.pack(*fields) + content, fields


def serialize_with_header(program: Program, checksum: str = "reference", *,
                          lossy: bool = False) -> tuple[bytes, TvmrHeader]:
    """The file bytes and the header written into them."""
    data, fields = _serialize(program, checksum, lossy)
    return data, TvmrHeader(TVMR_MAGIC.decode(), *fields[1:], checksum)


def serialize(program: Program, checksum: str = "reference", *, lossy: bool = False) -> bytes:
    """TVMR v1 bytes of ``program``.

    ``checksum="reference"`` (default) writes the reference's hash, so the reference can load
    the file; ``"xxhash64"`` writes a real XXH64 (seed 0), which only this engine reads.
    """
    return _serialize(program, checksum, lossy)[0]
