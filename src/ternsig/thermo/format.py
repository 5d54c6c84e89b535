"""`.thermo` v1: the thermogram crate's binary file, read and written byte for byte.

Layout (little-endian, no padding; docs/thermo-format.md has the full table)::

    "THRM" u16 version=1  u16 flags  u32 total_size  u32 crc32(bytes 16..EOF)
    name str, id str, ThermalConfig (67 B), metadata, PlasticityRule (11 B), ConsolidationPolicy,
    4 layers (u32 count, entries: key, signals, strength, ts, u32 update_count), hash chain

Reader errors are :class:`FormatError` whose message is the crate's text (``Deserialization
error: ...``) and whose offset is where the problem was found. The reader checks, in the crate's
order: magic, version, header, CRC, size, then the fields. Unlike the crate it never allocates
for a count before the bytes for it are known to exist (the crate's ``with_capacity(count)`` can
abort on a hostile count), and the writer refuses values that the crate would silently narrow
into an unreadable file (a string over 65535 bytes, more than 255 triggers, ...).
"""
from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass
from typing import Optional

from ..errors import FormatError
from ..signal import Signal
from .chain import Delta, DeltaMetadata, DeltaType, HashChain
from .model import ConsolidatedEntry, Thermogram, ThermogramMetadata
from .rules import (ConsolidationPolicy, ConsolidationTrigger, PlasticityRule, ThermalConfig,
                    TriggerKind, UpdatePolicy)
from .signals import Signals, sig_bytes
from .timestamp import Timestamp, validity_error

MAGIC = b"THRM"
VERSION = 1
HEADER_SIZE = 16
PREFIX = "Deserialization error: "
_EOF = "failed to fill whole buffer"
U16_MAX, U32_MAX, U64_MAX = 0xFFFF, 0xFFFF_FFFF, (1 << 64) - 1


@dataclass(frozen=True)
class Header:
    magic: bytes
    version: int
    flags: int
    total_size: int
    crc32: int

    def to_json(self) -> dict:
        return {"magic": self.magic.decode("latin-1"), "version": self.version, "flags": self.flags,
                "total_size": self.total_size, "crc32": self.crc32, "crc32_hex": f"{self.crc32:08x}"}


def _err(msg: str, offset: int) -> FormatError:
    return FormatError(PREFIX + msg, offset)


def utf8_error_text(data: bytes) -> Optional[str]:
    """Rust's ``Utf8Error`` Display for ``data``, or None when it is valid UTF-8."""
    try:
        data.decode("utf-8")
        return None
    except UnicodeDecodeError as e:
        if e.reason == "unexpected end of data" and e.end == len(data):
            return f"incomplete utf-8 byte sequence from index {e.start}"
        return f"invalid utf-8 sequence of {e.end - e.start} bytes from index {e.start}"


# ---- reader -------------------------------------------------------------------------------------

class _Reader:
    __slots__ = ("data", "pos")

    def __init__(self, data: bytes):
        self.data = data
        self.pos = 0

    def take(self, n: int, what: str) -> bytes:
        if self.pos + n > len(self.data):
            # the crate's read_exact consumes what is left, then fails
            at = self.pos
            self.pos = len(self.data)
            raise _err(f"{what}: {_EOF}", at)
        b = self.data[self.pos:self.pos + n]
        self.pos += n
        return b

    def u8(self) -> int:
        return self.take(1, "read u8")[0]

    def u16(self) -> int:
        return struct.unpack("<H", self.take(2, "read u16"))[0]

    def u32(self) -> int:
        return struct.unpack("<I", self.take(4, "read u32"))[0]

    def u64(self) -> int:
        return struct.unpack("<Q", self.take(8, "read u64"))[0]

    def i64(self) -> int:
        return struct.unpack("<q", self.take(8, "read i64"))[0]

    def boolean(self) -> bool:
        return self.u8() != 0

    def signal(self) -> Signal:
        p, m = self.u8(), self.u8()
        return Signal(p - 256 if p >= 128 else p, m)

    def signals(self) -> Signals:
        n = self.u32()
        if 2 * n > len(self.data) - self.pos:
            # the crate reads signal after signal and fails at the first missing byte
            at = len(self.data)
            self.pos = at
            raise _err(f"read u8: {_EOF}", at)
        return Signals(self.take(2 * n, "read u8"))

    def string(self) -> str:
        n = self.u16()
        at = self.pos
        raw = self.take(n, "read str")
        why = utf8_error_text(raw)
        if why is not None:
            raise _err(f"invalid UTF-8: {why}", at)
        return raw.decode("utf-8")

    def opt_string(self) -> Optional[str]:
        return self.string() if self.u8() == 1 else None

    def blob(self, what: str) -> Optional[bytes]:
        if self.u8() != 1:
            return None
        n = self.u32()
        return self.take(n, what)

    def timestamp(self) -> Timestamp:
        at = self.pos
        secs, nanos = self.i64(), self.u32()
        if validity_error(secs, nanos) is not None:
            raise _err(f"invalid timestamp: {secs}s {nanos}ns", at)
        return Timestamp(secs, nanos)


