"""The knobs of a thermogram: thermal config, plasticity rule, consolidation policy.

Presets carry the crate's numbers (``ThermalConfig::default/fast_learner/organic``, ternsig's
``TensorThermogram`` overrides, ``PlasticityRule::stdp_like/...``, ``ConsolidationPolicy::...``).
``PlasticityRule.apply_update`` is the crate's f32 formula, step for step (see ``signals``).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum
from typing import Optional

from ..signal import Signal
from .signals import F32, _255, _ONE, _ZERO, f32_as_u8, mag_f32
from .timestamp import NANOS, Timestamp

USIZE_MAX = (1 << 64) - 1
I64_MAX = (1 << 63) - 1


class ThermalState(IntEnum):
    HOT = 0
    WARM = 1
    COOL = 2
    COLD = 3

    @property
    def label(self) -> str:
        return ("hot", "warm", "cool", "cold")[self]


def _p(*mags: int) -> list[Signal]:
    return [Signal(1, m) for m in mags]


@dataclass
class ThermalConfig:
    """Per-layer [hot, warm, cool, cold] rates and thresholds (``ThermalConfig``)."""

    decay_rates: list[Signal] = field(default_factory=lambda: _p(26, 3, 1, 1))
    promotion_thresholds: list[Signal] = field(default_factory=lambda: _p(153, 191, 230, 255))
    demotion_thresholds: list[Signal] = field(default_factory=lambda: _p(0, 77, 102, 128))
    min_observations: list[int] = field(default_factory=lambda: [3, 10, 50, USIZE_MAX])
    allow_demotion: list[bool] = field(default_factory=lambda: [False, True, True, True])
    prune_threshold: Signal = Signal(1, 13)
    crystallization_threshold: Signal = Signal(1, 191)
    allow_warming: bool = True
    warming_delta: Signal = Signal(1, 77)

    @classmethod
    def default(cls) -> "ThermalConfig":
        return cls()

    @classmethod
    def fast_learner(cls) -> "ThermalConfig":
        return cls(_p(13, 1, 1, 1), _p(128, 166, 217, 255), _p(0, 51, 77, 102), [2, 5, 20, USIZE_MAX],
                   [False, True, True, False], Signal(1, 8), Signal(1, 217), True, Signal(1, 51))

    @classmethod
    def organic(cls) -> "ThermalConfig":
        return cls(_p(26, 3, 1, 1), _p(179, 204, 242, 255), _p(0, 64, 89, 115), [5, 15, 100, USIZE_MAX],
                   [False, True, True, True], Signal(1, 13), Signal(1, 242), True, Signal(1, 77))

    @classmethod
    def tensor(cls) -> "ThermalConfig":
        """ternsig's ``TensorThermogram::new`` overrides on top of the default."""
        return cls(_p(26, 3, 1, 1), _p(128, 179, 217, 255), [Signal(0, 0)] + _p(51, 77, 102),
                   [5, 20, 100, USIZE_MAX], [False, True, True, False])


class UpdatePolicy(IntEnum):
    STDP = 0
    REPLACE = 1
    EMA = 2
    BAYESIAN = 3
    WTA = 4

    @property
    def label(self) -> str:
        return ("STDP", "Replace", "EMA", "Bayesian", "WTA")[self]


