"""The state-file container: exact round trip, and every kind of damage is a FormatError."""
from __future__ import annotations

import numpy as np
import pytest

from ternsig.errors import FormatError
from ternsig.host.statefile import pack, unpack


def sample():
    return {"a": np.arange(6, dtype=np.int8).reshape(2, 3), "b": [1, None, "x", {"c": np.array([2**40], np.int64)}],
            "raw": b"\x00\xffhello", "f": 1.5, "t": True, "empty": np.zeros(0, np.uint8)}


def test_round_trip_keeps_values_dtypes_and_shapes():
    out = unpack(pack(sample()))
    assert out["a"].dtype == np.int8 and out["a"].shape == (2, 3) and out["a"].tolist() == [[0, 1, 2], [3, 4, 5]]
    assert out["b"][:3] == [1, None, "x"] and out["b"][3]["c"].tolist() == [2**40]
    assert out["raw"] == b"\x00\xffhello" and out["f"] == 1.5 and out["t"] is True and out["empty"].size == 0
    out["a"][0, 0] = 9                                   # owned copies, writable


def test_every_truncation_and_every_byte_flip_is_a_format_error():
    data = pack(sample())
    for n in range(len(data)):
        with pytest.raises(FormatError):
            unpack(data[:n])
    for i in range(len(data)):
        bad = bytearray(data)
        bad[i] ^= 0x41
        with pytest.raises(FormatError):
            unpack(bytes(bad))


def test_a_consistent_but_hostile_header_is_refused():
    import hashlib
    import json

    def forge(header: dict, blob: bytes = b"") -> bytes:
        h = json.dumps(header).encode()
        rest = len(h).to_bytes(4, "little") + h + blob
        return b"TSSTATE1" + hashlib.sha256(rest).digest() + rest

    for header in ({"doc": {"$blob": 0}, "blobs": [["array", "object", [1], 0, 8]]},
                   {"doc": {"$blob": 0}, "blobs": [["array", "int32", [4], 0, 16]]},       # past the end
                   {"doc": {"$blob": 3}, "blobs": []},
                   {"doc": 1, "blobs": [["array", "int32", [-1], 0, 4]]},
                   {"nodoc": 1}):
        with pytest.raises(FormatError):
            unpack(forge(header, b"\0" * 8))
    with pytest.raises(FormatError):
        unpack(forge({"doc": [[[[]]]] * 2, "blobs": []}, b"") [:-1] + b"!")


def test_unsupported_values_are_refused_when_packing():
    for bad in ({1: 2}, {"x": object()}, {"x": np.array(["s"])}, {"$blob": 1}):
        with pytest.raises(TypeError):
            pack(bad)
