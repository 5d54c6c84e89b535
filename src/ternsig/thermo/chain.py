"""Deltas and the SHA-256 hash chain that audits them.

Each delta's hash is lowercase hex SHA-256 over: id, type byte, key, the raw signal bytes, the
timestamp's RFC 3339 text, source, the two strength bytes, and prev_hash when present (no
separators, no length prefixes; observation_count and custom are not covered). The chain links
each delta to its predecessor through prev_hash; the error texts match the crate's.
"""
from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass, field
from enum import IntEnum
from typing import Optional

from ..errors import TernsigError
from ..signal import MAX_POSITIVE, Signal
from .signals import Signals, sig_bytes
from .timestamp import Timestamp


class ThermoError(TernsigError):
    """A thermogram operation the crate refuses; ``str()`` is the crate's Display text."""

    def __init__(self, kind: str, detail: str):
        self.kind = kind
        self.detail = detail
        super().__init__(f"{kind}: {detail}" if detail else kind)


def chain_error(detail: str) -> ThermoError:
    return ThermoError("Hash chain verification failed", detail)


class DeltaType(IntEnum):
    CREATE = 0
    UPDATE = 1
    DELETE = 2
    MERGE = 3

    @property
    def label(self) -> str:
        return ("Create", "Update", "Delete", "Merge")[self]


@dataclass
class DeltaMetadata:
    timestamp: Timestamp
    source: str
    strength: Signal
    observation_count: Optional[int] = None
    custom: Optional[bytes] = None


@dataclass
class Delta:
    """One change to a key; immutable in spirit once its hash is computed."""

    id: str
    delta_type: DeltaType
    key: str
    value: Signals
    metadata: DeltaMetadata
    prev_hash: Optional[str] = None
    hash: str = ""

    @classmethod
    def new(cls, delta_type: DeltaType, key: str, value: Signals, source: str, strength: Signal,
            prev_hash: Optional[str] = None, *, timestamp: Optional[Timestamp] = None,
            id: Optional[str] = None) -> "Delta":
        """``Delta::new``: fresh uuid4 id and wall-clock timestamp unless given; hash computed."""
        d = cls(id if id is not None else str(uuid.uuid4()), DeltaType(delta_type), key, value,
                DeltaMetadata(timestamp if timestamp is not None else Timestamp.now(), source, strength),
                prev_hash)
        d.hash = d.compute_hash()
        return d

    @classmethod
    def create(cls, key: str, value: Signals, source: str, **kw) -> "Delta":
        """``Delta::create``: strength MAX_POSITIVE, no prev_hash (the crate's constructor)."""
        return cls.new(DeltaType.CREATE, key, value, source, MAX_POSITIVE, kw.pop("prev_hash", None), **kw)

    @classmethod
    def update(cls, key: str, value: Signals, source: str, strength: Signal,
               prev_hash: Optional[str], **kw) -> "Delta":
        return cls.new(DeltaType.UPDATE, key, value, source, strength, prev_hash, **kw)

    @classmethod
    def delete(cls, key: str, source: str, prev_hash: Optional[str], **kw) -> "Delta":
        return cls.new(DeltaType.DELETE, key, Signals(), source, MAX_POSITIVE, prev_hash, **kw)

    @classmethod
    def merge(cls, key: str, value: Signals, source: str, strength: Signal,
              prev_hash: Optional[str], **kw) -> "Delta":
        return cls.new(DeltaType.MERGE, key, value, source, strength, prev_hash, **kw)

    def compute_hash(self) -> str:
        h = hashlib.sha256()
        h.update(self.id.encode())
        h.update(bytes((int(self.delta_type),)))
        h.update(self.key.encode())
        h.update(self.value.raw)
        h.update(self.metadata.timestamp.rfc3339().encode())
        h.update(self.metadata.source.encode())
        h.update(sig_bytes(self.metadata.strength))
        if self.prev_hash is not None:
            h.update(self.prev_hash.encode())
        return h.hexdigest()

    def verify_hash(self) -> bool:
        return self.hash == self.compute_hash()


@dataclass
class HashChain:
    """The dirty (unconsolidated) deltas, in order, and the hash of the last one."""

    deltas: list[Delta] = field(default_factory=list)
    head_hash: Optional[str] = None

    def append(self, delta: Delta) -> None:
        """``HashChain::append``: checks the link, recomputes the hash, advances the head."""
        if self.head_hash is not None:
            if delta.prev_hash is None:
                raise chain_error("Delta must reference previous hash")
            if delta.prev_hash != self.head_hash:
                raise chain_error(
                    f"Delta prev_hash {delta.prev_hash} does not match current head {self.head_hash}")
        elif delta.prev_hash is not None:
            raise chain_error("First delta should not reference previous hash")
        delta.hash = delta.compute_hash()
        self.head_hash = delta.hash
        self.deltas.append(delta)

    def verify_error(self) -> Optional[str]:
        """The crate's ``verify()`` failure text (with its Display prefix), or None when sound."""
        if not self.deltas:
            return None
        if self.deltas[0].prev_hash is not None:
            return str(chain_error("First delta should not have prev_hash"))
        for i, d in enumerate(self.deltas):
            if not d.verify_hash():
                return str(chain_error(f"Delta {i} hash verification failed"))
            if i > 0 and (d.prev_hash is None or d.prev_hash != self.deltas[i - 1].hash):
                return str(chain_error(f"Delta {i} does not link to previous delta"))
        if self.head_hash is not None and self.deltas[-1].hash != self.head_hash:
            return str(chain_error("Head hash does not match last delta"))
        return None

    def verify(self) -> None:
        err = self.verify_error()
        if err is not None:
            raise chain_error(err.split(": ", 1)[1])

    def get_latest(self, key: str) -> Optional[Delta]:
        for d in reversed(self.deltas):
            if d.key == key:
                return d
        return None

    def get_history(self, key: str) -> list[Delta]:
        return [d for d in self.deltas if d.key == key]

    def deltas_since(self, hash_: str) -> list[Delta]:
        for i, d in enumerate(self.deltas):
            if d.hash == hash_:
                return self.deltas[i + 1:]
        return []

    def __len__(self) -> int:
        return len(self.deltas)

