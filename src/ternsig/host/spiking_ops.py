"""The default host's spiking substrate: one SNN and one neuron pool per region, and the
fulfilment of the neuro extension's SNN DomainOps and the pool extension's (0x000C).

A region's SNN and pool are declared in the boot program's ``.config``::

    snn  REGION model=izhikevich profile=rs neurons=200 density=0.05 seed=3
    pool REGION neurons=512 density=0.02

(keys: ``model`` izhikevich|hodgkin_huxley, ``profile`` (rs fs ib ch lts tc rz | standard
high_excitability strong_inhibition slow_integrating fast_transient), ``neurons``, ``density``,
``ratio`` (excitatory), ``scale`` (conductance), ``dt``, ``substeps``, ``seed``, ``bipolar`` 0|1).
A region that uses SNN or pool ops without a declaration gets the defaults (SNN: 100 regular-
spiking Izhikevich neurons at density 0.1, the reference's; pool: 256 neurons at density 0.05).

Time: a region's SNN advances one step each tick, when the region starts, driven by the region's
input vector (value v → current v; the reference's ``step_signals``). A pool advances only on
POOL_TICK. SNN_SET_AXES sets the axes' target, SNN_STEP_AXES moves the axes toward it by at most
``H[src][0]`` per axis (the reference's rate limit).

Persistence: :meth:`SpikingSubstrate.state` returns every population as flat NumPy arrays
(``snn/REGION/NAME``, ``pool/REGION/NAME``) and :meth:`restore` takes them back — the one method a
brain checkpoint needs. POOL_SAVE / POOL_LOAD write and read ``STATE/pool/REGION.npz`` atomically.
"""
from __future__ import annotations

import io
import re
import zipfile
import zlib
from pathlib import Path
from typing import Any, Optional

import numpy as np

from ..errors import HostError
from .handlers import BrainView, HandlerTable
from .neuronpool import NeuronPool
from .regio import read_hot, read_scalar, write_prefix, write_vector
from .spiking import CURRENT_SCALE, I32_MAX, Population, clamp_i8, step_axes

MAX_GROW = 4096            # neurons one SNN_GROW_NEURONS may add
DEFAULTS = {"snn": {"neurons": "100", "density": "0.1"}, "pool": {"neurons": "256", "density": "0.05"}}
_FLOAT_KEYS = {"density": "density", "ratio": "excitatory_ratio", "scale": "conductance_scale", "dt": "dt"}
_INT_KEYS = {"substeps": "substeps", "seed": "seed"}


def build_population(kind: str, spec: dict[str, str], default_seed: int) -> Population:
    """A population from a ``.config`` declaration (strings); bad values → HostError."""
    spec = {**DEFAULTS[kind], **spec}
    kw: dict[str, Any] = {"seed": default_seed}
    try:
        for key, value in spec.items():
            if key == "neurons":
                continue
            if key in _FLOAT_KEYS:
                kw[_FLOAT_KEYS[key]] = float(value)
            elif key in _INT_KEYS:
                kw[_INT_KEYS[key]] = int(value, 0)
            elif key == "model":
                kw["model"] = value.lower()
            elif key == "profile":
                kw["profile"] = value.lower()
            elif key == "bipolar":
                kw["bipolar"] = bool(int(value, 0))
            else:
                raise HostError(f"{kind}: unknown setting {key!r}")
        n = int(spec["neurons"], 0)
    except ValueError as exc:
        raise HostError(f"{kind}: bad value: {exc}") from None
    return Population(n, **kw)


