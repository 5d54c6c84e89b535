"""TVMR v1 and legacy TERN bytes → Program, refusing exactly what the reference refuses.

The reference's reader is the specification: the same checks in the same order with the same
texts (``FormatError.message``), plus a byte offset. Where the reference would panic on a hostile
file (inverted section ranges slice out of bounds) or try a huge allocation (a register count
of four billion), this reader raises a FormatError instead. Every count is checked against the
bytes actually present before anything is built, so no file can make it allocate more than a
small multiple of its own size or loop longer than its length.

The reference is lenient in one place, and so is this reader: the flags, ndims and key-length
bytes of a register definition read as 0 when the definition is cut short by the end of its
section (only the last definition can be, since the next one then finds no id byte).
"""
from __future__ import annotations

import struct
from typing import Union

import numpy as np

from ..errors import FormatError
from ..isa.encoding import Instruction
from ..isa.types import dtype_from_typeid
from ..program import Program, RegisterDef, Requirement
from .layout import (EXT_ENTRY_SIZE, EXT_NAMES, INSTRUCTION_SIZE, LEGACY_DTYPES, LEGACY_HEADER_SIZE,
                     TERN_MAGIC, TVMR_HEADER_SIZE, TVMR_MAGIC, LegacyHeader, TvmrHeader,
                     match_checksum)

Header = Union[TvmrHeader, LegacyHeader]
BytesLike = Union[bytes, bytearray, memoryview]


def read_tvmr(data: BytesLike) -> tuple[Program, Header]:
    """Decode a TVMR v1 file, or a legacy TERN file (detected by its magic), with its header."""
    data = bytes(data)
    if len(data) < 4:
        raise FormatError("Data too short to contain magic bytes", len(data))
    magic = data[:4]
    if magic == TVMR_MAGIC:
        return _read_v1(data)
    if magic == TERN_MAGIC:
        return _read_legacy(data)
    try:
        shown = magic.decode("utf-8")
    except UnicodeDecodeError:
        shown = "???"
    raise FormatError(f"Unknown magic: {_rust_debug_str(shown)}", 0)


def deserialize(data: BytesLike) -> Program:
    """The program stored in a TVMR v1 or legacy TERN file (see :func:`read_tvmr`)."""
    return read_tvmr(data)[0]


def _rust_debug_str(s: str) -> str:
    return '"' + s.encode("unicode_escape").decode("ascii").replace('"', '\\"') + '"'


def _verify(content: bytes, stored: int, what: str, field_offset: int) -> str:
    kind, ref = match_checksum(content, stored)
    if kind is None:
        raise FormatError(f"{what}: expected {stored:016x}, got {ref:016x}", field_offset)
    return kind


def _read_v1(data: bytes) -> tuple[Program, TvmrHeader]:
    n = len(data)
    if n < TVMR_HEADER_SIZE:
        raise FormatError(f"TVMR header too short: {n} bytes (need {TVMR_HEADER_SIZE})", n)
    h = TvmrHeader.unpack(data)
    start = h.ext_table_offset
    end = h.instr_offset + h.instr_count * INSTRUCTION_SIZE
    if end > n:
        raise FormatError(f"Data too short: need {end} bytes, have {n}", n)
    if start > end:  # the reference panics slicing [start..end]
        raise FormatError(f"Extension table offset {start} lies past the end of the instructions "
                          f"({end})", 0x08)
    kind = _verify(data[start:end], h.checksum, "Checksum mismatch", 0x20)
    h = TvmrHeader.unpack(data, kind)

    ext_end = start + h.ext_table_count * EXT_ENTRY_SIZE
    if ext_end > n:
        raise FormatError("Extension table exceeds data bounds", 0x0C)
    ids = np.frombuffer(data, dtype="<u2", count=h.ext_table_count * 4, offset=start)[::4].tolist() \
        if h.ext_table_count else []
    requires = [Requirement(EXT_NAMES.get(i, "unknown"), i) for i in ids]

    reg_start, reg_end = h.reg_defs_offset, h.instr_offset
    if reg_end > n:  # unreachable after the content check; kept as the reference has it
        raise FormatError("Register definitions exceed data bounds", 0x18)
    if reg_start > reg_end:  # the reference panics slicing [reg_start..reg_end]
        raise FormatError(f"Register definitions offset {reg_start} lies past the instruction "
                          f"offset {reg_end}", 0x10)
    registers = _register_defs(data, reg_start, reg_end, h.reg_defs_count, legacy=False)
    instructions = _words(data, h.instr_offset, h.instr_count)
    return Program(instructions=instructions, registers=registers, requires=requires), h


