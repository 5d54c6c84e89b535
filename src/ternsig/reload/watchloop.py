"""``ternsig watch DIR``: run a brain (or every standalone program of a directory) through the one
tick loop and hot-reload edits until Ctrl-C."""
from __future__ import annotations

from pathlib import Path
from typing import Any, Callable, Optional, TextIO

from ..errors import TernsigError
from ..host.tickloop import Tick, run_ticks
from ..loader import read_source
from ..vm.interpreter import Interpreter
from .reloader import DEFAULT_DEBOUNCE, HotReloader, ReloadTarget, brain_reloader, describe
from .swap import swap_program
from .verify import prepare_program


#: ticks between two status lines of ``ternsig watch`` on a brain
STATUS_EVERY = 100


def run_watch(directory: Path, out: TextIO, *, stop: Optional[Callable[[], bool]] = None,
              tick_interval: float = 0.01, debounce: float = DEFAULT_DEBOUNCE,
              use_watchfiles: Optional[bool] = None, max_ticks: Optional[int] = None,
              state_dir: Optional[Path] = None, reload_options: Optional[dict[str, Any]] = None) -> int:
    """Run every ``*.ternsig`` in ``directory`` (or the brain, when it holds a ``boot.ternsig``
    with regions) and hot-reload edits until ``stop()`` is true, ``max_ticks`` ran or Ctrl-C.

    Each standalone program runs once per tick on its last input (zeros until one is given); a
    changed output is printed. A brain prints a status line every ``STATUS_EVERY`` ticks and keeps
    its state in ``state_dir`` (default ``DIR/state``). Returns a process exit status: 0, 1 when
    the brain cannot boot, 2 for a bad directory, 130 after Ctrl-C. ``reload_options`` go to the
    reloader (tests pass ``poll_interval=0`` and an injected ``clock``).
    """
    directory = Path(directory)
    if not directory.is_dir():
        out.write(f"ternsig watch: {directory}: not a directory\n")
        return 2
    if (directory / "boot.ternsig").exists():
        return _watch_brain(directory, out, stop, tick_interval, debounce, use_watchfiles, max_ticks, state_dir,
                            reload_options=reload_options)
    paths = sorted(directory.rglob("*.ternsig"))
    if not paths:
        out.write(f"ternsig watch: no .ternsig files under {directory}\n")
        return 2
    programs = ProgramSet()
    targets = []
    for p in paths:
        interp = Interpreter()
        programs.add(p, interp)
        try:
            prog = prepare_program(read_source(p), None, source_name=str(p))
            interp.load_program(prog)
            out.write(f"loaded {p.relative_to(directory)}: {len(prog.instructions)} instructions\n")
        except TernsigError as exc:
            out.write(f"not loaded {p.relative_to(directory)}: {exc}\n")
        targets.append(ReloadTarget(p, None, (lambda prog, i=interp: swap_program(i, prog)), p.stem))
    reloader = HotReloader(targets, debounce=debounce, use_watchfiles=use_watchfiles, **(reload_options or {}),
                           report=lambda ev: (out.write(describe(ev, directory) + "\n"), out.flush()))

    def print_changes(t: Tick) -> None:
        for p, text in t.result["changed"].items():
            out.write(f"{p.relative_to(directory)} → {text}\n")
        if t.result["changed"]:
            out.flush()

    try:
        end = run_ticks(programs, max_ticks, reloader=reloader, observers=[print_changes], stop=stop,
                        pace=tick_interval)
    finally:
        reloader.close()
    return 130 if end.interrupted else 0


class ProgramSet:
    """The standalone programs of ``ternsig watch DIR``: a tick runs each once from pc 0 (on its
    last input) and reports the outputs that changed (a trap's message in place of an output)."""

    def __init__(self) -> None:
        self.interps: dict[Path, Interpreter] = {}
        self.last: dict[Path, Any] = {}
        self.ticks = 0

    def add(self, path: Path, interp: Interpreter) -> None:
        self.interps[path] = interp

    def tick(self) -> dict[str, Any]:
        changed: dict[Path, Any] = {}
        for p, interp in self.interps.items():
            if not interp.program.instructions:
                continue
            interp.m.pc = 0
            res = interp.run(fuel=1_000_000)
            o = interp.output() if res.ok else None
            if o != self.last.get(p):
                self.last[p] = o
                changed[p] = o if o is not None else f"trap: {res.message}"
        self.ticks += 1
        return {"tick": self.ticks, "changed": changed}


def _watch_brain(directory: Path, out: TextIO, stop, tick_interval, debounce, use_watchfiles, max_ticks,
                 state_dir: Optional[Path] = None, status_every: int = STATUS_EVERY,
                 reload_options: Optional[dict[str, Any]] = None) -> int:
    from ..host.brain import Brain
    from ..host.curve import status_line

    try:
        brain = Brain(directory, state_dir=state_dir)
        brain.boot()
    except TernsigError as exc:
        out.write(f"ternsig watch: {exc}\n")
        return 1
    reloader = brain_reloader(brain, debounce=debounce, use_watchfiles=use_watchfiles, **(reload_options or {}),
                              report=lambda ev: (out.write(describe(ev, directory) + "\n"), out.flush()))
    out.write(f"brain {brain.config.name if hasattr(brain.config, 'name') else directory.name}: "
              f"{len(brain.regions)} regions, watching their firmware; state in {brain.state_dir}; "
              f"a status line every {status_every} ticks; Ctrl-C stops\n")
    out.flush()

    def status(t: Tick) -> None:                # what the running brain is doing, not only reloads
        if (t.index + 1) % status_every == 0:
            out.write(status_line(brain, t.result) + "\n")
            out.flush()

    end = None
    try:
        end = run_ticks(brain, max_ticks, reloader=reloader, observers=[status], stop=stop, pace=tick_interval)
    finally:
        reloader.close()
        brain.save()                      # like `brain run`: learned state persists on exit
        if end is not None:
            if end.last:
                out.write(status_line(brain, end.last) + "\n")
            out.write(f"{'interrupted after' if end.interrupted else 'ran'} {end.ticks} ticks; "
                      f"state saved under {brain.state_dir}\n")
    return 130 if end.interrupted else 0


def watch_main(directory: Any, out: TextIO, state_dir: Optional[Path] = None) -> int:
    """Entry point for ``ternsig watch DIR`` (runs until Ctrl-C)."""
    return run_watch(Path(directory), out, state_dir=state_dir)
