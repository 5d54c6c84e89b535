"""The one tick loop: ``brain run``, ``brain run --watch`` and ``ternsig watch DIR`` all tick here.

Each pass, at a tick boundary: ``before_tick(i)`` (tests edit files at a chosen tick, so nothing
races), then the reloader's ``check()`` (a verified new firmware version is swapped in *before* the
tick, so it runs at once), then one ``tick()``, then every observer gets a :class:`Tick`. Display,
learning curve, progress bar, status lines and exit codes are observers; the loop itself prints
nothing and saves nothing — the caller persists in its ``finally`` (it knows what "exit" means).

Why one loop: three copies had drifted (one reloaded before the tick, one after; only one saved
on Ctrl-C). Stopping is explicit: ``ticks`` ran, ``stop()`` answered True, or Ctrl-C
(``KeyboardInterrupt`` is caught here and reported as ``interrupted``). ``pace`` sleeps between
ticks (the interactive ``watch`` loop, so it does not spin a core); ``sleep`` is injectable.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Optional, Protocol


class Tickable(Protocol):
    """What the loop drives: a brain, or the program set of ``ternsig watch DIR``."""

    def tick(self) -> dict[str, Any]: ...


class Reloader(Protocol):
    """A hot reloader (``ternsig.reload.HotReloader``): swaps verified versions in when checked."""

    def check(self, force: bool = False) -> list[Any]: ...


@dataclass
class Tick:
    """What an observer sees after each tick."""

    index: int                      # 0-based count of ticks run by this loop
    result: dict[str, Any]          # the tickable's ``tick()`` result (``"tick"``: the brain's tick number)
    reloads: list[Any] = field(default_factory=list)   # reload events of this tick boundary


#: an observer: called once per tick, in order, after the tick ran
TickObserver = Callable[[Tick], None]


@dataclass
class LoopEnd:
    """How the loop ended."""

    ticks: int                                  # ticks run by this loop
    last: Optional[dict[str, Any]] = None       # the last tick's result (None: no tick ran)
    interrupted: bool = False                   # Ctrl-C


def run_ticks(target: Tickable, ticks: Optional[int] = None, *, reloader: Optional[Reloader] = None,
              observers: Iterable[TickObserver] = (), before_tick: Optional[Callable[[int], None]] = None,
              stop: Optional[Callable[[], bool]] = None, pace: float = 0.0,
              sleep: Callable[[float], None] = time.sleep) -> LoopEnd:
    """Tick ``target`` until ``ticks`` ran (None: no limit), ``stop()`` is true or Ctrl-C."""
    obs = list(observers)
    end = LoopEnd(0)
    try:
        while (ticks is None or end.ticks < ticks) and not (stop is not None and stop()):
            if before_tick is not None:
                before_tick(end.ticks)
            events = reloader.check() if reloader is not None else []
            res = target.tick()
            t = Tick(end.ticks, res, events)
            end.ticks += 1
            end.last = res
            for ob in obs:
                ob(t)
            if pace > 0:
                sleep(pace)
    except KeyboardInterrupt:
        end.interrupted = True
    return end
