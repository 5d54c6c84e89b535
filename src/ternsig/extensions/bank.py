"""The bank extension (0x000B): a program's working vector memory (similarity query, write, link, traverse).

Bank operations normally yield a DomainOp for the host. A host that can serve the simple ones
without a round trip sets ``machine.bank_cache`` to an object implementing :class:`BankAccess`;
QUERY, WRITE, LOAD, TOUCH, DELETE and COUNT then run inline through it — unless it answers None
(or, for TOUCH/DELETE, the id register is missing or short), in which case they still yield, as the
reference does. LINK, TRAVERSE, PROMOTE, DEMOTE, EVICT and COMPACT always yield.

Register layouts: QUERY result ``[count, (score, id_hi, id_lo)*]``; WRITE result ``[id_hi, id_lo]``;
LOAD/TOUCH/DELETE source ``[id_hi, id_lo]``; COUNT result ``[count]``. Ids are i64 split into the
high and low i32 halves (the low half is the id's low 32 bits, wrapped). All are runtime.
"""
from __future__ import annotations

from typing import Optional, Protocol, Sequence, runtime_checkable

import numpy as np

from ..errors import ExecFault
from ..vm.domainops import OPS
from ..intmath import wrap_i32
from ..isa.spec import ExtensionTable, Layer
from ..vm.state import HotBuffer, Machine
from ._yielding import Row, declare_yields

EXT_ID = 0x000B
R = Layer.RUNTIME


@runtime_checkable
class BankAccess(Protocol):
    """Inline bank access a host may install as ``machine.bank_cache`` (the reference's BankAccess).

    Returning None from query/load/count/write means "cannot serve inline": the instruction then
    yields its DomainOp to the host instead.
    """

    def query(self, bank_slot: int, query: np.ndarray, top_k: int) -> Optional[Sequence[tuple[int, int]]]:
        """Top-k matches as (entry_id i64, score i32) pairs, best first."""

    def load(self, bank_slot: int, id_high: int, id_low: int) -> Optional[Sequence[int]]:
        """The entry's vector (i32 values)."""

    def count(self, bank_slot: int) -> Optional[int]:
        """Number of entries in the bank."""

    def write(self, bank_slot: int, vector: np.ndarray) -> Optional[tuple[int, int]]:
        """Insert an entry; its id as (id_high, id_low)."""

    def touch(self, bank_slot: int, id_high: int, id_low: int) -> None:
        """Record an access to the entry."""

    def delete(self, bank_slot: int, id_high: int, id_low: int) -> bool:
        """Delete the entry; True when it existed."""


TABLE = ExtensionTable(EXT_ID, "bank", doc="Vector memory banks: query, write, load, link, traverse, temperature, eviction.")


def _data(m: Machine, byte: int) -> Optional[np.ndarray]:
    buf = m.hot[byte & 0x3F]
    return None if buf is None else buf.data.copy()


def _write(m: Machine, byte: int, values) -> None:
    # i32 by contract; anything wider wraps as Rust's `as i32` would
    data = np.asarray(values, dtype=np.int64).astype(np.int32).ravel()
    m.hot[byte & 0x3F] = HotBuffer(data, (len(data),))


_BankQuery, _BankWrite, _BankLoad = OPS["BankQuery"], OPS["BankWrite"], OPS["BankLoad"]
_BankTouch, _BankDelete, _BankCount = OPS["BankTouch"], OPS["BankDelete"], OPS["BankCount"]


@TABLE.op(0x0000, "bank_query", "reg@A reg@B imm8@C imm8@D", R,
          "H[A] = [count, (score, id_hi, id_lo)*] of the top-D entries of bank C most similar to H[B]. Yields BankQuery.",
          yields="BankQuery")
def bank_query(m: Machine, a: int, b: int, c: int, d: int) -> object:
    cache = m.bank_cache
    if cache is not None:
        q = _data(m, b)
        if q is None:
            raise ExecFault(f"BANK_QUERY: H{b & 0x3F} not allocated")
        results = cache.query(c, q, d)
        if results is not None:
            out = [len(results)]
            for entry_id, score in results:
                eid = int(entry_id)
                out += [wrap_i32(int(score)), wrap_i32(eid >> 32), wrap_i32(eid)]
            _write(m, a, out)
            return None
    return _BankQuery(target=a, source=b, bank_slot=c, top_k=d)


@TABLE.op(0x0001, "bank_write", "reg@A reg@B imm8@C", R, "Store H[B] in bank C; H[A] = [id_hi, id_lo]. Yields BankWrite.",
          yields="BankWrite")
