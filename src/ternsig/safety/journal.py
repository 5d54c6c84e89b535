"""Anti-brick safety (seed 003): journal every structural change, watch convergence, roll back.

Structural changes — grow, prune, alloc, free, wire, re-init — are the most dangerous thing a
program can do: everything downstream depends on the architecture. The reference only documents
the remedy; here it is enforced:

* **Journal.** Before a region whose program holds structural instructions runs, the registers
  those instructions target are copied (weights, temperatures, usage, pressure). After the run,
  any of them that changed (presence, shape or content) is journaled with that pre-change copy.
* **Convergence watchdog.** A coherence measure supplied by the brain (task accuracy,
  substrate convergence, ...) is sampled every tick. For ``watch_ticks`` ticks after a change, a
  value below ``baseline − rel_drop·|baseline| − abs_drop`` (``patience`` ticks in a row) rolls
  back every change still being watched, newest first. Otherwise the change is committed.
* **Layer 2 bounds.** After an evolutionary region runs, a changed cold register must stay
  within its capacity (max elements, declared at boot; by default ``growth_factor`` × its size when
  first seen) and must leave its *immune* rows untouched: a row (a neuron; an element of a 1-D
  register) whose temperatures are not all HOT is proven structure and may be neither pruned nor
  modified. A violation reverts the register and is reported.
* **Persistence.** The journal is written atomically (temp file, fsync, rename) with a SHA-256
  checksum verified on load, so it survives a restart and a torn write is detected, not trusted.

Hook points for the brain (see the report of issue 6): ``before_run(region)`` before a region runs
in a tick, ``after_run(region, tick)`` after it, ``on_tick(brain)`` at the end of every tick.
"""
from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable, Optional

import numpy as np

from ..atomicio import atomic_write
from ..errors import FormatError, HostError, UsageError
from ..isa.encoding import COLD_REGS, HOT_REGS, NULL_REG, reg_file, reg_index, reg_name
from ..registry import ExtensionRegistry
from ..vm.state import ColdBuffer, HotBuffer

MAGIC = b"TSJOURNAL1 "
WATCHING, COMMITTED, ROLLED_BACK, VIOLATION = "watching", "committed", "rolled_back", "violation"


# ---- register snapshots ----------------------------------------------------------------------------

@dataclass
class RegSnapshot:
    """A register as it was: ``cold``/``hot`` is None when the register was not allocated."""

    reg: int
    cold: Optional[ColdBuffer] = None
    hot: Optional[HotBuffer] = None
    pressure: Optional[np.ndarray] = None

    @classmethod
    def take(cls, m: Any, reg: int) -> "RegSnapshot":
        idx = reg_index(reg)
        if reg_file(reg) == COLD_REGS:
            b = m.cold[idx]
            p = m.pressure[idx]
            return cls(reg, cold=None if b is None else b.copy(), pressure=None if p is None else p.copy())
        b = m.hot[idx]
        return cls(reg, hot=None if b is None else b.copy())

    def restore(self, m: Any) -> None:
        idx = reg_index(self.reg)
        if reg_file(self.reg) == COLD_REGS:
            m.cold[idx] = None if self.cold is None else self.cold.copy()
            m.pressure[idx] = None if self.pressure is None else self.pressure.copy()
        else:
            m.hot[idx] = None if self.hot is None else self.hot.copy()

    @property
    def shape(self) -> Optional[tuple[int, ...]]:
        b = self.cold if self.cold is not None else self.hot
        return None if b is None else tuple(b.shape)

    # JSON form: arrays as base64 with dtype, never pickle
    def to_json(self) -> dict[str, Any]:
        d: dict[str, Any] = {"reg": self.reg}
        if self.cold is not None:
            c = self.cold
            d["cold"] = {"shape": list(c.shape), "key": c.key, "frozen": c.frozen, "dirty": c.dirty,
                         "pol": _arr(c.pol), "mag": _arr(c.mag), "temps": _arr(c.temps), "usage": _arr(c.usage)}
        if self.hot is not None:
            d["hot"] = {"shape": list(self.hot.shape), "data": _arr(self.hot.data)}
        if self.pressure is not None:
            d["pressure"] = _arr(self.pressure)
        return d

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> "RegSnapshot":
        s = cls(int(d["reg"]))
        if "cold" in d:
            c = d["cold"]
            s.cold = ColdBuffer(_unarr(c["pol"]), _unarr(c["mag"]), tuple(c["shape"]), c["key"], bool(c["frozen"]),
                                _unarr(c["temps"]))
            s.cold.dirty = bool(c["dirty"])
            s.cold.usage = _unarr(c["usage"])
        if "hot" in d:
            s.hot = HotBuffer(_unarr(d["hot"]["data"]), tuple(d["hot"]["shape"]))
        if "pressure" in d:
            s.pressure = _unarr(d["pressure"])
        return s


