"""The temperature lifecycle of weights: HOT → WARM → COOL → COLD.

A weight starts HOT (plastic, fully conductive). Weights that keep being used in forward passes
*prove themselves* and are promoted one step at a time; weights that stop being used are demoted
back toward HOT so learning can reshape them. COLD is core identity: it never learns, and the
lifecycle never thaws it — reaching COLD (automatically, or through the explicit
:func:`consolidate`) is one-way.

The per-temperature numbers are the reference's ``SignalTemperature`` (vm/interpreter/mod.rs):

=========== ===== ===== ===== ===========
            HOT   WARM  COOL  COLD
=========== ===== ===== ===== ===========
conductance 255   200   100   30
activation  0     15    60    120
threshold×  1     2     4     never
=========== ===== ===== ===== ===========

The gating rules here (:func:`learning_thresholds`, :func:`can_learn`) are the ones the VM's
mastery commit uses, so the library, the core ISA and the learning extension agree by
construction. The reference keeps usage counters (u32, saturating) but never feeds them; here the
forward pass (or the host) feeds them through :func:`record_usage` / :func:`record_forward_usage`
and :func:`review` turns them into promotions and demotions.

Everything works on whole arrays: no per-weight Python loop.
"""
from __future__ import annotations

import operator
from dataclasses import dataclass
from typing import Optional, Sequence, Union

import numpy as np

from ..errors import IntegerRangeError, UsageError
from ..intmath import I32_MAX, int_array, tdiv_arr
from ..kernels import matmul as mm
from ..vm.state import ACTIVATION_THRESHOLD, COLD, CONDUCTANCE, COOL, HOT, THRESHOLD_MULTIPLIER, WARM, ColdBuffer, Machine

__all__ = [
    "HOT", "WARM", "COOL", "COLD", "NAMES", "normalize", "promote", "demote", "threshold_multipliers",
    "learning_thresholds", "can_learn", "conductances", "can_conduct", "enable_usage_tracking",
    "disable_usage_tracking", "record_usage", "record_forward_usage", "decay_usage", "reset_usage",
    "frequently_used", "rarely_used", "LifecyclePolicy", "ReviewReport", "review", "consolidate",
    "temperature_histogram", "track_machine", "review_machine",
]

NAMES = ("HOT", "WARM", "COOL", "COLD")
U32_MAX = 0xFFFFFFFF

_MULT = np.array(THRESHOLD_MULTIPLIER, np.int64)
_COND = np.array(CONDUCTANCE, np.int64)
_ACT = np.array(ACTIVATION_THRESHOLD, np.int64)

Mask = Union[np.ndarray, Sequence[int], Sequence[bool]]


# ---- per-temperature rules --------------------------------------------------------------------

def normalize(temps: np.ndarray) -> np.ndarray:
    """Temperatures as int64 0..3: any value ≥ 3 is COLD (the reference's ``from_u8``)."""
    t = np.asarray(temps)
    if t.dtype != np.uint8:          # anything but the stored dtype is user input: check it
        t = int_array(t, "temperatures", 0, 255)
    return np.minimum(t.astype(np.int64, copy=False), COLD)


def promote(temps: np.ndarray) -> np.ndarray:
    """One step colder (COLD stays COLD)."""
    return np.minimum(normalize(temps) + 1, COLD).astype(np.uint8)


def demote(temps: np.ndarray) -> np.ndarray:
    """One step hotter (HOT stays HOT)."""
    return np.maximum(normalize(temps) - 1, HOT).astype(np.uint8)


def _temps_of(buf: ColdBuffer, n: Optional[int] = None) -> np.ndarray:
    """Per-weight temperatures of ``buf`` for the first ``n`` weights (default all), int64.

    A missing array, or an index past its end, reads as HOT — as ``ColdBuffer::temperature``.
    """
    n = len(buf) if n is None else n
    out = np.zeros(n, np.int64)
    if buf.temps is not None:
        k = min(n, len(buf.temps))
        out[:k] = normalize(buf.temps[:k])
    return out


