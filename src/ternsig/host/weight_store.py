"""The brain's weight store: thermograms keyed by the `.registers` keys, plus checkpoints.

All keyed cold registers of a brain live in one thermogram (``weights.thermo``) through the
:class:`~ternsig.host.tensor_thermogram.TensorThermogram` bridge, temperatures included. Saves go to the
in-memory thermogram and reach the disk atomically on :meth:`flush` (the brain flushes
periodically and on exit). Checkpoints (anti-devolve) are one small `.thermo` file per register,
written atomically. A damaged file is reported, never half-loaded, never overwritten.
"""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Optional

from ..errors import FormatError, HostError
from ..signal import Signal
from .tensor_thermogram import TensorThermogram
from ..vm.state import ColdBuffer

if TYPE_CHECKING:
    from .region import Region

STRENGTH = Signal(1, 200)


class WeightStore:
    def __init__(self, directory: Path):
        self.dir = Path(directory)
        self.path = self.dir / "weights.thermo"
        if self.path.exists():
            try:
                self.tt = TensorThermogram.load(self.path)
            except FormatError as exc:
                raise HostError(f"{self.path} is damaged ({exc}); refusing to start over it — "
                                f"restore it or move it aside") from None
        else:
            self.tt = TensorThermogram("brain")
        self.registered: dict[str, tuple[int, ...]] = {}
        self.dirty = False
        #: programs' persist requests (SaveThermo/StoreWeights) so far: a checkpoint trigger
        self.save_requests = 0

    # ---- registration and weights ---------------------------------------------------------------
    def register(self, region: "Region", cold: ColdBuffer) -> None:
        if not cold.key:
            raise HostError(f"InitThermo: a cold register of region {region.name!r} has no thermogram key")
        shape = self.registered.get(cold.key)
        if shape is not None and shape != cold.shape:
            raise HostError(f"thermogram key {cold.key!r} is registered with shape {list(shape)}, "
                            f"region {region.name!r} declares {list(cold.shape)}")
        self.registered[cold.key] = cold.shape

    def _key(self, region: "Region", cold: ColdBuffer, key: Optional[str]) -> str:
        k = key or cold.key
        if not k:
            raise HostError(f"region {region.name!r}: cold register has no thermogram key")
        if k not in self.registered:
            raise HostError(f"thermogram key {k!r} was not registered at boot")
        return k

    def _restore(self, cold: ColdBuffer, key: str) -> bool:
        sig = self.tt.load_weights(key)
        if sig is None:
            return False
        if len(sig) != len(cold):
            raise HostError(f"thermogram {key!r} holds {len(sig)} weights, the register has {len(cold)}")
        self.tt.load_buffer(cold, key)
        return True

    def load_if_present(self, region: "Region", cold: ColdBuffer) -> bool:
        return self._restore(cold, self._key(region, cold, None))

    def load(self, region: "Region", cold: ColdBuffer, key: Optional[str] = None) -> None:
        k = self._key(region, cold, key)
        if not self._restore(cold, k):
            raise HostError(f"thermogram {k!r} holds no weights yet")

    def save(self, region: "Region", cold: ColdBuffer, key: Optional[str] = None) -> None:
        self.tt.store_weights(self._key(region, cold, key), cold, STRENGTH)
        self.dirty = True
        self.save_requests += 1

    def flush(self) -> None:
        if self.dirty or not self.path.exists():
            self.dir.mkdir(parents=True, exist_ok=True)
            self.tt.save(self.path)
            self.dirty = False

    # ---- thermogram maintenance -------------------------------------------------------------------
    def consolidate(self, region: "Region") -> None:
        self.tt.consolidate()
        self.dirty = True

    def prune_hot(self, region: "Region") -> int:
        n = self.tt.substrate.prune_hot()
        self.dirty = self.dirty or n > 0
        return n

    def valence_credit(self, region: "Region", reinforce: bool, weaken: bool) -> int:
        from ..thermo.rules import ThermalState

        n = 0
        t = self.tt.substrate
        for state in (ThermalState.HOT, ThermalState.WARM):
            for key in list(t.keys_for_state(state)):
                if reinforce:
                    n += t.reinforce(key, Signal(1, 13))
                elif weaken:
                    n += t.weaken(key, Signal(1, 13))
        self.dirty = self.dirty or n > 0
        return n

    # ---- checkpoints (anti-devolve) ---------------------------------------------------------------
    def _ckpt_path(self, region: "Region", reg: int) -> Path:
        return self.dir / "checkpoints" / f"{region.name}.C{reg & 0x3F}.thermo"

    def checkpoint_save(self, region: "Region", reg: int, cold: ColdBuffer) -> None:
        tt = TensorThermogram(f"{region.name}.checkpoint")
        tt.store_weights("checkpoint", cold, STRENGTH)
        path = self._ckpt_path(region, reg)
        path.parent.mkdir(parents=True, exist_ok=True)
        tt.save(path)

    def checkpoint_restore(self, region: "Region", reg: int) -> None:
        path = self._ckpt_path(region, reg)
        if not path.exists():
            raise HostError(f"CheckpointRestore: no checkpoint of C{reg & 0x3F} for region {region.name!r}")
        try:
            tt = TensorThermogram.load(path)
        except FormatError as exc:
            raise HostError(f"CheckpointRestore: checkpoint {path} is damaged: {exc}") from None
        cold = region.machine.cold[reg & 0x3F]
        if cold is None:
            raise HostError(f"CheckpointRestore: C{reg & 0x3F} is not allocated in region {region.name!r}")
        if not tt.load_buffer(cold, "checkpoint")[0]:
            raise HostError(f"CheckpointRestore: checkpoint of C{reg & 0x3F} does not match the register's size")

    def checkpoint_discard(self, region: "Region", reg: int) -> None:
        path = self._ckpt_path(region, reg)
        if path.exists():
            path.unlink()
