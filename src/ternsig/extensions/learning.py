"""Learning extension (0x0004): mastery, babble, eligibility traces, contrastive Hebbian learning
(CHL), error signals and weight checkpoints.

Learning is dopamine-gated (MASTERY_UPDATE, CHL_UPDATE and UPDATE_WEIGHTS do nothing below
dopamine 76 and scale with ``dopamine_scale`` above it). Per-machine state — the CHL phase, the
free/clamped correlation tables and the in-memory checkpoints — lives in
``machine.ext_state[0x0004]`` (a :class:`LearningState`), so two machines never share it.

Reference quirks kept on purpose (golden cases depend on them): CHL correlations are keyed by the
*visible* hot register's index while CHL_UPDATE looks them up by the *cold* register's index;
CHL_BACKPROP_CLAMP takes its weights from ``C[dst index]``; COMPUTE_ERROR does not yield;
ROLLBACK_WEIGHTS yields only when there is no in-memory copy; DISCARD_CHECKPOINT keeps the
in-memory copy. All 64 pressure slots exist (the reference panics past C15).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Any, Optional

import numpy as np

from ..errors import ExecFault, LimitFault
from ..vm.domainops import make
from ..intmath import I32_MAX, I32_MIN, sat_i32, sat_i32_arr, tdiv, tdiv_arr, wrap_i32
from ..isa.spec import ExtensionTable, Layer
from ..plasticity.babble import apply_babble, decay_babble_scale
from ..kernels.pressure import accumulate_mastery, add_pressure, apply_pressure_update, commit_pressure
from ..vm.state import NREGS, ColdBuffer, HotBuffer, Machine
from ._regs import hot_reg

L = Layer.LEARNING


class ChlPhase(Enum):
    IDLE = "idle"
    FREE = "free"
    CLAMPED = "clamped"


@dataclass
class LearningState:
    """What the extension remembers between instructions, per machine."""

    phase: ChlPhase = ChlPhase.IDLE
    free_corr: list[Optional[np.ndarray]] = field(default_factory=lambda: [None] * NREGS)
    clamp_corr: list[Optional[np.ndarray]] = field(default_factory=lambda: [None] * NREGS)
    checkpoints: list[Optional[ColdBuffer]] = field(default_factory=lambda: [None] * NREGS)


TABLE = ExtensionTable(0x0004, "learning", doc="Mastery learning, babble, eligibility traces, CHL, error signals "
                       "and weight checkpoints (dopamine-gated).", state_factory=LearningState)


def _state(m: Machine) -> LearningState:
    st = m.ext_state.get(0x0004)
    if st is None:
        st = m.ext_state[0x0004] = LearningState()
    return st


def _hot(m: Machine, idx: int) -> np.ndarray:
    return hot_reg(m, idx).data


def _first(m: Machine, idx: int) -> int:
    data = _hot(m, idx)
    return int(data[0]) if len(data) else 0


# ---- mastery, babble, target ------------------------------------------------------------------

@TABLE.op(0x0000, "mastery_update", "reg@A reg@B reg@C scale@D=0", L,
          "Accumulate pressure for cold A from activity B and direction sign(C[0]) (C read as C & 0x0F); "
          "scale D (0 → 15) × dopamine scale.", flags="mastery")
def mastery_update(m: Machine, a: int, b: int, c: int, d: int) -> None:
    accumulate_mastery(m, a & 0x3F, b & 0x3F, c & 0x0F, d, 4)


@TABLE.op(0x0001, "mastery_commit", "reg@A imm8@B=0 imm8@C=0 threshold@D=0", L,
          "Commit pressure past threshold D (0 → 50) × temperature to cold A, step 5; does not set dirty.", flags="writes_weights mastery")
def mastery_commit(m: Machine, a: int, b: int, c: int, d: int) -> None:
    commit_pressure(m, a & 0x3F, d, 5)


@TABLE.op(0x0002, "add_babble", "reg@A layer@B=0", L, "Add exploration noise (babble_scale) to hot A.")
def add_babble(m: Machine, a: int, b: int, c: int, d: int) -> None:
    apply_babble(m, a & 0x3F)


@TABLE.op(0x0003, "load_target", "reg@A", L, "Hot A = the target buffer, shape [len].")
def load_target(m: Machine, a: int, b: int, c: int, d: int) -> None:
    m.hot[a & 0x3F] = HotBuffer(m.target.copy(), (len(m.target),))


@TABLE.op(0x0004, "mark_eligibility", "reg@A reg@B", L,
          "Pressure of cold A += activity B where it is above its mean (an eligibility trace).")
def mark_eligibility(m: Machine, a: int, b: int, c: int, d: int) -> None:
    act = _hot(m, b & 0x3F).astype(np.int64)
    mean = tdiv(int(act.sum()), len(act)) if len(act) else 0
    add_pressure(m, a & 0x3F, np.where(act > mean, act, 0))


@TABLE.op(0x000B, "decay_eligibility", "reg@A", L, "Pressure of cold A ×= 230/256 (eligibility trace decay).")
def decay_eligibility(m: Machine, a: int, b: int, c: int, d: int) -> None:
    idx = a & 0x3F
    p = m.pressure[idx]
    if p is not None:
        m.pressure[idx] = tdiv_arr(p.astype(np.int64) * 230, 256).astype(np.int32)


@TABLE.op(0x000D, "update_weights", "reg@A", L,
          "Step cold A where |pressure·clamp(error,1,1000)·dopamine/65536| > 30, then zero its pressure.", flags="writes_weights")
def update_weights(m: Machine, a: int, b: int, c: int, d: int) -> None:
    apply_pressure_update(m, a & 0x3F)


@TABLE.op(0x000E, "decay_babble", "", L, "babble_scale ×= 245/256.")
def decay_babble(m: Machine, a: int, b: int, c: int, d: int) -> None:
    decay_babble_scale(m)


# ---- contrastive Hebbian learning -------------------------------------------------------------

@TABLE.op(0x0005, "chl_free_start", "", L, "CHL: enter the free phase and clear its correlations.")
def chl_free_start(m: Machine, a: int, b: int, c: int, d: int) -> None:
    st = _state(m)
    st.phase = ChlPhase.FREE
    st.free_corr = [None] * NREGS


@TABLE.op(0x0007, "chl_clamp_start", "", L, "CHL: enter the clamped phase and clear its correlations.")
def chl_clamp_start(m: Machine, a: int, b: int, c: int, d: int) -> None:
    st = _state(m)
    st.phase = ChlPhase.CLAMPED
    st.clamp_corr = [None] * NREGS


#: correlation values one CHL phase may hold over all its tables (like a register's limit): the
#: reference allocates an outer product of any two registers and aborts when memory runs out
MAX_CHL_CELLS = 1 << 22


def _record(m: Machine, a: int, b: int, table: list[Optional[np.ndarray]]) -> None:
    vis_idx, hid_idx = a & 0x3F, b & 0x3F
    vis = _hot(m, vis_idx).astype(np.int64)
    hid = _hot(m, hid_idx).astype(np.int64)
    cells = len(vis) * len(hid) + sum(len(t) for i, t in enumerate(table) if t is not None and i != vis_idx)
    if cells > MAX_CHL_CELLS:
        raise LimitFault(f"CHL: memory limit: a {len(vis)}x{len(hid)} correlation would bring this phase's "
                         f"correlations to {cells:,} values (limit {MAX_CHL_CELLS:,})")
    outer = np.multiply.outer(vis, hid).ravel()     # |v·h| < 2^62: exact in i64
    entry = table[vis_idx]
    if entry is None or len(entry) != len(outer):
        entry = np.zeros(len(outer), np.int64)
    table[vis_idx] = entry + outer                  # i64 sums wrap, as a release build does


@TABLE.op(0x0006, "chl_free_record", "reg@A reg@B", L,
          "CHL: free correlations[A] += outer(visible A, hidden B) (free phase only).", flags="cost=n(A)*n(B)")
def chl_free_record(m: Machine, a: int, b: int, c: int, d: int) -> None:
    st = _state(m)
    if st.phase is not ChlPhase.FREE:
        raise ExecFault("CHL_FREE_RECORD called outside free phase")
    _record(m, a, b, st.free_corr)


@TABLE.op(0x0008, "chl_clamp_record", "reg@A reg@B", L,
          "CHL: clamped correlations[A] += outer(visible A, hidden B) (clamped phase only).",
          flags="cost=n(A)*n(B)")
def chl_clamp_record(m: Machine, a: int, b: int, c: int, d: int) -> None:
    st = _state(m)
    if st.phase is not ChlPhase.CLAMPED:
        raise ExecFault("CHL_CLAMP_RECORD called outside clamped phase")
    _record(m, a, b, st.clamp_corr)


@TABLE.op(0x0009, "chl_update", "reg@A", L,
          "CHL: pressure of cold A += (clamped − free correlations[A]) >> 8; back to idle (dopamine-gated).")
def chl_update(m: Machine, a: int, b: int, c: int, d: int) -> None:
    idx = a & 0x3F
    if not m.chem.learning_enabled():
        return
    st = _state(m)
    free, clamp = st.free_corr[idx], st.clamp_corr[idx]
    if free is None or clamp is None:
        return
    if len(free) != len(clamp):
        raise ExecFault("CHL correlation dimension mismatch")
    delta = np.minimum(np.maximum((clamp - free) >> 8, I32_MIN), I32_MAX)   # i64 difference wraps
    add_pressure(m, idx, delta)
    st.phase = ChlPhase.IDLE


@TABLE.op(0x000A, "chl_backprop_clamp", "reg@A reg@B", L,
          "CHL: hot A = transpose(cold A) · hot B, shape [in] (weights taken from C[A's index]).")
def chl_backprop_clamp(m: Machine, a: int, b: int, c: int, d: int) -> None:
    t_idx, s_idx = a & 0x3F, b & 0x3F
    src = _hot(m, s_idx).astype(np.int64)
    cold = m.cold[t_idx]
    if cold is None:
        raise ExecFault(f"C{t_idx} not allocated")
    if len(cold.shape) < 2:
        raise ExecFault("Weights must be 2D for backprop")
    out_dim, in_dim = int(cold.shape[0]), int(cold.shape[1])
    rows = min(out_dim, len(src))
    w = np.zeros(rows * in_dim, np.int64)
    k = min(len(w), len(cold))
    w[:k] = cold.values()[:k]
    result = src[:rows] @ w.reshape(rows, in_dim) if rows else np.zeros(in_dim, np.int64)
    m.hot[t_idx] = HotBuffer(sat_i32_arr(result), (in_dim,))


# ---- error signals ----------------------------------------------------------------------------

@TABLE.op(0x000C, "compute_error", "reg@A reg@B", L,
          "current_error = Σ|target A − output B| (over the shorter), clamped to [0, i32::MAX]. No yield.")
def compute_error(m: Machine, a: int, b: int, c: int, d: int) -> None:
    t = _hot(m, a & 0x3F)
    o = _hot(m, b & 0x3F)
    k = min(len(t), len(o))
    err = int(np.abs(t[:k].astype(np.int64) - o[:k].astype(np.int64)).sum())
    m.current_error = min(max(err, 0), I32_MAX)


@TABLE.op(0x000F, "compute_rpe", "reg@A reg@B", L,
          "current_error = actual B[0] − predicted A[0] (reward prediction error, signed).")
def compute_rpe(m: Machine, a: int, b: int, c: int, d: int) -> None:
    predicted = _first(m, a & 0x3F)
    actual = _first(m, b & 0x3F)
    m.current_error = sat_i32(actual - predicted)


@TABLE.op(0x0010, "gate_error", "reg@A threshold@B=0", L,
          "Hot A = [|current_error|] if it is at least B·256, else [0].")
def gate_error(m: Machine, a: int, b: int, c: int, d: int) -> None:
    err = wrap_i32(abs(int(m.current_error)))       # i32::abs(i32::MIN) stays negative (release)
    gated = err if err >= b * 256 else 0
    m.hot[a & 0x3F] = HotBuffer(np.array([gated], np.int32), (1,))


# ---- checkpoints and consolidation ------------------------------------------------------------

@TABLE.op(0x0011, "checkpoint_weights", "reg@A", L,
          "Keep an in-memory copy of cold A and yield CheckpointSave for the host to persist.", yields="CheckpointSave")
def checkpoint_weights(m: Machine, a: int, b: int, c: int, d: int) -> Any:
    idx = a & 0x3F
    cold = m.cold[idx]
    if cold is None:
        raise ExecFault(f"C{idx} not allocated")
    _state(m).checkpoints[idx] = cold.copy()
    return make("CheckpointSave", register=a)


@TABLE.op(0x0012, "rollback_weights", "reg@A", L,
          "Restore cold A from its in-memory copy (consumed); without one, yield CheckpointRestore.", yields="CheckpointRestore", flags="writes_weights")
def rollback_weights(m: Machine, a: int, b: int, c: int, d: int) -> Any:
    idx = a & 0x3F
    st = _state(m)
    saved = st.checkpoints[idx]
    if saved is None:
        return make("CheckpointRestore", register=a)
    st.checkpoints[idx] = None
    saved.touch()
    m.cold[idx] = saved
    return None


@TABLE.op(0x0013, "consolidate", "", L, "Yield Consolidate: the host persists learned weights.", yields="Consolidate")
def consolidate(m: Machine, a: int, b: int, c: int, d: int) -> Any:
    return make("Consolidate")


@TABLE.op(0x0014, "discard_checkpoint", "reg@A", L,
          "Yield CheckpointDiscard for cold A (the in-memory copy is kept).", yields="CheckpointDiscard")
def discard_checkpoint(m: Machine, a: int, b: int, c: int, d: int) -> Any:
    return make("CheckpointDiscard", register=a)
