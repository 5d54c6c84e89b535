"""What a checkpoint holds, and putting it back: one *kernel* part and one part per region.

A region part holds the region's machine (every allocated register with its shape — cold weights
with temperatures, usage and pressure, hot registers, params, shape registers), its dynamic
registers, the host's per-region state (novelty and co-activation statistics, model slots) and
its counters. The kernel part holds the substrate (through its ``checkpoint_state`` /
``restore_checkpoint_state`` pair), the journal, every bank, the weight store's thermogram, IPC
queues, the task's random state and the accuracy window.

**Restarts always work.** Each region part records the firmware's register declarations at save
time. On restore a saved register comes back with its saved shape when the firmware still declares
that register as it did (so grow/prune/dynamic registers survive a restart); after an edit that
changed a declaration, saved contents are kept only where key and shape still fit. Everything
dropped is reported, one line each, and the brain starts anyway.
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Optional

import numpy as np

from ..errors import FormatError, HostError, TernsigError
from ..extensions.orchestration import TABLE as ORCHESTRATION
from ..isa.encoding import COLD_REGS, HOT_REGS, SHAPE_REGS, make_reg, reg_file, reg_name
from ..vm.state import NREGS
from ..vm.state import ColdBuffer, HotBuffer
from .statefile import pack, unpack

if TYPE_CHECKING:
    from .region import Region

KERNEL_PART = "kernel"
ORCHESTRATION_EXT = ORCHESTRATION.ext_id   # model slots live in the orchestration extension's state


def region_part_name(region_name: str) -> str:
    """``region.<name>``; a name that is not a short plain identifier is replaced by its hash."""
    if re.fullmatch(r"[A-Za-z0-9_][A-Za-z0-9_-]{0,100}", region_name):
        return f"region.{region_name}"
    return f"region.h{hashlib.sha256(region_name.encode('utf-8', 'surrogatepass')).hexdigest()[:40]}"


@dataclass
class RestoreReport:
    """What a restore did: the checkpoint used, the checkpoints passed over, what was dropped."""

    checkpoint: Optional[int] = None
    tick: int = 0
    skipped: list[tuple[str, str]] = field(default_factory=list)
    dropped: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        out = [f"skipped checkpoint {name}: {why}" for name, why in self.skipped]
        if self.checkpoint is not None:
            out.append(f"restored checkpoint {self.checkpoint} (tick {self.tick})")
        out += [f"dropped: {d}" for d in self.dropped]
        return out


def _bad(what: str, why: str) -> FormatError:
    return FormatError(f"checkpoint {what}: {why}", 0)


def _arr(v: Any, dtype: Any, n: int, what: str) -> np.ndarray:
    if not isinstance(v, np.ndarray) or v.dtype != np.dtype(dtype) or v.ndim != 1 or len(v) != n:
        raise _bad(what, f"expected {n} values of {np.dtype(dtype).name}")
    return v


def _shape(v: Any, what: str) -> tuple[int, ...]:
    if not isinstance(v, list) or not all(type(d) is int and d >= 0 for d in v) or len(v) > 8:
        raise _bad(what, f"bad shape {v!r}")
    return tuple(v)


def _numel(shape: tuple[int, ...]) -> int:
    n = 1
    for d in shape:
        n *= d
    return n


# ---- regions -------------------------------------------------------------------------------------------

def region_state(r: "Region") -> dict[str, Any]:
    m = r.machine
    cold = []
    for i, c in enumerate(m.cold):
        if c is not None:
            cold.append({"i": i, "shape": list(c.shape), "key": c.key, "frozen": c.frozen, "pol": c.pol.copy(),
                         "mag": c.mag.copy(), "temps": None if c.temps is None else c.temps.copy(),
                         "usage": None if c.usage is None else c.usage.copy(),
                         "pressure": None if m.pressure[i] is None else np.asarray(m.pressure[i]).copy()})
    hot = [{"i": i, "shape": list(h.shape), "data": np.array(h.view(), np.int32)}
           for i, h in enumerate(m.hot) if h is not None]
    orch = m.ext_state.get(ORCHESTRATION_EXT)
    slots = [] if orch is None else [[i, s.loaded, s.input_reg, s.output_reg] for i, s in enumerate(orch.slots)
                                     if s.loaded or s.input_reg is not None or s.output_reg is not None]
    return {
        "name": r.name, "role": r.role,
        "declared": {str(d.reg): [list(d.shape), d.key] for d in r.program.registers},
        "dyn": sorted(r.dyn_allocated),
        "cold": cold, "hot": hot, "param": [int(p) for p in m.param],
        "shape_regs": [[i, list(s)] for i, s in enumerate(m.shape_regs) if s],
        "babble": [int(m.babble_scale), int(m.babble_phase)], "current_error": int(m.current_error),
        "enabled": r.enabled, "halted": r.halted, "executed": r.executed, "yields": r.yields, "traps": r.traps,
        "last_trap": r.last_trap, "output": np.asarray(r.output, np.int32).copy(),
        "orchestration": slots,
    }


def _host_region_state(brain: Any, r: "Region") -> dict[str, Any]:
    nov = [[src, st["n"], st["sum"].copy(), st["sq"].copy()]
           for (rid, src), st in sorted(brain.novelty.items()) if rid == r.id]
    coact = [[a, c, mat.copy()] for (rid, a, c), mat in sorted(brain.coactivation.items()) if rid == r.id]
    models = sorted(slot for (rid, slot) in brain.models.loaded if rid == r.id)
    return {"novelty": nov, "coactivation": coact, "models": models}


def encode_region(brain: Any, r: "Region") -> bytes:
    """One region's part file bytes."""
    st = region_state(r)
    st["host"] = _host_region_state(brain, r)
    return pack(st)


