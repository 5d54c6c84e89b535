"""``.card`` files: the datacard container (datacard-rs 1.0) around a TVMR or legacy TERN program.

The reference loads compiled programs through datacard-rs's ``GenericCard<TernsigFormat>``. The
layout (CARD-SPECIFICATION.md v1.0 with the ternsig format's constants), all integers
little-endian::

    offset  size  field
    0       4     magic            "TVMR" (the ternsig card format's magic)
    4       1     major version    1
    5       1     minor version    0 (a reader accepts any minor of major 1)
    6       2     flags            bit 0 HAS_CHECKSUM, bit 1 HAS_TIMESTAMP, bits 2-15 zero
    8       4     metadata length  L, at most 65536
    12      L     metadata         UTF-8 JSON: {"id": str, "payload_size": int, ...}
    12+L    P     payload          the program file (TVMR or TERN), P == payload_size
    12+L+P  4     CRC-32 (IEEE)    only when HAS_CHECKSUM; over every byte before it

A card's header starts with the same six bytes as a TVMR program ("TVMR", 1, 0), so a reader tells
them apart by what follows: a card has JSON at offset 12 and a program magic at ``12+L``
(:func:`looks_like_card`). Every fault is a :class:`~ternsig.errors.FormatError` with its offset.
"""
from __future__ import annotations

import json
import struct
import zlib
from dataclasses import dataclass, field
from typing import Any

from .errors import FormatError, UsageError

CARD_MAGIC = b"TVMR"
CARD_MAJOR = 1
CARD_MINOR = 0
FLAG_HAS_CHECKSUM = 0x0001
FLAG_HAS_TIMESTAMP = 0x0002
KNOWN_FLAGS = FLAG_HAS_CHECKSUM | FLAG_HAS_TIMESTAMP
MAX_METADATA = 65536
HEADER_SIZE = 8
PAYLOAD_MAGICS = (b"TVMR", b"TERN")
MIN_PAYLOAD = 8

_HEADER = struct.Struct("<4sBBH")
_U32 = struct.Struct("<I")


@dataclass(frozen=True)
class Card:
    """A parsed card: its id, payload bytes, header fields and the whole metadata object."""

    id: str
    payload: bytes
    flags: int = FLAG_HAS_CHECKSUM
    major: int = CARD_MAJOR
    minor: int = CARD_MINOR
    metadata: dict[str, Any] = field(default_factory=dict)

    @property
    def has_checksum(self) -> bool:
        return bool(self.flags & FLAG_HAS_CHECKSUM)


def crc32(data: bytes) -> int:
    """CRC-32/ISO-HDLC (the IEEE CRC of zlib, PNG and crc32fast)."""
    return zlib.crc32(data) & 0xFFFF_FFFF


def metadata_json(card_id: str, payload_size: int) -> bytes:
    """The metadata JSON datacard-rs writes for a card with no optional fields: compact, in field
    order (``id``, ``payload_size``)."""
    return json.dumps({"id": card_id, "payload_size": payload_size}, separators=(",", ":"),
                      ensure_ascii=False).encode("utf-8")


def pack_card(payload: bytes, card_id: str, *, checksum: bool = True) -> bytes:
    """The bytes of a card holding ``payload`` (a TVMR or TERN program file) under ``card_id``."""
    if not isinstance(card_id, str) or not card_id:
        raise UsageError("a card needs a non-empty string id")
    payload = bytes(payload)
    _check_payload(payload, 0)
    meta = metadata_json(card_id, len(payload))
    if len(meta) > MAX_METADATA:
        raise UsageError(f"card metadata too large: {len(meta)} bytes (max {MAX_METADATA})")
    flags = FLAG_HAS_CHECKSUM if checksum else 0
    body = _HEADER.pack(CARD_MAGIC, CARD_MAJOR, CARD_MINOR, flags) + _U32.pack(len(meta)) + meta + payload
    if checksum:
        body += _U32.pack(crc32(body))
    return body


