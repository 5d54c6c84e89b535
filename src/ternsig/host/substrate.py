"""The substrate: the shared world every region reads and only some may write.

:class:`SubstrateHandle` is seed 001's bridge as a protocol; :class:`Substrate` is the default
in-memory implementation: eight chemicals (0..255), twelve fields (one slice per region, with
per-field retention applied on tick), stimulation, valence, convergence, coherence, boot phase,
tick count and neuronal level. Everything is integer.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

import numpy as np

from ..errors import HostError
from ..intmath import tdiv_pos_arr

CHEMICALS = ("dopamine", "serotonin", "norepinephrine", "gaba", "cortisol", "endorphin", "acetylcholine", "fatigue")
#: resting levels: the four VM chemicals start at the reference's baseline (128)
CHEMICAL_BASELINE = (128, 128, 128, 128, 0, 0, 128, 0)
FIELDS = ("activity", "chemical", "convergence", "sensory", "motor", "memory", "attention", "affect",
          "prediction", "error", "reward", "social")
DIVISIONS = 7        # coherence divisions (singular coherence is one value per division)

#: boot phases, in the only order they may advance
PHASES = ("cold", "preflight", "boot", "wake", "run", "rest", "shutdown")


@runtime_checkable
class SubstrateHandle(Protocol):
    """What a program may observe of (and, through the host, change in) the world (seed 001)."""

    def read_chemical(self, chem_id: int) -> int: ...
    def write_chemical(self, chem_id: int, value: int) -> None: ...
    def read_field(self, field_id: int, index: int) -> int: ...
    def write_field(self, field_id: int, index: int, value: int) -> None: ...
    def read_convergence(self) -> int: ...
    def read_stimulation(self, stim_id: int) -> int: ...
    def read_temperature(self, cold_reg: int, index: int) -> int: ...
    def boot_phase(self) -> int: ...
    def tick_count(self) -> int: ...
    def neuronal_level(self) -> int: ...


@dataclass
class Substrate:
    """Default in-memory substrate. ``field_slices`` × ``field_width`` i32 per field."""

    field_slices: int = 16
    field_width: int = 32
    n_stim: int = 8
    chemicals: list[int] = field(default_factory=lambda: list(CHEMICAL_BASELINE))
    retention: list[int] = field(default_factory=lambda: [230] * len(FIELDS))   # of 256, per tick
    phase: int = 0
    tick: int = 0
    level: int = 0
    rest: bool = False
    convergence: int = 0
    reward: int = 0
    punish: int = 0

    def __post_init__(self) -> None:
        self.fields = np.zeros((len(FIELDS), self.field_slices, self.field_width), np.int32)
        self.field_age = [0] * len(FIELDS)
        self.stim = np.zeros(self.n_stim, np.int32)
        self.coherence = [0] * DIVISIONS
        self.coherence_pairs: dict[tuple[int, int], int] = {}
        #: CHEM ids by name, for hosts and tests
        self.chem_ids = {n: i for i, n in enumerate(CHEMICALS)}

    # ---- the SubstrateHandle protocol -------------------------------------------------------------
    def _chem_id(self, chem_id: int) -> int:
        if not 0 <= chem_id < len(CHEMICALS):
            raise HostError(f"chemical id {chem_id} out of range (0..{len(CHEMICALS) - 1})")
        return chem_id

    def read_chemical(self, chem_id: int) -> int:
        return self.chemicals[self._chem_id(chem_id)]

    def write_chemical(self, chem_id: int, value: int) -> None:
        self.chemicals[self._chem_id(chem_id)] = max(0, min(255, int(value)))

    def _field(self, field_id: int) -> np.ndarray:
        if not 0 <= field_id < len(FIELDS):
            raise HostError(f"field id {field_id} out of range (0..{len(FIELDS) - 1})")
        return self.fields[field_id]

    def read_field(self, field_id: int, index: int) -> int:
        f = self._field(field_id).ravel()
        if not 0 <= index < len(f):
            raise HostError(f"field {FIELDS[field_id]}: index {index} out of range")
        return int(f[index])

    def write_field(self, field_id: int, index: int, value: int) -> None:
        f = self._field(field_id).reshape(-1)
        if not 0 <= index < len(f):
            raise HostError(f"field {FIELDS[field_id]}: index {index} out of range")
        f[index] = value

    def read_convergence(self) -> int:
        return self.convergence

    def read_stimulation(self, stim_id: int) -> int:
        if not 0 <= stim_id < self.n_stim:
            raise HostError(f"stimulation id {stim_id} out of range (0..{self.n_stim - 1})")
        return int(self.stim[stim_id])

    def read_temperature(self, cold_reg: int, index: int) -> int:  # temperatures live in machines
        raise HostError("temperatures are read from the machine's cold registers (neuro.temp_read)")

    def boot_phase(self) -> int:
        return self.phase

    def tick_count(self) -> int:
        return self.tick

    def neuronal_level(self) -> int:
        return self.level

    # ---- slices and dynamics ----------------------------------------------------------------------
    def slice(self, field_id: int, slice_index: int) -> np.ndarray:
        f = self._field(field_id)
        if not 0 <= slice_index < self.field_slices:
            raise HostError(f"field {FIELDS[field_id]}: slice {slice_index} out of range (0..{self.field_slices - 1})")
        return f[slice_index]

    def write_slice(self, field_id: int, slice_index: int, values: np.ndarray) -> None:
        row = self.slice(field_id, slice_index)
        n = min(len(values), len(row))
        row[:n] = values[:n]
        row[n:] = 0

    def tick_field(self, field_id: int) -> None:
        """Advance one field by a tick: decay by its retention (×r/256, flooring) and age it."""
        f = self._field(field_id)
        f[...] = (f.astype(np.int64) * self.retention[field_id]) >> 8
        self.field_age[field_id] += 1

    def decay_field(self, field_id: int, retention: int, fatigue_boost: int) -> None:
        """Metabolic decay: scale by retention/255 (truncating) and raise fatigue with sustained activity."""
        f = self._field(field_id)
        v = f.astype(np.int64) * retention
        f[...] = tdiv_pos_arr(v, 255)
        if fatigue_boost and np.abs(f).any():
            fid = self.chem_ids["fatigue"]
            self.chemicals[fid] = min(255, self.chemicals[fid] + fatigue_boost)

    def advance_tick(self) -> None:
        self.tick += 1

    def set_phase(self, phase: int) -> None:
        if not 0 <= phase < len(PHASES):
            raise HostError(f"boot phase {phase} out of range (0..{len(PHASES) - 1})")
        if phase < self.phase:
            raise HostError(f"boot phase may only advance: {PHASES[self.phase]} → {PHASES[phase]} refused")
        self.phase = phase

    def set_level(self, level: int) -> None:
        if level < self.level:
            raise HostError(f"neuronal level may only increase ({self.level} → {level} refused)")
        self.level = min(255, int(level))

    def snapshot(self) -> dict:
        return {"tick": self.tick, "phase": self.phase, "level": self.level, "rest": self.rest,
                "chemicals": dict(zip(CHEMICALS, self.chemicals)), "convergence": self.convergence,
                "reward": self.reward, "punish": self.punish, "coherence": list(self.coherence)}

    # ---- checkpoints (the one protocol method pair a substrate implements to be saved) ------------
    def checkpoint_state(self) -> dict[str, Any]:
        """Everything needed to resume: a JSON-like dict whose leaves may be NumPy arrays."""
        return {"kind": "default", "field_slices": self.field_slices, "field_width": self.field_width,
                "n_stim": self.n_stim, "chemicals": list(self.chemicals), "retention": list(self.retention),
                "phase": self.phase, "tick": self.tick, "level": self.level, "rest": self.rest,
                "convergence": self.convergence, "reward": self.reward, "punish": self.punish,
                "fields": self.fields.copy(), "field_age": list(self.field_age), "stim": self.stim.copy(),
                "coherence": list(self.coherence),
                "coherence_pairs": [[a, b, v] for (a, b), v in sorted(self.coherence_pairs.items())]}

    def restore_checkpoint_state(self, state: dict[str, Any]) -> None:
        """Restore :meth:`checkpoint_state` output; HostError when it does not fit this substrate."""
        try:
            if state["kind"] != "default":
                raise ValueError(f"a {state['kind']!r} substrate's state")
            fields = np.asarray(state["fields"])
            if fields.shape != self.fields.shape or fields.dtype != np.int32:
                raise ValueError(f"fields shape {list(fields.shape)}, this substrate has {list(self.fields.shape)}")
            stim = np.asarray(state["stim"])
            if stim.shape != self.stim.shape:
                raise ValueError("stimulation size differs")
            chems = [max(0, min(255, int(v))) for v in state["chemicals"]]
            if len(chems) != len(CHEMICALS) or len(state["retention"]) != len(FIELDS) \
                    or len(state["field_age"]) != len(FIELDS) or len(state["coherence"]) != DIVISIONS:
                raise ValueError("chemical, field or coherence counts differ")
            pairs = {(int(a), int(b)): int(v) for a, b, v in state["coherence_pairs"]}
            scalars = {k: int(state[k]) for k in ("phase", "tick", "level", "convergence", "reward", "punish")}
            if not 0 <= scalars["phase"] < len(PHASES) or scalars["tick"] < 0:
                raise ValueError("phase or tick out of range")
        except (KeyError, TypeError, ValueError) as exc:
            raise HostError(f"substrate state does not fit: {exc}") from None
        self.fields[...] = fields
        self.stim[...] = stim
        self.chemicals = chems
        self.retention = [int(v) for v in state["retention"]]
        self.field_age = [int(v) for v in state["field_age"]]
        self.coherence = [int(v) for v in state["coherence"]]
        self.coherence_pairs = pairs
        self.rest = bool(state["rest"])
        for k, v in scalars.items():
            setattr(self, k, v)