def _arr(a: Optional[np.ndarray]) -> Optional[dict[str, Any]]:
    if a is None:
        return None
    a = np.ascontiguousarray(a)
    return {"dtype": a.dtype.str, "shape": list(a.shape), "b64": base64.b64encode(a.tobytes()).decode("ascii")}


_DTYPES = {"|i1", "|u1", "<i2", "<u2", "<i4", "<u4", "<i8", "<u8"}


def _unarr(d: Optional[dict[str, Any]]) -> Optional[np.ndarray]:
    if d is None:
        return None
    if d["dtype"] not in _DTYPES:
        raise ValueError(f"unsupported array dtype {d['dtype']!r}")
    a = np.frombuffer(base64.b64decode(d["b64"], validate=True), dtype=np.dtype(d["dtype"])).copy()
    return a.reshape(d["shape"])


def _signature(m: Any, reg: int) -> tuple:
    """What identifies a register's structure and content without copying it. The buffer object
    itself is held, so its id cannot be reused while the signature lives."""
    idx = reg_index(reg)
    if reg_file(reg) == COLD_REGS:
        b = m.cold[idx]
        return (None,) if b is None else (b, b.version, tuple(b.shape), len(b.pol))
    h = m.hot[idx]
    return (None,) if h is None else (True, tuple(h.shape), len(h.data))


# ---- structure analysis --------------------------------------------------------------------------------

def structural_registers(program: Any, registry: Any = None) -> tuple[int, ...]:
    """The hot and cold registers a program's structural instructions (``spec.structural``) target
    (their A operand)."""
    if registry is None:
        registry = ExtensionRegistry.standard()
    regs: set[int] = set()
    for ins in program.instructions:
        spec = registry.spec(ins.ext_id, ins.opcode)
        if spec is not None and spec.structural:
            if ins.a != NULL_REG and reg_file(ins.a) in (HOT_REGS, COLD_REGS):
                regs.add(ins.a)
    return tuple(sorted(regs))


