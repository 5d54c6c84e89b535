"""TVMR v1 and legacy TERN bytes → Program: what the reference refuses, and whole-file checks.

The reference's reader is the specification for what it refuses: the same checks in the same order
with the same texts (``FormatError.message``), plus a byte offset. Where the reference would panic
on a hostile file (inverted section ranges slice out of bounds) or try a huge allocation (a
register count of four billion), this reader raises a FormatError instead. Every count is checked
against the bytes actually present before anything is built, so no file can make it allocate more
than a small multiple of its own size or loop longer than its length.

Whole-file checks (stricter than the reference, docs/deviations.md): the reference's checksum
covers the sections but not the header's offsets and counts, so a flipped count or offset could
load as a different program. After the reference's own checks pass, this reader also requires the
layout every writer (the reference's and this engine's) produces: the extension table right after
the header, each section starting where the previous one ends, the register definitions filling
their section exactly (count matches size; no definition cut short by the end of its section) and
the file ending with the last instruction. Any single-bit change of a header field that names
where or how much then either fails these checks or the checksum, or leaves the program unchanged
(version, flags, reserved bytes). Legacy TERN files get the same fill checks.

Speed: the header is one ``struct`` unpack, the checksum is the fold kernel
(:mod:`ternsig.binfmt.fold`), and ``deserialize`` builds no header object. The register section
and the instruction section are each remembered by their bytes (:class:`_SectionMemo`): a brain
reads the same firmware for many regions, on every reload and checkpoint restore, and a section
read before costs a dict lookup plus building fresh objects (new :class:`RegisterDef` objects, a new
list of the immutable :class:`Instruction` tuples) instead of its field-by-field decode. Only a
section that was read without error is remembered, and the bytes alone decide every check, so
every refusal happens on every read; small sections only, a fixed number of them, so no file can
grow the memo without bound.
"""

from __future__ import annotations

import struct
from typing import Union

from ..errors import FormatError
from ..isa.encoding import Instruction
from ..isa.types import DTYPES, dtype_from_typeid
from .fold import fold
from ..program import Program, RegisterDef, Requirement
from .layout import (StructCache, EXT_ENTRY_SIZE, EXT_NAMES, INSTRUCTION_SIZE, LEGACY_DTYPES, LEGACY_HEADER_SIZE,
                     TERN_MAGIC, TVMR_HEADER_SIZE, TVMR_MAGIC, LegacyHeader, TvmrHeader,
                     xxh64_checksum)

Header = Union[TvmrHeader, LegacyHeader]
BytesLike = Union[bytes, bytearray, memoryview]

_TVMR_FIELDS = struct.Struct("<4sHHIIIIIIQ8s")
_LEGACY_FIELDS = struct.Struct("<4sHHBBBBIIQ4s")
_WORD = struct.Struct(">HH4B")
_TYPEID_DTYPE = {int(tid): dtype_from_typeid(int(tid)) for tid, _ in DTYPES.values()}
_DIMS = StructCache("<{}H", "unpack_from")
#: a whole TVMR definition but its key, by ndims: id, TypeId, flags, ndims, dims..., key length
_REG_WHOLE = StructCache("<BHBB{}HB", "unpack_from")


class _SectionMemo(dict):  # type: ignore[type-arg]
    """Section bytes (with what else decides the result) -> what reading them gave; holds at
    most :attr:`entries` sections of at most :attr:`max_bytes` bytes each, then stops growing."""

    def __init__(self, entries: int, max_bytes: int) -> None:
        super().__init__()
        self.entries = entries
        self.max_bytes = max_bytes

    def remember(self, key: object, value: object) -> None:
        if len(self) < self.entries:
            self[key] = value


#: instruction section bytes -> tuple of Instruction
_WORDS_MEMO = _SectionMemo(64, 4096)
#: (legacy, count, register section bytes) -> (tuple of RegisterDef arguments, end - base)
_DEFS_MEMO = _SectionMemo(64, 4096)