def _fits(d: Any, saved_decl: dict[int, Any], reg: int, saved_shape: tuple[int, ...], moved: bool) -> bool:
    """A saved register may come back as it was when its declaration is unchanged since the save
    (its shape may have been grown or pruned at run time), else only with the declared shape."""
    if saved_shape == tuple(d.shape):
        return True
    return not moved and saved_decl.get(reg) == [list(d.shape), d.key]


def restore_region(brain: Any, r: "Region", st: Any, dropped: list[str]) -> None:
    """Put a region part back into ``r``, reconciling with its current firmware (see module doc)."""
    what = f"region {r.name}"
    if not isinstance(st, dict):
        raise _bad(what, "not a region state")
    m = r.machine
    try:
        cur = {d.reg: d for d in r.program.registers}
        saved_decl = {int(k): v for k, v in st["declared"].items()}
        dyn_saved = {int(x) for x in st["dyn"]}
        key_to_reg = {d.key: d.reg for d in cur.values() if d.key and reg_file(d.reg) == COLD_REGS}
        restored_dyn: set[int] = set()
        for c in st["cold"]:
            i, key = int(c["i"]), c["key"]
            if not 0 <= i < NREGS:
                raise _bad(what, f"cold register index {i}")
            reg = make_reg(COLD_REGS, i)
            shape = _shape(c["shape"], what)
            n = _numel(shape)
            pol, mag = _arr(c["pol"], np.int8, n, what), _arr(c["mag"], np.uint8, n, what)
            temps = None if c["temps"] is None else _arr(c["temps"], np.uint8, n, what)
            label = f"{r.name}.{reg_name(reg)}" + (f" (key {key})" if key else "")
            target = key_to_reg.get(key) if key else (reg if reg in cur and not cur[reg].key else None)
            if target is None and reg in dyn_saved and reg not in cur:
                target = reg
            if target is None:
                dropped.append(f"{label} {list(shape)}: the firmware no longer declares it")
                continue
            d = cur.get(target)
            if d is not None and not _fits(d, saved_decl, target, shape, target != reg):
                dropped.append(f"{label}: saved shape {list(shape)} does not fit the declared {list(d.shape)}")
                continue
            if m.cold[target & 0x3F] is not None and d is None:
                dropped.append(f"{label}: its register is in use")
                continue
            buf = ColdBuffer(pol.copy(), mag.copy(), shape, d.key if d is not None else key,
                             d.frozen if d is not None else bool(c["frozen"]), None if temps is None else temps.copy())
            if c["usage"] is not None:
                buf.usage = _arr(c["usage"], c["usage"].dtype, n, what).copy()
            m.cold[target & 0x3F] = buf
            p = c["pressure"]
            if p is not None and (not isinstance(p, np.ndarray) or p.ndim != 1 or p.dtype.kind not in "iu"):
                raise _bad(what, f"pressure of {label} is not an integer vector")
            m.pressure[target & 0x3F] = None if p is None else p.copy()
            if d is None:
                restored_dyn.add(target)
        for h in st["hot"]:
            i = int(h["i"])
            if not 0 <= i < NREGS:
                raise _bad(what, f"hot register index {i}")
            reg = make_reg(HOT_REGS, i)
            shape = _shape(h["shape"], what)
            data = _arr(h["data"], np.int32, _numel(shape), what)
            d = cur.get(reg)
            if d is None and reg not in dyn_saved:
                dropped.append(f"{r.name}.{reg_name(reg)} {list(shape)}: the firmware no longer declares it")
                continue
            if d is not None and not _fits(d, saved_decl, reg, shape, False):
                dropped.append(f"{r.name}.{reg_name(reg)}: saved shape {list(shape)} does not fit the declared "
                               f"{list(d.shape)}")
                continue
            m.hot[i] = HotBuffer(data.copy(), shape)
            if d is None:
                restored_dyn.add(reg)
        params = st["param"]
        if not isinstance(params, list) or len(params) != NREGS:
            raise _bad(what, "param registers")
        m.param[:] = [int(p) for p in params]
        for i, s in st["shape_regs"]:
            reg = make_reg(SHAPE_REGS, int(i))
            if reg in cur or reg in dyn_saved:
                m.shape_regs[int(i)] = [int(x) for x in s]
                if reg not in cur:
                    restored_dyn.add(reg)
        for reg in dyn_saved:                                      # dynamic params need no data
            if reg_file(reg) not in (HOT_REGS, COLD_REGS, SHAPE_REGS) and reg not in cur:
                restored_dyn.add(reg)
        r.dyn_allocated = restored_dyn
        m.babble_scale, m.babble_phase = (int(x) for x in st["babble"])
        m.current_error = int(st["current_error"])
        r.enabled, r.halted = bool(st["enabled"]), bool(st["halted"])
        r.executed, r.yields, r.traps = int(st["executed"]), int(st["yields"]), int(st["traps"])
        r.last_trap = st["last_trap"]
        r.output = _arr(st["output"], np.int32, len(st["output"]), what).copy()
        orch = st["orchestration"]
        if orch:
            from ..extensions.orchestration import table_of

            table = table_of(m)
            for i, loaded, inp, outp in orch:
                if not 0 <= int(i) < len(table.slots) or any(x is not None and not 0 <= int(x) < NREGS
                                                              for x in (inp, outp)):
                    raise _bad(what, f"model slot record {[i, loaded, inp, outp]!r}")
                s = table.slots[int(i)]
                s.loaded, s.input_reg, s.output_reg = bool(loaded), inp, outp
        host = st["host"]
        for src, n, ssum, sq in host["novelty"]:
            brain.novelty[(r.id, int(src))] = {"n": int(n), "sum": ssum.astype(np.int64), "sq": sq.astype(np.int64)}
        for a, c, mat in host["coactivation"]:
            brain.coactivation[(r.id, int(a), int(c))] = mat.astype(np.int64)
        for slot in host["models"]:
            try:
                brain.models.load(r, int(slot))
            except TernsigError as exc:
                dropped.append(f"{r.name}: model slot {slot}: {exc}")
    except (KeyError, TypeError, ValueError, IndexError, AttributeError, OverflowError) as exc:
        raise _bad(what, f"malformed state: {exc!r}") from None
    for c in m.cold:
        if c is not None:
            c.touch()