def bank_write(m: Machine, a: int, b: int, c: int, d: int) -> object:
    cache = m.bank_cache
    if cache is not None:
        v = _data(m, b)
        if v is None:
            raise ExecFault(f"BANK_WRITE: H{b & 0x3F} not allocated")
        ids = cache.write(c, v)
        if ids is not None:
            _write(m, a, [ids[0], ids[1]])
            return None
    return _BankWrite(target=a, source=b, bank_slot=c)


@TABLE.op(0x0002, "bank_load", "reg@A reg@B imm8@C", R, "H[A] = vector of the entry [id_hi, id_lo] = H[B] in bank C. Yields BankLoad.",
          yields="BankLoad")
def bank_load(m: Machine, a: int, b: int, c: int, d: int) -> object:
    cache = m.bank_cache
    if cache is not None:
        ids = _data(m, b)
        if ids is None or len(ids) < 2:
            raise ExecFault(f"BANK_LOAD: H{b & 0x3F} needs [id_high, id_low]")
        vec = cache.load(c, int(ids[0]), int(ids[1]))
        if vec is not None:
            _write(m, a, vec)
            return None
    return _BankLoad(target=a, source=b, bank_slot=c)


@TABLE.op(0x0005, "bank_touch", "reg@A imm8@B", R, "Record an access to entry H[A] = [id_hi, id_lo] of bank B. Yields BankTouch.",
          yields="BankTouch")
def bank_touch(m: Machine, a: int, b: int, c: int, d: int) -> object:
    cache = m.bank_cache
    if cache is not None:
        ids = _data(m, a)
        if ids is not None and len(ids) >= 2:
            cache.touch(b, int(ids[0]), int(ids[1]))
            return None
    return _BankTouch(source=a, bank_slot=b)


@TABLE.op(0x0006, "bank_delete", "reg@A imm8@B", R, "Delete entry H[A] = [id_hi, id_lo] from bank B. Yields BankDelete.",
          yields="BankDelete")
def bank_delete(m: Machine, a: int, b: int, c: int, d: int) -> object:
    cache = m.bank_cache
    if cache is not None:
        ids = _data(m, a)
        if ids is not None and len(ids) >= 2:
            cache.delete(b, int(ids[0]), int(ids[1]))
            return None
    return _BankDelete(source=a, bank_slot=b)


@TABLE.op(0x0007, "bank_count", "reg@A imm8@B", R, "H[A] = [entry count of bank B]. Yields BankCount.", yields="BankCount")
def bank_count(m: Machine, a: int, b: int, c: int, d: int) -> object:
    cache = m.bank_cache
    if cache is not None:
        n = cache.count(b)
        if n is not None:
            _write(m, a, [n])
            return None
    return _BankCount(target=a, bank_slot=b)


_ROWS: list[Row] = [
    (0x0003, "bank_link", "reg@A imm8@B imm8@C", R,
     "Add an edge of type B in bank C from H[A] = [from_hi, from_lo, to_slot, to_hi, to_lo, weight]. Yields BankLink.",
     "BankLink", {"source": "A", "edge_type": "B", "bank_slot": "C"}),
    (0x0004, "bank_traverse", "reg@A reg@B imm8@C imm8@D", R,
     "H[A] = [count, (slot, hi, lo)*] reached from entry H[B] in bank C; D = edge_type << 4 | depth. Yields BankTraverse.",
     "BankTraverse", {"target": "A", "source": "B", "bank_slot": "C",
                      "edge_type": lambda a, b, c, d: d >> 4, "depth": lambda a, b, c, d: d & 0x0F}),
    (0x0008, "bank_promote", "reg@A imm8@B", R, "Promote entry H[A] of bank B one temperature step. Yields BankPromote.",
     "BankPromote", {"source": "A", "bank_slot": "B"}),
    (0x0009, "bank_demote", "reg@A imm8@B", R, "Demote entry H[A] of bank B one temperature step. Yields BankDemote.",
     "BankDemote", {"source": "A", "bank_slot": "B"}),
    (0x000A, "bank_evict", "imm8@A imm8@B", R, "Evict up to B cold/low-scoring entries of bank A. Yields BankEvict.",
     "BankEvict", {"bank_slot": "A", "count": "B"}),
    (0x000B, "bank_compact", "imm8@A", R, "Compact bank A after pruning. Yields BankCompact.",
     "BankCompact", {"bank_slot": "A"}),
]
declare_yields(TABLE, _ROWS)
TABLE.specs.sort(key=lambda s: s.opcode)