def read_tvmr(data: BytesLike) -> tuple[Program, Header]:
    """Decode a TVMR v1 file, or a legacy TERN file (detected by its magic), with its header."""
    return _read(data, True)  # type: ignore[return-value]


def deserialize(data: BytesLike) -> Program:
    """The program stored in a TVMR v1 or legacy TERN file (see :func:`read_tvmr`)."""
    return _read(data, False)  # type: ignore[return-value]


def _read(data: BytesLike, with_header: bool) -> Union[Program, tuple[Program, Header]]:
    if type(data) is not bytes:
        data = bytes(data)
    if len(data) < 4:
        raise FormatError("Data too short to contain magic bytes", len(data))
    magic = data[:4]
    if magic == TVMR_MAGIC:
        return _read_v1(data, with_header)
    if magic == TERN_MAGIC:
        return _read_legacy(data, with_header)
    try:
        shown = magic.decode("utf-8")
    except UnicodeDecodeError:
        shown = "???"
    raise FormatError(f"Unknown magic: {_rust_debug_str(shown)}", 0)


def _rust_debug_str(s: str) -> str:
    return '"' + s.encode("unicode_escape").decode("ascii").replace('"', '\\"') + '"'


def _verify(data: bytes, start: int, end: int, stored: int, what: str, field_offset: int) -> str:
    """Which checksum kind ``stored`` is for ``data[start:end]``; FormatError if neither."""
    ref = fold(data, start, end)
    if ref == stored:
        return "reference"
    if xxh64_checksum(data[start:end]) == stored:
        return "xxhash64"
    raise FormatError(f"{what}: expected {stored:016x}, got {ref:016x}", field_offset)


def _read_v1(data: bytes, with_header: bool) -> Union[Program, tuple[Program, TvmrHeader]]:
    n = len(data)
    if n < TVMR_HEADER_SIZE:
        raise FormatError(f"TVMR header too short: {n} bytes (need {TVMR_HEADER_SIZE})", n)
    fields = _TVMR_FIELDS.unpack_from(data, 0)
    _, _, _, start, ext_n, reg_start, reg_n, ins_off, ins_n, stored, _ = fields
    end = ins_off + ins_n * INSTRUCTION_SIZE
    if end > n:
        raise FormatError(f"Data too short: need {end} bytes, have {n}", n)
    if start > end:  # the reference panics slicing [start..end]
        raise FormatError(f"Extension table offset {start} lies past the end of the instructions "
                          f"({end})", 0x08)
    kind = _verify(data, start, end, stored, "Checksum mismatch", 0x20)

    ext_end = start + ext_n * EXT_ENTRY_SIZE
    if ext_end > n:
        raise FormatError("Extension table exceeds data bounds", 0x0C)
    requires = [Requirement(EXT_NAMES.get(i, "unknown"), i)
                for i in struct.unpack_from(f"<{ext_n * 4}H", data, start)[::4]] if ext_n else []
    # the register section ends at the instructions, and ins_off <= end <= n: the reference's
    # "Register definitions exceed data bounds" cannot happen here
    if reg_start > ins_off:  # the reference panics slicing [reg_start..ins_off]
        raise FormatError(f"Register definitions offset {reg_start} lies past the instruction "
                          f"offset {ins_off}", 0x10)
    registers, reg_end = _register_defs(data, reg_start, ins_off, reg_n, legacy=False)

    # whole-file layout (stricter than the reference; see the module docstring)
    if start != TVMR_HEADER_SIZE:
        raise FormatError(f"Extension table starts at offset {start}, not right after the "
                          f"{TVMR_HEADER_SIZE}-byte header", 0x08)
    if reg_start != ext_end:
        raise FormatError(f"{ext_n} extension entries end at offset {ext_end} but the register "
                          f"definitions start at offset {reg_start}", 0x10)
    _check_filled(reg_end, ins_off, reg_n, 0x14)
    if end != n:
        raise FormatError(f"{n - end} bytes after the last instruction (the instructions end at "
                          f"offset {end})", end)

    program = Program(_words(data, ins_off, end), registers, requires)
    if not with_header:
        return program
    return program, TvmrHeader(fields[0].decode("latin-1"), *fields[1:], kind)


