"""One SHA-256 over a brain's saved state: how a user checks that two runs are the same brain.

The digest is taken over the newest complete checkpoint (see :mod:`ternsig.host.checkpoint`),
decoded, not over its bytes: it depends on what the brain *is* — every region's registers with
their shapes, weights, temperatures, usage and pressure, dynamic registers, learning statistics,
model slots and output; the substrate (chemicals, fields, phase, tick count...); the spiking
state; every bank; the journal's entries; the weight store's values by key; IPC queues; the task's
random state and accuracy window — and not on how the state was written: which process wrote which
part, the order of parts in the manifest, the manifest's metadata, wall-clock timestamps and
random ids inside the weight store's thermogram, or the region counters that only count work
(instructions executed, yields, traps).

Canonical order: regions by name, then the kernel; inside each, mapping keys sorted, lists in
order, arrays by dtype, shape and little-endian bytes, every value tagged with its type so
``[1, 2]`` and ``"12"`` cannot collide. ``per_region`` holds one digest per region (the same
canonical encoding of that region alone); ``kernel`` the kernel's.
"""
from __future__ import annotations

import hashlib
import struct
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

import numpy as np

from ..errors import FormatError, HostError
from .brainstate import KERNEL_PART, decode_part
from .checkpoint import CheckpointStore, Manifest

#: region fields that count work rather than describe the brain (they are left out)
REGION_COUNTERS = frozenset({"executed", "yields", "traps", "last_trap"})
#: nesting a canonical value may have (state files bound theirs too; this is a backstop)
MAX_DEPTH = 64


@dataclass
class Digest:
    """The digest of one checkpoint: ``total`` over everything, one per region and the kernel's."""

    checkpoint: int
    tick: int
    total: str
    kernel: str
    per_region: dict[str, str] = field(default_factory=dict)

    def lines(self, per_region: bool = False) -> list[str]:
        out = [f"{h}  region {name}" for name, h in sorted(self.per_region.items())] if per_region else []
        if per_region:
            out.append(f"{self.kernel}  kernel")
        out.append(f"{self.total}  brain (checkpoint {self.checkpoint}, tick {self.tick})")
        return out


def _feed(h: Any, v: Any, depth: int = 0) -> None:
    """Feed ``v`` to the hash ``h`` in the canonical encoding (type tag, length, content)."""
    if depth > MAX_DEPTH:
        raise FormatError(f"state nested deeper than {MAX_DEPTH} levels", 0)
    if v is None:
        h.update(b"N")
    elif isinstance(v, (bool, np.bool_)):
        h.update(b"T" if v else b"F")
    elif isinstance(v, (int, np.integer)):
        b = str(int(v)).encode("ascii")
        h.update(b"I" + struct.pack("<I", len(b)) + b)
    elif isinstance(v, (float, np.floating)):
        h.update(b"D" + struct.pack("<d", float(v)))
    elif isinstance(v, str):
        b = v.encode("utf-8", "surrogatepass")
        h.update(b"S" + struct.pack("<Q", len(b)) + b)
    elif isinstance(v, (bytes, bytearray, memoryview)):
        b = bytes(v)
        h.update(b"B" + struct.pack("<Q", len(b)) + b)
    elif isinstance(v, np.ndarray):
        a = np.ascontiguousarray(v)
        a = a.astype(a.dtype.newbyteorder("<"), copy=False)
        name = a.dtype.name.encode("ascii")
        h.update(b"A" + struct.pack("<B", len(name)) + name + struct.pack("<B", a.ndim)
                 + struct.pack(f"<{a.ndim}Q", *a.shape) + a.tobytes())
    elif isinstance(v, dict):
        keys = sorted(v, key=str)
        h.update(b"M" + struct.pack("<Q", len(keys)))
        for k in keys:
            _feed(h, str(k), depth + 1)
            _feed(h, v[k], depth + 1)
    elif isinstance(v, (list, tuple)):
        h.update(b"L" + struct.pack("<Q", len(v)))
        for x in v:
            _feed(h, x, depth + 1)
    else:
        raise FormatError(f"state holds a value of unexpected type {type(v).__name__}", 0)


