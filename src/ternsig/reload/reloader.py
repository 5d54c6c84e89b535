"""The hot reloader: watches firmware files and swaps complete, verified versions in when
:meth:`HotReloader.check` is called at a tick boundary."""
from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable, Optional

from ..program import Program
from .filewatch import FileWatcher, _FileState, writers_gone
from .swap import ReloadReport, apply_reload_all
from .verify import ReloadRejected, prepare_program

DEFAULT_DEBOUNCE = 0.050


@dataclass
class ReloadEvent:
    path: Path
    ok: bool
    report: Optional[ReloadReport] = None
    reason: Optional[str] = None
    latency_s: float = 0.0       # from the content change being seen to the swap


@dataclass
class ReloadTarget:
    """One watched firmware file: the role it runs as and how to swap a verified program in."""

    path: Path
    role: Optional[str]
    swap: Callable[[Program], ReloadReport]
    name: str = ""


class HotReloader:
    """Watches firmware files and swaps complete versions in; call :meth:`check` between ticks.

    A version is tried once its size and content hash stayed the same for ``debounce`` seconds
    (re-checked against the file when the period ends) — or at once when it arrived as a new inode
    (an editor's atomic rename) that no process holds open for writing any more. ``report(event)`` is called for every swap
    and once per distinct failure of a file. The counters ``swaps``, ``rejections`` and
    ``suppressed`` say how often each happened. ``clock`` is injectable so tests drive time.
    """

    def __init__(self, targets: Iterable[ReloadTarget], *, registry: Any = None,
                 debounce: float = DEFAULT_DEBOUNCE, poll_interval: float = 0.002,
                 use_watchfiles: Optional[bool] = None, report: Optional[Callable[[ReloadEvent], None]] = None,
                 clock: Callable[[], float] = time.monotonic):
        self.targets = {Path(t.path): t for t in targets}
        if registry is None:
            from ..registry import ExtensionRegistry

            registry = ExtensionRegistry.standard()
        self.registry = registry
        self.debounce = debounce
        self.report = report
        self.clock = clock
        self.watcher = FileWatcher(self.targets, poll_interval=poll_interval, use_watchfiles=use_watchfiles,
                                   clock=clock)
        self._reported: dict[Path, set[str]] = {p: set() for p in self.targets}
        self._waiting: set[Path] = set()
        self.swaps = 0
        self.rejections = 0
        self.suppressed = 0
        self.events: list[ReloadEvent] = []

    def close(self) -> None:
        self.watcher.close()

    def __enter__(self) -> "HotReloader":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def check(self, force: bool = False) -> list[ReloadEvent]:
        """Poll the files and swap in every complete new version. Must run at a tick boundary."""
        changed = self.watcher.poll(force)
        self._waiting.update(changed)
        out: list[ReloadEvent] = []
        for p in sorted(self._waiting):
            st = self.watcher.states[p]
            if st.digest == st.handled:
                self._waiting.discard(p)
                continue
            now = self.clock()
            if now - st.changed_at < self.debounce and not self._complete_already(p, st):
                continue                          # still changing, or not quiet for long enough
            if not self.watcher.confirm(p, now):
                continue                          # changed after all: a new quiet period starts
            if st.digest == st.handled:           # ... back to the version already running
                self._waiting.discard(p)
                continue
            ev = self._try(p, st)
            if ev is not None:
                out.append(ev)
        return out

    @staticmethod
    def _complete_already(p: Path, st: _FileState) -> bool:
        """A file replaced by a new inode (write a temp file, rename it over: what most editors do)
        is complete once nobody has that inode open for writing — no need to wait for a quiet
        period. Content written in place (same inode, maybe piece by piece, each piece closed)
        cannot be judged that way and always waits the debounce."""
        return st.replaced and writers_gone(p) is True

    def _try(self, p: Path, st: _FileState) -> Optional[ReloadEvent]:
        target = self.targets[p]
        try:
            if st.digest is None:
                raise ReloadRejected("the file cannot be read (deleted or renamed?)")
            program = prepare_program(st.data, target.role, registry=self.registry, source_name=str(p))
            report = target.swap(program)
        except ReloadRejected as exc:
            st.handled = st.digest
            self._waiting.discard(p)
            self.rejections += 1
            if exc.reason in self._reported[p]:
                self.suppressed += 1
                return None
            self._reported[p].add(exc.reason)
            ev = ReloadEvent(p, False, reason=exc.reason)
            return self._emit(ev)
        st.handled = st.digest
        self._waiting.discard(p)
        self._reported[p].clear()
        self.swaps += 1
        report.path = p
        ev = ReloadEvent(p, True, report=report, latency_s=self.clock() - st.changed_at)
        return self._emit(ev)

    def _emit(self, ev: ReloadEvent) -> ReloadEvent:
        self.events.append(ev)
        if len(self.events) > 1000:
            del self.events[:500]
        if self.report is not None:
            self.report(ev)
        return ev


def brain_reloader(brain: Any, **kw: Any) -> HotReloader:
    """A reloader over every region's firmware; call ``.check()`` between ``brain.tick()`` calls."""
    # one target per firmware file: every region running it (an array's instances) swaps together
    users: dict[Path, list[Any]] = {}
    for r in brain.regions:
        users.setdefault(Path(r.firmware), []).append(r)
    targets = [ReloadTarget(p, rs[0].role, (lambda prog, ns=[r.name for r in rs]: apply_reload_all(brain, ns, prog)),
                            rs[0].name if len(rs) == 1 else f"{rs[0].name} and {len(rs) - 1} more")
               for p, rs in users.items()]
    return HotReloader(targets, registry=brain.registry, **kw)


def describe(ev: ReloadEvent, base: Optional[Path] = None) -> str:
    name = ev.path.name if base is None else os.path.relpath(ev.path, base)
    if ev.ok and ev.report is not None:
        return f"reloaded {name} in {ev.latency_s * 1000:.1f} ms: {ev.report.summary()}"
    return f"kept the last good {name}: {ev.reason}"
