"""The bank: a working vector memory with databank-rs semantics, and its host-side fulfilment.

A bank holds entries — vectors of signals (stored as signed values −255..255) with a temperature
(HOT 0 … COLD 3), access count, confidence and typed weighted edges. Queries are sparse cosine
similarity (only the query's non-zero dimensions take part), integer-only, scaled ×256. Entries are
kept in one contiguous matrix so a query over 4,096 × 64 entries is a single vectorised pass.
Banks persist atomically (temp file, fsync, rename) with an xxh64 checksum verified on load.
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Optional

import numpy as np
import xxhash

from ..atomicio import atomic_write
from ..confine import ConfinementError, inside, plain_name
from ..errors import FormatError, HostError
from ..intmath import tdiv_arr, wrap_i32
from .handlers import BrainView, HandlerTable
from .regio import peek_hot, read_hot, write_prefix, write_vector

if TYPE_CHECKING:
    from .region import Region

#: banks of at most this many values (entries x width) are queried in Python integers
SMALL_QUERY = 512
EDGE_TYPES = {0: "IsA", 1: "HasA", 2: "PartOf", 3: "RelatedTo", 4: "SimilarTo", 5: "Causes", 6: "Precedes",
              7: "LooksLike", 8: "SoundsLike", 9: "FeelsLike", 10: "CoOccurred", 11: "FollowedBy", 255: "Custom"}
TEMP_WEIGHT = (10, 50, 200, 1000)
MAGIC = b"TBNK"
VERSION = 1
#: a bank holds at most this many values (entries x width), as a register does
#: (vm.state.MAX_REGISTER_ELEMENTS): checked before anything is allocated, for banks configured
#: in .config and banks read from files alike
MAX_BANK_CELLS = 1 << 22
#: edges one entry may keep, whatever a file says
MAX_BANK_EDGES = 1024


@dataclass
class Edge:
    type: int
    slot: int
    target: int
    weight: int
    created: int


@dataclass
class Meta:
    """One entry's bookkeeping, as :attr:`Bank.meta` reports it (a snapshot: the bank keeps these
    fields as columns so scoring, eviction and consolidation are single array passes)."""

    temperature: int = 0
    created: int = 0
    accessed: int = 0
    access_count: int = 0
    confidence: int = 128
    edges: list[Edge] = field(default_factory=list)


def isqrt_arr(v: np.ndarray) -> np.ndarray:
    """Exact floor(sqrt) of non-negative int64 values below 2**62."""
    r = np.floor(np.sqrt(v.astype(np.float64))).astype(np.int64)
    r = np.where(r * r > v, r - 1, r)
    return np.where((r + 1) * (r + 1) <= v, r + 1, r)


#: per-entry numeric columns (name, dtype, value of a new entry's column or None = the tick)
_COLUMNS = (("temperature", np.int8, 0), ("created", np.int64, None), ("accessed", np.int64, None),
            ("access_count", np.int64, 0), ("confidence", np.int64, 128))


class Bank:
    """Entries live in preallocated arrays that double when full (an insert is amortised O(width),
    not a copy of the whole bank), in insertion order (query ties keep it). Entry bookkeeping is
    columnar: one NumPy array per field of :class:`Meta`, edges one list per entry."""

    def __init__(self, name: str, width: int = 64, max_entries: int = 4096, max_edges: int = 32):
        if width < 1 or max_entries < 1 or max_edges < 0:
            raise HostError(f"bank {name!r}: width and max_entries must be at least 1 "
                            f"(got width {width}, max_entries {max_entries}, max_edges {max_edges})")
        if width * max_entries > MAX_BANK_CELLS or max_edges > MAX_BANK_EDGES:
            raise HostError(f"bank {name!r}: memory limit: {max_entries:,} entries of width {width:,} "
                            f"(and {max_edges} edges each) is over the limit of {MAX_BANK_CELLS:,} values "
                            f"({MAX_BANK_EDGES} edges)")
        self.name, self.width, self.max_entries, self.max_edges = name, width, max_entries, max_edges
        self._n = 0
        self._vec = np.zeros((0, width), np.int32)
        self._ids = np.zeros(0, np.int64)
        self._col = {c: np.zeros(0, dt) for c, dt, _ in _COLUMNS}
        self.edges: list[list[Edge]] = []
        self.seq = 0
        self.mutations = 0
        #: query cache: the vectors as float64 and squared, same rows as ``_vec`` (None: rebuild);
        #: every change of ``_vec`` either updates its row here or drops the cache
        self._fq: Optional[tuple[np.ndarray, np.ndarray]] = None
        self._fdtype = np.float32 if width * 255 * 255 < 1 << 24 else np.float64

    # ---- storage ------------------------------------------------------------------------------------
    def __len__(self) -> int:
        return self._n

    @property
    def vectors(self) -> np.ndarray:
        """(entries, width) int32, a view of the live rows."""
        return self._vec[: self._n]

    @vectors.setter
    def vectors(self, v: np.ndarray) -> None:
        self._vec = np.ascontiguousarray(v, dtype=np.int32).reshape(-1, self.width)
        self._fq = None
        self._sync_rows()

    @property
    def ids(self) -> np.ndarray:
        return self._ids[: self._n]

    @ids.setter
    def ids(self, v: np.ndarray) -> None:
        self._ids = np.asarray(v, np.int64).reshape(-1).copy()
        self._sync_rows()

    def _sync_rows(self) -> None:
        """After whole arrays were assigned: the live count follows the ids, and the bookkeeping
        of rows that have none yet starts as a fresh entry's."""
        self._n = min(len(self._ids), len(self._vec))
        self._reserve(self._n)
        for c, _, init in _COLUMNS:
            col = self._col[c]
            col[len(self.edges):self._n] = 0 if init is None else init
        self.edges.extend([] for _ in range(self._n - len(self.edges)))
        del self.edges[self._n:]

    def _reserve(self, need: int) -> None:
        cap = len(self._ids)
        if need <= cap and need <= len(self._vec) and all(len(a) >= need for a in self._col.values()):
            return
        new = max(need, 2 * cap, 16)

        def grow(a: np.ndarray) -> np.ndarray:
            out = np.zeros((new,) + a.shape[1:], a.dtype)
            k = min(len(a), new)
            out[:k] = a[:k]
            return out

        self._vec, self._ids = grow(self._vec), grow(self._ids)
        self._col = {c: grow(a) for c, a in self._col.items()}
        self._fq = None

    def column(self, name: str) -> np.ndarray:
        """A bookkeeping column (``temperature``, ``created``, ``accessed``, ``access_count``,
        ``confidence``) over the live entries (a view)."""
        return self._col[name][: self._n]

    @property
    def meta(self) -> list[Meta]:
        """Every entry's bookkeeping as :class:`Meta` records (snapshots; edges are shared)."""
        cols = [self.column(c).tolist() for c, _, _ in _COLUMNS]
        return [Meta(*fields, edges=e) for *fields, e in zip(*cols, self.edges)]

    def _keep(self, keep: np.ndarray) -> None:
        """Keep only the rows where ``keep`` is True, in order (compacting in place)."""
        idx = np.flatnonzero(keep)
        k = len(idx)
        self._vec[:k] = self._vec[idx]
        self._fq = None
        self._ids[:k] = self._ids[idx]
        for a in self._col.values():
            a[:k] = a[idx]
        self.edges = [self.edges[i] for i in idx.tolist()]
        self._n = k

    def _remove(self, i: int) -> None:
        """Remove row ``i``, shifting the later rows down one (insertion order is kept)."""
        n = self._n
        self._vec[i:n - 1] = self._vec[i + 1:n]
        fq = self._fq
        if fq is not None:
            for a in fq:
                a[i:n - 1] = a[i + 1:n]
        self._ids[i:n - 1] = self._ids[i + 1:n]
        for a in self._col.values():
            a[i:n - 1] = a[i + 1:n]
        del self.edges[i]
        self._n = n - 1

    def _row(self, entry_id: int) -> int:
        hit = np.flatnonzero(self.ids == entry_id)
        if not len(hit):
            raise HostError(f"bank {self.name!r}: no entry {entry_id:#x}")
        return int(hit[0])

    # ---- entries --------------------------------------------------------------------------------------
    def eviction_scores(self, tick: int) -> np.ndarray:
        """Higher keeps: temperature weight + recency (500 − age, age capped at 500) + uses
        (capped at 500) + confidence."""
        t = self.column("temperature").astype(np.int64)
        age = np.minimum(tick - self.column("created"), 500)
        return (np.asarray(TEMP_WEIGHT, np.int64)[t] + (500 - age) + np.minimum(self.column("access_count"), 500)
                + self.column("confidence"))

    def insert(self, vector: np.ndarray, tick: int) -> int:
        if len(vector) != self.width:
            raise HostError(f"bank {self.name!r}: vector of {len(vector)} values, the bank's width is {self.width}")
        if len(self) >= self.max_entries:
            self.evict(1, tick)
        self.seq += 1
        entry_id = ((tick & 0xFFFFFFFFFF) << 22) | (self.seq & 0x3FFFFF)
        i = self._n
        self._reserve(i + 1)
        self._vec[i] = np.clip(np.asarray(vector, np.int64), -255, 255)
        fq = self._fq
        if fq is not None:
            fq[0][i] = self._vec[i]
            fq[1][i] = fq[0][i] * fq[0][i]
        self._ids[i] = entry_id
        for c, _, init in _COLUMNS:
            self._col[c][i] = tick if init is None else init
        self.edges.append([])
        self._n = i + 1
        self.mutations += 1
        return entry_id

    def query(self, q: np.ndarray, k: int) -> list[tuple[int, int]]:
        """Top-k (entry id, score ×256) by sparse cosine; ties keep insertion order."""
        if len(self) == 0 or k <= 0:
            return []
        if self._n * self.width <= SMALL_QUERY:
            return self._query_small(q, k)
        q = np.clip(np.asarray(q, np.int64)[: self.width], -255, 255)
        mask = q != 0
        if not mask.any():
            return []
        # Two matrix-vector products over cached float copies of the vectors (no gather, no
        # conversion per query): the dot with q (zeros where q is zero) and the squared norms over
        # q's non-zero dimensions (the squares times the 0/1 mask). Exact: every product and partial
        # sum is an integer of at most width·255², below 2**24 (float32) for width <= 258, else
        # below 2**53 (float64).
        fq = self._fq
        if fq is None or len(fq[0]) < self._n:
            vf = self._vec.astype(self._fdtype)
            fq = self._fq = (vf, vf * vf)
        n, lq = self._n, len(q)
        vf, v2 = fq[0][:n, :lq], fq[1][:n, :lq]
        dot = (vf @ q.astype(self._fdtype)).astype(np.int64)
        nq = int(q @ q)
        ns = (v2 @ mask.astype(self._fdtype)).astype(np.int64)
        denom = isqrt_arr(ns * nq)
        score = np.where(denom > 0, tdiv_arr(dot * 256, np.where(denom > 0, denom, 1)), 0)
        neg = -score
        if k < len(neg):
            # top-k without a full sort: keep everything at or above the k-th score (ties
            # included), then order those stably — the same result as a full stable argsort
            cut = np.partition(neg, k - 1)[k - 1]
            cand = np.flatnonzero(neg <= cut)
            order = cand[np.argsort(neg[cand], kind="stable")][:k]
        else:
            order = np.argsort(neg, kind="stable")
        return [(int(self.ids[i]), int(score[i])) for i in order]

    def _query_small(self, q: np.ndarray, k: int) -> list[tuple[int, int]]:
        """:meth:`query` in Python integers, for banks of at most SMALL_QUERY values: there the
        twenty-odd NumPy calls on tiny arrays cost more than the arithmetic (same scores, same
        order: Python's sort is stable)."""
        ql = np.asarray(q, np.int64)[: self.width].tolist()
        nz = [(j, -255 if v < -255 else 255 if v > 255 else v) for j, v in enumerate(ql) if v]
        if not nz:
            return []
        nq = sum(v * v for _, v in nz)
        n = self._n
        scores = []
        for row in self._vec[:n].tolist():
            dot = ns = 0
            for j, v in nz:
                x = row[j]
                dot += x * v
                ns += x * x
            d = math.isqrt(ns * nq)
            s = abs(dot * 256) // d if d else 0
            scores.append(-s if dot < 0 else s)
        order = sorted(range(n), key=lambda i: -scores[i])[:k]
        ids = self._ids
        return [(int(ids[i]), scores[i]) for i in order]

    def load(self, entry_id: int) -> np.ndarray:
        return self.vectors[self._row(entry_id)].copy()

    def touch(self, entry_id: int, tick: int) -> None:
        i = self._row(entry_id)
        self._col["accessed"][i] = tick
        self._col["access_count"][i] += 1

    def delete(self, entry_id: int) -> None:
        self._remove(self._row(entry_id))
        self.mutations += 1

    def link(self, from_id: int, edge_type: int, to_slot: int, to_id: int, weight: int, tick: int) -> None:
        if edge_type not in EDGE_TYPES:
            raise HostError(f"bank {self.name!r}: unknown edge type {edge_type}")
        edges = self.edges[self._row(from_id)]
        if len(edges) >= self.max_edges:
            raise HostError(f"bank {self.name!r}: entry {from_id:#x} already has {self.max_edges} edges")
        edges.append(Edge(edge_type, to_slot, to_id, max(0, min(255, weight)), tick))
        self.mutations += 1

    def promote(self, entry_id: int) -> None:
        t = self._col["temperature"]
        i = self._row(entry_id)
        t[i] = min(3, int(t[i]) + 1)

    def demote(self, entry_id: int) -> None:
        t = self._col["temperature"]
        i = self._row(entry_id)
        t[i] = max(0, int(t[i]) - 1)

    def evict(self, count: int, tick: int) -> int:
        """Remove the ``count`` lowest-scoring entries (cold, old, unused, unsure go first; the
        earliest inserted first among equals)."""
        if count <= 0 or len(self) == 0:
            return 0
        scores = self.eviction_scores(tick)
        self.mutations += 1
        if count == 1:              # the common case (an insert into a full bank)
            self._remove(int(np.argmin(scores)))           # argmin: the first of equal minima
            return 1
        order = np.argsort(scores, kind="stable")[:count]
        keep = np.ones(self._n, bool)
        keep[order] = False
        self._keep(keep)
        return len(order)

    def compact(self) -> None:
        """Release the spare capacity (the live rows stay contiguous either way)."""
        n = self._n
        self._vec, self._ids = self._vec[:n].copy(), self._ids[:n].copy()
        self._fq = None
        self._col = {c: a[:n].copy() for c, a in self._col.items()}

    def consolidation_pass(self, tick: int, min_access: int = 3, min_age: int = 100) -> int:
        t = self.column("temperature")
        up = (t < 3) & (self.column("access_count") >= min_access) & (tick - self.column("created") >= min_age)
        t[up] += 1
        return int(up.sum())

    # ---- persistence ------------------------------------------------------------------------------------
    def to_bytes(self) -> bytes:
        cols = [self.column(c).tolist() for c, _, _ in _COLUMNS]
        body = json.dumps({
            "name": self.name, "width": self.width, "max_entries": self.max_entries, "seq": self.seq,
            "ids": self.ids.tolist(), "vectors": self.vectors.tolist(),
            "meta": [{"t": t, "c": c, "a": a, "n": n, "f": f,
                      "e": [[e.type, e.slot, e.target, e.weight, e.created] for e in edges]}
                     for t, c, a, n, f, edges in zip(*cols, self.edges)],
        }, separators=(",", ":")).encode()
        return MAGIC + VERSION.to_bytes(2, "little") + len(body).to_bytes(8, "little") \
            + xxhash.xxh64(body).digest() + body

    @classmethod
    def from_bytes(cls, data: bytes) -> "Bank":
        if len(data) < 22 or data[:4] != MAGIC:
            raise FormatError("not a bank file (magic TBNK)", 0)
        if int.from_bytes(data[4:6], "little") != VERSION:
            raise FormatError(f"unsupported bank version {int.from_bytes(data[4:6], 'little')}", 4)
        size = int.from_bytes(data[6:14], "little")
        body = data[22:]
        if size != len(body):
            raise FormatError(f"body is {len(body)} bytes, header says {size}", 6)
        if xxhash.xxh64(body).digest() != data[14:22]:
            raise FormatError("checksum mismatch", 14)
        try:
            d = json.loads(body)
            if not isinstance(d, dict):
                raise ValueError("the body is not an object")
            for k in ("width", "max_entries", "seq"):
                if type(d[k]) is not int or not 0 <= d[k] < 1 << 63:
                    raise ValueError(f"{k} must be a non-negative 64-bit integer, got {str(d[k])[:40]}")
            if not isinstance(d["name"], str):
                raise ValueError("name must be a string")
            b = cls(d["name"], d["width"], d["max_entries"])
            b.seq = d["seq"]
            if not isinstance(d["ids"], list) or not isinstance(d["vectors"], list) or not isinstance(d["meta"], list):
                raise ValueError("ids, vectors and meta must be lists")
            if len(d["ids"]) > b.max_entries:
                raise ValueError(f"{len(d['ids'])} entries, more than its max_entries {b.max_entries}")
            ids = np.asarray(d["ids"], np.int64).reshape(-1)
            vectors = np.asarray(d["vectors"], np.int64).reshape(len(ids), b.width)
            meta = d["meta"]
            if len(meta) != len(ids):
                raise ValueError("entry and metadata counts differ")
            if vectors.size and (vectors.min() < -255 or vectors.max() > 255):
                raise ValueError("vector values outside -255..255")
            cols = {c: np.asarray([m[k] for m in meta], np.int64)
                    for c, k in zip([c for c, _, _ in _COLUMNS], "tcanf")}
            if len(ids) and (cols["temperature"].min() < 0 or cols["temperature"].max() > 3):
                raise ValueError("temperature outside 0..3")
            if any(len(m["e"]) > b.max_edges for m in meta):
                raise ValueError(f"an entry has more than {b.max_edges} edges")
            edges = [[Edge(*(int(x) for x in e)) for e in m["e"]] for m in meta]
        except (ValueError, KeyError, TypeError, OverflowError, HostError, RecursionError, AttributeError,
                IndexError, MemoryError) as exc:
            raise FormatError(f"bank body is malformed: {exc}", 22) from None
        b.ids, b.vectors = ids, vectors.astype(np.int32)
        for c, _, _ in _COLUMNS:
            b._col[c][: len(ids)] = cols[c]
        b.edges = edges
        return b


