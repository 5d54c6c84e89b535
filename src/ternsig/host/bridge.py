"""Bring your own substrate: seed 001's ``SubstrateHandle`` bridge between a brain and an outside world.

``Brain(directory, substrate=…)`` takes

- nothing: the default in-memory :class:`~ternsig.host.substrate.Substrate`;
- a :class:`Substrate` (or subclass): used as it is;
- any object implementing :class:`~ternsig.host.substrate.SubstrateHandle` (``read_chemical``,
  ``write_chemical``, ``read_field``, ``write_field``, ``read_convergence``, ``read_stimulation``,
  ``read_temperature``, ``boot_phase``, ``tick_count``, ``neuronal_level``): wrapped in a
  :class:`BridgedSubstrate`.

What the handle owns and what stays with the brain:

- **the handle** owns the world: chemicals (every CHEM_* op reads and writes through it), fields
  (FIELD_* ops read and write element by element, ``index = slice · width + i``), convergence and
  stimulation (read from the handle at the start of every tick);
- **the brain** owns its own clock and life cycle: tick count, boot phase, neuronal level, rest,
  valence and coherence (the handle's tick, phase and level are read once, when the brain is built).
"""
from __future__ import annotations

from typing import Any, Optional

import numpy as np

from ..errors import UsageError
from .substrate import CHEMICALS, Substrate, SubstrateHandle


class BridgedSubstrate(Substrate):
    """A :class:`Substrate` whose world (chemicals, fields, convergence, stimulation) lives in a handle."""

    def __init__(self, handle: SubstrateHandle, **kw: Any):
        super().__init__(**kw)
        self.handle = handle
        self.tick = int(handle.tick_count())
        self.phase = int(handle.boot_phase())
        self.level = int(handle.neuronal_level())
        self.pull()

    def pull(self) -> None:
        """Refresh the local view of the world from the handle (chemicals, convergence, stimulation)."""
        h = self.handle
        self.chemicals[:] = [max(0, min(255, int(h.read_chemical(i)))) for i in range(len(CHEMICALS))]
        self.convergence = int(h.read_convergence())
        self.stim[:] = [int(h.read_stimulation(i)) for i in range(self.n_stim)]

    def advance_tick(self) -> None:
        super().advance_tick()
        self.pull()

    # chemicals: through the handle
    def read_chemical(self, chem_id: int) -> int:
        return int(self.handle.read_chemical(self._chem_id(chem_id)))

    def write_chemical(self, chem_id: int, value: int) -> None:
        v = max(0, min(255, int(value)))
        self.handle.write_chemical(self._chem_id(chem_id), v)
        self.chemicals[chem_id] = v

    def read_convergence(self) -> int:
        return int(self.handle.read_convergence())

    def read_stimulation(self, stim_id: int) -> int:
        super().read_stimulation(stim_id)          # range check
        return int(self.handle.read_stimulation(stim_id))

    # fields: element by element through the handle
    def read_field(self, field_id: int, index: int) -> int:
        super().read_field(field_id, index)        # range check
        return int(self.handle.read_field(field_id, index))

    def write_field(self, field_id: int, index: int, value: int) -> None:
        super().write_field(field_id, index, value)
        self.handle.write_field(field_id, index, int(value))

    def _pull_slice(self, field_id: int, slice_index: int) -> np.ndarray:
        row = super().slice(field_id, slice_index)
        base = slice_index * self.field_width
        row[:] = [int(self.handle.read_field(field_id, base + i)) for i in range(self.field_width)]
        return row

    def _push_slice(self, field_id: int, slice_index: int) -> None:
        row = super().slice(field_id, slice_index)
        base = slice_index * self.field_width
        for i, v in enumerate(row.tolist()):
            self.handle.write_field(field_id, base + i, v)

    def slice(self, field_id: int, slice_index: int) -> np.ndarray:
        return self._pull_slice(field_id, slice_index).copy()

    def write_slice(self, field_id: int, slice_index: int, values: np.ndarray) -> None:
        row = super().slice(field_id, slice_index)          # the local row itself, not a copy
        n = min(len(values), len(row))
        row[:n] = values[:n]
        row[n:] = 0
        self._push_slice(field_id, slice_index)

    def _whole_field(self, field_id: int, fn: Any) -> None:
        for s in range(self.field_slices):
            self._pull_slice(field_id, s)
        fn()
        for s in range(self.field_slices):
            self._push_slice(field_id, s)

    def tick_field(self, field_id: int) -> None:
        self._field(field_id)
        self._whole_field(field_id, lambda: Substrate.tick_field(self, field_id))

    def decay_field(self, field_id: int, retention: int, fatigue_boost: int) -> None:
        self._field(field_id)
        before = self.chemicals[self.chem_ids["fatigue"]]
        self._whole_field(field_id, lambda: Substrate.decay_field(self, field_id, retention, fatigue_boost))
        after = self.chemicals[self.chem_ids["fatigue"]]
        if after != before:
            self.handle.write_chemical(self.chem_ids["fatigue"], after)


def make_substrate(substrate: Optional[Any], field_slices: int) -> Substrate:
    """The substrate a brain runs on (see the module docstring)."""
    if substrate is None:
        return Substrate(field_slices=field_slices)
    if isinstance(substrate, Substrate):
        return substrate
    if isinstance(substrate, SubstrateHandle):
        return BridgedSubstrate(substrate, field_slices=field_slices)
    missing = [m for m in ("read_chemical", "write_chemical", "read_field", "write_field", "read_convergence",
                           "read_stimulation", "read_temperature", "boot_phase", "tick_count", "neuronal_level")
               if not callable(getattr(substrate, m, None))]
    raise UsageError(f"substrate= wants a Substrate or a SubstrateHandle; {type(substrate).__name__} lacks "
                     f"{', '.join(missing)}")


__all__ = ["BridgedSubstrate", "make_substrate"]
