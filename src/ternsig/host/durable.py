"""When a brain checkpoints, and the glue between a brain and its :class:`CheckpointStore`.

Triggers, checked at tick boundaries only (so a checkpoint always holds a whole tick):

* every ``every`` ticks (0 = off) and/or every ``seconds`` seconds of running (0 = off);
* when a program asked to persist (``lifecycle.save_thermo`` / ``store_weights``) during the
  tick — at most once per ``min_seconds``, so a firmware that saves every tick does not turn every
  tick into a disk commit (the request stays pending until that interval has passed);
* on exit (:meth:`Durability.checkpoint` from ``Brain.save``).

The default (``seconds=1``) bounds what a kill -9 can lose to about one second of running. The
clock is injectable: tests drive it by hand and never depend on wall-clock time.
"""
from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable, Iterable, Optional

from ..errors import HostError
from .brainstate import (KERNEL_PART, RestoreReport, decode_part, encode_kernel, encode_region, region_part_name,
                         restore_kernel, restore_region)
from .checkpoint import CheckpointStore, Manifest, PartRef

if TYPE_CHECKING:
    from .region import Region


@dataclass
class CheckpointPolicy:
    every: int = 0               # ticks between checkpoints (0 = off)
    seconds: float = 1.0         # seconds between checkpoints (0 = off)
    keep: int = 3                # published checkpoints kept (rollback points)
    min_seconds: float = 0.1     # least time between checkpoints a program's save request triggers

    def __post_init__(self) -> None:
        if self.every < 0 or self.seconds < 0 or self.min_seconds < 0:
            raise HostError("checkpoint every/seconds/min_seconds must not be negative")
        if self.keep < 1:
            raise HostError(f"checkpoint keep must be at least 1, got {self.keep}")