def read_header(data: bytes) -> Header:
    """Magic, version and the rest of the header, with the crate's checks and messages."""
    r = _Reader(data)
    magic = r.take(4, "header magic")
    if magic != MAGIC:
        raise _err("invalid magic: not a .thermo file", 0)
    version = r.u16()
    if version != VERSION:
        raise _err(f"unsupported version: {version}", 4)
    flags, total, crc = r.u16(), r.u32(), r.u32()
    return Header(magic, version, flags, total, crc)


def decode(data: bytes, *, clock=Timestamp.now) -> tuple[Thermogram, Header]:
    """Bytes -> (Thermogram, header). Verifies CRC and size; does NOT verify the hash chain."""
    data = bytes(data)
    hdr = read_header(data)
    computed = zlib.crc32(data[HEADER_SIZE:]) & U32_MAX
    if hdr.crc32 != computed:
        raise _err(f"checksum mismatch: stored={hdr.crc32}, computed={computed}", 12)
    if hdr.total_size != len(data):
        raise _err(f"size mismatch: header says {hdr.total_size} but file is {len(data)} bytes", 8)
    r = _Reader(data)
    r.pos = HEADER_SIZE
    name, id_ = r.string(), r.string()
    cfg = ThermalConfig(
        [r.signal() for _ in range(4)], [r.signal() for _ in range(4)], [r.signal() for _ in range(4)],
        [r.u64() for _ in range(4)], [r.boolean() for _ in range(4)],
        r.signal(), r.signal(), r.boolean(), r.signal())
    meta = ThermogramMetadata(r.timestamp(), r.timestamp(), r.u32(), r.u32(), r.blob("custom blob"))
    at = r.pos
    pb = r.u8()
    if pb > 4:
        raise _err(f"unknown policy: {pb}", at)
    rule = PlasticityRule(UpdatePolicy(pb), r.signal(), r.signal(), r.signal(), r.signal(), r.signal())
    pruning, merging, ntrig = r.boolean(), r.boolean(), r.u8()
    triggers = []
    for _ in range(ntrig):
        at = r.pos
        tag = r.u8()
        if tag == 0:
            triggers.append(ConsolidationTrigger(TriggerKind.DELTA_COUNT, r.u32()))
        elif tag == 1:
            triggers.append(ConsolidationTrigger(TriggerKind.TIME_PERIOD, r.u64()))
        elif tag == 2:
            triggers.append(ConsolidationTrigger(TriggerKind.DIRTY_SIZE, r.u32()))
        elif tag == 3:
            triggers.append(ConsolidationTrigger(TriggerKind.MANUAL))
        else:
            raise _err(f"unknown trigger type: {tag}", at)
    policy = ConsolidationPolicy(triggers, pruning, merging)
    layers: list[dict[str, ConsolidatedEntry]] = []
    for _ in range(4):
        n = r.u32()
        layer: dict[str, ConsolidatedEntry] = {}
        for _ in range(n):
            key = r.string()
            value, strength = r.signals(), r.signal()
            ts = r.timestamp()
            layer[key] = ConsolidatedEntry(key, value, strength, ts, r.u32())
        layers.append(layer)
    chain = _read_chain(r)
    t = Thermogram(id_, name, rule, policy, cfg, meta, layers, chain, clock=clock)
    return t, hdr


def _read_chain(r: _Reader) -> HashChain:
    n = r.u32()
    head = r.opt_string()
    deltas = []
    for _ in range(n):
        id_ = r.string()
        at = r.pos
        tb = r.u8()
        if tb > 3:
            raise _err(f"unknown delta type: {tb}", at)
        key, value = r.string(), r.signals()
        ts, source, strength = r.timestamp(), r.string(), r.signal()
        obs = r.u32() if r.u8() == 1 else None
        custom = r.blob("delta custom")
        prev, hash_ = r.opt_string(), r.string()
        deltas.append(Delta(id_, DeltaType(tb), key, value, DeltaMetadata(ts, source, strength, obs, custom),
                            prev, hash_))
    return HashChain(deltas, head)


# ---- writer -------------------------------------------------------------------------------------