# ---- kernel --------------------------------------------------------------------------------------------

def kernel_state(brain: Any) -> dict[str, Any]:
    from ..thermo.format import encode

    ipc = brain.ipc
    task_rng = getattr(brain.task, "rng", None)
    return {
        "brain": brain.config.name, "tick": brain.substrate.tick,
        "regions": [r.name for r in brain.regions],
        "substrate": brain.substrate.checkpoint_state(),
        "spiking": brain.spiking.state(),          # SNNs and pools (host/spiking_ops.py)
        "journal": brain.journal.to_bytes(),
        "banks": brain.banks.to_blobs(),
        "thermo": encode(brain.store.tt.substrate),
        "accuracy_window": list(brain.accuracy_window),
        "task_rng": None if task_rng is None else task_rng.bit_generator.state,
        "ipc": {
            "pending": [[rcv, msg.sender, msg.seq, msg.payload.copy()] for rcv, msg in ipc._pending],
            "inboxes": [[rcv, snd, list(q)] for rcv, per in sorted(ipc.inboxes.items())
                        for snd, q in sorted(per.items()) if q],
            "subscribers": [[ch, sorted(ids)] for ch, ids in sorted(ipc.subscribers.items()) if ids],
            "mailboxes": [[mb, list(q)] for mb, q in sorted(ipc.mailboxes.items()) if q],
            "cells": [[a, v] for a, v in sorted(ipc.cells.items())],
            "seq": ipc._seq, "delivered": ipc.delivered, "dropped": ipc.dropped,
        },
    }


