"""Checkpoints as one commit: part files first, then one manifest naming them, published atomically.

Layout under a brain's state directory::

    checkpoints/
      000000001234/             one directory per checkpoint (its id: the tick it was taken at)
        brain.part              one file per writer (a process, an MPI rank) holding many parts
        ...
      manifest-000000001234     the commit: names every file and, in order, the parts it holds,
                                each with its size and SHA-256

A *part* is one logical unit of state: ``kernel`` (substrate, journal, banks, weight store, IPC,
task, model table) or ``region.<name>`` (registers with shapes, temperatures, pressure). Parts
are concatenated into a few *files* (format version 2) so a checkpoint of a 1,025-region brain
writes and fsyncs one file per writer, not one per region; each part keeps its own size and
SHA-256, checked on load. Version 1 manifests (one ``<part>.part`` file per part) still load:
they are read as files holding one part each.

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
from typing import Any, Iterable, Optional

from ..atomicio import atomic_write, fsync_dir
from ..errors import FormatError, HostError

CHECKPOINT_DIR = "checkpoints"
MANIFEST_MAGIC = b"TSMANIFEST1 "
_MANIFEST_RE = re.compile(r"^manifest-(\d{12})$")
_DIR_RE = re.compile(r"^\d{12}$")
#: part names are plain identifiers (region names included): no separators, no leading dot
PART_NAME_RE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")
MAX_PARTS = 1_048_576
FORMAT_VERSION = 2


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
    #: the file holding it (without ``.part``; default: the part's own name) and where in it
    bundle: Optional[str] = None
    offset: int = 0

    @property
    def file(self) -> str:
        return f"{self.bundle or self.name}.part"

    def to_json(self) -> dict[str, Any]:
        d: dict[str, Any] = {"name": self.name, "size": self.size, "sha256": self.sha256}
        if self.bundle is not None:
            d["bundle"], d["offset"] = self.bundle, self.offset
        return d

    @classmethod
    def from_json(cls, d: Any) -> "PartRef":
        if not isinstance(d, dict) or not isinstance(d.get("name"), str) or type(d.get("size")) is not int \
                or not isinstance(d.get("sha256"), str) or not re.fullmatch(r"[0-9a-f]{64}", d["sha256"]) \
                or d["size"] < 0:
            raise ValueError(f"bad part record {d!r}")
        check_part_name(d["name"])
        bundle, offset = d.get("bundle"), d.get("offset", 0)
        if bundle is not None:
            if not isinstance(bundle, str) or type(offset) is not int or offset < 0:
                raise ValueError(f"bad part record {d!r}")
            check_part_name(bundle)
        return cls(d["name"], d["size"], d["sha256"], bundle, offset if bundle is not None else 0)


def group_files(parts: Iterable[PartRef]) -> list[tuple[str, list[PartRef]]]:
    """The parts by the file holding them, files in order of first appearance, parts by offset."""
    files: dict[str, list[PartRef]] = {}
    for p in parts:
        files.setdefault(p.file, []).append(p)
    return [(f, sorted(ps, key=lambda p: p.offset)) for f, ps in files.items()]


@dataclass
class Manifest:
    """A published checkpoint: its id, the tick it holds, its parts and free-form metadata."""

    id: int
    tick: int
    parts: list[PartRef]
    meta: dict[str, Any] = field(default_factory=dict)
    path: Optional[Path] = None

    def part(self, name: str) -> PartRef:
        index = self.__dict__.get("_index")
        if index is None or len(index) != len(self.parts):      # built once: restores look up every region
            index = self.__dict__["_index"] = {p.name: p for p in self.parts}
        try:
            return index[name]
        except KeyError:
            raise HostError(f"checkpoint {self.id} has no part {name!r}") from None

    def names(self) -> list[str]:
        return [p.name for p in self.parts]

    def files(self) -> list[tuple[str, int]]:
        """(file name, size) of every file the checkpoint consists of."""
        return [(f, ps[-1].offset + ps[-1].size if ps else 0) for f, ps in group_files(self.parts)]

    def to_bytes(self) -> bytes:
        files = []
        for f, ps in group_files(self.parts):
            at = 0
            for p in ps:
                if p.offset != at:
                    raise HostError(f"checkpoint {self.id}: the parts of {f} do not follow each other")
                at += p.size
            files.append({"file": f[:-len(".part")], "size": at,
                          "parts": [{"name": p.name, "size": p.size, "sha256": p.sha256} for p in ps]})
        body = json.dumps({"format": "ternsig-checkpoint", "version": FORMAT_VERSION, "id": self.id,
                           "tick": self.tick, "files": files, "meta": self.meta},
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
            if not isinstance(d, dict) or d.get("format") != "ternsig-checkpoint" or d.get("version") not in (1, 2):
                raise ValueError("unknown format or version")
            if type(d["id"]) is not int or type(d["tick"]) is not int or d["id"] < 0 or d["tick"] < 0:
                raise ValueError("id and tick must be non-negative integers")
            if d["version"] == 1:                  # one file per part, named after it
                if not isinstance(d["parts"], list) or len(d["parts"]) > MAX_PARTS:
                    raise ValueError("parts must be a list")
                parts = [PartRef.from_json({k: v for k, v in p.items() if k not in ("bundle", "offset")})
                         if isinstance(p, dict) else PartRef.from_json(p) for p in d["parts"]]
            else:
                parts = _parts_of_files(d["files"])
            if len({p.name for p in parts}) != len(parts):
                raise ValueError("a part is listed twice")
            meta = d.get("meta", {})
            if not isinstance(meta, dict):
                raise ValueError("meta must be an object")
        except (ValueError, KeyError, TypeError, UnicodeDecodeError, RecursionError, HostError) as exc:
            raise FormatError(f"{where}: manifest is not valid: {exc}", nl + 1) from None
        return cls(d["id"], d["tick"], parts, meta, path)


def _parts_of_files(files: Any) -> list[PartRef]:
    """The parts a version-2 ``files`` list names, with their offsets (each file is its parts, in order)."""
    if not isinstance(files, list) or len(files) > MAX_PARTS:
        raise ValueError("files must be a list")
    parts: list[PartRef] = []
    seen: set[str] = set()
    for f in files:
        if not isinstance(f, dict) or not isinstance(f.get("file"), str) or type(f.get("size")) is not int \
                or not isinstance(f.get("parts"), list):
            raise ValueError(f"bad file record {f!r}"[:200])
        name = check_part_name(f["file"])
        if name in seen:
            raise ValueError(f"file {name!r} is listed twice")
        seen.add(name)
        at = 0
        for p in f["parts"]:
            if not isinstance(p, dict) or set(p) != {"name", "size", "sha256"}:
                raise ValueError(f"bad part record {p!r}"[:200])
            ref = PartRef.from_json({**p, "bundle": name, "offset": at})
            parts.append(ref)
            at += ref.size
            if len(parts) > MAX_PARTS:
                raise ValueError("too many parts")
        if at != f["size"]:
            raise ValueError(f"file {name!r}: its parts add up to {at} bytes, it says {f['size']}")
    return parts


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
        """Write (and fsync) one part of checkpoint ``ckpt_id`` as a file of its own."""
        return self.write_bundle(ckpt_id, name, [(name, data)])[0]

    def write_bundle(self, ckpt_id: int, file: str, parts: Iterable[tuple[str, bytes]]) -> list[PartRef]:
        """Write (and fsync once) the file ``file`` of checkpoint ``ckpt_id`` holding ``parts``
        ((name, bytes) pairs, consumed one at a time so a generator keeps one part in memory);
        returns their records for the manifest.

        Files need no rename of their own: until the manifest is published nothing refers to
        them, and a torn file fails its size or hash checks. Rewriting a file of an already
        published checkpoint first unpublishes that checkpoint."""
        check_part_name(file)
        self.manifest_path(ckpt_id).unlink(missing_ok=True)
        d = self.part_dir(ckpt_id)
        d.mkdir(parents=True, exist_ok=True)
        refs: list[PartRef] = []
        at = 0
        fd = os.open(d / f"{file}.part", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        try:
            for name, data in parts:
                refs.append(PartRef(check_part_name(name), len(data), hashlib.sha256(data).hexdigest(), file, at))
                at += len(data)
                view = memoryview(data)
                while view:
                    view = view[os.write(fd, view):]
            os.fsync(fd)
        finally:
            os.close(fd)
        return refs

    def publish(self, ckpt_id: int, tick: int, parts: list[PartRef], meta: Optional[dict[str, Any]] = None) -> Manifest:
        """Commit checkpoint ``ckpt_id``: check every part is on disk with its size, write the
        manifest atomically, then delete checkpoints beyond ``keep``."""
        d = self.part_dir(ckpt_id)
        names = [p.name for p in parts]
        if len(set(names)) != len(names):
            raise HostError(f"checkpoint {ckpt_id}: a part is listed twice")
        m = Manifest(ckpt_id, tick, list(parts), dict(meta or {}), self.manifest_path(ckpt_id))
        for file, size in m.files():
            f = d / file
            if not f.is_file() or f.stat().st_size != size:
                raise HostError(f"checkpoint {ckpt_id}: part file {file!r} is missing or has the wrong size")
        data = m.to_bytes()                           # refuses parts that do not tile their file
        fsync_dir(d)                                  # the parts' directory entries are durable first
        atomic_write(m.path, data, make_parents=True)
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
        for file, ps in group_files(m.parts):
            try:
                data = memoryview((d / file).read_bytes())
            except OSError as exc:
                out.extend(f"part {p.name}: cannot read {file} ({exc.strerror or exc})" for p in ps)
                continue
            size = ps[-1].offset + ps[-1].size if ps else 0
            if len(data) != size:
                out.append(f"{file}: {len(data)} bytes, manifest says {size}" if len(ps) > 1 else
                           f"part {ps[0].name}: {len(data)} bytes, manifest says {size}")
                continue
            for p in ps:
                if hashlib.sha256(data[p.offset:p.offset + p.size]).hexdigest() != p.sha256:
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
            with open(path, "rb") as f:
                f.seek(p.offset)
                data = f.read(p.size)
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