def threshold_multipliers(temps: np.ndarray) -> np.ndarray:
    """Learning-threshold multiplier per weight: 1 / 2 / 4 / i32::MAX (COLD)."""
    return _MULT[normalize(temps)]


def learning_thresholds(base: int, temps: np.ndarray) -> np.ndarray:
    """Pressure a weight needs before it changes: ``base·mult/2`` (HOT ½×, WARM 1×, COOL 2×)
    and i32::MAX for COLD, which therefore never learns. Integer-exact with the reference's
    mastery commit (``base`` is at most a byte there, so ``base·mult`` cannot overflow)."""
    base = operator.index(base)
    if not -I32_MAX <= base <= I32_MAX:
        raise IntegerRangeError(f"learning_thresholds: base {base} is not an i32")
    t = normalize(temps)
    eff = tdiv_arr(base * _MULT[np.minimum(t, COOL)], 2)      # Rust `/` truncates
    return np.where(t >= COLD, I32_MAX, eff)


def can_learn(temps: np.ndarray) -> np.ndarray:
    """True where a weight may still change (every temperature but COLD)."""
    return normalize(temps) < COLD


def conductances(temps: np.ndarray) -> np.ndarray:
    """Conductance (of 255) per weight."""
    return _COND[normalize(temps)]


def can_conduct(temps: np.ndarray, intensity: np.ndarray) -> np.ndarray:
    """True where an input of this intensity (0..255) passes the weight's activation barrier."""
    return np.asarray(intensity, dtype=np.int64) >= _ACT[normalize(temps)]


def temperature_histogram(buf: ColdBuffer) -> dict[str, int]:
    """How many weights sit at each temperature."""
    counts = np.bincount(_temps_of(buf), minlength=4)
    return {name: int(c) for name, c in zip(NAMES, counts)}


# ---- usage tracking -----------------------------------------------------------------------------

def enable_usage_tracking(buf: ColdBuffer) -> None:
    """Start counting usage (u32 per weight, as the reference). Idempotent."""
    if buf.usage is None or len(buf.usage) != len(buf):
        buf.usage = np.zeros(len(buf), np.uint32)


def disable_usage_tracking(buf: ColdBuffer) -> None:
    buf.usage = None


def _as_mask(n: int, active: Mask) -> np.ndarray:
    a = np.asarray(active)
    if a.dtype == np.bool_:
        if a.shape != (n,):
            raise UsageError(f"usage mask has {a.size} entries for {n} weights")
        return a
    # indices: out-of-range ones are ignored, as the reference's record_usage does
    idx = int_array(a, "weight indices")
    mask = np.zeros(n, bool)
    mask[idx[(idx >= 0) & (idx < n)]] = True
    return mask


def _usage_counts(buf: ColdBuffer) -> np.ndarray:
    """The usage array, resized first when the buffer grew or shrank (what still lines up is kept)."""
    if len(buf.usage) != len(buf):
        grown = np.zeros(len(buf), np.uint32)
        k = min(len(buf), len(buf.usage))
        grown[:k] = buf.usage[:k]
        buf.usage = grown
    return buf.usage


def _count_uses(u: np.ndarray, mask: np.ndarray) -> int:
    """One more use where ``mask`` (bool, len(u)) is set, saturating at u32; returns mask's count."""
    np.add(u, mask & (u != U32_MAX), out=u, casting="unsafe")
    return int(np.count_nonzero(mask))


def record_usage(buf: ColdBuffer, active: Mask) -> int:
    """Count one use for every active weight (a bool mask or an index list); saturates at u32.

    Does nothing (returns 0) while tracking is off, like the reference. Returns how many weights
    were counted.
    """
    if buf.usage is None:
        return 0
    u = _usage_counts(buf)
    return _count_uses(u, _as_mask(len(buf), active))


