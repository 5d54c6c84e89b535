"""Spiking populations: vectorised Izhikevich and Hodgkin-Huxley neurons with sparse synapses.

This is the substrate behind the neuro extension's SNN ops and the pool extension (0x000C). The
dynamics follow the reference's ``snn/`` module (one Euler step per timestep, currents scaled by
256 on the wire, the chemical axes scaling the input current, activation mapped from membrane
potential to a signed magnitude 0..255), but every neuron of a population is updated at once with
NumPy instead of one object per neuron.

Izhikevich (2003)::

    v' = 0.04 v² + 5 v + 140 − u + I        u' = a (b v − u)        v ≥ 30 → v = c, u += d

Hodgkin-Huxley: the reference's Na/K/leak/Ca channels with α/β gate kinetics and peak detection.

Everything here is float64 and seeded: a population built with the same arguments and driven the
same way spikes identically on every machine (the reference uses f32 and an unseeded RNG).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import numpy as np

from ..errors import HostError

#: Izhikevich 2003 parameter sets (a, b, c, d), by the reference's profile names and short names
IZH_PROFILES: dict[str, tuple[float, float, float, float]] = {
    "rs": (0.02, 0.2, -65.0, 8.0),       # regular spiking
    "fs": (0.1, 0.2, -65.0, 2.0),        # fast spiking
    "ib": (0.02, 0.2, -55.0, 4.0),       # intrinsically bursting
    "ch": (0.02, 0.2, -50.0, 2.0),       # chattering
    "lts": (0.02, 0.25, -65.0, 2.0),     # low-threshold spiking
    "tc": (0.02, 0.25, -65.0, 0.05),     # thalamo-cortical relay
    "rz": (0.1, 0.26, -60.0, -1.0),      # resonator
}
#: Hodgkin-Huxley conductances (g_Na, g_K, g_leak, g_Ca) by profile
HH_PROFILES: dict[str, tuple[float, float, float, float]] = {
    "standard": (120.0, 36.0, 0.3, 0.025),
    "high_excitability": (150.0, 30.0, 0.3, 0.05),
    "strong_inhibition": (100.0, 50.0, 0.4, 0.02),
    "slow_integrating": (110.0, 35.0, 0.25, 0.03),
    "fast_transient": (130.0, 40.0, 0.35, 0.02),
}
MODELS = ("izhikevich", "hodgkin_huxley")
V_REST = -65.0
IZH_V_RANGE = 95.0          # -65 .. +30 mapped to 0..255
HH_V_RANGE = 125.0          # -65 .. +60
CURRENT_SCALE = 256         # wire currents are ×256 (the reference's convention)
MAX_NEURONS = 1 << 20
I32_MIN, I32_MAX = -(1 << 31), (1 << 31) - 1
E_NA, E_K, E_LEAK, E_CA = 50.0, -77.0, -54.4, 120.0


def clamp_i8(values: np.ndarray) -> np.ndarray:
    return np.clip(np.asarray(values, np.int64), -128, 127).astype(np.int64)


def step_axes(current: np.ndarray, target: np.ndarray, delta: int) -> np.ndarray:
    """Each axis moves toward its target by at most ``delta`` (never overshooting)."""
    delta = int(min(max(delta, 0), 127))
    diff = target - current
    return np.where(np.abs(diff) <= delta, target, current + np.sign(diff) * delta)


def current_modifier(axes: np.ndarray) -> float:
    """The reference's background-current modifier: 1 + 0.5·excitability − 0.3·inhibition, clamped."""
    return float(min(max(1.0 + 0.5 * axes[0] / 127.0 - 0.3 * axes[1] / 127.0, 0.1), 3.0))


