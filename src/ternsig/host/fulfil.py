"""How the default host fulfils each DomainOp.

One function per variant, registered by name in :data:`HANDLERS`; each receives the brain, the
yielding region and the op, does the side effect for real and returns nothing (or raises
:class:`~ternsig.errors.HostError`, which the brain turns into a trap of that region naming the op).
The SNN and pool variants are fulfilled by the spiking substrate (:mod:`.spiking_ops`).
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from ..errors import HostError
from ..isa.encoding import COLD_REGS, HOT_REGS, PARAM_REGS, SHAPE_REGS, make_reg, reg_name
from ..vm.state import ColdBuffer, HotBuffer
from .banks import HANDLERS as BANK_HANDLERS
from .handlers import BrainView, Fulfil, HandlerTable
from .regio import cold_buffer, read_hot, read_scalar, write_prefix, write_vector
from .region import STATUS_IDLE
from .spiking_ops import HANDLERS as SPIKING_HANDLERS
from .substrate import CHEMICALS

if TYPE_CHECKING:
    from .region import Region

#: every DomainOp this host fulfils: this module's handlers plus the bank's (merged at the end)
HANDLERS = HandlerTable()
#: co-activation counts (int64) the brain may hold over all regions: 2M cells = 16 MiB
MAX_COACT_CELLS = 1 << 21
handles = HANDLERS.handles


def fulfil(brain: BrainView, region: "Region", op: Any) -> None:
    fn = HANDLERS.get(op.op_name)
    if fn is None:
        raise HostError(f"{op.op_name}: this host does not fulfil it")
    fn(brain, region, op)


# ---- neuro: chemicals, fields, stimulation ---------------------------------------------------------

@handles("ChemRead")
def _chem_read(b, r, op):
    write_prefix(r.machine, "ChemRead", op.target, [b.substrate.read_chemical(op.chem_id)])


def _require_chemical_authority(b, r, name: str) -> None:
    if r.role != "regulation":
        raise HostError(f"{name}: only the regulation region may write chemicals "
                        f"(region {r.name!r} has role {r.role!r})")


@handles("ChemSet")
def _chem_set(b, r, op):
    _require_chemical_authority(b, r, "ChemSet")
    b.substrate.write_chemical(op.chem_id, read_scalar(r.machine, "ChemSet", op.source))


@handles("ChemInject")
def _chem_inject(b, r, op):
    _require_chemical_authority(b, r, "ChemInject")
    delta = read_scalar(r.machine, "ChemInject", op.source, op.elem_idx)
    if op.signed:
        delta -= 128
    b.substrate.write_chemical(op.chem_id, b.substrate.read_chemical(op.chem_id) + delta)


@handles("FieldRead")
def _field_read(b, r, op):
    write_vector(r.machine, "FieldRead", op.target, b.substrate.slice(op.field_id, r.id))


@handles("FieldWrite")
def _field_write(b, r, op):
    b.substrate.write_slice(op.field_id, r.id, read_hot(r.machine, "FieldWrite", op.source))


@handles("FieldSliceRead")
def _field_slice_read(b, r, op):
    write_vector(r.machine, "FieldSliceRead", op.target, b.substrate.slice(op.field_id, op.slice_index))


@handles("FieldSliceWrite")
def _field_slice_write(b, r, op):
    b.substrate.write_slice(op.field_id, op.slice_index, read_hot(r.machine, "FieldSliceWrite", op.source))


@handles("FieldTick")
def _field_tick(b, r, op):
    b.substrate.tick_field(op.field_id)


@handles("FieldDecay")
def _field_decay(b, r, op):
    b.substrate.decay_field(op.field_id, op.retention, op.fatigue_boost)


@handles("StimRead")
def _stim_read(b, r, op):
    write_vector(r.machine, "StimRead", op.target, b.substrate.stim)


@handles("ValenceRead")
def _valence_read(b, r, op):
    write_prefix(r.machine, "ValenceRead", op.target, [b.substrate.reward, b.substrate.punish])


@handles("ConvRead")
def _conv_read(b, r, op):
    write_prefix(r.machine, "ConvRead", op.target, [b.substrate.convergence])


@handles("LateralInhibit")
def _lateral_inhibit(b, r, op):
    """Winner-take-some: every element loses ``strength/255`` of its distance to the maximum."""
    x = read_hot(r.machine, "LateralInhibit", op.source)
    if len(x):
        v = x.astype(np.int64)
        v = v - ((v.max() - v) * op.strength) // 255
        x[:] = np.maximum(v, 0)


@handles("ExhaustionBoost")
def _exhaustion_boost(b, r, op):
    """Sustained activity decays faster: positive elements lose ``factor/255`` of themselves."""
    x = read_hot(r.machine, "ExhaustionBoost", op.source)
    v = x.astype(np.int64)
    x[:] = np.where(v > 0, v - (v * op.factor) // 255, v)


@handles("NoveltyScore")
def _novelty(b, r, op):
    """z-score ×256 of each element against this region's running mean and variance."""
    x = read_hot(r.machine, "NoveltyScore", op.source).astype(np.int64)
    st = b.novelty.setdefault((r.id, op.source), {"n": 0, "sum": np.zeros(len(x), np.int64),
                                                  "sq": np.zeros(len(x), np.int64)})
    if len(st["sum"]) != len(x):
        st.update(n=0, sum=np.zeros(len(x), np.int64), sq=np.zeros(len(x), np.int64))
    n = st["n"]
    if n == 0:
        z = np.zeros(len(x), np.int64)
    else:
        mean = st["sum"] // n
        var = np.maximum(st["sq"] // n - mean * mean, 1)
        z = ((x - mean) * 256) // np.maximum(np.sqrt(var.astype(np.float64)).astype(np.int64), 1)
    st["n"] = n + 1
    st["sum"] += x
    st["sq"] += x * x
    write_vector(r.machine, "NoveltyScore", op.target, z)


@handles("CoActivation")
def _coact(b, r, op):
    a = read_hot(r.machine, "CoActivation", op.source_a) > 0
    c = read_hot(r.machine, "CoActivation", op.source_b) > 0
    key = (r.id, op.source_a, op.source_b)
    m = b.coactivation.get(key)
    cells = len(a) * len(c) + sum(x.size for k, x in b.coactivation.items() if k != key)
    if cells > MAX_COACT_CELLS:
        raise HostError(f"CoActivation: memory limit: a {len(a)}x{len(c)} co-activation matrix would bring the "
                        f"brain's co-activation counts to {cells:,} cells (limit {MAX_COACT_CELLS:,})")
    if m is None or m.shape != (len(a), len(c)):
        m = b.coactivation[key] = np.zeros((len(a), len(c)), np.int64)
    m += np.outer(a, c)


@handles("CoActivationRead")
def _coact_read(b, r, op):
    """Accumulated counts of every pair recorded with ``source`` as its first register, flattened."""
    rows = [m for (rid, a, _), m in sorted(b.coactivation.items(), key=lambda kv: kv[0]) if rid == r.id and a == op.source]
    data = np.concatenate([m.ravel() for m in rows]) if rows else np.zeros(1, np.int64)
    write_vector(r.machine, "CoActivationRead", op.target, data)


@handles("CoActivationReset")
def _coact_reset(b, r, op):
    for k in [k for k in b.coactivation if k[0] == r.id]:
        del b.coactivation[k]


# SNN and pool ops: the spiking substrate (host/spiking_ops.py)
HANDLERS.include(SPIKING_HANDLERS)


@handles("ThermoPruneHot")
def _thermo_prune_hot(b, r, op):
    n = b.store.prune_hot(r) if read_scalar(r.machine, "ThermoPruneHot", op.source) > 0 else 0
    write_prefix(r.machine, "ThermoPruneHot", op.result, [n], "result")


@handles("ThermoValenceCredit")
def _thermo_valence(b, r, op):
    n = 0
    if read_scalar(r.machine, "ThermoValenceCredit", op.source) > 0:
        da, cort = b.substrate.read_chemical(0), b.substrate.read_chemical(4)
        n = b.store.valence_credit(r, reinforce=da > 140, weaken=cort > 60)
    write_prefix(r.machine, "ThermoValenceCredit", op.result, [n], "result")


# ---- lifecycle ------------------------------------------------------------------------------------

@handles("PhaseRead")
def _phase_read(b, r, op):
    write_prefix(r.machine, "PhaseRead", op.target, [b.substrate.phase])


@handles("TickRead")
def _tick_read(b, r, op):
    write_prefix(r.machine, "TickRead", op.target, [b.substrate.tick])


@handles("LevelRead")
def _level_read(b, r, op):
    write_prefix(r.machine, "LevelRead", op.target, [b.substrate.level])


@handles("PhaseWrite")
def _phase_write(b, r, op):
    b.substrate.set_phase(read_scalar(r.machine, "PhaseWrite", op.source))


@handles("LevelWrite")
def _level_write(b, r, op):
    b.substrate.set_level(read_scalar(r.machine, "LevelWrite", op.source))


@handles("RestWrite")
def _rest_write(b, r, op):
    v = read_scalar(r.machine, "RestWrite", op.source)
    if v not in (0, 1):
        raise HostError(f"RestWrite: value {v} is neither 0 (wake) nor 1 (rest)")
    b.substrate.rest = bool(v)


@handles("ConsolidationRequest")
def _consolidation_request(b, r, op):
    if not b.substrate.rest:
        raise HostError("ConsolidationRequest: only valid in rest mode (RestWrite 1 first)")
    urgency = read_scalar(r.machine, "ConsolidationRequest", op.source)
    b.consolidate(r, urgency)


@handles("Consolidate")
def _consolidate(b, r, op):
    # seed 003: consolidation hot → cold is explicit. From firmware it freezes COLD the weights of
    # the region's keyed registers that the temperature lifecycle has already cooled (COOL), then
    # persists as the reference does (docs/deviations.md, "learning.consolidate from firmware").
    from ..plasticity.temperature import COOL, consolidate

    for c in r.machine.cold:
        if c is not None and c.key:
            consolidate(c, min_temperature=COOL)
    b.store.consolidate(r)


@handles("ComputeError")
def _compute_error(b, r, op):
    r.machine.current_error = min(abs(op.target - op.output), 2**31 - 1)


@handles("LogEvent")
def _log_event(b, r, op):
    data = read_hot(r.machine, "LogEvent", op.source)
    b.log_event(r, op.event_type, data.tolist()[:64])


@handles("HaltRegion")
def _halt_region(b, r, op):
    b.region_by_id(op.region_id, "HaltRegion", r).halted = True


@handles("InitThermo")
def _init_thermo(b, r, op):
    b.require_boot(r, "InitThermo")
    cold = cold_buffer(r.machine, "InitThermo", op.register)
    if not cold.key and (op.register & 0x3F) in r.keys:   # a register the boot program allocated:
        cold.key = r.keys[op.register & 0x3F]              # named by its key table (`key boot N=...`)
    b.store.register(r, cold)


@handles("SaveThermo")
def _save_thermo(b, r, op):
    # snapshot now: inside a transaction the save lands at commit, with the weights of this moment
    cold = cold_buffer(r.machine, "SaveThermo", op.register).copy()
    b.transactional(r, lambda: b.store.save(r, cold))


@handles("LoadThermo")
def _load_thermo(b, r, op):
    b.store.load(r, cold_buffer(r.machine, "LoadThermo", op.register))


def _key_for(r, key_id: int, name: str) -> str:
    key = r.keys.get(key_id)
    if key is None:
        raise HostError(f"{name}: key id {key_id} is not in region {r.name!r}'s key table")
    return key


@handles("LoadWeights")
def _load_weights(b, r, op):
    b.store.load(r, cold_buffer(r.machine, "LoadWeights", op.register), _key_for(r, op.key_id, "LoadWeights"))


@handles("StoreWeights")
def _store_weights(b, r, op):
    cold = cold_buffer(r.machine, "StoreWeights", op.register).copy()   # snapshot (see SaveThermo)
    key = _key_for(r, op.key_id, "StoreWeights")
    b.transactional(r, lambda: b.store.save(r, cold, key))


@handles("CheckpointSave")
def _ckpt_save(b, r, op):
    cold = cold_buffer(r.machine, "CheckpointSave", op.register).copy()
    b.transactional(r, lambda: b.store.checkpoint_save(r, op.register, cold))


@handles("CheckpointRestore")
def _ckpt_restore(b, r, op):
    b.store.checkpoint_restore(r, op.register)


@handles("CheckpointDiscard")
def _ckpt_discard(b, r, op):
    b.store.checkpoint_discard(r, op.register)


@handles("TxnBegin")
def _txn_begin(b, r, op):
    b.txn_begin(r, op.txn_id)


@handles("TxnCommit")
def _txn_commit(b, r, op):
    b.txn_commit(r, op.txn_id)


@handles("TxnRollback")
def _txn_rollback(b, r, op):
    b.txn_rollback(r, op.txn_id)


@handles("CoherenceSingularWrite")
def _coh_write(b, r, op):
    div = read_scalar(r.machine, "CoherenceSingularWrite", op.source, 0)
    val = read_scalar(r.machine, "CoherenceSingularWrite", op.source, 1)
    if not 0 <= div < len(b.substrate.coherence):
        raise HostError(f"CoherenceSingularWrite: division {div} out of range (0..{len(b.substrate.coherence) - 1})")
    b.substrate.coherence[div] = val


@handles("CoherenceMultimodalWrite")
def _coh_mm_write(b, r, op):
    a = read_scalar(r.machine, "CoherenceMultimodalWrite", op.source, 0)
    c = read_scalar(r.machine, "CoherenceMultimodalWrite", op.source, 1)
    v = read_scalar(r.machine, "CoherenceMultimodalWrite", op.source, 2)
    n = len(b.substrate.coherence)
    if not (0 <= a < n and 0 <= c < n):
        raise HostError(f"CoherenceMultimodalWrite: division pair ({a}, {c}) out of range (0..{n - 1})")
    b.substrate.coherence_pairs[(min(a, c), max(a, c))] = v


@handles("CoherenceSingularRead")
def _coh_read(b, r, op):
    write_vector(r.machine, "CoherenceSingularRead", op.target, b.substrate.coherence)


# ---- orchestration ----------------------------------------------------------------------------------

@handles("RouteInput")
def _route_input(b, r, op):
    dst = b.region_by_id(op.region_id, "RouteInput", r)
    dst.pending_input = read_hot(r.machine, "RouteInput", op.source).copy()


@handles("RegionFire")
def _region_fire(b, r, op):
    dst = b.region_by_id(op.region_id, "RegionFire", r)
    if dst is r:
        raise HostError("RegionFire: a region cannot fire itself")
    b.run_region(dst, nested=True)
    write_vector(r.machine, "RegionFire", op.target, dst.output)


@handles("CollectOutputs")
def _collect(b, r, op):
    outs = [x.output for x in b.regions if x is not r and len(x.output)]
    write_vector(r.machine, "CollectOutputs", op.target, np.concatenate(outs) if outs else np.zeros(1, np.int32))


@handles("RegionEnable", "RegionDisable")
def _region_enable(b, r, op):
    dst = b.region_by_id(op.region_id, op.op_name, r)
    dst.enabled = op.op_name == "RegionEnable"
    if dst.enabled:
        dst.halted = False


@handles("RegionStatus")
def _region_status(b, r, op):
    dst = b.region_by_id(op.region_id, "RegionStatus", r)
    st = STATUS_IDLE if not dst.enabled or dst.halted else dst.status
    write_prefix(r.machine, "RegionStatus", op.target, [st])


@handles("ModelLoad")
def _model_load(b, r, op):
    b.models.load(r, op.slot)
    write_prefix(r.machine, "ModelLoad", op.target, [1])


@handles("ModelExec")
def _model_exec(b, r, op):
    out = b.models.execute(r, op.slot)
    write_vector(r.machine, "ModelExec", op.target, out)


@handles("ModelReload")
def _model_reload(b, r, op):
    b.models.reload(r, op.slot)


# ---- ipc ---------------------------------------------------------------------------------------------

@handles("SendSignal")
def _send(b, r, op):
    if r.routes and r.routes.get(op.region_id, 0) is None:
        return                    # routed past the edge of its array: no neighbour, no message
    dst = b.region_by_id(op.region_id, "SendSignal", r)
    b.ipc.send(r.id, dst.id, read_hot(r.machine, "SendSignal", op.source))


@handles("RecvSignal")
def _recv(b, r, op):
    edge = bool(r.routes) and r.routes.get(op.region_id, 0) is None     # past its array's edge: nothing
    msg = None if edge else b.ipc.recv(r.id, b.region_by_id(op.region_id, "RecvSignal", r).id)
    write_vector(r.machine, "RecvSignal", op.target, msg if msg is not None else [0])


@handles("Broadcast")
def _broadcast(b, r, op):
    payload = read_hot(r.machine, "Broadcast", op.source)
    b.ipc.broadcast(r.id, op.channel, payload)
    b.ipc.mailbox_push(op.channel, payload)


@handles("Subscribe")
def _subscribe(b, r, op):
    b.ipc.subscribe(r.id, op.region_id)
    write_prefix(r.machine, "Subscribe", op.target, [1])


@handles("MailboxPeek")
def _peek(b, r, op):
    msg = b.ipc.mailbox_peek(op.mailbox_id)
    write_vector(r.machine, "MailboxPeek", op.target, msg if msg is not None else [0])


@handles("MailboxPop")
def _pop(b, r, op):
    msg = b.ipc.mailbox_pop(op.mailbox_id)
    write_vector(r.machine, "MailboxPop", op.target, msg if msg is not None else [0])


@handles("BarrierWait")
def _barrier(b, r, op):
    b.ipc.arrive(op.barrier_id, r.id)
    r.waiting_barrier = op.barrier_id


@handles("AtomicCas")
def _cas(b, r, op):
    """Cell address = H[target][0] on entry; the cell's old value is written back to H[target][0]."""
    m = r.machine
    addr = read_scalar(m, "AtomicCas", op.target, role="target")
    old = b.ipc.cas(addr, read_scalar(m, "AtomicCas", op.expected, role="expected"),
                    read_scalar(m, "AtomicCas", op.desired, role="desired"))
    write_prefix(m, "AtomicCas", op.target, [old])


# ---- dynamic registers ---------------------------------------------------------------------------------

@handles("AllocRegister")
def _alloc_register(b, r, op):
    """Allocate the highest free register of the bank; its address goes into H[target][0]."""
    m = r.machine
    if op.bank > 3:
        raise HostError(f"AllocRegister: bank {op.bank} out of range (0 hot, 1 cold, 2 param, 3 shape)")
    if len(r.dyn_allocated) >= r.dyn_pool:
        raise HostError(f"AllocRegister: region {r.name!r} already holds {r.dyn_pool} dynamic registers (its pool)")
    size = max(1, op.size)
    declared = {d.reg for d in r.program.registers}
    for idx in range(63, -1, -1):
        reg = make_reg(op.bank, idx)
        if reg in declared or reg in r.dyn_allocated:
            continue
        if op.bank == HOT_REGS and m.hot[idx] is None:
            m.hot[idx] = HotBuffer.zeros((size,))
        elif op.bank == COLD_REGS and m.cold[idx] is None:
            m.cold[idx] = ColdBuffer.zeros((size,))
        elif op.bank == PARAM_REGS and m.param[idx] == 0:
            pass
        elif op.bank == SHAPE_REGS and not m.shape_regs[idx]:
            m.shape_regs[idx] = [size]
        else:
            continue
        r.dyn_allocated.add(reg)
        write_prefix(m, "AllocRegister", op.target, [reg])
        return
    raise HostError(f"AllocRegister: no free register in bank {op.bank}")


@handles("FreeRegister")
def _free_register(b, r, op):
    reg = op.register
    if reg not in r.dyn_allocated:
        raise HostError(f"FreeRegister: {reg_name(reg)} was not allocated dynamically")
    m, idx = r.machine, reg & 0x3F
    bank = reg >> 6
    if bank == HOT_REGS:
        m.hot[idx] = None
    elif bank == COLD_REGS:
        m.cold[idx] = None
        m.pressure[idx] = None
    elif bank == PARAM_REGS:
        m.param[idx] = 0
    else:
        m.shape_regs[idx] = []
    r.dyn_allocated.discard(reg)


HANDLERS.include(BANK_HANDLERS)

__all__ = ["HANDLERS", "Fulfil", "fulfil", "handles", "CHEMICALS"]