def encode_kernel(brain: Any) -> bytes:
    return pack(kernel_state(brain))


def restore_kernel(brain: Any, st: Any, dropped: list[str]) -> None:
    from collections import deque

    from .tensor_thermogram import TensorThermogram
    from ..thermo.format import load_bytes
    from .ipc import MAX_PENDING, Message

    if not isinstance(st, dict):
        raise _bad("kernel", "not a kernel state")
    try:
        brain.substrate.restore_checkpoint_state(st["substrate"])
    except HostError as exc:
        dropped.append(f"substrate: {exc}")
    except (KeyError, TypeError, ValueError, IndexError, AttributeError, OverflowError) as exc:
        raise _bad("kernel", f"malformed substrate state: {exc!r}") from None
    try:
        spiking = st.get("spiking", {})
        if not isinstance(spiking, dict):
            raise HostError("spiking state is not a mapping")
        brain.spiking.restore(spiking)
    except HostError as exc:
        dropped.append(f"spiking: {exc}")
    try:
        brain.journal.load_bytes(st["journal"])
        brain.banks.restore_blobs(st["banks"])
        t, _ = load_bytes(st["thermo"])
        brain.store.tt = TensorThermogram(thermogram=t)
        brain.accuracy_window = [int(x) for x in st["accuracy_window"]][-200:]
        rng = getattr(brain.task, "rng", None)
        if rng is not None and st["task_rng"] is not None:
            try:
                rng.bit_generator.state = st["task_rng"]
            except (ValueError, TypeError, KeyError) as exc:
                dropped.append(f"task random state: {exc}")
        ipc, s = brain.ipc, st["ipc"]
        if len(s["pending"]) > MAX_PENDING:
            raise ValueError(f"{len(s['pending'])} pending messages, more than the send queue's {MAX_PENDING}")
        ipc._pending = [(int(rcv), Message(int(snd), int(seq), np.asarray(p, np.int32))) for rcv, snd, seq, p in s["pending"]]
        for rcv, snd, q in s["inboxes"]:
            ipc.inboxes[int(rcv)][int(snd)] = deque(np.asarray(p, np.int32) for p in q)
        for ch, ids in s["subscribers"]:
            ipc.subscribers[int(ch)] = {int(x) for x in ids}
        for mb, q in s["mailboxes"]:
            ipc.mailboxes[int(mb)] = deque(np.asarray(p, np.int32) for p in q)
        for a, v in s["cells"]:
            ipc.cells[int(a)] = int(v)
        ipc._seq, ipc.delivered, ipc.dropped = int(s["seq"]), int(s["delivered"]), int(s["dropped"])
    except (KeyError, TypeError, ValueError, IndexError, AttributeError, OverflowError, HostError) as exc:
        raise _bad("kernel", f"malformed state: {exc!r}") from None


def decode_part(data: bytes, name: str) -> Any:
    return unpack(data, f"checkpoint part {name}")