def _hh_rates(v: np.ndarray) -> tuple[np.ndarray, ...]:
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        x = v + 40.0
        am = np.where(np.abs(x) < 1e-3, 1.0, 0.1 * x / (1.0 - np.exp(-0.1 * x)))
        bm = 4.0 * np.exp(-0.0556 * (v + 65.0))
        ah = 0.07 * np.exp(-0.05 * (v + 65.0))
        bh = 1.0 / (1.0 + np.exp(-0.1 * (v + 35.0)))
        y = v + 55.0
        an = np.where(np.abs(y) < 1e-3, 0.1, 0.01 * y / (1.0 - np.exp(-0.1 * y)))
        bn = 0.125 * np.exp(-0.0125 * (v + 65.0))
        as_ = 1.6 / (1.0 + np.exp(-0.072 * (v - 5.0)))
        den = np.exp((v + 8.9) / 5.0) - 1.0
        bs = np.where(np.abs(den) > 1e-3, 0.02 * (v + 8.9) / den, 0.1)
    return am, bm, ah, bh, an, bn, as_, bs


@dataclass
class Synapses:
    """Sparse connections: pre → post with an i16 conductance (×256), and per-synapse traces."""

    pre: np.ndarray
    post: np.ndarray
    cond: np.ndarray
    eligibility: np.ndarray      # co-activity trace (pool plasticity)
    uses: np.ndarray             # spikes carried since the last prune

    @classmethod
    def empty(cls) -> "Synapses":
        return cls(np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, np.int16),
                   np.zeros(0, np.int32), np.zeros(0, np.int32))

    def keep(self, mask: np.ndarray) -> None:
        for name in ("pre", "post", "cond", "eligibility", "uses"):
            setattr(self, name, getattr(self, name)[mask])

    def extend(self, pre: np.ndarray, post: np.ndarray, cond: np.ndarray) -> None:
        self.pre = np.concatenate([self.pre, pre.astype(np.int64)])
        self.post = np.concatenate([self.post, post.astype(np.int64)])
        self.cond = np.concatenate([self.cond, cond.astype(np.int16)])
        self.eligibility = np.concatenate([self.eligibility, np.zeros(len(pre), np.int32)])
        self.uses = np.concatenate([self.uses, np.zeros(len(pre), np.int32)])

    def __len__(self) -> int:
        return len(self.pre)