class SpikingSubstrate:
    """Per-region SNNs and pools of one brain."""

    def __init__(self, specs: Optional[dict[str, dict[str, dict[str, str]]]] = None,
                 region_ids: Optional[dict[str, int]] = None):
        self.specs = specs or {}
        self.region_ids = region_ids or {}
        self.snns: dict[str, Population] = {}
        self.pools: dict[str, NeuronPool] = {}
        for region, kinds in self.specs.items():       # declared ones are built now: errors at load
            if "snn" in kinds:
                self.snns[region] = self._build("snn", region)
            if "pool" in kinds:
                self.pools[region] = NeuronPool(self._build("pool", region))

    def _build(self, kind: str, region: str) -> Population:
        rid = self.region_ids.get(region, 0)
        spec = self.specs.get(region, {}).get(kind, {})
        try:
            return build_population(kind, spec, default_seed=2 * rid + (kind == "pool"))
        except HostError as exc:
            raise HostError(f"region {region!r}: {exc}") from None

    def snn(self, region: str) -> Population:
        pop = self.snns.get(region)
        if pop is None:
            pop = self.snns[region] = self._build("snn", region)
        return pop

    def pool(self, region: str) -> NeuronPool:
        pool = self.pools.get(region)
        if pool is None:
            pool = self.pools[region] = NeuronPool(self._build("pool", region))
        return pool

    def on_region_start(self, region: str, inputs: np.ndarray) -> None:
        """Advance the region's SNN (if it has one) by one step driven by its input."""
        pop = self.snns.get(region)
        if pop is not None:
            pop.step(np.asarray(inputs, np.int64) * CURRENT_SCALE)

    # ---- persistence ----------------------------------------------------------------------------------
    def state(self) -> dict[str, np.ndarray]:
        out: dict[str, np.ndarray] = {}
        for region, pop in self.snns.items():
            out.update({f"snn/{region}/{k}": v for k, v in pop.state().items()})
        for region, pool in self.pools.items():
            out.update({f"pool/{region}/{k}": v for k, v in pool.state().items()})
        return out

    def restore(self, state: dict[str, np.ndarray]) -> None:
        groups: dict[tuple[str, str], dict[str, np.ndarray]] = {}
        for key, arr in state.items():
            parts = key.split("/")
            if len(parts) != 3 or parts[0] not in ("snn", "pool"):
                raise HostError(f"spiking state: unexpected entry {key!r}")
            groups.setdefault((parts[0], parts[1]), {})[parts[2]] = arr
        snns, pools = {}, {}
        for (kind, region), st in groups.items():
            if kind == "snn":
                snns[region] = Population.from_state(st)
            else:
                pools[region] = NeuronPool.from_state(st)
        self.snns, self.pools = snns, pools

    def save_pool(self, region: str, path: Path) -> None:
        from ..atomicio import atomic_write

        buf = io.BytesIO()
        np.savez(buf, **self.pool(region).state())
        atomic_write(path, buf.getvalue(), make_parents=True)

    def load_pool(self, region: str, path: Path) -> bool:
        if not path.is_file():
            return False
        try:
            with np.load(path, allow_pickle=False) as z:
                st = {k: z[k] for k in z.files}
        except (OSError, ValueError, EOFError, KeyError, zipfile.BadZipFile, zlib.error) as exc:
            raise HostError(f"{path}: pool file is damaged: {exc}") from None
        self.pools[region] = NeuronPool.from_state(st)
        return True


# ---- fulfilment -----------------------------------------------------------------------------------------

HANDLERS = HandlerTable()
_handles = HANDLERS.handles


def _i32(v: int) -> int:
    return min(int(v), I32_MAX)


@_handles("SNNSetAxes")
def _snn_set_axes(b, r, op):
    vals = np.zeros(4, np.int64)
    src = read_hot(r.machine, op.op_name, op.source)[:4]
    vals[: len(src)] = src
    b.spiking.snn(r.name).target_axes = clamp_i8(vals)


@_handles("SNNStepAxes")
def _snn_step_axes(b, r, op):
    pop = b.spiking.snn(r.name)
    pop.axes = step_axes(pop.axes, pop.target_axes, read_scalar(r.machine, op.op_name, op.source))


@_handles("SNNReadActivation")
def _snn_read_activation(b, r, op):
    write_prefix(r.machine, op.op_name, op.target, [b.spiking.snn(r.name).mean_activation()])


