"""The thermogram: four temperature layers of consolidated entries plus a dirty delta chain.

Lifecycle (the crate's, step for step):

* ``apply_delta`` appends to the hash chain and auto-consolidates when a trigger fires.
* ``consolidate`` replays the dirty deltas into the **hot** layer (plasticity rule on strength),
  prunes below the rule's prune threshold, clears the chain, then ``crystallize``s strong, well
  observed hot entries straight to cold.
* ``run_thermal_transitions`` promotes hot->warm->cool->cold, demotes back where allowed, prunes.
* ``apply_decay``, ``reinforce``, ``weaken``, ``warm`` adjust strengths.

Where the crate reads the wall clock (``Utc::now()``), this class calls ``self.clock()`` so tests
and replays are deterministic. Layers are insertion-ordered dicts: a loaded file keeps its entry
order, so re-encoding it gives the same bytes.
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Callable, Iterator, Optional

from ..signal import ZERO, Signal
from .chain import Delta, DeltaType, HashChain, ThermoError
from .rules import (ConsolidationPolicy, ConsolidationTrigger, PlasticityRule, ThermalConfig,
                    ThermalState, TriggerKind, UpdatePolicy)
from .signals import F32, _ONE, Signals, f32_as_u8, mag_f32, sig_add, sig_decayed, sig_scale
from .timestamp import Timestamp

__all__ = [
    "ConsolidatedEntry", "ConsolidationPolicy", "ConsolidationResult", "ConsolidationTrigger",
    "Delta", "DeltaType", "HashChain", "PlasticityRule", "ThermalConfig", "ThermalState",
    "Thermogram", "ThermogramMetadata", "ThermoError", "TriggerKind", "UpdatePolicy",
]

Clock = Callable[[], Timestamp]
STATES = tuple(ThermalState)


@dataclass
class ConsolidatedEntry:
    key: str
    value: Signals
    strength: Signal
    updated_at: Timestamp
    update_count: int


@dataclass
class ThermogramMetadata:
    created_at: Timestamp
    last_consolidation: Timestamp
    total_deltas: int = 0
    total_consolidations: int = 0
    custom: Optional[bytes] = None


@dataclass
class ConsolidationResult:
    deltas_processed: int
    entries_after: int
    entries_pruned: int
    entries_merged: int
    timestamp: Timestamp


@dataclass
class Thermogram:
    """A plastic memory capsule with hot/warm/cool/cold layers and a hash-chained audit trail."""

    id: str
    name: str
    plasticity_rule: PlasticityRule
    consolidation_policy: ConsolidationPolicy
    thermal_config: ThermalConfig
    metadata: ThermogramMetadata
    layers: list[dict[str, ConsolidatedEntry]] = field(default_factory=lambda: [{}, {}, {}, {}])
    dirty_chain: HashChain = field(default_factory=HashChain)
    clock: Clock = field(default=Timestamp.now, repr=False, compare=False)

    # ---- construction -------------------------------------------------------------------------
    @classmethod
    def new(cls, name: str, rule: Optional[PlasticityRule] = None, *,
            config: Optional[ThermalConfig] = None, policy: Optional[ConsolidationPolicy] = None,
            clock: Clock = Timestamp.now, id: Optional[str] = None) -> "Thermogram":
        now = clock()
        return cls(id if id is not None else str(uuid.uuid4()), name,
                   rule if rule is not None else PlasticityRule.stdp_like(),
                   policy if policy is not None else ConsolidationPolicy.default(),
                   config if config is not None else ThermalConfig.default(),
                   ThermogramMetadata(now, now), clock=clock)

    def layer(self, state: ThermalState) -> dict[str, ConsolidatedEntry]:
        return self.layers[int(state)]

    @property
    def hot(self) -> dict[str, ConsolidatedEntry]:
        return self.layers[0]

    @property
    def cold(self) -> dict[str, ConsolidatedEntry]:
        return self.layers[3]

    def total_entries(self) -> int:
        return sum(len(l) for l in self.layers)

    # ---- deltas -------------------------------------------------------------------------------
    def next_delta(self, delta_type: DeltaType, key: str, value: Signals = Signals(), *,
                   source: str = "thermogram", strength: Signal = Signal(1, 255),
                   id: Optional[str] = None) -> Delta:
        """A delta linked to the current head, stamped with this thermogram's clock."""
        return Delta.new(delta_type, key, value, source, strength, self.dirty_chain.head_hash,
                         timestamp=self.clock(), id=id)

    def apply_delta(self, delta: Delta) -> Optional[ConsolidationResult]:
        """Append to the chain; consolidate when a trigger fires (returns that result)."""
        self.dirty_chain.append(delta)
        self.metadata.total_deltas += 1
        if self.should_consolidate():
            return self.consolidate()
        return None

    def estimate_dirty_size(self) -> int:
        return sum(len(d.value) * 2 + len(d.key.encode()) + 200 for d in self.dirty_chain.deltas)

    def should_consolidate(self) -> bool:
        return self.consolidation_policy.should_consolidate(
            len(self.dirty_chain), self.metadata.last_consolidation, self.estimate_dirty_size(), self.clock())

    # ---- reads --------------------------------------------------------------------------------
    def read_with_state(self, key: str) -> Optional[tuple[Signals, Signal, ThermalState]]:
        """Latest dirty delta first (Delete hides the key), then hot -> warm -> cool -> cold."""
        d = self.dirty_chain.get_latest(key)
        if d is not None:
            if d.delta_type == DeltaType.DELETE:
                return None
            return d.value, d.metadata.strength, ThermalState.HOT
        for st in STATES:
            e = self.layers[st].get(key)
            if e is not None:
                return e.value, e.strength, st
        return None

    def read(self, key: str) -> Optional[Signals]:
        r = self.read_with_state(key)
        return None if r is None else r[0]

    def read_with_strength(self, key: str) -> Optional[tuple[Signals, Signal]]:
        r = self.read_with_state(key)
        return None if r is None else (r[0], r[1])

    def keys(self) -> set[str]:
        ks = {k for l in self.layers for k in l}
        ks.update(d.key for d in self.dirty_chain.deltas if d.delta_type != DeltaType.DELETE)
        return ks

    def keys_for_state(self, state: ThermalState) -> list[str]:
        return list(self.layers[state])

    def history(self, key: str) -> list[Delta]:
        return self.dirty_chain.get_history(key)

    def entries(self) -> Iterator[tuple[ThermalState, ConsolidatedEntry]]:
        for st in STATES:
            for e in self.layers[st].values():
                yield st, e

    # ---- consolidation ------------------------------------------------------------------------
    def consolidate(self) -> ConsolidationResult:
        """Dirty deltas -> hot layer, prune, clear the chain, then crystallize hot -> cold."""
        rule = self.plasticity_rule
        hot = dict(self.hot)
        merged = 0
        for d in self.dirty_chain.deltas:
            ts = d.metadata.timestamp
            if d.delta_type in (DeltaType.CREATE, DeltaType.UPDATE):
                e = hot.get(d.key)
                if e is not None:
                    dt = float(ts.whole_seconds_since(e.updated_at))
                    hot[d.key] = ConsolidatedEntry(e.key, d.value, rule.apply_update(e.strength, d.metadata.strength, dt),
                                                   ts, e.update_count + 1)
                else:
                    hot[d.key] = ConsolidatedEntry(d.key, d.value, d.metadata.strength, ts, 1)
            elif d.delta_type == DeltaType.DELETE:
                hot.pop(d.key, None)
            else:
                e = hot.get(d.key)
                if e is not None:
                    dt = float(ts.whole_seconds_since(e.updated_at))
                    hot[d.key] = ConsolidatedEntry(e.key, e.value, rule.apply_update(e.strength, d.metadata.strength, dt),
                                                   ts, e.update_count + 1)
                    merged += 1
        pruned = 0
        if self.consolidation_policy.enable_pruning:
            keep = {k: e for k, e in hot.items() if not rule.should_prune(e.strength)}
            pruned = len(hot) - len(keep)
            hot = keep
        result = ConsolidationResult(len(self.dirty_chain), len(hot), pruned, merged, self.clock())
        self.layers[0] = hot
        self.dirty_chain = HashChain()
        self.metadata.last_consolidation = self.clock()
        self.metadata.total_consolidations += 1
        crystallized, _ = self.crystallize()
        result.entries_merged += crystallized
        return result

    def _merge_into(self, target: dict[str, ConsolidatedEntry], e: ConsolidatedEntry) -> bool:
        """Move ``e`` into ``target``; an existing entry gets 30 % old + 70 % new strength."""
        old = target.get(e.key)
        if old is None:
            target[e.key] = e
            return False
        old.strength = sig_add(sig_scale(old.strength, 0.3), sig_scale(e.strength, 0.7))
        old.value = e.value
        old.updated_at = e.updated_at
        old.update_count += e.update_count
        return True

    def crystallize(self) -> tuple[int, int]:
        """Hot entries with strength >= crystallization threshold and enough observations go
        straight to cold. Returns (new cold entries, merged into existing ones)."""
        cfg = self.thermal_config
        thr, min_obs = cfg.crystallization_threshold.magnitude, cfg.min_observations[0]
        keys = [k for k, e in self.hot.items() if e.strength.magnitude >= thr and e.update_count >= min_obs]
        new = merged = 0
        for k in keys:
            if self._merge_into(self.cold, self.hot.pop(k)):
                merged += 1
            else:
                new += 1
        return new, merged

    # ---- thermal transitions ------------------------------------------------------------------
    def run_thermal_transitions(self) -> None:
        """Promote (hot->warm->cool->cold), demote (cold->cool->warm->hot where allowed), prune."""
        for src in (ThermalState.HOT, ThermalState.WARM, ThermalState.COOL):
            self._promote(src)
        for src in (ThermalState.COLD, ThermalState.COOL, ThermalState.WARM):
            if self.thermal_config.allow_demotion[src]:
                self._demote(src)
        self.prune_all_layers()

    def _promote(self, src: ThermalState) -> int:
        cfg = self.thermal_config
        thr, min_obs = cfg.promotion_thresholds[src].magnitude, cfg.min_observations[src]
        layer, dst = self.layers[src], self.layers[src + 1]
        keys = [k for k, e in layer.items() if e.strength.magnitude >= thr and e.update_count >= min_obs]
        for k in keys:
            self._merge_into(dst, layer.pop(k))
        return len(keys)

    def _demote(self, src: ThermalState) -> int:
        thr = self.thermal_config.demotion_thresholds[src].magnitude
        layer, dst = self.layers[src], self.layers[src - 1]
        keys = [k for k, e in layer.items() if e.strength.magnitude < thr]
        for k in keys:
            e = layer.pop(k)
            s = sig_scale(e.strength, 0.95)
            e.strength = s if s.magnitude else Signal(1, 1)
            e.updated_at = self.clock()
            old = dst.get(k)
            if old is None:
                dst[k] = e
            else:
                if e.strength.magnitude > old.strength.magnitude:
                    old.strength = e.strength
                old.updated_at = e.updated_at
        return len(keys)

    def prune_all_layers(self) -> int:
        thr = self.thermal_config.prune_threshold.magnitude
        total = 0
        for i, layer in enumerate(self.layers):
            keep = {k: e for k, e in layer.items() if e.strength.magnitude >= thr}
            total += len(layer) - len(keep)
            self.layers[i] = keep
        return total

    def prune_hot(self) -> int:
        thr = self.thermal_config.prune_threshold.magnitude
        keep = {k: e for k, e in self.hot.items() if e.strength.magnitude >= thr}
        n = len(self.hot) - len(keep)
        self.layers[0] = keep
        return n

    def warm(self, key: str) -> bool:
        """Move a cold entry back to hot at a strength cost of ``warming_delta/255 * 0.1``."""
        if not self.thermal_config.allow_warming or key not in self.cold:
            return False
        e = self.cold.pop(key)
        cost = mag_f32(self.thermal_config.warming_delta) * F32(0.1)
        nm = max(f32_as_u8(F32(e.strength.magnitude) * (_ONE - cost)), 1)
        e.strength = Signal(e.strength.polarity, nm)
        e.updated_at = self.clock()
        self.hot[key] = e
        return True

    def warm_matching(self, predicate: Callable[[str, ConsolidatedEntry], bool]) -> int:
        if not self.thermal_config.allow_warming:
            return 0
        return sum(self.warm(k) for k in [k for k, e in self.cold.items() if predicate(k, e)])

    # ---- strength adjustments -----------------------------------------------------------------
    def apply_decay(self) -> None:
        """Every entry's strength times ``1 - decay_rate/255`` of its layer (f32, truncated)."""
        for st in STATES:
            retention = _ONE - mag_f32(self.thermal_config.decay_rates[st])
            for e in self.layers[st].values():
                e.strength = sig_decayed(e.strength, retention)

    def _find(self, key: str) -> Optional[ConsolidatedEntry]:
        for layer in self.layers:
            e = layer.get(key)
            if e is not None:
                return e
        return None

    def reinforce(self, key: str, amount: Signal) -> bool:
        e = self._find(key)
        if e is None:
            return False
        e.strength = sig_add(e.strength, amount)
        e.update_count += 1
        e.updated_at = self.clock()
        return True

    def weaken(self, key: str, amount: Signal) -> bool:
        e = self._find(key)
        if e is None:
            return False
        nm = max(e.strength.magnitude - amount.magnitude, 0)
        e.strength = ZERO if nm == 0 else Signal(e.strength.polarity, nm)
        e.updated_at = self.clock()
        return True

    def stats(self) -> dict:
        sizes = sum(len(e.value) * 2 + len(e.key.encode()) + 100 for _, e in self.entries())
        return {
            "total_keys": len(self.keys()),
            **{f"{st.label}_entries": len(self.layers[st]) for st in STATES},
            "dirty_deltas": len(self.dirty_chain),
            "total_deltas_lifetime": self.metadata.total_deltas,
            "total_consolidations": self.metadata.total_consolidations,
            "estimated_size_bytes": sizes + self.estimate_dirty_size(),
        }
