"""Mastery learning as a library: pure-integer refinement of signal weights.

The paradigm (the reference's ``src/learning.rs``): learning refines existing structure rather
than building it from nothing.

1. *Structure before learning* — start from ±1 polarity at moderate magnitude
   (:func:`init_random_structure`), not zeros.
2. *Peak-relative gating* — only units above ``max/divisor`` participate.
3. *Sustained pressure* — pressure must build past a threshold before anything changes.
4. *Weaken before flip* — a weight's magnitude is spent before its polarity turns.
5. *Integers throughout.*

Weights are two parallel NumPy arrays (``polarity`` int8, ``magnitude`` uint8) updated in place.
Results are integer-exact with the reference wherever its i32 arithmetic does not overflow;
where it would (a panic in a debug build, a wrapped value in release) this module raises
:class:`~ternsig.errors.IntegerRangeError` (an ``OverflowError``), and where it asserts or would
divide by zero it raises :class:`~ternsig.errors.UsageError` (a ``ValueError``); see
docs/deviations.md.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import IntegerRangeError, UsageError
from ..intmath import I32_MAX, I32_MIN, U64_MASK, int_array, tdiv, tdiv_arr
from ..vm.state import IntsLike

__all__ = ["MasteryConfig", "MasteryState", "mastery_update", "init_random_structure", "init_positive_bias",
           "compute_participation_mask", "count_active", "sparsity"]


@dataclass(frozen=True)
class MasteryConfig:
    """All-integer knobs of :func:`mastery_update`."""

    magnitude_step: int = 3          # u8: magnitude change per update
    pressure_threshold: int = 10     # |pressure| needed before a weight changes
    participation_divisor: int = 4   # units above max/divisor participate (4 → top quarter)
    pressure_scale: int = 15         # pressure gained per unit of activity strength
    pressure_decay_num: int = 2      # pressure kept after strengthening: num/den
    pressure_decay_den: int = 3

    def __post_init__(self) -> None:
        if not isinstance(self.magnitude_step, (int, np.integer)) or not 0 <= self.magnitude_step <= 255:
            raise UsageError(f"magnitude_step {self.magnitude_step!r} is not a u8")
        for name in ("pressure_threshold", "participation_divisor", "pressure_scale",
                     "pressure_decay_num", "pressure_decay_den"):
            v = getattr(self, name)
            if not isinstance(v, (int, np.integer)) or not I32_MIN <= v <= I32_MAX:
                raise UsageError(f"{name} {v!r} is not an i32")
        # the reference divides by these on every update (a panic there); refuse the config now
        for name in ("participation_divisor", "pressure_decay_den"):
            if getattr(self, name) == 0:
                raise UsageError(f"{name} must not be 0 (mastery_update divides by it)")

    @classmethod
    def default(cls) -> "MasteryConfig":
        return cls()

    @classmethod
    def fast(cls) -> "MasteryConfig":
        """Quick adaptation: bigger steps, lower threshold, top third participates."""
        return cls(5, 5, 3, 20, 1, 2)

    @classmethod
    def stable(cls) -> "MasteryConfig":
        """Slow and steady: small steps, high threshold, pressure mostly kept."""
        return cls(2, 15, 4, 10, 3, 4)


@dataclass
class MasteryState:
    """Pressure accumulators (i32 per weight) and statistics."""

    pressure: np.ndarray
    magnitude_updates: int = 0
    polarity_flips: int = 0
    samples_learned: int = 0

    @classmethod
    def new(cls, n_weights: int) -> "MasteryState":
        if n_weights < 0:
            raise UsageError(f"MasteryState.new: {n_weights} weights")
        return cls(np.zeros(n_weights, np.int32))

    def reset_pressure(self) -> None:
        self.pressure[:] = 0

    def reset_stats(self) -> None:
        self.magnitude_updates = self.polarity_flips = self.samples_learned = 0


def _i32(values: np.ndarray, what: str) -> np.ndarray:
    """Check that an exact int64 result fits the i32 the reference computes it in."""
    if values.size and (int(values.min()) < I32_MIN or int(values.max()) > I32_MAX):
        raise IntegerRangeError(f"mastery_update: {what} overflows i32 (the reference would panic or wrap)")
    return values


def mastery_update(polarity: np.ndarray, magnitude: np.ndarray, state: MasteryState, activations: IntsLike,
                   direction: int, config: MasteryConfig = MasteryConfig()) -> int:
    """One mastery step over all weights; returns how many weights changed.

    Phase 1 accumulates pressure where activation > max/divisor:
    ``pressure += direction·((a − thr)·255/max)·scale/255``. Phase 2, wherever
    ``|pressure| ≥ threshold``: an aligned weight strengthens by ``step`` and keeps
    ``num/den`` of its pressure; a silent weight takes the needed polarity at ``2·step`` (pressure
    0); an opposed weight first weakens by ``step`` (pressure kept) and flips to ``step`` only
    once its magnitude is spent (pressure 0).
    """
    if not (isinstance(polarity, np.ndarray) and polarity.dtype == np.int8
            and isinstance(magnitude, np.ndarray) and magnitude.dtype == np.uint8):
        raise UsageError("mastery_update: polarity must be an int8 and magnitude a uint8 ndarray "
                         "(they are updated in place)")
    acts = int_array(activations, "mastery_update: activations", I32_MIN, I32_MAX)
    n = len(polarity)
    if len(magnitude) != n or len(acts) != n or len(state.pressure) != n:
        raise UsageError(f"mastery_update: lengths differ (weights {n}, magnitudes {len(magnitude)}, "
                         f"activations {len(acts)}, pressure {len(state.pressure)})")
    dirs = int_array(direction, "mastery_update: direction", I32_MIN, I32_MAX)
    if dirs.size != 1:
        raise UsageError("mastery_update: direction must be one integer")
    direction = int(dirs[0])
    step = config.magnitude_step

    # phase 1: pressure from participating units (each product is an i32 in the reference)
    peak = max(int(acts.max()) if n else 1, 1)
    thr = tdiv(peak, config.participation_divisor)
    live = acts > thr
    pressure = state.pressure.astype(np.int64)
    if live.any():
        diff = _i32(acts[live] - thr, "activation − threshold")
        strength = tdiv_arr(_i32(diff * 255, "activity strength"), peak)
        scaled = _i32(_i32(direction * strength, "direction × strength") * config.pressure_scale, "pressure delta")
        pressure[live] = _i32(pressure[live] + tdiv_arr(scaled, 255), "pressure")

    # phase 2: structural updates where pressure is sustained
    if (pressure == I32_MIN).any():
        raise IntegerRangeError("mastery_update: |pressure| of i32::MIN overflows (the reference would panic or wrap)")
    sel = np.abs(pressure) >= config.pressure_threshold
    updates = int(sel.sum())
    if updates:
        needed = np.where(pressure > 0, 1, -1)
        pol = polarity.astype(np.int64)
        mag = magnitude.astype(np.int64)
        aligned = sel & (pol == needed)
        silent = sel & (pol == 0)
        opposed = sel & ~aligned & ~silent
        weaken = opposed & (mag > step)
        flip = opposed & ~weaken
        if silent.any() and step * 2 > 255:
            raise IntegerRangeError("mastery_update: 2 × magnitude_step overflows u8")
        if aligned.any():
            kept = _i32(pressure[aligned] * config.pressure_decay_num, "pressure × decay")
            pressure[aligned] = tdiv_arr(kept, config.pressure_decay_den)
        pressure[silent | flip] = 0
        magnitude[:] = np.where(aligned, np.minimum(mag + step, 255),
                                np.where(weaken, mag - step,
                                         np.where(silent, step * 2, np.where(flip, step, mag)))).astype(np.uint8)
        polarity[:] = np.where(silent | flip, needed, pol).astype(np.int8)
        state.magnitude_updates += int(aligned.sum() + weaken.sum())
        state.polarity_flips += int(silent.sum() + flip.sum())
        state.samples_learned += 1
    state.pressure[:] = pressure.astype(np.int32)
    return updates


def init_random_structure(n_weights: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """±1 polarity (about half each) at magnitude 20..39, from ``h = ((31i + seed)·17) mod 2^64``."""
    i = np.arange(n_weights, dtype=np.uint64)
    with np.errstate(over="ignore"):
        h = (i * np.uint64(31) + np.uint64(int(seed) & U64_MASK)) * np.uint64(17)
    polarity = np.where(h % np.uint64(2) == 0, 1, -1).astype(np.int8)
    magnitude = ((h >> np.uint64(3)) % np.uint64(20) + np.uint64(20)).astype(np.uint8)
    return polarity, magnitude


def init_positive_bias(n_bias: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """+1 polarity (helps ReLU units survive) at magnitude 10..24, from ``h = 41i + seed``."""
    i = np.arange(n_bias, dtype=np.uint64)
    with np.errstate(over="ignore"):
        h = i * np.uint64(41) + np.uint64(int(seed) & U64_MASK)
    magnitude = ((h >> np.uint64(2)) % np.uint64(15) + np.uint64(10)).astype(np.uint8)
    return np.ones(n_bias, np.int8), magnitude


def compute_participation_mask(activations: IntsLike, divisor: int) -> np.ndarray:
    """True where activation > max/divisor (peak-relative gating; max floored at 1)."""
    acts = int_array(activations, "compute_participation_mask: activations")
    if divisor == 0:
        raise UsageError("compute_participation_mask: divisor is 0")
    peak = max(int(acts.max()) if len(acts) else 1, 1)
    return acts > tdiv(peak, divisor)


def count_active(polarity: np.ndarray) -> int:
    """Weights with non-zero polarity."""
    return int(np.count_nonzero(polarity))


def sparsity(polarity: np.ndarray) -> float:
    """Fraction of zero-polarity weights, computed in f32 as the reference (NaN when empty)."""
    n = np.float32(len(polarity))
    with np.errstate(invalid="ignore", divide="ignore"):
        return float(np.float32(1.0) - np.float32(count_active(polarity)) / n)
