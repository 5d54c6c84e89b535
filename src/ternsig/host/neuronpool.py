"""The neuron pool behind the pool extension (0x000C): a spiking population a program drives
explicitly (inject, tick, read), with three-factor plasticity and structural plasticity.

Currents on the wire are plain integers in the model's units (a value of 10 is I = 10); the pool
scales them by 256 for the population, as the reference's ``step_signals`` does.

- ``inject(values, start, end)``: adds values to the current of neurons [start, end) for the next
  tick (one value is broadcast over the range, a vector fills it from ``start``).
- ``tick(values)``: steps once with the pending injection plus ``values`` (neuron i gets
  ``values[i]``); returns the number of neurons that spiked.
- ``modulate(dopamine, cortisol)``: synapses with a positive eligibility trace (pre active, then
  post spiked) are strengthened by 8/256 when dopamine > 140 and weakened when cortisol > 60 (the
  thresholds of the thermogram valence credit); returns (reinforced, weakened).
- ``prune_dead()``: drops synapses that carried no spike since the last prune and whose
  conductance is below 8/256 in magnitude.
- ``synaptogenesis(acetylcholine)``: with ACh > 128, connects up to 64 pairs of neurons that spiked
  on the last tick and are not yet connected (excitatory, conductance 32/256).
"""
from __future__ import annotations

from typing import Optional

import numpy as np

from .spiking import CURRENT_SCALE, I32_MAX, I32_MIN, Population

LEARN_STEP = 8
DEAD_BELOW = 8
NEW_CONDUCTANCE = 32
MAX_NEW_SYNAPSES = 64
DA_REINFORCE, CORTISOL_WEAKEN, ACH_GROW = 140, 60, 128


class NeuronPool:
    def __init__(self, population: Population):
        self.pop = population
        self.pending = np.zeros(len(population), np.int64)
        self.ticks = 0
        self.last_spikes = 0

    def _clip(self, start: int, end: int) -> tuple[int, int]:
        n = len(self.pop)
        start, end = max(0, int(start)), min(n, int(end))
        return start, max(start, end)

    def inject(self, values: np.ndarray, start: int, end: int) -> int:
        s, e = self._clip(start, end)
        vals = np.asarray(values, np.int64).ravel()
        if e == s or not len(vals):
            return 0
        if len(vals) == 1:
            self.pending[s:e] += vals[0]
        else:
            k = min(len(vals), e - s)
            self.pending[s:s + k] += vals[:k]
        np.clip(self.pending, I32_MIN // CURRENT_SCALE, I32_MAX // CURRENT_SCALE, out=self.pending)
        return e - s

    def tick(self, values: Optional[np.ndarray] = None) -> int:
        cur = self.pending.copy()
        if values is not None and len(values):
            vals = np.asarray(values, np.int64).ravel()[: len(cur)]
            cur[: len(vals)] += vals
        self.pending[:] = 0
        spiked = self.pop.step(np.clip(cur, I32_MIN // CURRENT_SCALE, I32_MAX // CURRENT_SCALE) * CURRENT_SCALE)
        self.ticks += 1
        self.last_spikes = int(spiked.sum())
        return self.last_spikes

    def read_output(self, start: int, end: int) -> np.ndarray:
        s, e = self._clip(start, end)
        return self.pop.spiked[s:e].astype(np.int32)

    def stats(self) -> list[int]:
        return [self.last_spikes, len(self.pop.synapses), self.ticks]

    def modulate(self, dopamine: int, cortisol: int) -> tuple[int, int]:
        syn = self.pop.synapses
        eligible = syn.eligibility > 0
        reinforced = weakened = 0
        cond = syn.cond.astype(np.int64)
        sign = np.where(cond < 0, -1, 1)
        if dopamine > DA_REINFORCE:
            cond = np.where(eligible, cond + sign * LEARN_STEP, cond)
            reinforced = int(eligible.sum())
        if cortisol > CORTISOL_WEAKEN:
            shrunk = np.where(np.abs(cond) > LEARN_STEP, cond - sign * LEARN_STEP, 0)
            cond = np.where(eligible, shrunk, cond)
            weakened = int(eligible.sum())
        syn.cond = np.clip(cond, -32768, 32767).astype(np.int16)
        return reinforced, weakened

    def prune_dead(self) -> int:
        syn = self.pop.synapses
        dead = (syn.uses == 0) & (np.abs(syn.cond.astype(np.int64)) < DEAD_BELOW)
        syn.keep(~dead)
        syn.uses[:] = 0
        return int(dead.sum())

    def synaptogenesis(self, acetylcholine: int) -> int:
        if acetylcholine <= ACH_GROW:
            return 0
        active = np.flatnonzero(self.pop.spiked)
        if len(active) < 2:
            return 0
        n = len(self.pop)
        syn = self.pop.synapses
        existing = set((syn.pre * n + syn.post).tolist())
        pre, post = [], []
        for i in active:                      # deterministic order: ascending pairs
            for j in active:
                if i != j and int(i) * n + int(j) not in existing:
                    pre.append(i)
                    post.append(j)
                    if len(pre) >= MAX_NEW_SYNAPSES:
                        break
            if len(pre) >= MAX_NEW_SYNAPSES:
                break
        syn.extend(np.array(pre, np.int64), np.array(post, np.int64), np.full(len(pre), NEW_CONDUCTANCE, np.int16))
        return len(pre)

    # ---- persistence --------------------------------------------------------------------------------
    def state(self) -> dict[str, np.ndarray]:
        out = self.pop.state()
        out["pool_pending"] = self.pending.copy()
        out["pool_counters"] = np.array([self.ticks, self.last_spikes], np.int64)
        return out

    @classmethod
    def from_state(cls, st: dict[str, np.ndarray]) -> "NeuronPool":
        from ..errors import HostError

        pool = cls(Population.from_state(st))
        try:
            pending = np.asarray(st["pool_pending"], np.int64)
            counters = np.asarray(st["pool_counters"], np.int64)
            if pending.shape != (len(pool.pop),) or counters.shape != (2,):
                raise ValueError("pool arrays have the wrong shape")
        except (KeyError, ValueError) as exc:
            raise HostError(f"pool state is damaged: {exc}") from None
        pool.pending = pending.copy()
        pool.ticks, pool.last_spikes = int(counters[0]), int(counters[1])
        return pool