def looks_like_card(data: bytes) -> bool:
    """True when ``data`` is laid out as a card rather than a bare TVMR program."""
    if len(data) < HEADER_SIZE + 4 or data[:4] != CARD_MAGIC or data[4] != CARD_MAJOR:
        return False
    (mlen,) = _U32.unpack_from(data, HEADER_SIZE)
    start = HEADER_SIZE + 4
    return (0 < mlen <= MAX_METADATA and data[start:start + 1] == b"{"
            and data[start + mlen - 1:start + mlen] == b"}"
            and data[start + mlen:start + mlen + 4] in PAYLOAD_MAGICS)


def _check_payload(payload: bytes, offset: int) -> None:
    if len(payload) < MIN_PAYLOAD:
        raise FormatError(f"card payload too small: {len(payload)} bytes (need {MIN_PAYLOAD})", offset)
    if payload[:4] not in PAYLOAD_MAGICS:
        raise FormatError(f"card payload is not a program: magic {payload[:4]!r} (want TVMR or TERN)", offset)


def parse_card(data: bytes) -> Card:
    """Read a card; refuse what datacard-rs refuses (magic, version, sizes, checksum, payload)."""
    data = bytes(data)
    if len(data) < HEADER_SIZE:
        raise FormatError(f"card too short: {len(data)} bytes (need a {HEADER_SIZE}-byte header)", len(data))
    magic, major, minor, flags = _HEADER.unpack_from(data, 0)
    if magic != CARD_MAGIC:
        raise FormatError(f"not a ternsig card: magic {magic!r} (want {CARD_MAGIC!r})", 0)
    if major != CARD_MAJOR:
        raise FormatError(f"unsupported card version {major}.{minor} (this reader reads {CARD_MAJOR}.x)", 4)
    if flags & ~KNOWN_FLAGS:
        raise FormatError(f"card flags 0x{flags:04X} set reserved bits (2-15 must be zero)", 6)
    if len(data) < HEADER_SIZE + 4:
        raise FormatError("card ends before its metadata length", len(data))
    (mlen,) = _U32.unpack_from(data, HEADER_SIZE)
    if mlen > MAX_METADATA:
        raise FormatError(f"card metadata too large: {mlen} bytes (max {MAX_METADATA})", HEADER_SIZE)
    start = HEADER_SIZE + 4
    footer = 4 if flags & FLAG_HAS_CHECKSUM else 0
    if start + mlen + footer > len(data):
        raise FormatError(f"card metadata of {mlen} bytes runs past the end of the file", start)
    try:
        meta = json.loads(data[start:start + mlen].decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise FormatError(f"card metadata is not UTF-8 JSON: {exc}", start) from None
    if not isinstance(meta, dict) or not isinstance(meta.get("id"), str):
        raise FormatError("card metadata needs a string \"id\"", start)
    size = meta.get("payload_size")
    if not isinstance(size, int) or isinstance(size, bool) or size < 0:
        raise FormatError("card metadata needs a non-negative integer \"payload_size\"", start)
    pstart = start + mlen
    payload = data[pstart:len(data) - footer]
    if size != len(payload):
        raise FormatError(f"card payload size mismatch: metadata says {size}, file holds {len(payload)}", pstart)
    if footer:
        (stored,) = _U32.unpack_from(data, len(data) - 4)
        actual = crc32(data[:-4])
        # the crate's coverage could not be checked against a card it wrote: also accept a CRC
        # over header, metadata JSON and payload without the length prefix (docs/deviations.md)
        if stored != actual and stored != crc32(data[:HEADER_SIZE] + data[start:len(data) - 4]):
            raise FormatError(f"card checksum mismatch: stored {stored:08x}, computed {actual:08x}", len(data) - 4)
    _check_payload(payload, pstart)
    return Card(meta["id"], payload, flags, major, minor, meta)