class Population:
    """``n`` neurons of one model; excitatory first (``profile``), inhibitory last (FS / strong
    inhibition), random sparse synapses at ``density`` (inhibitory ones negative)."""

    def __init__(self, n: int = 100, *, model: str = "izhikevich", profile: Optional[str] = None,
                 excitatory_ratio: float = 0.8, density: float = 0.1, conductance_scale: float = 1.0,
                 dt: Optional[float] = None, substeps: int = 1, seed: int = 0, bipolar: Optional[bool] = None):
        if model not in MODELS:
            raise HostError(f"unknown neuron model {model!r} (choose one of {', '.join(MODELS)})")
        if not 0 <= n <= MAX_NEURONS:
            raise HostError(f"a population holds 0..{MAX_NEURONS} neurons, not {n}")
        profiles = IZH_PROFILES if model == "izhikevich" else HH_PROFILES
        profile = profile or ("rs" if model == "izhikevich" else "standard")
        if profile not in profiles:
            raise HostError(f"unknown {model} profile {profile!r} (choose one of {', '.join(profiles)})")
        if not (0.0 <= excitatory_ratio <= 1.0 and 0.0 <= density <= 1.0) or substeps < 1:
            raise HostError("excitatory_ratio and density must lie in 0..1, substeps must be 1 or more")
        self.model, self.profile = model, profile
        self.excitatory_ratio, self.density, self.conductance_scale = excitatory_ratio, density, conductance_scale
        self.dt = float(dt if dt is not None else (1.0 if model == "izhikevich" else 0.01))
        self.substeps = int(substeps)
        self.seed = int(seed)
        self.bipolar = (model == "hodgkin_huxley") if bipolar is None else bool(bipolar)
        self.timestep = 0
        self.ops = 0                       # structural operations so far (seeds their RNG)
        self.axes = np.zeros(4, np.int64)  # excitability, inhibition, persistence, stress
        self.target_axes = np.zeros(4, np.int64)
        self._alloc(0)
        self.grow(n, connect=False)
        self.synapses = Synapses.empty()
        self._connect_initial()

    # ---- construction ----------------------------------------------------------------------------------
    def _alloc(self, n: int) -> None:
        z = lambda: np.zeros(n, np.float64)   # noqa: E731
        self.v = np.full(n, V_REST)
        self.u, self.a, self.b, self.c, self.d = z(), z(), z(), z(), z()
        self.m, self.h, self.n_gate, self.s = z(), z(), z(), z()
        self.g_na, self.g_k, self.g_leak, self.g_ca = z(), z(), z(), z()
        self.rising = np.zeros(n, bool)
        self.spiked = np.zeros(n, bool)
        self.spike_counts = np.zeros(n, np.int64)
        self.outputs = np.zeros(n, np.int32)

    def _rng(self) -> np.random.Generator:
        self.ops += 1
        return np.random.default_rng([self.seed, self.ops])

    def __len__(self) -> int:
        return len(self.v)

    def _n_excitatory(self, n: int) -> int:
        return int(self.excitatory_ratio * n)

    def _new_neuron_arrays(self, first: int, count: int) -> dict[str, np.ndarray]:
        total = first + count
        exc = np.arange(first, total) < self._n_excitatory(total)
        v = np.full(count, V_REST)
        if self.model == "izhikevich":
            p, q = np.array(IZH_PROFILES[self.profile]), np.array(IZH_PROFILES["fs"])
            a, b, c, d = (np.where(exc, p[i], q[i]) for i in range(4))
            return {"v": v, "u": b * V_REST, "a": a, "b": b, "c": c, "d": d}
        p, q = np.array(HH_PROFILES[self.profile]), np.array(HH_PROFILES["strong_inhibition"])
        g = [np.where(exc, p[i], q[i]) for i in range(4)]
        am, bm, ah, bh, an, bn, as_, bs = _hh_rates(v)
        return {"v": v, "g_na": g[0], "g_k": g[1], "g_leak": g[2], "g_ca": g[3],
                "m": am / (am + bm), "h": ah / (ah + bh), "n_gate": an / (an + bn), "s": as_ / (as_ + bs)}

    def grow(self, count: int, *, connect: bool = True) -> int:
        """Add ``count`` neurons at rest (and, with ``connect``, random synapses touching them)."""
        count = int(count)
        if count < 0 or len(self) + count > MAX_NEURONS:
            raise HostError(f"cannot grow a population of {len(self)} by {count} (limit {MAX_NEURONS})")
        if count == 0:
            return len(self)
        old = len(self)
        new = self._new_neuron_arrays(old, count)
        for name in ("v", "u", "a", "b", "c", "d", "m", "h", "n_gate", "s", "g_na", "g_k", "g_leak", "g_ca"):
            extra = new.get(name, np.zeros(count))
            setattr(self, name, np.concatenate([getattr(self, name), extra]))
        self.rising = np.concatenate([self.rising, np.zeros(count, bool)])
        self.spiked = np.concatenate([self.spiked, np.zeros(count, bool)])
        self.spike_counts = np.concatenate([self.spike_counts, np.zeros(count, np.int64)])
        self.outputs = np.concatenate([self.outputs, np.zeros(count, np.int32)])
        if connect:
            total = len(self)
            k = int(count * total * self.density)
            rng = self._rng()
            new_side = rng.integers(old, total, k)
            any_side = rng.integers(0, total, k)
            flip = rng.random(k) < 0.5
            self._add_random(np.where(flip, new_side, any_side), np.where(flip, any_side, new_side), rng)
        return len(self)

    def _connect_initial(self) -> None:
        n = len(self)
        k = int(n * n * self.density)
        if k == 0:
            return
        rng = self._rng()
        self._add_random(rng.integers(0, n, k), rng.integers(0, n, k), rng)

    def _add_random(self, pre: np.ndarray, post: np.ndarray, rng: np.random.Generator) -> None:
        keep = pre != post
        pre, post = pre[keep], post[keep]
        sign = np.where(pre < self._n_excitatory(len(self)), 1.0, -1.0)
        cond = np.trunc(sign * rng.random(len(pre)) * self.conductance_scale * 256.0)
        self.synapses.extend(pre, post, np.clip(cond, -32768, 32767))

    def prune(self, indices) -> int:
        """Remove the neurons at ``indices`` (and their synapses), renumbering the rest; never
        below two neurons (the reference's floor). Returns the new count."""
        n = len(self)
        idx = np.asarray(indices, np.int64).ravel()
        idx = idx[(idx >= 0) & (idx < n)]
        remove = np.zeros(n, bool)
        remove[idx] = True
        if not remove.any() or n - int(remove.sum()) < 2:
            return n
        keep = ~remove
        for name in ("v", "u", "a", "b", "c", "d", "m", "h", "n_gate", "s", "g_na", "g_k", "g_leak", "g_ca",
                     "rising", "spiked", "spike_counts", "outputs"):
            setattr(self, name, getattr(self, name)[keep])
        remap = np.cumsum(keep) - 1
        syn = self.synapses
        syn.keep(keep[syn.pre] & keep[syn.post])
        syn.pre, syn.post = remap[syn.pre], remap[syn.post]
        return len(self)

    # ---- dynamics ---------------------------------------------------------------------------------------
    def synaptic_input(self) -> np.ndarray:
        """Σ over synapses of pre activation × conductance / 256 (truncated), per post neuron (×256 units)."""
        syn = self.synapses
        n = len(self)
        if not len(syn):
            return np.zeros(n, np.int64)
        per = np.trunc(self.outputs[syn.pre].astype(np.int64) * syn.cond.astype(np.int64) / 256.0)
        return np.bincount(syn.post, weights=per, minlength=n).astype(np.int64)

    def step(self, external: Optional[np.ndarray] = None) -> np.ndarray:
        """One timestep. ``external``: currents ×256 for the first len(external) neurons."""
        n = len(self)
        self.timestep += 1
        total = self.synaptic_input()
        if external is not None and len(external):
            ext = np.asarray(external, np.int64)[:n]
            total[: len(ext)] += ext
        total = np.clip(total, I32_MIN, I32_MAX)
        i_in = total / CURRENT_SCALE * current_modifier(self.axes)
        prev = self.outputs > 0
        if self.model == "izhikevich":
            self._step_izhikevich(i_in)
        else:
            self._step_hh(i_in)
        self.spike_counts += self.spiked
        self._activation()
        self._trace(prev)
        return self.spiked

    def _step_izhikevich(self, i_in: np.ndarray) -> None:
        h = self.dt / self.substeps
        v, u = self.v, self.u
        fired = np.zeros(len(v), bool)
        for _ in range(self.substeps):
            dv = (0.04 * v * v + 5.0 * v + 140.0 - u + i_in) * h
            du = self.a * (self.b * v - u) * h
            v = v + dv
            u = u + du
            hit = v >= 30.0
            v = np.where(hit, self.c, v)
            u = np.where(hit, u + self.d, u)
            fired |= hit
        self.v, self.u, self.spiked = v, u, fired

    def _step_hh(self, i_in: np.ndarray) -> None:
        ex = min(max(1.0 + 0.5 * self.axes[0] / 127.0, 0.5), 2.0)
        inh = min(max(1.0 + 0.5 * self.axes[1] / 127.0, 0.5), 2.0)
        fired = np.zeros(len(self.v), bool)
        for _ in range(self.substeps):
            v, dt = self.v, self.dt
            am, bm, ah, bh, an, bn, as_, bs = _hh_rates(v)
            self.m = np.clip(self.m + (am * (1 - self.m) - bm * self.m) * dt, 0.0, 1.0)
            self.h = np.clip(self.h + (ah * (1 - self.h) - bh * self.h) * dt, 0.0, 1.0)
            self.n_gate = np.clip(self.n_gate + (an * (1 - self.n_gate) - bn * self.n_gate) * dt, 0.0, 1.0)
            self.s = np.clip(self.s + (as_ * (1 - self.s) - bs * self.s) * dt, 0.0, 1.0)
            i_ion = (self.g_na * ex * self.m ** 3 * self.h * (v - E_NA)
                     + self.g_k * inh * self.n_gate ** 4 * (v - E_K)
                     + self.g_leak * (v - E_LEAK)
                     + self.g_ca * ex * self.s ** 2 * (v - E_CA))
            new_v = v + (i_in - i_ion) * dt
            up = new_v > v
            fired |= (new_v > 0.0) & self.rising & ~up      # a peak above 0 mV
            self.rising = up
            self.v = new_v
        self.spiked = fired

    def _activation(self) -> None:
        dv = self.v - V_REST
        rng = IZH_V_RANGE if self.model == "izhikevich" else HH_V_RANGE
        mag = np.clip(np.abs(dv) / rng * 255.0, 0.0, 255.0).astype(np.int32)
        out = np.where(dv > 0.5, mag, 0)
        if self.bipolar:
            out = np.where(dv < -0.5, -mag, out)
        self.outputs = out.astype(np.int32)

    def _trace(self, pre_active: np.ndarray) -> None:
        """Per-synapse bookkeeping: eligibility (pre active last step, post spiked now) decays by
        half each step; ``uses`` counts spikes carried."""
        syn = self.synapses
        if not len(syn):
            return
        syn.eligibility >>= 1
        syn.eligibility += (pre_active[syn.pre] & self.spiked[syn.post]).astype(np.int32) * 64
        syn.uses += self.spiked[syn.pre]

    # ---- reads --------------------------------------------------------------------------------------------
    def mean_activation(self) -> int:
        """Σ activations / n, truncated toward zero and clamped to ±255 (the reference's mean)."""
        if not len(self):
            return 0
        total = int(self.outputs.astype(np.int64).sum())
        mean = abs(total) // len(self) * (1 if total >= 0 else -1)
        return max(-255, min(255, mean))

    # ---- persistence --------------------------------------------------------------------------------------
    _ARRAYS = ("v", "u", "a", "b", "c", "d", "m", "h", "n_gate", "s", "g_na", "g_k", "g_leak", "g_ca",
               "rising", "spiked", "spike_counts", "outputs", "axes", "target_axes")
    _SYN = ("pre", "post", "cond", "eligibility", "uses")

    def state(self) -> dict[str, np.ndarray]:
        """Every array and setting, as plain NumPy arrays (no objects): save with ``np.savez``."""
        out = {name: getattr(self, name).copy() for name in self._ARRAYS}
        out.update({f"syn_{k}": getattr(self.synapses, k).copy() for k in self._SYN})
        out["model"] = np.array(MODELS.index(self.model))
        out["profile"] = np.frombuffer(self.profile.encode("ascii"), np.uint8).copy()
        out["scalars"] = np.array([self.excitatory_ratio, self.density, self.conductance_scale, self.dt,
                                   self.substeps, self.seed, self.timestep, self.ops, int(self.bipolar)], np.float64)
        return out

    @classmethod
    def from_state(cls, st: dict[str, np.ndarray]) -> "Population":
        """Rebuild a population from :meth:`state`; anything inconsistent → HostError."""
        try:
            model = MODELS[int(st["model"])]
            profile = bytes(np.asarray(st["profile"], np.uint8)).decode("ascii")
            ratio, density, scale, dt, substeps, seed, timestep, ops, bipolar = (float(x) for x in st["scalars"])
            pop = cls(0, model=model, profile=profile, excitatory_ratio=ratio, density=density,
                      conductance_scale=scale, dt=dt, substeps=int(substeps), seed=int(seed), bipolar=bool(bipolar))
            n = len(st["v"])
            for name in cls._ARRAYS:
                arr = np.asarray(st[name])
                want = 4 if name in ("axes", "target_axes") else n
                if arr.shape != (want,):
                    raise ValueError(f"{name} has shape {arr.shape}, want ({want},)")
                setattr(pop, name, arr.astype(getattr(pop, name).dtype if name in ("axes", "target_axes")
                                              else arr.dtype).copy())
            syn = Synapses(*(np.asarray(st[f"syn_{k}"]).copy() for k in cls._SYN))
            if len({len(getattr(syn, k)) for k in cls._SYN}) != 1:
                raise ValueError("synapse arrays differ in length")
            if len(syn) and (syn.pre.min() < 0 or syn.post.min() < 0 or max(syn.pre.max(), syn.post.max()) >= n):
                raise ValueError("a synapse names a neuron that does not exist")
            pop.synapses = syn
            pop.timestep, pop.ops = int(timestep), int(ops)
        except (KeyError, ValueError, IndexError, TypeError, UnicodeDecodeError, HostError) as exc:
            raise HostError(f"spiking state is damaged: {exc}") from None
        return pop