@dataclass
class PlasticityRule:
    policy: UpdatePolicy = UpdatePolicy.STDP
    novelty_threshold: Signal = Signal(1, 153)
    merge_threshold: Signal = Signal(1, 77)
    decay_rate: Signal = Signal(1, 3)
    prune_threshold: Signal = Signal(1, 26)
    learning_rate: Signal = Signal(1, 26)

    @classmethod
    def stdp_like(cls) -> "PlasticityRule":
        return cls()

    @classmethod
    def conservative(cls) -> "PlasticityRule":
        return cls(UpdatePolicy.EMA, Signal(1, 204), Signal(1, 102), Signal(1, 1), Signal(1, 13), Signal(1, 13))

    @classmethod
    def aggressive(cls) -> "PlasticityRule":
        return cls(UpdatePolicy.STDP, Signal(1, 102), Signal(1, 51), Signal(1, 5), Signal(1, 51), Signal(1, 51))

    @classmethod
    def replace_only(cls) -> "PlasticityRule":
        return cls(UpdatePolicy.REPLACE, Signal(1, 255), Signal(1, 0), Signal(1, 0), Signal(1, 0), Signal(1, 255))

    @classmethod
    def bayesian(cls) -> "PlasticityRule":
        return cls(UpdatePolicy.BAYESIAN, Signal(1, 179), Signal(1, 77), Signal(1, 3), Signal(1, 26), Signal(1, 26))

    def apply_update(self, current: Signal, new: Signal, dt_seconds: float) -> Signal:
        """New strength from the current one and an observation ``dt_seconds`` later (f32)."""
        cur, nw = mag_f32(current), mag_f32(new)
        decay, lr = mag_f32(self.decay_rate), mag_f32(self.learning_rate)
        if self.policy == UpdatePolicy.STDP:
            decayed = cur * (_ONE - decay * F32(dt_seconds) / F32(86400.0))
            r = decayed + lr * nw
            r = _ZERO if r < _ZERO else (_ONE if r > _ONE else r)   # f32::clamp (NaN stays NaN)
        elif self.policy == UpdatePolicy.REPLACE:
            r = nw
        elif self.policy == UpdatePolicy.EMA:
            r = lr * nw + (_ONE - lr) * cur
        elif self.policy == UpdatePolicy.BAYESIAN:
            tot = cur + nw
            r = (cur * cur + nw * nw) / tot if tot > _ZERO else _ZERO
        else:
            r = cur if cur >= nw else nw     # f32::max
        pol = new.polarity if nw >= cur else current.polarity
        return Signal(pol, f32_as_u8(F32(r) * _255))

    def should_prune(self, strength: Signal) -> bool:
        return strength.magnitude < self.prune_threshold.magnitude


class TriggerKind(IntEnum):
    DELTA_COUNT = 0
    TIME_PERIOD = 1
    DIRTY_SIZE = 2
    MANUAL = 3

    @property
    def label(self) -> str:
        return ("DeltaCount", "TimePeriod", "DirtySize", "Manual")[self]


@dataclass(frozen=True)
class ConsolidationTrigger:
    kind: TriggerKind
    arg: int = 0      # count (DeltaCount), hours (TimePeriod), bytes (DirtySize); unused for Manual

    @classmethod
    def delta_count(cls, n: int) -> "ConsolidationTrigger":
        return cls(TriggerKind.DELTA_COUNT, n)

    @classmethod
    def time_period(cls, hours: int) -> "ConsolidationTrigger":
        return cls(TriggerKind.TIME_PERIOD, hours)

    @classmethod
    def dirty_size(cls, nbytes: int) -> "ConsolidationTrigger":
        return cls(TriggerKind.DIRTY_SIZE, nbytes)

    @classmethod
    def manual(cls) -> "ConsolidationTrigger":
        return cls(TriggerKind.MANUAL)


def _period_ns(hours: int) -> Optional[int]:
    """``Duration::hours(hours as i64)`` in ns, or None where chrono panics (out of bounds).

    ``hours`` is a u64 cast to i64 (so values >= 2**63 wrap negative, as in the crate); a
    TimeDelta holds at most i64::MAX milliseconds.
    """
    h = hours - (1 << 64) if hours >= (1 << 63) else hours
    secs = h * 3600
    if not -(I64_MAX // 1000) <= secs <= I64_MAX // 1000:
        return None
    return secs * NANOS


@dataclass
class ConsolidationPolicy:
    triggers: list[ConsolidationTrigger] = field(default_factory=lambda: [
        ConsolidationTrigger.delta_count(1000), ConsolidationTrigger.time_period(24)])
    enable_pruning: bool = True
    enable_merging: bool = True

    @classmethod
    def default(cls) -> "ConsolidationPolicy":
        return cls()

    @classmethod
    def aggressive(cls) -> "ConsolidationPolicy":
        return cls([ConsolidationTrigger.delta_count(100), ConsolidationTrigger.time_period(1)])

    @classmethod
    def conservative(cls) -> "ConsolidationPolicy":
        return cls([ConsolidationTrigger.delta_count(10000), ConsolidationTrigger.time_period(168)], False, False)

    def should_consolidate(self, delta_count: int, last_consolidation: Timestamp, dirty_size: int,
                           now: Timestamp) -> bool:
        """First firing trigger wins. A TimePeriod too long for chrono (it would panic) never fires."""
        for t in self.triggers:
            if t.kind == TriggerKind.DELTA_COUNT and delta_count >= t.arg:
                return True
            if t.kind == TriggerKind.TIME_PERIOD:
                period = _period_ns(t.arg)
                if period is not None and now.duration_ns_since(last_consolidation) >= period:
                    return True
            if t.kind == TriggerKind.DIRTY_SIZE and dirty_size >= t.arg:
                return True
        return False

