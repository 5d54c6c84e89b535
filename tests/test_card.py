"""`.card` files (datacard-rs 1.0 layout with the ternsig format's constants), both ways.

The golden bytes are written out field by field from the specification, independently of
``ternsig.card``: a writer must produce them exactly and a reader must accept them.
"""
from __future__ import annotations

import struct
import zlib

import pytest

from ternsig.card import (FLAG_HAS_CHECKSUM, Card, looks_like_card, pack_card, parse_card)
from ternsig.errors import FormatError, UsageError

PAYLOAD = b"TERN\x01\x00\x00\x00"          # the smallest payload the format accepts (8 bytes)
META = b'{"id":"g","payload_size":8}'


def golden(flags: int = 1) -> bytes:
    head = b"TVMR" + bytes([1, 0]) + struct.pack("<H", flags) + struct.pack("<I", len(META)) + META + PAYLOAD
    return head + (struct.pack("<I", zlib.crc32(head)) if flags & 1 else b"")


def test_golden_literal_matches_the_field_by_field_layout():
    # the same bytes as a literal, so a change to golden() itself cannot go unnoticed
    assert golden().hex() == ("54564d52" "0100" "0100" "1b000000"
                              + META.hex() + PAYLOAD.hex() + "f2ce72ee")


def test_writer_produces_the_golden_bytes():
    assert pack_card(PAYLOAD, "g") == golden()
    assert pack_card(PAYLOAD, "g", checksum=False) == golden(flags=0)


@pytest.mark.parametrize("flags", [0, 1])
def test_reader_accepts_the_golden_bytes(flags):
    card = parse_card(golden(flags))
    assert card == Card("g", PAYLOAD, flags, 1, 0, {"id": "g", "payload_size": 8})
    assert card.has_checksum == bool(flags & FLAG_HAS_CHECKSUM)
    assert looks_like_card(golden(flags))


def test_reader_accepts_optional_metadata_fields_and_later_minor_versions():
    meta = b'{"id":"x","payload_size":8,"original_size":null,"ext":{"k":1}}'
    head = b"TVMR\x01\x03\x00\x00" + struct.pack("<I", len(meta)) + meta + PAYLOAD
    card = parse_card(head)
    assert (card.id, card.minor, card.metadata["ext"]) == ("x", 3, {"k": 1})


def _corrupt(data: bytes, at: int, value: int) -> bytes:
    b = bytearray(data)
    b[at] = value
    return bytes(b)


@pytest.mark.parametrize("data, needle, offset", [
    (b"TVMR\x01", "card too short", 5),
    (b"CARD" + golden()[4:], "not a ternsig card", 0),
    (_corrupt(golden(), 4, 2), "unsupported card version 2.0", 4),
    (_corrupt(golden(), 6, 0x05), "reserved bits", 6),
    (golden()[:10], "before its metadata length", 10),
    (b"TVMR\x01\x00\x00\x00" + struct.pack("<I", 70000), "metadata too large", 8),
    (b"TVMR\x01\x00\x00\x00" + struct.pack("<I", 99) + META, "runs past the end", 12),
    (_corrupt(golden(0), 12, ord("[")), "not UTF-8 JSON", 12),
    (golden(0)[:-1], "payload size mismatch", 39),
    (_corrupt(golden(), 40, 0), "checksum mismatch", 47),
    (golden(0).replace(b"TERN", b"JUNK"), "not a program", 39),
])
def test_reader_refuses_damage_with_offsets(data, needle, offset):
    with pytest.raises(FormatError, match=needle) as info:
        parse_card(data)
    assert info.value.offset == offset


def test_metadata_without_id_or_size_is_refused():
    for meta in (b'{"payload_size":8}', b'{"id":"g","payload_size":-1}', b'["g"]'):
        data = b"TVMR\x01\x00\x00\x00" + struct.pack("<I", len(meta)) + meta + PAYLOAD
        with pytest.raises(FormatError, match="metadata needs"):
            parse_card(data)


def test_writer_refuses_non_programs_and_empty_ids():
    with pytest.raises(FormatError):
        pack_card(b"hello world", "x")
    with pytest.raises(UsageError):
        pack_card(PAYLOAD, "")


def test_a_bare_tvmr_program_is_not_taken_for_a_card():
    from ternsig.asm import assemble
    from ternsig.binary import serialize

    tvmr = serialize(assemble(".registers\n    H0: i32[1]\n.program\n    halt\n"))
    assert tvmr[:6] == golden()[:6]             # same first six bytes: the layout decides
    assert not looks_like_card(tvmr)
    assert looks_like_card(pack_card(tvmr, "p"))


def test_reader_also_accepts_a_crc_that_skips_the_length_prefix():
    body = golden(0)
    body = b"TVMR\x01\x00\x01\x00" + body[8:]
    alt = zlib.crc32(body[:8] + body[12:])
    card = parse_card(body + struct.pack("<I", alt))
    assert card.id == "g" and card.has_checksum
