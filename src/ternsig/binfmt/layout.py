"""Fixed facts of the TVMR v1 and legacy TERN layouts: sizes, magics, headers, checksums.

Both formats protect their content with the reference's own 64-bit fold (misnamed "xxhash64"
in the reference sources; it is not xxHash). This engine can also write and verify a real
XXH64 (seed 0) over the same byte range; a reader accepts either and records which matched.
"""
from __future__ import annotations

import struct
from dataclasses import dataclass, field
from typing import Any

import xxhash

from ..errors import UsageError
from .fold import fold

TVMR_MAGIC = b"TVMR"
TERN_MAGIC = b"TERN"
TVMR_VERSION = 1
TVMR_HEADER_SIZE = 48
LEGACY_HEADER_SIZE = 32
EXT_ENTRY_SIZE = 8
INSTRUCTION_SIZE = 8
U32_MAX = 0xFFFF_FFFF

FLAG_COMPRESSED = 0x01
FLAG_ENCRYPTED = 0x02
FLAG_HAS_METADATA = 0x04

#: the only ids the reference's reader names; every other id reads back as "unknown"
EXT_NAMES = {0x0001: "tensor", 0x0002: "ternary", 0x0003: "activation", 0x0004: "learning",
             0x0005: "neuro", 0x0006: "arch", 0x0007: "orchestration", 0x0008: "lifecycle",
             0x0009: "ipc", 0x000A: "test"}

#: legacy TERN register dtype byte (0..7) → canonical dtype name
LEGACY_DTYPES = ("f32", "i32", "ternary", "packed", "f16", "i16", "i8", "i64")

CHECKSUM_KINDS = ("reference", "xxhash64")


class StructCache(dict):  # type: ignore[type-arg]
    """``cache[k]``: the ``method`` ("pack" / "unpack_from") of ``struct.Struct(fmt.format(k))``,
    compiled on first use (register definitions need one format per dimension count)."""

    def __init__(self, fmt: str, method: str) -> None:
        super().__init__()
        self.fmt = fmt
        self.method = method

    def __missing__(self, k: int) -> Any:
        fn = self[k] = getattr(struct.Struct(self.fmt.format(k)), self.method)
        return fn

# header: magic, version, flags, ext off/count, reg off/count, instr off/count, checksum, reserved
_TVMR_HEADER = struct.Struct("<4sHHIIIIIIQ8s")
# legacy: magic, version, flags, hot/cold/param/shape counts, instr count, reg_def_size, checksum
_LEGACY_HEADER = struct.Struct("<4sHHBBBBIIQ4s")

def reference_checksum(content: bytes) -> int:
    """The reference's content hash: for each 8-byte little-endian chunk (the last zero-padded),
    ``h = rotl64(h * 0x85EBCA6B + v, 31)`` from ``h = 0x9E3779B97F4A7C15``
    (:mod:`ternsig.binfmt.fold` holds the interpreted and compiled implementations)."""
    return fold(content)


def xxh64_checksum(content: bytes) -> int:
    """Real XXH64 with seed 0 (the optional, stronger checksum this engine can write)."""
    return xxhash.xxh64_intdigest(bytes(content), seed=0)


def checksum_of(content: bytes, kind: str) -> int:
    if kind == "reference":
        return reference_checksum(content)
    if kind == "xxhash64":
        return xxh64_checksum(content)
    raise UsageError(f"unknown checksum kind {kind!r} (choose one of {', '.join(CHECKSUM_KINDS)})")


def match_checksum(content: bytes, stored: int) -> tuple[str | None, int]:
    """Which checksum kind ``stored`` is (None if neither), and the reference hash of content."""
    ref = reference_checksum(content)
    if ref == stored:
        return "reference", ref
    if xxh64_checksum(content) == stored:
        return "xxhash64", ref
    return None, ref


class _HeaderFlags:
    """The flag bits both header formats share."""

    flags: int

    @property
    def compressed(self) -> bool:
        return bool(self.flags & FLAG_COMPRESSED)

    @property
    def encrypted(self) -> bool:
        return bool(self.flags & FLAG_ENCRYPTED)

    @property
    def has_metadata(self) -> bool:
        return bool(self.flags & FLAG_HAS_METADATA)


@dataclass(frozen=True)
class TvmrHeader(_HeaderFlags):
    """Every field of the 48-byte TVMR v1 header, as read (nothing is validated here)."""

    magic: str
    version: int
    flags: int
    ext_table_offset: int
    ext_table_count: int
    reg_defs_offset: int
    reg_defs_count: int
    instr_offset: int
    instr_count: int
    checksum: int
    reserved: bytes = field(default=b"\0" * 8)
    #: which checksum matched on read ("reference" or "xxhash64"), or was written
    checksum_kind: str = "reference"

    def pack(self) -> bytes:
        return _TVMR_HEADER.pack(self.magic.encode("latin-1"), self.version, self.flags,
                                 self.ext_table_offset, self.ext_table_count, self.reg_defs_offset,
                                 self.reg_defs_count, self.instr_offset, self.instr_count,
                                 self.checksum, self.reserved)

    @classmethod
    def unpack(cls, data: bytes, checksum_kind: str = "reference") -> "TvmrHeader":
        """Decode the first 48 bytes (the caller has checked there are that many)."""
        (magic, version, flags, ext_off, ext_n, reg_off, reg_n, ins_off, ins_n, checksum,
         reserved) = _TVMR_HEADER.unpack_from(data, 0)
        return cls(magic.decode("latin-1"), version, flags, ext_off, ext_n, reg_off, reg_n,
                   ins_off, ins_n, checksum, reserved, checksum_kind)


@dataclass(frozen=True)
class LegacyHeader(_HeaderFlags):
    """Every field of the 32-byte legacy TERN header (read-only format)."""

    magic: str
    version: int
    flags: int
    hot_count: int
    cold_count: int
    param_count: int
    shape_count: int
    instr_count: int
    reg_def_size: int
    checksum: int
    reserved: bytes = field(default=b"\0" * 4)
    checksum_kind: str = "reference"

    @property
    def register_count(self) -> int:
        return self.hot_count + self.cold_count + self.param_count + self.shape_count

    def pack(self) -> bytes:
        """Header bytes (used by tests to build legacy files; ternsig never writes TERN)."""
        return _LEGACY_HEADER.pack(self.magic.encode("latin-1"), self.version, self.flags,
                                   self.hot_count, self.cold_count, self.param_count,
                                   self.shape_count, self.instr_count, self.reg_def_size,
                                   self.checksum, self.reserved)

    @classmethod
    def unpack(cls, data: bytes, checksum_kind: str = "reference") -> "LegacyHeader":
        (magic, version, flags, hot, cold, param, shape, ins_n, reg_size, checksum,
         reserved) = _LEGACY_HEADER.unpack_from(data, 0)
        return cls(magic.decode("latin-1"), version, flags, hot, cold, param, shape, ins_n,
                   reg_size, checksum, reserved, checksum_kind)