def _read_legacy(data: bytes, with_header: bool) -> Union[Program, tuple[Program, LegacyHeader]]:
    n = len(data)
    if n < LEGACY_HEADER_SIZE:
        raise FormatError(f"Legacy header too short: {n} bytes", n)
    fields = _LEGACY_FIELDS.unpack_from(data, 0)
    _, version, _, hot, cold, param, shape, ins_n, reg_size, stored, _ = fields
    start = LEGACY_HEADER_SIZE
    reg_end = start + reg_size
    end = reg_end + ins_n * INSTRUCTION_SIZE
    if end > n:
        raise FormatError(f"Data too short: need {end} bytes, have {n}", n)
    kind = _verify(data, start, end, stored, "Legacy checksum mismatch", 20)
    count = hot + cold + param + shape
    registers, stop = _register_defs(data, start, reg_end, count, legacy=True)
    _check_filled(stop, reg_end, count, 8)
    if end != n:
        raise FormatError(f"{n - end} bytes after the last instruction (the instructions end at "
                          f"offset {end})", end)
    program = Program(_words(data, reg_end, end), registers, [], version=version)
    if not with_header:
        return program
    return program, LegacyHeader(fields[0].decode("latin-1"), *fields[1:], kind)


def _check_filled(stop: int, limit: int, count: int, field_offset: int) -> None:
    """The register definitions, read up to ``stop``, must fill their section up to ``limit``."""
    if stop > limit:  # the reference reads missing trailing fields of the last definition as 0
        raise FormatError(f"The last of {count} register definitions is cut short by the end of "
                          f"its section (offset {limit})", limit)
    if stop < limit:
        raise FormatError(f"{count} register definitions end at offset {stop} but their section "
                          f"runs to offset {limit}", field_offset)


def _words(data: bytes, start: int, end: int) -> list[Instruction]:
    """The 8-byte words of ``data[start:end]`` (bounds already checked by the caller)."""
    if start == end:
        return []
    if end - start <= _WORDS_MEMO.max_bytes:
        raw = data[start:end]
        known = _WORDS_MEMO.get(raw)
        if known is not None:
            return list(known)
        new = tuple.__new__
        out = [new(Instruction, w) for w in _WORD.iter_unpack(raw)]
        _WORDS_MEMO.remember(raw, tuple(out))
        return out
    new = tuple.__new__
    return [new(Instruction, w) for w in _WORD.iter_unpack(memoryview(data)[start:end])]


def _register_defs(data: bytes, base: int, limit: int, count: int, *,
                   legacy: bool) -> tuple[list[RegisterDef], int]:
    """``count`` register definitions from ``data[base:limit]`` and the offset where they end
    (:func:`_read_defs`), remembered by the section's bytes when it is small."""
    if limit - base > _DEFS_MEMO.max_bytes:
        fields, pos = _read_defs(data, base, limit, count, legacy=legacy)
        return [RegisterDef(*f) for f in fields], pos
    key = (legacy, count, data[base:limit])
    known = _DEFS_MEMO.get(key)
    if known is None:
        fields, pos = _read_defs(data, base, limit, count, legacy=legacy)
        _DEFS_MEMO.remember(key, (fields, pos - base))
    else:
        fields, pos = known[0], base + known[1]
    new_def = RegisterDef
    return [new_def(*f) for f in fields], pos


