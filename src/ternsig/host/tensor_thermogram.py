"""Cold registers <-> thermogram: ternsig's ``TensorThermogram``, with temperatures.

A cold register with a thermogram key is stored as an Update delta (source ``"tensor_isa"``) whose
value is its weights, one Signal per weight. The reference keeps only the weights; this bridge
also keeps the per-weight temperatures (0 HOT .. 3 COLD) under the sibling key
``"<key>@temperatures"`` as one Signal per weight (magnitude = temperature), written with the
same strength so both entries share a fate through consolidation, decay and transitions. A
register without a temperature array deletes that sibling, so a later load restores "no array".

The reference walks cold slots 0..15 only; this bridge covers all 64 (deviation: keyed registers
16..63 would otherwise silently never persist).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Optional

import numpy as np

from ..signal import Signal
from ..thermo.chain import Delta, DeltaType
from ..thermo.model import ConsolidationResult, Thermogram
from ..thermo.rules import PlasticityRule, ThermalConfig
from ..thermo.signals import Signals
from ..thermo.store import load as load_file
from ..thermo.store import save as save_file
from ..thermo.timestamp import Timestamp
from ..vm.state import ColdBuffer, Machine

SOURCE = "tensor_isa"
TEMPS_SUFFIX = "@temperatures"
ALL_SLOTS = range(64)


def temps_key(key: str) -> str:
    return key + TEMPS_SUFFIX


@dataclass
class LoadReport:
    """What ``load_machine`` restored, and what it skipped and why (the reference only logs)."""

    loaded: list[int] = field(default_factory=list)
    skipped: list[tuple[int, str, str]] = field(default_factory=list)
    temperatures: list[int] = field(default_factory=list)


class TensorThermogram:
    """A thermogram configured for network weights (stdp_like rule, ternsig thermal config)."""

    def __init__(self, name: str = "tensor", *, thermogram: Optional[Thermogram] = None,
                 clock: Callable[[], Timestamp] = Timestamp.now):
        self.substrate = thermogram if thermogram is not None else Thermogram.new(
            name, PlasticityRule.stdp_like(), config=ThermalConfig.tensor(), clock=clock)
        self.tick = 0
        self.cache_dirty = False

    # ---- persistence --------------------------------------------------------------------------
    @classmethod
    def load(cls, path: Path | str, clock: Callable[[], Timestamp] = Timestamp.now) -> "TensorThermogram":
        return cls(thermogram=load_file(path, clock=clock))

    def save(self, path: Path | str) -> int:
        return save_file(self.substrate, path)

    # ---- single tensors -----------------------------------------------------------------------
    def load_weights(self, key: str) -> Optional[Signals]:
        return self.substrate.read(key)

    def _append(self, delta_type: DeltaType, key: str, value: Signals, strength: Signal) -> None:
        t = self.substrate
        d = Delta.new(delta_type, key, value, SOURCE, strength, t.dirty_chain.head_hash, timestamp=t.clock())
        t.apply_delta(d)
        self.cache_dirty = True

    def store_weights(self, key: str, buf: ColdBuffer, strength: Signal) -> None:
        """Weights (and temperatures) of ``buf`` as Update deltas linked to the chain head."""
        self._append(DeltaType.UPDATE, key, Signals.from_arrays(buf.pol, buf.mag), strength)
        tk = temps_key(key)
        if buf.temps is not None:
            t = np.minimum(np.asarray(buf.temps, np.uint8), 3)
            self._append(DeltaType.UPDATE, tk, Signals.from_arrays((t > 0).astype(np.int8), t), strength)
        elif self.substrate.read(tk) is not None:
            self._append(DeltaType.DELETE, tk, Signals(), Signal(1, 255))

    # ---- whole machines -----------------------------------------------------------------------
    def store_machine(self, m: Machine, strength: Signal, slots: Iterable[int] = ALL_SLOTS) -> int:
        """Store every keyed cold register; returns how many were stored."""
        n = 0
        for i in slots:
            buf = m.cold[i]
            if buf is not None and buf.key is not None:
                self.store_weights(buf.key, buf, strength)
                n += 1
        return n

    def load_buffer(self, buf: ColdBuffer, key: Optional[str] = None) -> tuple[bool, bool, Optional[str]]:
        """Restore ``buf`` from ``key`` (default: its own key) when the stored element count
        matches exactly: weights, then temperatures when a valid vector is stored (else none).

        Returns ``(loaded, temperatures_loaded, why)``; ``why`` says what was skipped (no stored
        weights, a shape mismatch, or an ignored temperature vector), else None. ``buf`` is left
        untouched unless ``loaded``.
        """
        key = key if key is not None else buf.key
        if key is None:
            return False, False, "no thermogram key"
        sig = self.load_weights(key)
        if sig is None:
            return False, False, "no stored weights"
        if len(sig) != len(buf):
            return False, False, f"shape mismatch: expected {len(buf)}, got {len(sig)}"
        buf.pol, buf.mag = sig.arrays()
        buf.temps = None
        why: Optional[str] = None
        tv = self.substrate.read(temps_key(key))
        if tv is not None:
            _, mag = tv.arrays()
            if len(mag) == len(buf) and int(mag.max(initial=0)) <= 3:
                buf.temps = mag
            else:
                why = "temperature vector ignored (length or range)"
        buf.touch()
        return True, buf.temps is not None, why

    def load_machine(self, m: Machine, slots: Iterable[int] = ALL_SLOTS) -> LoadReport:
        """Restore keyed cold registers whose stored element count matches exactly."""
        rep = LoadReport()
        for i in slots:
            buf = m.cold[i]
            if buf is None or buf.key is None:
                continue
            loaded, temps, why = self.load_buffer(buf)
            if not loaded:
                rep.skipped.append((i, buf.key, why or ""))
                continue
            if temps:
                rep.temperatures.append(i)
            elif why is not None:
                rep.skipped.append((i, temps_key(buf.key), why))
            rep.loaded.append(i)
        return rep

    def advance_tick(self) -> None:
        """Decay every 10 ticks, thermal transitions every 100 (the reference cadence)."""
        self.tick = (self.tick + 1) & 0xFFFF_FFFF_FFFF_FFFF
        if self.tick % 10 == 0:
            self.substrate.apply_decay()
            self.cache_dirty = True
        if self.tick % 100 == 0:
            self.substrate.run_thermal_transitions()
            self.cache_dirty = True

    def consolidate(self) -> ConsolidationResult:
        r = self.substrate.consolidate()
        self.substrate.run_thermal_transitions()
        self.cache_dirty = True
        return r

    def stats(self) -> dict:
        return self.substrate.stats()