def _blocking_levels(buf: ColdBuffer, out_dim: int, in_dim: int) -> np.ndarray:
    """(out, in) uint8, cached with the weights: a weight's temperature 0..3, or 4 where the
    weight is zero or missing. A weight is used by an input of level ``L`` (1..4, see
    :data:`ternsig.kernels.matmul.LEVEL`) iff this value is below ``L``."""
    def build() -> np.ndarray:
        t = mm.temperature_matrix(buf, out_dim, in_dim).copy()
        k = min(out_dim * in_dim, len(buf))
        live = np.zeros(out_dim * in_dim, bool)
        live[:k] = (buf.pol[:k] != 0) & (buf.mag[:k] != 0)
        t[~live.reshape(out_dim, in_dim)] = 4
        return t
    return mm.cached(buf, "usage_levels", out_dim, in_dim, build)


def record_forward_usage(buf: ColdBuffer, x: np.ndarray, *, wrap_intensity: bool = False) -> int:
    """Feed usage from one matmul ``y = W·x`` with ``W`` shaped [out, in].

    A weight is *used* when it is non-zero, its input is non-zero and the input passes the
    weight's activation barrier. Intensity is ``min(|x|, 255)`` (the core matmul) or, with
    ``wrap_intensity``, ``|x| mod 256`` (the ternary extension's matmul). Call it right after the
    forward op; it is a no-op while tracking is off.

    The forward pass calls this on every matmul, so it is two byte-wide passes over the matrix: a
    cached (out, in) table of each weight's barrier (4 for zero weights) against the inputs'
    levels (0 for a zero or missing input).
    """
    if buf.usage is None:
        return 0
    if len(buf.shape) != 2:
        raise UsageError(f"record_forward_usage needs 2-D weights, got shape {list(buf.shape)}")
    out_dim, in_dim = (int(d) for d in buf.shape)
    xv = int_array(x, "record_forward_usage: inputs")[:in_dim]
    mag = np.abs(xv)
    intensity = (mag & 0xFF) if wrap_intensity else np.minimum(mag, 255)
    level = np.zeros(in_dim, np.uint8)
    level[:len(xv)] = np.where(xv != 0, mm.LEVEL[intensity], 0)
    used = (_blocking_levels(buf, out_dim, in_dim) < level).ravel()
    u = _usage_counts(buf)
    if len(used) != len(u):
        mask = np.zeros(len(u), bool)
        k = min(len(u), len(used))
        mask[:k] = used[:k]
        used = mask
    return _count_uses(u, used)