def _read_defs(data: bytes, base: int, limit: int, count: int, *,
               legacy: bool) -> tuple[tuple[tuple, ...], int]:
    """The :class:`RegisterDef` arguments of ``count`` definitions from ``data[base:limit]`` and
    the offset where they end.

    A TVMR definition whose fixed part, dimensions and key length all lie inside the section is
    read with one ``struct`` call; any other (legacy, or near the end of the section) goes
    through :func:`_careful_def`, which has the reference's errors and leniency. Every definition
    consumes at least 5 bytes or fails, so the loop ends within ``(limit - base) / 5 + 1`` rounds
    whatever ``count`` says.
    """
    pos = base
    out: list[tuple] = []
    append = out.append
    whole = _REG_WHOLE
    typeid_dtype = _TYPEID_DTYPE
    for _ in range(count):
        if pos + 5 <= limit and not legacy:
            ndims = data[pos + 4]
            stop = pos + 6 + 2 * ndims
            if stop <= limit:
                t = whole[ndims](data, pos)
                key_len = t[-1]
                if key_len:
                    pos = stop + key_len
                    if pos > limit:
                        raise FormatError("Unexpected end of data reading thermogram key", stop)
                    try:
                        key = data[stop:pos].decode("utf-8")
                    except UnicodeDecodeError as exc:
                        raise FormatError(f"thermogram key is not valid UTF-8: {exc.reason}",
                                          stop + exc.start) from None
                else:
                    pos = stop
                    key = None
                tid = t[1]
                flags = t[2]
                append((t[0], typeid_dtype.get(tid) or dtype_from_typeid(tid), t[4:-1], key,
                        flags & 2 != 0, flags & 1 != 0))
                continue
        rd, pos = _careful_def(data, pos, base, limit, legacy, len(out), count)
        append((rd.reg, rd.dtype, rd.shape, rd.key, rd.frozen, rd.allocated))
    return tuple(out), pos


def _careful_def(data: bytes, pos: int, base: int, limit: int, legacy: bool, done: int,
                 count: int) -> tuple[RegisterDef, int]:
    """One definition read field by field, with the reference's errors and leniency (flags,
    ndims and key length missing at the end of the section read as 0; the returned offset then
    lies past ``limit``, which the caller refuses)."""
    if pos >= limit:
        raise FormatError(f"Unexpected end of data in {'legacy ' if legacy else ''}register "
                          f"definition ({done} of {count} read)", min(pos, limit))
    reg = data[pos]
    if legacy:
        code = data[pos + 1] if pos + 1 < limit else None
        if code is None or code >= len(LEGACY_DTYPES):
            raise FormatError(f"Invalid legacy dtype at offset {pos + 1 - base}", min(pos + 1, limit))
        dtype = LEGACY_DTYPES[code]
        pos += 2
    else:
        if pos + 3 > limit:
            raise FormatError(f"Unexpected end of data reading TypeId at offset {pos + 1 - base}",
                              pos + 1)
        dtype = dtype_from_typeid(data[pos + 1] | (data[pos + 2] << 8))
        pos += 3
    if pos + 2 <= limit:
        flags, ndims = data[pos], data[pos + 1]
    else:
        flags, ndims = (data[pos] if pos < limit else 0), 0
    pos += 2
    shape: tuple[int, ...] = ()
    if ndims:
        if pos + 2 * ndims > limit:
            raise FormatError("Unexpected end of data reading dimensions", min(pos, limit))
        shape = _DIMS[ndims](data, pos)
        pos += 2 * ndims
    key_len = data[pos] if pos < limit else 0
    pos += 1
    key = None
    if key_len:
        if pos + key_len > limit:
            raise FormatError("Unexpected end of data reading thermogram key", min(pos, limit))
        try:
            key = data[pos:pos + key_len].decode("utf-8")
        except UnicodeDecodeError as exc:
            raise FormatError(f"thermogram key is not valid UTF-8: {exc.reason}",
                              pos + exc.start) from None
        pos += key_len
    return RegisterDef(reg, dtype, shape, key, flags & 2 != 0, flags & 1 != 0), pos