def canonical_sha256(v: Any) -> str:
    """The SHA-256 of ``v``'s canonical encoding (see the module docstring)."""
    h = hashlib.sha256()
    _feed(h, v)
    return h.hexdigest()


def region_content(st: Any) -> dict[str, Any]:
    """What a region part says about the brain: everything but the work counters."""
    if not isinstance(st, dict) or not isinstance(st.get("name"), str):
        raise FormatError("a region part is not a region state", 0)
    return {k: v for k, v in st.items() if k not in REGION_COUNTERS}


def _weight_store(blob: Any) -> dict[str, Any]:
    """The weight store's values by key, without the thermogram's timestamps and random ids."""
    from ..thermo.format import load_bytes

    if not isinstance(blob, (bytes, bytearray)):
        raise FormatError("the kernel's weight store is not a thermogram", 0)
    t, _ = load_bytes(bytes(blob))
    out: dict[str, Any] = {}
    for key in sorted(t.keys()):
        got = t.read_with_strength(key)
        if got is not None:
            pol, mag = got[0].arrays()
            out[key] = [np.asarray(pol), np.asarray(mag), got[1].polarity, got[1].magnitude]
    return out


def _journal(blob: Any) -> Any:
    from ..safety.journal import Journal

    if not isinstance(blob, (bytes, bytearray)):
        raise FormatError("the kernel's journal is not a journal file", 0)
    doc = Journal.parse(bytes(blob))
    return {"seq": doc.get("seq"), "entries": doc.get("entries"), "capacity": doc.get("capacity")}


def kernel_content(st: Any) -> dict[str, Any]:
    """What the kernel part says about the brain (weight store and journal decoded)."""
    if not isinstance(st, dict):
        raise FormatError("the kernel part is not a kernel state", 0)
    out = dict(st)
    if "thermo" in out:
        out["thermo"] = _weight_store(out["thermo"])
    if "journal" in out:
        out["journal"] = _journal(out["journal"])
    return out


def digest_manifest(store: CheckpointStore, m: Manifest) -> Digest:
    """The digest of one published checkpoint."""
    per_region: dict[str, str] = {}
    kernel: Optional[dict[str, Any]] = None
    for name in m.names():
        st = decode_part(store.read_part(m, name), name)
        if name == KERNEL_PART:
            kernel = kernel_content(st)
        else:
            content = region_content(st)
            if content["name"] in per_region:
                raise FormatError(f"checkpoint {m.id}: two parts hold region {content['name']!r}", 0)
            per_region[content["name"]] = canonical_sha256(content)
    if kernel is None:
        raise FormatError(f"checkpoint {m.id} has no kernel part", 0)
    kernel_hash = canonical_sha256(kernel)
    total = canonical_sha256({"regions": sorted(per_region.items()), "kernel": kernel_hash})
    return Digest(m.id, m.tick, total, kernel_hash, per_region)


def brain_digest(state_dir: Path | str, checkpoint: Optional[int] = None) -> Digest:
    """The digest of a brain's newest complete checkpoint (or of checkpoint ``checkpoint``).

    ``state_dir`` is the brain's state directory (``DIR/state`` by default). Raises
    :class:`HostError` when there is no complete checkpoint and :class:`FormatError` when a part
    is damaged in a way its own checks let through.
    """
    store = CheckpointStore(state_dir)
    if checkpoint is None:
        m = store.latest()
        if m is None:
            raise HostError(f"{store.dir}: no complete checkpoint to digest (run the brain first)")
    else:
        m = store.read_manifest(checkpoint)
        bad = store.problems(m)
        if bad:
            raise HostError(f"checkpoint {checkpoint} is incomplete: {'; '.join(bad)}")
    return digest_manifest(store, m)