def _read_legacy(data: bytes) -> tuple[Program, LegacyHeader]:
    n = len(data)
    if n < LEGACY_HEADER_SIZE:
        raise FormatError(f"Legacy header too short: {n} bytes", n)
    h = LegacyHeader.unpack(data)
    start = LEGACY_HEADER_SIZE
    reg_end = start + h.reg_def_size
    end = reg_end + h.instr_count * INSTRUCTION_SIZE
    if end > n:
        raise FormatError(f"Data too short: need {end} bytes, have {n}", n)
    kind = _verify(data[start:end], h.checksum, "Legacy checksum mismatch", 20)
    h = LegacyHeader.unpack(data, kind)
    registers = _register_defs(data, start, reg_end, h.register_count, legacy=True)
    instructions = _words(data, reg_end, h.instr_count)
    return Program(instructions=instructions, registers=registers, version=h.version), h


def _words(data: bytes, offset: int, count: int) -> list[Instruction]:
    """``count`` 8-byte words at ``offset`` (bounds already checked by the caller)."""
    if count == 0:
        return []
    w = np.frombuffer(data, dtype=np.uint8, count=count * INSTRUCTION_SIZE, offset=offset)
    w = w.reshape(count, INSTRUCTION_SIZE).astype(np.int64)
    ext = (w[:, 0] << 8) | w[:, 1]
    op = (w[:, 2] << 8) | w[:, 3]
    return [Instruction(*row) for row in np.column_stack((ext, op, w[:, 4:])).tolist()]


def _register_defs(data: bytes, base: int, limit: int, count: int, *, legacy: bool) -> list[RegisterDef]:
    """``count`` register definitions from ``data[base:limit]``.

    Every definition consumes at least 5 bytes or fails, so the loop ends within
    ``(limit - base) / 5 + 1`` rounds whatever ``count`` says.
    """
    sec = data[base:limit]
    n = len(sec)
    pos = 0
    out: list[RegisterDef] = []
    for _ in range(count):
        if pos >= n:
            raise FormatError(f"Unexpected end of data in {'legacy ' if legacy else ''}register "
                              f"definition ({len(out)} of {count} read)", base + min(pos, n))
        reg = sec[pos]
        pos += 1
        if legacy:
            code = sec[pos] if pos < n else None
            if code is None or code >= len(LEGACY_DTYPES):
                raise FormatError(f"Invalid legacy dtype at offset {pos}", base + min(pos, n))
            dtype = LEGACY_DTYPES[code]
            pos += 1
        else:
            if pos + 2 > n:
                raise FormatError(f"Unexpected end of data reading TypeId at offset {pos}", base + pos)
            dtype = dtype_from_typeid(sec[pos] | (sec[pos + 1] << 8))
            pos += 2
        flags = sec[pos] if pos < n else 0
        ndims = sec[pos + 1] if pos + 1 < n else 0
        pos += 2
        if ndims and pos + 2 * ndims > n:
            raise FormatError("Unexpected end of data reading dimensions", base + min(pos, n))
        shape = struct.unpack_from(f"<{ndims}H", sec, pos) if ndims else ()
        pos += 2 * ndims
        key_len = sec[pos] if pos < n else 0
        pos += 1
        key = None
        if key_len:
            if pos + key_len > n:
                raise FormatError("Unexpected end of data reading thermogram key", base + min(pos, n))
            try:
                key = sec[pos:pos + key_len].decode("utf-8")
            except UnicodeDecodeError as exc:
                raise FormatError(f"thermogram key is not valid UTF-8: {exc.reason}",
                                  base + pos + exc.start) from None
            pos += key_len
        out.append(RegisterDef(reg=reg, dtype=dtype, shape=tuple(shape), key=key,
                               frozen=bool(flags & 2), allocated=bool(flags & 1)))
    return out