@_handles("SNNReadNeuronCount")
def _snn_read_count(b, r, op):
    write_prefix(r.machine, op.op_name, op.target, [len(b.spiking.snn(r.name))])


@_handles("SNNReadOutputs")
def _snn_read_outputs(b, r, op):
    write_vector(r.machine, op.op_name, op.target, b.spiking.snn(r.name).outputs)


@_handles("SNNReadTimestep")
def _snn_read_timestep(b, r, op):
    write_prefix(r.machine, op.op_name, op.target, [_i32(b.spiking.snn(r.name).timestep)])


@_handles("SNNGrowNeurons")
def _snn_grow(b, r, op):
    count = read_scalar(r.machine, op.op_name, op.source)
    if not 0 <= count <= MAX_GROW:
        raise HostError(f"{op.op_name}: grow by 0..{MAX_GROW} neurons per instruction, not {count}")
    write_prefix(r.machine, op.op_name, op.result, [b.spiking.snn(r.name).grow(count)], role="result")


@_handles("SNNPruneNeurons")
def _snn_prune(b, r, op):
    indices = read_hot(r.machine, op.op_name, op.source)
    write_prefix(r.machine, op.op_name, op.result, [b.spiking.snn(r.name).prune(indices)], role="result")


@_handles("SNNReadActivities")
def _snn_read_activities(b, r, op):
    write_vector(r.machine, op.op_name, op.target, np.minimum(b.spiking.snn(r.name).spike_counts, I32_MAX))


@_handles("PoolTick")
def _pool_tick(b, r, op):
    spikes = b.spiking.pool(r.name).tick(read_hot(r.machine, op.op_name, op.source))
    write_prefix(r.machine, op.op_name, op.source, [spikes], role="source")


@_handles("PoolInject")
def _pool_inject(b, r, op):
    b.spiking.pool(r.name).inject(read_hot(r.machine, op.op_name, op.source), op.range_start, op.range_end)


@_handles("PoolReadOutput")
def _pool_read_output(b, r, op):
    write_vector(r.machine, op.op_name, op.target, b.spiking.pool(r.name).read_output(op.range_start, op.range_end))


@_handles("PoolReadStats")
def _pool_read_stats(b, r, op):
    write_prefix(r.machine, op.op_name, op.target, b.spiking.pool(r.name).stats())


@_handles("PoolModulate")
def _pool_modulate(b, r, op):
    chem = b.substrate.chem_ids
    da, cort = (b.substrate.read_chemical(chem[n]) for n in ("dopamine", "cortisol"))
    write_prefix(r.machine, op.op_name, op.result, list(b.spiking.pool(r.name).modulate(da, cort)), role="result")


@_handles("PoolPruneDead")
def _pool_prune(b, r, op):
    write_prefix(r.machine, op.op_name, op.result, [b.spiking.pool(r.name).prune_dead()], role="result")


@_handles("PoolSynaptogenesis")
def _pool_grow(b, r, op):
    ach = b.substrate.read_chemical(b.substrate.chem_ids["acetylcholine"])
    write_prefix(r.machine, op.op_name, op.result, [b.spiking.pool(r.name).synaptogenesis(ach)], role="result")


def pool_path(b: BrainView, region: str) -> Path:
    if not re.fullmatch(r"[A-Za-z0-9_][A-Za-z0-9_.-]*", region):
        raise HostError(f"region name {region!r} cannot name a pool file")
    return b.state_dir / "pool" / f"{region}.npz"


@_handles("PoolSave")
def _pool_save(b, r, op):
    b.spiking.save_pool(r.name, pool_path(b, r.name))


@_handles("PoolLoad")
def _pool_load(b, r, op):
    if not b.spiking.load_pool(r.name, pool_path(b, r.name)):
        raise HostError(f"{op.op_name}: region {r.name!r} has no saved pool")
