"""Checkpoints as one commit: part files first, then one manifest naming them, published atomically.

Layout under a brain's state directory::

    checkpoints/
      000000001234/             one directory per checkpoint (its id: the tick it was taken at)
        kernel.part             substrate, journal, banks, weight store, IPC, task, model table
        region.learner.part     one part per region: registers with shapes, temperatures, pressure
        ...
      manifest-000000001234     the commit: names every part with its size and SHA-256

A checkpoint exists once its manifest does. Parts are written and fsynced (with their directory)
before the manifest, and the manifest is written atomically (temp file, fsync, rename), so a crash at any moment leaves either the
previous complete checkpoint or the new one — never a mix. On restart :meth:`CheckpointStore.latest`
takes the newest manifest whose parts are all present with the right size and hash; damaged or
incomplete ones are skipped (and reported in :attr:`CheckpointStore.skipped`).

The split between :meth:`~CheckpointStore.write_part` and :meth:`~CheckpointStore.publish` lets
several writers cooperate: under MPI each rank writes the parts of the regions it owns and returns
their :class:`PartRef` records; after a barrier rank 0 gathers them and publishes one manifest.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

from ..atomicio import atomic_write, fsync_dir
from ..errors import FormatError, HostError

CHECKPOINT_DIR = "checkpoints"
MANIFEST_MAGIC = b"TSMANIFEST1 "
_MANIFEST_RE = re.compile(r"^manifest-(\d{12})$")
_DIR_RE = re.compile(r"^\d{12}$")
#: part names are plain identifiers (region names included): no separators, no leading dot
PART_NAME_RE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")
MAX_PARTS = 65_536


def check_part_name(name: str) -> str:
    if not isinstance(name, str) or not PART_NAME_RE.match(name) or ".." in name:
        raise HostError(f"checkpoint part name {name!r} is not a plain identifier")
    return name


@dataclass(frozen=True)
class PartRef:
    """One part file of a checkpoint, as the manifest records it (JSON-able for gathering)."""

    name: str
    size: int
    sha256: str

    @property
    def file(self) -> str:
        return f"{self.name}.part"

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "size": self.size, "sha256": self.sha256}

    @classmethod
    def from_json(cls, d: Any) -> "PartRef":
        if not isinstance(d, dict) or not isinstance(d.get("name"), str) or type(d.get("size")) is not int \
                or not isinstance(d.get("sha256"), str) or not re.fullmatch(r"[0-9a-f]{64}", d["sha256"]) \
                or d["size"] < 0:
            raise ValueError(f"bad part record {d!r}")
        check_part_name(d["name"])
        return cls(d["name"], d["size"], d["sha256"])


@dataclass
class Manifest:
    """A published checkpoint: its id, the tick it holds, its parts and free-form metadata."""

    id: int
    tick: int
    parts: list[PartRef]
    meta: dict[str, Any] = field(default_factory=dict)
    path: Optional[Path] = None

    def part(self, name: str) -> PartRef:
        for p in self.parts:
            if p.name == name:
                return p
        raise HostError(f"checkpoint {self.id} has no part {name!r}")

    def names(self) -> list[str]:
        return [p.name for p in self.parts]

    def to_bytes(self) -> bytes:
        body = json.dumps({"format": "ternsig-checkpoint", "version": 1, "id": self.id, "tick": self.tick,
                           "parts": [p.to_json() for p in self.parts], "meta": self.meta},
                          separators=(",", ":"), sort_keys=True, allow_nan=False).encode()
        return MANIFEST_MAGIC + hashlib.sha256(body).hexdigest().encode() + b"\n" + body

    @classmethod
    def from_bytes(cls, data: bytes, path: Optional[Path] = None) -> "Manifest":
        where = str(path) if path else "manifest"
        if not data.startswith(MANIFEST_MAGIC):
            raise FormatError(f"{where}: not a checkpoint manifest (bad magic)", 0)
        nl = len(MANIFEST_MAGIC) + 64
        if len(data) <= nl or data[nl:nl + 1] != b"\n":
            raise FormatError(f"{where}: truncated manifest header", len(MANIFEST_MAGIC))
        body = data[nl + 1:]
        if hashlib.sha256(body).hexdigest().encode() != data[len(MANIFEST_MAGIC):nl]:
            raise FormatError(f"{where}: manifest checksum mismatch (torn or edited)", nl + 1)
        try:
            d = json.loads(body.decode("utf-8"))
            if not isinstance(d, dict) or d.get("format") != "ternsig-checkpoint" or d.get("version") != 1:
                raise ValueError("unknown format or version")
            if type(d["id"]) is not int or type(d["tick"]) is not int or d["id"] < 0 or d["tick"] < 0:
                raise ValueError("id and tick must be non-negative integers")
            if not isinstance(d["parts"], list) or len(d["parts"]) > MAX_PARTS:
                raise ValueError("parts must be a list")
            parts = [PartRef.from_json(p) for p in d["parts"]]
            if len({p.name for p in parts}) != len(parts):
                raise ValueError("a part is listed twice")
            meta = d.get("meta", {})
            if not isinstance(meta, dict):
                raise ValueError("meta must be an object")
        except (ValueError, KeyError, TypeError, UnicodeDecodeError, RecursionError, HostError) as exc:
            raise FormatError(f"{where}: manifest is not valid: {exc}", nl + 1) from None
        return cls(d["id"], d["tick"], parts, meta, path)


class CheckpointStore:
    """The checkpoints of one state directory (see the module doc).

    ``keep``: how many published checkpoints to keep (older ones are deleted after each publish)."""

    def __init__(self, state_dir: Path | str, keep: int = 3):
        if keep < 1:
            raise HostError(f"checkpoint keep must be at least 1, got {keep}")
        self.state_dir = Path(state_dir)
        self.dir = self.state_dir / CHECKPOINT_DIR
        self.keep = keep
        #: (manifest file, why) for checkpoints :meth:`latest` passed over
        self.skipped: list[tuple[str, str]] = []

    # ---- paths ---------------------------------------------------------------------------------------
    def part_dir(self, ckpt_id: int) -> Path:
        if type(ckpt_id) is not int or not 0 <= ckpt_id < 10 ** 12:
            raise HostError(f"checkpoint id must be an integer 0..10^12-1, got {ckpt_id!r}")
        return self.dir / f"{ckpt_id:012d}"

    def manifest_path(self, ckpt_id: int) -> Path:
        return self.dir / f"manifest-{ckpt_id:012d}"

    # ---- writing ---------------------------------------------------------------------------------------
    def write_part(self, ckpt_id: int, name: str, data: bytes) -> PartRef:
        """Write (and fsync) one part of checkpoint ``ckpt_id``; returns its record for the manifest.

        Parts need no rename of their own: until the manifest is published nothing refers to
        them, and a torn part fails its size or hash check. Rewriting a part of an already
        published checkpoint first unpublishes that checkpoint."""
        check_part_name(name)
        ref = PartRef(name, len(data), hashlib.sha256(data).hexdigest())
        self.manifest_path(ckpt_id).unlink(missing_ok=True)
        d = self.part_dir(ckpt_id)
        d.mkdir(parents=True, exist_ok=True)
        fd = os.open(d / ref.file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view):]
            os.fsync(fd)
        finally:
            os.close(fd)
        return ref

    def publish(self, ckpt_id: int, tick: int, parts: list[PartRef], meta: Optional[dict[str, Any]] = None) -> Manifest:
        """Commit checkpoint ``ckpt_id``: check every part is on disk with its size, write the
        manifest atomically, then delete checkpoints beyond ``keep``."""
        d = self.part_dir(ckpt_id)
        names = [p.name for p in parts]
        if len(set(names)) != len(names):
            raise HostError(f"checkpoint {ckpt_id}: a part is listed twice")
        for p in parts:
            f = d / p.file
            if not f.is_file() or f.stat().st_size != p.size:
                raise HostError(f"checkpoint {ckpt_id}: part {p.name!r} is missing or has the wrong size")
        m = Manifest(ckpt_id, tick, list(parts), dict(meta or {}), self.manifest_path(ckpt_id))
        fsync_dir(d)                                  # the parts' directory entries are durable first
        atomic_write(m.path, m.to_bytes(), make_parents=True)
        self.prune()
        return m

    # ---- reading ---------------------------------------------------------------------------------------
    def ids(self) -> list[int]:
        """Ids of published manifests (complete or not), oldest first."""
        if not self.dir.is_dir():
            return []
        out = [int(m.group(1)) for p in self.dir.iterdir() if (m := _MANIFEST_RE.match(p.name)) and p.is_file()]
        return sorted(out)

    def read_manifest(self, ckpt_id: int) -> Manifest:
        path = self.manifest_path(ckpt_id)
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            raise HostError(f"no checkpoint {ckpt_id} under {self.dir}") from None
        m = Manifest.from_bytes(data, path)
        if m.id != ckpt_id:
            raise FormatError(f"{path}: manifest says id {m.id}, its name says {ckpt_id}", 0)
        return m

    def problems(self, m: Manifest) -> list[str]:
        """Why the checkpoint is not complete (missing, short or damaged parts); empty when whole."""
        out = []
        d = self.part_dir(m.id)
        for p in m.parts:
            try:
                data = (d / p.file).read_bytes()
            except OSError as exc:
                out.append(f"part {p.name}: cannot read ({exc.strerror or exc})")
                continue
            if len(data) != p.size:
                out.append(f"part {p.name}: {len(data)} bytes, manifest says {p.size}")
            elif hashlib.sha256(data).hexdigest() != p.sha256:
                out.append(f"part {p.name}: SHA-256 mismatch (damaged)")
        return out

    def latest(self) -> Optional[Manifest]:
        """The newest complete checkpoint (manifest valid, every part present and hashing right)."""
        self.skipped = []
        for ckpt_id in reversed(self.ids()):
            try:
                m = self.read_manifest(ckpt_id)
            except (FormatError, HostError, OSError) as exc:
                self.skipped.append((f"manifest-{ckpt_id:012d}", str(exc)))
                continue
            bad = self.problems(m)
            if bad:
                self.skipped.append((f"manifest-{ckpt_id:012d}", "; ".join(bad)))
                continue
            return m
        return None

    def read_part(self, m: Manifest, name: str) -> bytes:
        """A part's bytes, verified against the manifest (FormatError when damaged)."""
        p = m.part(name)
        path = self.part_dir(m.id) / p.file
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise FormatError(f"{path}: cannot read checkpoint part: {exc.strerror or exc}", 0) from None
        if len(data) != p.size or hashlib.sha256(data).hexdigest() != p.sha256:
            raise FormatError(f"{path}: checkpoint part does not match its manifest (damaged)", 0)
        return data

    # ---- retention and rollback ----------------------------------------------------------------------
    def _delete(self, ckpt_id: int) -> None:
        self.manifest_path(ckpt_id).unlink(missing_ok=True)       # uncommit first, then the parts
        shutil.rmtree(self.part_dir(ckpt_id), ignore_errors=True)

    def prune(self) -> list[int]:
        """Delete published checkpoints beyond ``keep`` (oldest first) and part directories with no
        manifest that are older than the newest manifest (left by a crash mid-checkpoint; newer
        ones may be a checkpoint being written right now). Returns the ids deleted."""
        ids = self.ids()
        gone = ids[:-self.keep] if len(ids) > self.keep else []
        for i in gone:
            self._delete(i)
        if ids and self.dir.is_dir():
            published = set(ids)
            for p in self.dir.iterdir():
                if _DIR_RE.match(p.name) and p.is_dir() and int(p.name) not in published and int(p.name) < ids[-1]:
                    shutil.rmtree(p, ignore_errors=True)
        return gone

    def rollback(self, to: Optional[int] = None) -> tuple[Manifest, list[int]]:
        """Make checkpoint ``to`` (default: the one before the newest complete one) the newest by
        deleting every newer checkpoint. Returns (the checkpoint now newest, ids deleted)."""
        ids = self.ids()
        if not ids:
            raise HostError(f"no checkpoints under {self.dir}")
        if to is None:
            newest = self.latest()
            older = [i for i in ids if newest is not None and i < newest.id]
            if not older:
                raise HostError("there is no older checkpoint to roll back to")
            to = older[-1]
        if to not in ids:
            raise HostError(f"no checkpoint {to} (have: {', '.join(map(str, ids))})")
        m = self.read_manifest(to)
        bad = self.problems(m)
        if bad:
            raise HostError(f"checkpoint {to} is not complete: {'; '.join(bad)}")
        newer = [i for i in ids if i > to]
        for i in reversed(newer):
            self._delete(i)
        return m, newer