def decay_usage(buf: ColdBuffer, factor: int) -> None:
    """counts = counts·factor/255 (255 keeps everything, 128 keeps about half)."""
    if buf.usage is None:
        return
    if not 0 <= factor <= 255:
        raise UsageError(f"usage decay factor {factor} is not a u8")
    buf.usage = (buf.usage.astype(np.uint64) * np.uint64(factor) // np.uint64(255)).astype(np.uint32)


def reset_usage(buf: ColdBuffer) -> None:
    if buf.usage is not None:
        buf.usage[:] = 0


def frequently_used(buf: ColdBuffer, threshold: int) -> np.ndarray:
    """Indices of weights used at least ``threshold`` times (empty while tracking is off)."""
    if buf.usage is None:
        return np.zeros(0, np.int64)
    return np.flatnonzero(buf.usage >= threshold)


def rarely_used(buf: ColdBuffer, threshold: int) -> np.ndarray:
    """Indices of weights used fewer than ``threshold`` times (empty while tracking is off)."""
    if buf.usage is None:
        return np.zeros(0, np.int64)
    return np.flatnonzero(buf.usage < threshold)


# ---- the lifecycle ------------------------------------------------------------------------------

@dataclass(frozen=True)
class LifecyclePolicy:
    """When weights move between temperatures at a :func:`review`.

    ``promote_at[t]`` is the usage count a weight at temperature ``t`` (HOT, WARM, COOL) needs to
    be promoted one step; ``None`` disables that automatic step (by default COOL → COLD is left
    to the explicit :func:`consolidate`, because COLD is final). A WARM or COOL weight used fewer
    than ``demote_below`` times since its last move is demoted one step. After a review, moved
    weights start counting from zero (they must prove themselves again at the new level) and all
    other counts decay by ``usage_decay``/255.
    """

    promote_at: tuple[Optional[int], Optional[int], Optional[int]] = (16, 64, None)
    demote_below: int = 1
    usage_decay: int = 192

    def __post_init__(self) -> None:
        if len(self.promote_at) != 3:
            raise UsageError("promote_at needs one entry for each of HOT, WARM and COOL")
        if any(p is not None and p < 1 for p in self.promote_at):
            raise UsageError("promotion thresholds must be at least 1 use")
        if self.demote_below < 0:
            raise UsageError("demote_below must not be negative")
        if not 0 <= self.usage_decay <= 255:
            raise UsageError("usage_decay is a u8 factor (255 keeps all)")


@dataclass(frozen=True)
class ReviewReport:
    promoted: int
    demoted: int

    @property
    def changed(self) -> int:
        return self.promoted + self.demoted


def review(buf: ColdBuffer, policy: LifecyclePolicy = LifecyclePolicy()) -> ReviewReport:
    """Promote proven weights and demote unused ones, from the usage counted since the last
    review. COLD weights are never touched. Needs usage tracking (:func:`enable_usage_tracking`);
    without it nothing moves."""
    if buf.usage is None or len(buf) == 0:
        return ReviewReport(0, 0)
    n = len(buf)
    usage = np.zeros(n, np.int64)
    k = min(n, len(buf.usage))
    usage[:k] = buf.usage[:k]
    t = _temps_of(buf)
    need = np.array([U32_MAX + 1 if p is None else p for p in policy.promote_at] + [U32_MAX + 1], np.int64)
    up = (t < COLD) & (usage >= need[t])
    down = (t > HOT) & (t < COLD) & (usage < policy.demote_below) & ~up
    n_up, n_down = int(up.sum()), int(down.sum())
    if n_up or n_down:
        t = t + up - down
        buf.temps = t.astype(np.uint8)
        buf.touch()      # temperatures gate the matmul: cached gated weights are stale now
    counts = usage * policy.usage_decay // 255
    counts[up | down] = 0
    buf.usage = counts.astype(np.uint32)
    return ReviewReport(n_up, n_down)


def consolidate(buf: ColdBuffer, where: Optional[Mask] = None, *, min_temperature: int = HOT) -> int:
    """Explicit, one-way consolidation: freeze the selected weights COLD.

    ``where`` selects weights (bool mask or indices; default all) and ``min_temperature`` keeps
    only those already at least that cold (e.g. ``COOL`` consolidates what the lifecycle has
    already proven). Nothing in this module ever warms a COLD weight again. Returns how many
    weights became COLD.
    """
    n = len(buf)
    sel = np.ones(n, bool) if where is None else _as_mask(n, where)
    t = _temps_of(buf)
    sel &= (t >= min_temperature) & (t < COLD)
    changed = int(sel.sum())
    if changed:
        t[sel] = COLD
        buf.temps = t.astype(np.uint8)
        if buf.usage is not None and len(buf.usage) == n:
            buf.usage[sel] = 0
        buf.touch()
    return changed


# ---- whole machines (for hosts) -----------------------------------------------------------------

def track_machine(m: Machine) -> int:
    """Enable usage tracking on every allocated cold register; returns how many there are."""
    n = 0
    for buf in m.cold:
        if buf is not None:
            enable_usage_tracking(buf)
            n += 1
    return n


def review_machine(m: Machine, policy: LifecyclePolicy = LifecyclePolicy()) -> dict[int, ReviewReport]:
    """:func:`review` every tracked cold register; returns the reports that moved something,
    keyed by cold register index (a host's periodic "sleep" pass)."""
    out: dict[int, ReviewReport] = {}
    for i, buf in enumerate(m.cold):
        if buf is not None and buf.usage is not None:
            rep = review(buf, policy)
            if rep.changed:
                out[i] = rep
    return out
