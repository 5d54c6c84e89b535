"""A small self-checking container for brain state: a JSON document whose NumPy arrays and byte
strings are stored raw after it.

Layout (all integers little-endian)::

    b"TSSTATE1"                 magic (8 bytes)
    sha256(rest)                32 bytes: covers everything after this field
    header length               u32
    header                      UTF-8 JSON: {"doc": ..., "blobs": [[kind, dtype, shape, offset, nbytes], ...]}
    blob area                   the arrays' and byte strings' bytes, back to back

Inside ``doc`` an array is ``{"$blob": i}``. Only plain integer, boolean and float dtypes are
accepted, every blob must lie inside the blob area, and any damage is a :class:`FormatError` with
the byte offset — never a raw Python exception (and nothing is ever unpickled).
"""
from __future__ import annotations

import hashlib
import json
import math
from typing import Any

import numpy as np

from ..errors import FormatError

MAGIC = b"TSSTATE1"
_HEAD = len(MAGIC) + 32 + 4
_DTYPES = frozenset({"int8", "uint8", "int16", "uint16", "int32", "uint32", "int64", "uint64", "bool",
                     "float32", "float64"})
_MAX_DIMS = 8


def pack(doc: Any) -> bytes:
    """Encode a JSON-like value (dicts with string keys, lists, ints, floats, strings, None, bools)
    whose leaves may also be NumPy arrays or ``bytes``."""
    blobs: list[list[Any]] = []
    chunks: list[bytes] = []
    offset = 0

    def enc(v: Any) -> Any:
        nonlocal offset
        if isinstance(v, np.ndarray):
            if v.dtype.name not in _DTYPES:
                raise TypeError(f"statefile: unsupported dtype {v.dtype}")
            raw = np.ascontiguousarray(v).astype(v.dtype.newbyteorder("<"), copy=False).tobytes()
            blobs.append(["array", v.dtype.name, list(v.shape), offset, len(raw)])
        elif isinstance(v, (bytes, bytearray, memoryview)):
            raw = bytes(v)
            blobs.append(["bytes", "uint8", [len(raw)], offset, len(raw)])
        elif isinstance(v, dict):
            for k in v:
                if not isinstance(k, str):
                    raise TypeError(f"statefile: dict keys must be strings, got {k!r}")
            if "$blob" in v:
                raise TypeError("statefile: '$blob' is a reserved key")
            return {k: enc(x) for k, x in v.items()}
        elif isinstance(v, (list, tuple)):
            return [enc(x) for x in v]
        elif isinstance(v, np.integer):
            return int(v)
        elif v is None or isinstance(v, (bool, int, float, str)):
            return v
        else:
            raise TypeError(f"statefile: cannot store a {type(v).__name__}")
        chunks.append(raw)
        offset += len(raw)
        return {"$blob": len(blobs) - 1}

    header = json.dumps({"doc": enc(doc), "blobs": blobs}, separators=(",", ":"), allow_nan=False).encode()
    rest = len(header).to_bytes(4, "little") + header + b"".join(chunks)
    return MAGIC + hashlib.sha256(rest).digest() + rest


def unpack(data: bytes, what: str = "state file") -> Any:
    """Verify and decode :func:`pack` output; arrays come back as NumPy arrays (owned copies),
    byte strings as ``bytes``."""
    if len(data) < _HEAD or data[:len(MAGIC)] != MAGIC:
        raise FormatError(f"{what}: not a ternsig state file (bad magic or too short)", 0)
    if hashlib.sha256(data[len(MAGIC) + 32:]).digest() != data[len(MAGIC):len(MAGIC) + 32]:
        raise FormatError(f"{what}: checksum mismatch (torn or damaged file)", len(MAGIC))
    hlen = int.from_bytes(data[len(MAGIC) + 32:_HEAD], "little")
    if _HEAD + hlen > len(data):
        raise FormatError(f"{what}: header length {hlen} runs past the end of the file", len(MAGIC) + 32)
    try:
        header = json.loads(data[_HEAD:_HEAD + hlen].decode("utf-8"))
        doc, blobs = header["doc"], header["blobs"]
        if not isinstance(blobs, list):
            raise ValueError("blobs is not a list")
    except (ValueError, UnicodeDecodeError, KeyError, TypeError, RecursionError) as exc:
        raise FormatError(f"{what}: header is not valid: {exc}", _HEAD) from None
    area = memoryview(data)[_HEAD + hlen:]
    values: list[Any] = []
    for i, b in enumerate(blobs):
        try:
            kind, dtype, shape, off, n = b
            if kind not in ("array", "bytes") or dtype not in _DTYPES or not isinstance(shape, list) \
                    or len(shape) > _MAX_DIMS or not all(type(d) is int and d >= 0 for d in shape) \
                    or type(off) is not int or type(n) is not int or off < 0 or n < 0 or off + n > len(area):
                raise ValueError("bad descriptor")
            dt = np.dtype(dtype).newbyteorder("<")
            count = math.prod(shape)          # exact: a NumPy product would wrap at 2**63
            if count * dt.itemsize != n:
                raise ValueError(f"shape {shape} of {dtype} is not {n} bytes")
        except (ValueError, TypeError) as exc:
            raise FormatError(f"{what}: blob {i} is not valid: {exc}", _HEAD) from None
        raw = area[off:off + n]
        if kind == "bytes":
            values.append(bytes(raw))
        else:
            values.append(np.frombuffer(raw, dt).astype(dt.newbyteorder("="), copy=True).reshape(shape))

    def dec(v: Any) -> Any:
        if isinstance(v, dict):
            if "$blob" in v:
                i = v["$blob"]
                if len(v) != 1 or type(i) is not int or not 0 <= i < len(values):
                    raise FormatError(f"{what}: bad blob reference {v!r}", _HEAD)
                return values[i]
            return {k: dec(x) for k, x in v.items()}
        if isinstance(v, list):
            return [dec(x) for x in v]
        return v

    try:
        return dec(doc)
    except RecursionError:
        raise FormatError(f"{what}: header nests too deeply", _HEAD) from None