def _rows(buf: ColdBuffer) -> tuple[int, int]:
    n = len(buf.pol)
    rows = int(buf.shape[0]) if buf.shape and int(buf.shape[0]) > 0 else 1
    if rows * (n // rows) != n:
        return 1, n
    return rows, n // rows


def immune_rows(buf: ColdBuffer) -> np.ndarray:
    """Boolean mask of rows (neurons) whose temperatures are not all HOT: proven structure."""
    rows, cols = _rows(buf)
    if buf.temps is None or len(buf.temps) != len(buf.pol) or cols == 0:
        return np.zeros(rows, bool)
    return (buf.temps.reshape(rows, cols) != 0).any(axis=1)


def layer2_violation(before: Optional[ColdBuffer], after: Optional[ColdBuffer], capacity: Optional[int]) -> Optional[str]:
    """Why a structural change of one cold register breaks layer 2's bounds (None: it does not)."""
    if after is not None and capacity is not None and len(after.pol) > capacity:
        return f"grows to {len(after.pol)} elements, beyond its capacity of {capacity}"
    if before is None:
        return None if after is None else "allocates a register (topology is frozen after boot)"
    mask_b = immune_rows(before)
    if not mask_b.any():
        return None
    if after is None:
        return f"frees a register holding {int(mask_b.sum())} proven (non-HOT) neuron(s)"
    rb, cb = _rows(before)
    ra, ca = _rows(after)
    if cb != ca:
        return f"reshapes rows of {cb} to {ca} elements while {int(mask_b.sum())} neuron(s) are proven (non-HOT)"
    mask_a = immune_rows(after)
    nb, na = int(mask_b.sum()), int(mask_a.sum())
    if ra >= rb:
        # no row removed (grow appends rows; cooling keeps them in place): compare in place
        sel_a = np.zeros(ra, bool)
        sel_a[:rb] = mask_b
        sel_b = mask_b
    else:
        if na < nb:
            return f"prunes {nb - na} proven (non-HOT) neuron(s): only HOT neurons may be pruned"
        if na != nb:
            # rows were removed and others cooled in the same run: which row went where cannot be
            # proven without a per-row match, so refuse (conservative)
            return "prunes and re-tempers neurons in one run: cannot prove the proven neurons survived"
        sel_a, sel_b = mask_a, mask_b
    for name in ("pol", "mag"):
        xb = getattr(before, name).reshape(rb, cb)[sel_b]
        xa = getattr(after, name).reshape(ra, ca)[sel_a]
        if not np.array_equal(xb, xa):
            return f"modifies or prunes proven (non-HOT) neurons ({name}): COLD structure is immune"
    tb = before.temperatures().reshape(rb, cb)[sel_b]
    ta = after.temperatures().reshape(ra, ca)[sel_a] if len(after.temperatures()) == len(after.pol) else None
    if ta is None or ta.shape != tb.shape or bool((ta < tb).any()):
        return "warms proven neurons: temperatures of non-HOT neurons may only cool"
    return None


# ---- the journal -------------------------------------------------------------------------------------------

@dataclass
class JournalEntry:
    seq: int
    tick: int
    region: str
    kind: str                         # grow, prune, alloc, free, reshape, rewrite, wire, violation
    registers: list[RegSnapshot]      # the state before the change
    baseline: Optional[float] = None  # coherence before the change
    status: str = WATCHING
    ticks_watched: int = 0
    below: int = 0
    note: str = ""

    def describe(self) -> str:
        regs = ", ".join(reg_name(s.reg) for s in self.registers)
        extra = f": {self.note}" if self.note else ""
        return f"#{self.seq} tick {self.tick} {self.region} {self.kind} {regs} [{self.status}]{extra}"

    def to_json(self) -> dict[str, Any]:
        return {"seq": self.seq, "tick": self.tick, "region": self.region, "kind": self.kind,
                "registers": [s.to_json() for s in self.registers], "baseline": self.baseline,
                "status": self.status, "ticks_watched": self.ticks_watched, "below": self.below, "note": self.note}

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> "JournalEntry":
        return cls(int(d["seq"]), int(d["tick"]), str(d["region"]), str(d["kind"]),
                   [RegSnapshot.from_json(s) for s in d["registers"]], d["baseline"], str(d["status"]),
                   int(d["ticks_watched"]), int(d["below"]), str(d.get("note", "")))


def _kind(before: RegSnapshot, m: Any) -> str:
    idx = reg_index(before.reg)
    if reg_file(before.reg) == HOT_REGS:
        return "wire"
    b, a = before.cold, m.cold[idx]
    if b is None:
        return "alloc"
    if a is None:
        return "free"
    if a.shape and b.shape and len(a.shape) == len(b.shape) and a.shape[1:] == b.shape[1:]:
        if a.shape[0] > b.shape[0]:
            return "grow"
        if a.shape[0] < b.shape[0]:
            return "prune"
    return "rewrite" if tuple(a.shape) == tuple(b.shape) else "reshape"


class Journal:
    """Structural-change journal with convergence watchdog and rollback (see the module doc)."""

    def __init__(self, path: Optional[Path] = None, *, coherence: Optional[Callable[[], float]] = None,
                 watch_ticks: int = 20, rel_drop: float = 0.10, abs_drop: float = 0.0, patience: int = 1,
                 growth_factor: float = 2.0, max_entries: int = 256, registry: Any = None,
                 report: Optional[Callable[[str], None]] = None):
        self.path = Path(path) if path is not None else None
        self.coherence = coherence
        self.watch_ticks = watch_ticks
        self.rel_drop = rel_drop
        self.abs_drop = abs_drop
        self.patience = max(1, patience)
        self.growth_factor = growth_factor
        self.max_entries = max_entries
        self.registry = registry
        self.report = report
        self.entries: list[JournalEntry] = []
        self.capacity: dict[str, int] = {}          # "region/C0" → max elements
        self.seq = 0
        self.last_coherence: Optional[float] = None
        self._pending: dict[str, tuple[list[tuple[int, tuple]], list[RegSnapshot]]] = {}
        self._analysis: dict[int, tuple[Any, tuple[int, ...]]] = {}
        if self.path is not None and self.path.exists():
            self._load()

    # ---- capacity (declared at boot) ------------------------------------------------------------
    @staticmethod
    def _cap_key(region: str, reg: int) -> str:
        return f"{region}/{reg_name(reg)}"

    def declare_capacity(self, region: str, reg: int, max_elements: int) -> None:
        self.capacity[self._cap_key(region, reg)] = int(max_elements)

    def capacity_of(self, region: str, reg: int) -> Optional[int]:
        return self.capacity.get(self._cap_key(region, reg))

    # ---- hooks ----------------------------------------------------------------------------------
    def targets(self, program: Any) -> tuple[int, ...]:
        hit = self._analysis.get(id(program))
        if hit is None or hit[0] is not program:
            hit = (program, structural_registers(program, self.registry))
            self._analysis[id(program)] = hit
        return hit[1]

    def before_run(self, region: Any) -> None:
        """Snapshot the registers the region's structural instructions target (none: no cost)."""
        regs = self.targets(region.program)
        if not regs:
            self._pending.pop(region.name, None)
            return
        m = region.machine
        for r in regs:       # capacity: declared at boot, else growth_factor × first-seen size
            if reg_file(r) == COLD_REGS and self._cap_key(region.name, r) not in self.capacity:
                b = m.cold[reg_index(r)]
                if b is not None:
                    self.capacity[self._cap_key(region.name, r)] = int(len(b.pol) * self.growth_factor)
        self._pending[region.name] = ([(r, _signature(m, r)) for r in regs], [RegSnapshot.take(m, r) for r in regs])

    def after_run(self, region: Any, tick: int) -> list[JournalEntry]:
        """Journal what the run changed; for an evolutionary region, revert layer-2 violations.
        Returns the new entries (violations included, with status ``violation``)."""
        pending = self._pending.pop(region.name, None)
        if pending is None:
            return []
        sigs, snaps = pending
        m = region.machine
        changed = [snap for (r, sig), snap in zip(sigs, snaps) if not _same(sig, _signature(m, r))]
        if not changed:
            return []
        out = []
        if region.role == "evolutionary":
            ok = []
            for snap in changed:
                if reg_file(snap.reg) != COLD_REGS:
                    ok.append(snap)
                    continue
                why = layer2_violation(snap.cold, m.cold[reg_index(snap.reg)], self.capacity_of(region.name, snap.reg))
                if why is None:
                    ok.append(snap)
                    continue
                kind = _kind(snap, m)
                snap.restore(m)
                e = self._add(tick, region.name, "violation", [snap], None, VIOLATION,
                              f"{kind} of {reg_name(snap.reg)} {why}; reverted")
                out.append(e)
            changed = ok
        for snap in changed:
            out.append(self._add(tick, region.name, _kind(snap, m), [snap], self.last_coherence, WATCHING))
        self.save()
        return out

    def on_tick(self, brain: Any, value: Optional[float] = None) -> list[JournalEntry]:
        """Sample coherence (or take ``value``), advance the watch windows, roll back on a drop.
        Returns the entries rolled back this tick."""
        if value is None and self.coherence is not None:
            value = float(self.coherence())
        watching = [e for e in self.entries if e.status == WATCHING]
        rolled: list[JournalEntry] = []
        dirty = False
        trip = False
        for e in watching:
            e.ticks_watched += 1
            if value is not None and e.baseline is not None and value < self.threshold(e.baseline):
                e.below += 1
                trip = trip or e.below >= self.patience
            else:
                e.below = 0
        if trip:
            baselines = [e.baseline for e in watching if e.baseline is not None]
            rolled = self.rollback(brain, watching, f"coherence {value:.4g} fell below the watch threshold")
            dirty = True
            if baselines:        # the state is back to before the changes: so is the reference value
                value = baselines[0]
        else:
            for e in watching:
                if e.ticks_watched >= self.watch_ticks:
                    e.status = COMMITTED
                    dirty = True
        self.last_coherence = value if value is not None else self.last_coherence
        if dirty:
            self.save()
        return rolled

    def threshold(self, baseline: float) -> float:
        return baseline - self.rel_drop * abs(baseline) - self.abs_drop

    # ---- rollback ----------------------------------------------------------------------------------
    def rollback(self, brain: Any, entries: Iterable[JournalEntry], reason: str = "manual rollback") -> list[JournalEntry]:
        """Restore the pre-change state of ``entries``, newest first (later changes build on
        earlier ones)."""
        done = []
        for e in sorted(entries, key=lambda e: e.seq, reverse=True):
            if e.status in (ROLLED_BACK, VIOLATION):
                continue
            m = _region(brain, e.region).machine
            for snap in reversed(e.registers):
                snap.restore(m)
            e.status = ROLLED_BACK
            e.note = reason
            done.append(e)
            if self.report is not None:
                self.report(f"rolled back {e.describe()}")
        if done:
            self.save()
        return done

    def rollback_seq(self, brain: Any, seq: int) -> list[JournalEntry]:
        """Roll back entry ``seq`` and every later entry of the same region."""
        first = next((e for e in self.entries if e.seq == seq), None)
        if first is None:
            raise UsageError(f"no journal entry #{seq}")
        return self.rollback(brain, [e for e in self.entries if e.region == first.region and e.seq >= seq])

    # ---- bookkeeping --------------------------------------------------------------------------------
    def _add(self, tick: int, region: str, kind: str, regs: list[RegSnapshot], baseline: Optional[float],
             status: str, note: str = "") -> JournalEntry:
        self.seq += 1
        e = JournalEntry(self.seq, tick, region, kind, regs, baseline, status, note=note)
        self.entries.append(e)
        if self.report is not None:
            self.report(("layer-2 violation " if status == VIOLATION else "journaled ") + e.describe())
        excess = len(self.entries) - self.max_entries
        if excess > 0:          # forget the oldest settled entries; never a watched one
            drop = {id(x) for x in [x for x in self.entries if x.status != WATCHING][:excess]}
            self.entries = [x for x in self.entries if id(x) not in drop]
        return e

    def watching(self) -> list[JournalEntry]:
        return [e for e in self.entries if e.status == WATCHING]

    # ---- persistence ----------------------------------------------------------------------------------
    def to_bytes(self) -> bytes:
        payload = json.dumps({"format": "ternsig-journal", "version": 1, "seq": self.seq,
                              "last_coherence": self.last_coherence, "capacity": self.capacity,
                              "entries": [e.to_json() for e in self.entries]},
                             separators=(",", ":"), sort_keys=True).encode("utf-8")
        return MAGIC + hashlib.sha256(payload).hexdigest().encode("ascii") + b"\n" + payload

    def save(self) -> None:
        """Write atomically (:func:`~ternsig.atomicio.atomic_write`): after a crash the file holds
        the previous journal or this one, never a torn mix."""
        if self.path is not None:
            atomic_write(self.path, self.to_bytes(), make_parents=True)

    @staticmethod
    def parse(data: bytes) -> dict[str, Any]:
        """Verify magic and checksum and decode; :class:`FormatError` (with offset) otherwise."""
        if not data.startswith(MAGIC):
            raise FormatError("not a ternsig journal (bad magic)", 0)
        nl = data.find(b"\n", len(MAGIC))
        if nl != len(MAGIC) + 64:
            raise FormatError("truncated journal header", len(MAGIC))
        want = data[len(MAGIC):nl].decode("ascii", "replace")
        payload = data[nl + 1:]
        if hashlib.sha256(payload).hexdigest() != want:
            raise FormatError("journal checksum mismatch (torn or edited file)", nl + 1)
        try:
            doc = json.loads(payload.decode("utf-8"))
            if doc.get("format") != "ternsig-journal" or doc.get("version") != 1:
                raise ValueError("unknown format or version")
            return doc
        except (ValueError, UnicodeDecodeError, AttributeError, RecursionError) as exc:
            raise FormatError(f"journal payload is not valid: {str(exc)[:200]}", nl + 1) from None

    def _load(self) -> None:
        if self.path is None:
            raise UsageError("this journal has no file to load")
        self.load_bytes(self.path.read_bytes())

    def load_bytes(self, data: bytes) -> None:
        """Replace this journal's contents with :meth:`to_bytes` output (checkpoint restore)."""
        doc = self.parse(data)
        try:
            self.seq = int(doc["seq"])
            self.last_coherence = doc["last_coherence"]
            self.capacity = {str(k): int(v) for k, v in doc["capacity"].items()}
            self.entries = [JournalEntry.from_json(e) for e in doc["entries"]]
        except (KeyError, TypeError, ValueError, AttributeError, IndexError, OverflowError, RecursionError) as exc:
            raise FormatError(f"journal payload is not valid: {type(exc).__name__}: {str(exc)[:200]}",
                              len(MAGIC) + 65) from None


def _same(a: tuple, b: tuple) -> bool:
    return len(a) == len(b) and all(x is y if isinstance(x, ColdBuffer) else x == y for x, y in zip(a, b))


def _region(brain: Any, name: str) -> Any:
    if hasattr(brain, "region"):
        return brain.region(name)
    for r in brain.regions:
        if r.name == name:
            return r
    raise HostError(f"no region named {name!r}")