class Durability:
    """A brain's checkpoints: trigger policy, writing parts, publishing, restoring."""

    def __init__(self, brain: Any, policy: Optional[CheckpointPolicy] = None,
                 clock: Callable[[], float] = time.monotonic):
        self.brain = brain
        self.policy = policy or CheckpointPolicy()
        self.clock = clock
        self.store = CheckpointStore(brain.state_dir, keep=self.policy.keep)
        self.last_id: Optional[int] = None
        self.last_tick = 0
        self.last_time = clock()
        self._seen_requests = 0
        self.written = 0               # checkpoints published by this process
        self.failures = 0              # periodic checkpoints that could not be written
        self.report: Optional[RestoreReport] = None
        #: called with (manifest, reason) after each checkpoint this process publishes
        self.on_publish: Optional[Callable[[Manifest, str], None]] = None

    def set_policy(self, policy: CheckpointPolicy) -> None:
        self.policy = policy
        self.store.keep = policy.keep

    # ---- writing ---------------------------------------------------------------------------------------
    def write_parts(self, ckpt_id: int, regions: Optional[Iterable["Region"]] = None,
                    kernel: bool = True, file: str = "brain") -> list[PartRef]:
        """Write the parts of checkpoint ``ckpt_id`` this process owns — the given regions (default
        all) and, when ``kernel``, the kernel part — into one file ``file`` (one fsync). Under MPI
        each rank writes its own regions (rank 0 also the kernel) into a file named for the rank;
        rank 0 then publishes the gathered refs (:meth:`CheckpointStore.publish`)."""
        b = self.brain

        def parts() -> Iterable[tuple[str, bytes]]:       # encoded one at a time, as they are written
            if kernel:
                yield KERNEL_PART, encode_kernel(b)
            for r in (b.regions if regions is None else regions):
                yield region_part_name(r.name), encode_region(b, r)
        return self.store.write_bundle(ckpt_id, file, parts())

    def checkpoint(self, reason: str = "periodic") -> Optional[Manifest]:
        """Write every part and publish one manifest (single process). None when this tick is
        already checkpointed."""
        b = self.brain
        tick = b.substrate.tick
        self._mark(tick)
        if self.last_id == tick:
            return None
        refs = self.write_parts(tick)
        m = self.store.publish(tick, tick, refs, {"brain": b.config.name, "reason": reason,
                                                  "regions": [r.name for r in b.regions]})
        self.last_id = tick
        self.written += 1
        self._event("checkpoint", [tick, sum(p.size for p in refs)], f"checkpoint {tick} ({reason})")
        if self.on_publish is not None:
            self.on_publish(m, reason)
        return m

    def _mark(self, tick: int) -> None:
        self.last_tick = tick
        self.last_time = self.clock()
        self._seen_requests = self.brain.store.save_requests

    def due(self) -> Optional[str]:
        """Why a checkpoint is due at this tick boundary (None when it is not)."""
        p, tick = self.policy, self.brain.substrate.tick
        if p.every and tick - self.last_tick >= p.every:
            return "every"
        now = None
        if p.seconds:
            now = self.clock()
            if now - self.last_time >= p.seconds:
                return "seconds"
        if self.brain.store.save_requests != self._seen_requests:
            now = self.clock() if now is None else now
            if now - self.last_time >= p.min_seconds:
                return "requested"
        return None

    def after_tick(self) -> Optional[Manifest]:
        """Checkpoint when due. A periodic checkpoint that cannot be written (disk full, permissions)
        is reported as a telemetry warning and retried at the next trigger; the brain runs on."""
        reason = self.due()
        if not reason:
            return None
        try:
            return self.checkpoint(reason)
        except OSError as exc:
            self.failures += 1
            self._event("warning", [], f"checkpoint failed: {exc.strerror or exc}")
            return None

    def _event(self, kind: str, data: list[int], note: str) -> None:
        b = self.brain
        ev = {"tick": b.substrate.tick, "region": "kernel", "event": kind, "data": data, "note": note}
        b.events.append(ev)
        if b.telemetry is not None:
            b.telemetry.write(json.dumps({"type": "event", **ev}) + "\n")
            b.telemetry.flush()    # telemetry reaches the file at least as often as checkpoints

    # ---- restoring -------------------------------------------------------------------------------------
    def restore(self, regions: Optional[Iterable["Region"]] = None, kernel: bool = True) -> RestoreReport:
        """Load the newest complete checkpoint into the brain (its regions, default all, and the
        kernel part). Regions the checkpoint does not hold keep their fresh state; parts of
        regions the brain no longer has are reported as dropped."""
        b = self.brain
        rep = RestoreReport()
        m = self.store.latest()
        rep.skipped = list(self.store.skipped)
        if m is None:
            self.report = rep
            return rep
        rep.checkpoint, rep.tick = m.id, m.tick
        names = set(m.names())
        if kernel:
            restore_kernel(b, decode_part(self.store.read_part(m, KERNEL_PART), KERNEL_PART), rep.dropped)
        targets = list(b.regions if regions is None else regions)
        for r in targets:
            name = region_part_name(r.name)
            if name in names:
                restore_region(b, r, decode_part(self.store.read_part(m, name), name), rep.dropped)
        if regions is None:
            known = {region_part_name(r.name) for r in b.regions}
            for n in sorted(names - known - {KERNEL_PART}):
                rep.dropped.append(f"{n}: the brain no longer has this region")
        self.last_id = m.id
        self._mark(b.substrate.tick)
        self.report = rep
        return rep


def policy_for(config: object, every: Optional[int] = None, seconds: Optional[float] = None,
               keep: Optional[int] = None) -> CheckpointPolicy:
    """The checkpoint policy: the defaults, then the boot program's ``.config checkpoint`` line,
    then explicit overrides (command-line flags)."""
    p = CheckpointPolicy()
    for name, override in (("every", every), ("seconds", seconds), ("keep", keep)):
        value = override if override is not None else getattr(config, f"checkpoint_{name}", None)
        if value is not None:
            setattr(p, name, value)
    p.__post_init__()
    return p