class BankSet:
    """The brain's banks by name; regions address them through their bank slot table."""

    def __init__(self, directory: Path, width: int = 64):
        self.dir, self.width = Path(directory), width
        self.banks: dict[str, Bank] = {}

    def get(self, name: str) -> Bank:
        b = self.banks.get(name)
        if b is None:
            b = self.banks[name] = Bank(name, self.width)
        return b

    def for_slot(self, region: "Region", slot: int, op: str) -> Bank:
        name = region.bank_slots.get(slot)
        if name is None:
            raise HostError(f"{op}: region {region.name!r} has no bank in slot {slot}")
        return self.get(name)

    def load_all(self) -> None:
        if not self.dir.is_dir():
            return
        for p in sorted(self.dir.glob("*.bank")):
            try:
                b = Bank.from_bytes(p.read_bytes())
            except FormatError as exc:
                raise FormatError(f"{p}: {exc.message}", exc.offset) from None
            if b.name != p.name[: -len(".bank")]:   # the file's name decides, never its contents
                raise FormatError(f"{p}: holds bank {b.name!r}, not {p.name[:-5]!r}", 0)
            self.banks[b.name] = b

    def save_all(self) -> None:
        for name, b in self.banks.items():
            atomic_write(inside(self.dir, f"{plain_name(name, 'bank name')}.bank", "bank file"), b.to_bytes(),
                         make_parents=True)

    def to_blobs(self) -> dict[str, bytes]:
        """Every bank's file bytes by name (for checkpoints)."""
        return {name: b.to_bytes() for name, b in sorted(self.banks.items())}

    def restore_blobs(self, blobs: dict[str, bytes]) -> None:
        """Replace every bank with :meth:`to_blobs` output (FormatError on damage, nothing replaced)."""
        banks = {}
        for data in blobs.values():
            b = Bank.from_bytes(data)
            try:
                plain_name(b.name, "bank name")
            except ConfinementError as exc:
                raise FormatError(str(exc), 14) from None
            banks[b.name] = b
        self.banks = banks

    def consolidation_pass(self, tick: int, urgency: int) -> None:
        for b in self.banks.values():
            b.consolidation_pass(tick)
            if urgency > 128:
                b.evict(max(0, len(b) - b.max_entries * 3 // 4), tick)


# ---- fulfilment -----------------------------------------------------------------------------------------

#: the bank DomainOps; host/fulfil.py merges them into its table
HANDLERS = HandlerTable()
handles = HANDLERS.handles

def _id_from(m, op: str, reg: int, at: int = 0) -> int:
    data = read_hot(m, op, reg)
    if len(data) < at + 2:
        raise HostError(f"{op}: source needs an entry id pair [hi, lo] at {at}, has {len(data)} values")
    return ((int(data[at]) & 0xFFFFFFFF) << 32) | (int(data[at + 1]) & 0xFFFFFFFF)


def _pair(entry_id: int) -> list[int]:
    return [wrap_i32(entry_id >> 32), wrap_i32(entry_id & 0xFFFFFFFF)]


@handles("BankQuery")
def _bank_query(b: BrainView, r: "Region", op):
    bank = b.banks.for_slot(r, op.bank_slot, "BankQuery")
    hits = bank.query(peek_hot(r.machine, "BankQuery", op.source), op.top_k)
    out = [len(hits)]
    for eid, score in hits:
        out += [score, *_pair(eid)]
    write_vector(r.machine, "BankQuery", op.target, out)


@handles("BankWrite")
def _bank_write(b, r, op):
    bank = b.banks.for_slot(r, op.bank_slot, "BankWrite")
    eid = bank.insert(peek_hot(r.machine, "BankWrite", op.source), b.substrate.tick)
    write_prefix(r.machine, "BankWrite", op.target, _pair(eid))


@handles("BankLoad")
def _bank_load(b, r, op):
    bank = b.banks.for_slot(r, op.bank_slot, "BankLoad")
    write_vector(r.machine, "BankLoad", op.target, bank.load(_id_from(r.machine, "BankLoad", op.source)))


@handles("BankLink")
def _bank_link(b, r, op):
    bank = b.banks.for_slot(r, op.bank_slot, "BankLink")
    data = read_hot(r.machine, "BankLink", op.source)
    if len(data) < 6:
        raise HostError(f"BankLink: source needs 6 values [from_hi, from_lo, to_slot, to_hi, to_lo, weight], has {len(data)}")
    b.banks.for_slot(r, int(data[2]), "BankLink")
    bank.link(_id_from(r.machine, "BankLink", op.source), op.edge_type, int(data[2]),
              _id_from(r.machine, "BankLink", op.source, 3), int(data[5]), b.substrate.tick)


@handles("BankTraverse")
def _bank_traverse(b, r, op):
    """Breadth-first over edges of ``edge_type`` up to ``depth`` hops: [count, (slot, hi, lo)*]."""
    start_bank = b.banks.for_slot(r, op.bank_slot, "BankTraverse")
    start = (op.bank_slot, _id_from(r.machine, "BankTraverse", op.source))
    start_bank._row(start[1])
    seen = {start}
    frontier = [start]
    found: list[tuple[int, int]] = []
    for _ in range(op.depth):
        nxt = []
        for slot, eid in frontier:
            bank = b.banks.for_slot(r, slot, "BankTraverse")
            hit = np.flatnonzero(bank.ids == eid)
            if not len(hit):
                continue
            for e in bank.edges[int(hit[0])]:
                ref = (e.slot, e.target)
                if e.type == op.edge_type and ref not in seen:
                    seen.add(ref)
                    found.append(ref)
                    nxt.append(ref)
        frontier = nxt
    out = [len(found)]
    for slot, eid in found:
        out += [slot, *_pair(eid)]
    write_vector(r.machine, "BankTraverse", op.target, out)


@handles("BankTouch")
def _bank_touch(b, r, op):
    b.banks.for_slot(r, op.bank_slot, "BankTouch").touch(_id_from(r.machine, "BankTouch", op.source), b.substrate.tick)


@handles("BankDelete")
def _bank_delete(b, r, op):
    b.banks.for_slot(r, op.bank_slot, "BankDelete").delete(_id_from(r.machine, "BankDelete", op.source))


@handles("BankCount")
def _bank_count(b, r, op):
    write_prefix(r.machine, "BankCount", op.target, [len(b.banks.for_slot(r, op.bank_slot, "BankCount"))])


@handles("BankPromote")
def _bank_promote(b, r, op):
    b.banks.for_slot(r, op.bank_slot, "BankPromote").promote(_id_from(r.machine, "BankPromote", op.source))


@handles("BankDemote")
def _bank_demote(b, r, op):
    b.banks.for_slot(r, op.bank_slot, "BankDemote").demote(_id_from(r.machine, "BankDemote", op.source))


@handles("BankEvict")
def _bank_evict(b, r, op):
    b.banks.for_slot(r, op.bank_slot, "BankEvict").evict(op.count, b.substrate.tick)


@handles("BankCompact")
def _bank_compact(b, r, op):
    b.banks.for_slot(r, op.bank_slot, "BankCompact").compact()