class _Writer:
    __slots__ = ("parts",)

    def __init__(self) -> None:
        self.parts: list[bytes] = []

    def raw(self, b: bytes) -> None:
        self.parts.append(b)

    def u8(self, v: int) -> None:
        self.parts.append(bytes((v & 0xFF,)))

    def u32(self, v: int) -> None:
        # counters (usize in the crate) are narrowed exactly as the crate does: `as u32`
        self.parts.append(struct.pack("<I", v & U32_MAX))

    def u64(self, v: int) -> None:
        self.parts.append(struct.pack("<Q", v & U64_MAX))

    def boolean(self, v: bool) -> None:
        self.u8(1 if v else 0)

    def signal(self, s: Signal) -> None:
        self.parts.append(sig_bytes(s))

    def length(self, n: int, limit: int, what: str) -> None:
        if n > limit:
            raise FormatError(f"cannot encode {what}: length {n} exceeds {limit} "
                              "(the crate would write an unreadable file)", sum(map(len, self.parts)))
        self.parts.append(struct.pack("<H" if limit == U16_MAX else "<I", n))

    def string(self, s: str, what: str = "string") -> None:
        b = s.encode("utf-8")
        self.length(len(b), U16_MAX, what)
        self.parts.append(b)

    def opt_string(self, s: Optional[str]) -> None:
        if s is None:
            self.u8(0)
        else:
            self.u8(1)
            self.string(s)

    def signals(self, v: Signals) -> None:
        self.length(len(v), U32_MAX, "signal vector")
        self.parts.append(v.raw)

    def blob(self, b: Optional[bytes]) -> None:
        if b is None:
            self.u8(0)
        else:
            self.u8(1)
            self.length(len(b), U32_MAX, "blob")
            self.parts.append(bytes(b))

    def timestamp(self, t: Timestamp) -> None:
        self.parts.append(struct.pack("<qI", t.secs, t.nanos))


def encode(t: Thermogram) -> bytes:
    """Thermogram -> `.thermo` v1 bytes (entries in layer-dict order, deltas in chain order)."""
    w = _Writer()
    w.raw(MAGIC + struct.pack("<HHII", VERSION, 0, 0, 0))
    w.string(t.name, "name")
    w.string(t.id, "id")
    c = t.thermal_config
    for group in (c.decay_rates, c.promotion_thresholds, c.demotion_thresholds):
        for s in group:
            w.signal(s)
    for n in c.min_observations:
        w.u64(n)
    for b in c.allow_demotion:
        w.boolean(b)
    w.signal(c.prune_threshold)
    w.signal(c.crystallization_threshold)
    w.boolean(c.allow_warming)
    w.signal(c.warming_delta)
    m = t.metadata
    w.timestamp(m.created_at)
    w.timestamp(m.last_consolidation)
    w.u32(m.total_deltas)
    w.u32(m.total_consolidations)
    w.blob(m.custom)
    rl = t.plasticity_rule
    w.u8(int(rl.policy))
    for s in (rl.novelty_threshold, rl.merge_threshold, rl.decay_rate, rl.prune_threshold, rl.learning_rate):
        w.signal(s)
    p = t.consolidation_policy
    w.boolean(p.enable_pruning)
    w.boolean(p.enable_merging)
    if len(p.triggers) > 255:
        raise FormatError(f"cannot encode {len(p.triggers)} consolidation triggers (at most 255)", 0)
    w.u8(len(p.triggers))
    for tr in p.triggers:
        w.u8(int(tr.kind))
        if tr.kind == TriggerKind.TIME_PERIOD:
            w.u64(tr.arg)
        elif tr.kind != TriggerKind.MANUAL:
            w.u32(tr.arg)
    for layer in t.layers:
        w.length(len(layer), U32_MAX, "layer")
        for e in layer.values():
            w.string(e.key, "key")
            w.signals(e.value)
            w.signal(e.strength)
            w.timestamp(e.updated_at)
            w.u32(e.update_count)
    ch = t.dirty_chain
    w.length(len(ch.deltas), U32_MAX, "delta chain")
    w.opt_string(ch.head_hash)
    for d in ch.deltas:
        w.string(d.id, "delta id")
        w.u8(int(d.delta_type))
        w.string(d.key, "key")
        w.signals(d.value)
        w.timestamp(d.metadata.timestamp)
        w.string(d.metadata.source, "source")
        w.signal(d.metadata.strength)
        if d.metadata.observation_count is None:
            w.u8(0)
        else:
            w.u8(1)
            w.u32(d.metadata.observation_count)
        w.blob(d.metadata.custom)
        w.opt_string(d.prev_hash)
        w.string(d.hash, "hash")
    buf = bytearray(b"".join(w.parts))
    if len(buf) > U32_MAX:
        raise FormatError(f"cannot encode a {len(buf)}-byte thermogram (the size field is a u32)", 8)
    struct.pack_into("<I", buf, 8, len(buf))
    struct.pack_into("<I", buf, 12, zlib.crc32(memoryview(buf)[HEADER_SIZE:]) & U32_MAX)
    return bytes(buf)


def load_bytes(data: bytes, *, clock=Timestamp.now) -> tuple[Thermogram, Header]:
    """The crate's ``Thermogram::load`` dispatch on the bytes of a file.

    ``THRM`` -> binary decode. Anything else is the crate's legacy-JSON path: the bytes must be
    UTF-8 (same error text as the crate); this engine then refuses the JSON itself (deviation: the
    crate 1.0 never writes JSON, and pre-1.0 JSON used float strengths it cannot parse either).
    """
    if len(data) >= 4 and data[:4] == MAGIC:
        return decode(data, clock=clock)
    why = utf8_error_text(bytes(data))
    if why is not None:
        raise _err(f"invalid UTF-8: {why}", 0)
    raise FormatError("Serialization error: legacy JSON thermograms are not supported "
                      "(not a .thermo v1 file: no THRM magic)", 0)
