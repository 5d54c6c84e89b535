"""``ternsig brain run``: boot a brain directory, run it with a live display, persist on exit."""
from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any, Callable, Optional

from ..errors import TernsigError
from .curve import LearningCurve, progress_columns, window_of
from .tickloop import Tick, run_ticks


def _table(brain, res: dict[str, Any], rate: float):
    from rich.table import Table

    t = Table(title=f"brain {brain.config.name} — tick {res['tick']} — {rate:,.0f} ticks/s", expand=False)
    for col in ("region", "role", "instructions", "yields", "traps", "output"):
        t.add_column(col)
    for r in brain.regions:
        t.add_row(r.name, r.role, f"{r.executed:,}", f"{r.yields:,}", str(r.traps), str(r.output.tolist()[:6]))
    chems = res["chemicals"]
    t.caption = (f"dopamine {chems[0]}  serotonin {chems[1]}  norepinephrine {chems[2]}  gaba {chems[3]}"
                 + (f"   accuracy (last {window_of(brain)} ticks) {res['accuracy']:.1%}" if "accuracy" in res else ""))
    return t


def run_brain(directory: Path, ticks: int, telemetry: Optional[str] = None, watch: bool = False,
              quiet: bool = False, state_dir: Optional[Path] = None, out=None, *,
              checkpoint_every: Optional[int] = None, checkpoint_seconds: Optional[float] = None,
              keep_checkpoints: Optional[int] = None, telemetry_max_bytes: Optional[int] = None,
              progress: bool = False, reload_options: Optional[dict[str, Any]] = None,
              before_tick: Optional[Callable[[int], None]] = None, plot: Optional[Path] = None) -> int:
    """Run ``ticks`` ticks. ``reload_options`` go to the reloader (``watch``); ``before_tick(i)``
    runs before tick ``i`` (tests use it to edit files at a chosen tick, so nothing races);
    ``plot``: write the learning curve there as a PNG. Returns 0, 1 when a region trapped during
    the run, 130 when interrupted."""
    from .brain import Brain
    from .durable import policy_for
    from .telemetry import DEFAULT_MAX_BYTES, open_run_telemetry

    out = out or sys.stdout
    directory = Path(directory)
    # check before creating anything: a mistyped path must not leave a state/ directory behind
    if not directory.is_dir():
        raise TernsigError(f"{directory}: not a brain directory (no such directory)")
    if not (directory / "boot.ternsig").is_file():
        raise TernsigError(f"{directory}: not a brain directory (no boot.ternsig)")
    if ticks < 0:
        raise TernsigError(f"--ticks must be 0 or more, got {ticks}")
    state_dir = state_dir or directory / "state"
    state_dir.mkdir(parents=True, exist_ok=True)
    with open_run_telemetry(state_dir, Path(telemetry) if telemetry else None,
                            max_bytes=telemetry_max_bytes or DEFAULT_MAX_BYTES) as tele:
        tele_path = tele.path
        brain = Brain(directory, telemetry=tele, state_dir=state_dir)
        brain.durability.set_policy(policy_for(brain.config, checkpoint_every, checkpoint_seconds, keep_checkpoints))
        pol = brain.durability.policy
        every = " and ".join(([f"every {pol.every} ticks"] if pol.every else [])
                             + ([f"every {pol.seconds:g} s"] if pol.seconds else [])) or "on save requests and exit"
        print(f"brain {directory}: state in {state_dir}; telemetry in {tele_path} (run {tele.run_id}); "
              f"checkpoints {every}, keeping {pol.keep}", file=out, flush=True)
        reloader = None
        if watch:
            from ..reload import brain_reloader, describe

            reloader = brain_reloader(brain, report=lambda ev: print(describe(ev), file=out),
                                      **(reload_options or {}))
        brain.boot()
        rep = brain.durability.report
        if rep is not None:
            for name, why in rep.skipped:
                print(f"skipped checkpoint {name}: {why}", file=out, flush=True)
            if rep.checkpoint is not None:
                print(f"restored checkpoint {rep.checkpoint} (tick {rep.tick})", file=out, flush=True)
        for line in brain.dropped:
            print(f"dropped: {line}", file=out, flush=True)
        if progress:     # what a supervisor or the crash bench waits for: booted, then each checkpoint
            brain.durability.on_publish = lambda m, why: print(f"checkpoint {m.id} tick {m.tick} {why}",
                                                               file=out, flush=True)
            print(f"running from tick {brain.substrate.tick}", file=out, flush=True)
        t0 = time.perf_counter()
        start = brain.substrate.tick              # a restored brain resumes its tick count
        curve = LearningCurve()
        traps_before = {id(r): r.traps for r in brain.regions}    # counters survive restarts

        def add_to_curve(t: Tick) -> None:
            if "accuracy" in t.result:
                curve.add(t.result["tick"], t.result["accuracy"], window_of(brain))

        try:
            if quiet:
                end = run_ticks(brain, ticks, reloader=reloader, before_tick=before_tick, observers=[add_to_curve])
            else:
                from rich.console import Console, Group
                from rich.live import Live
                from rich.progress import Progress

                console = Console(file=out)
                bar = Progress(*progress_columns(), console=console)
                job = bar.add_task("ticks", total=ticks)

                with Live(console=console, refresh_per_second=8, transient=False) as live:
                    def show(t: Tick) -> None:
                        if t.index % 25 == 0 or t.index == ticks - 1:
                            bar.update(job, completed=t.index + 1)
                            rate = (t.index + 1) / max(time.perf_counter() - t0, 1e-9)
                            live.update(Group(_table(brain, t.result, rate), bar))

                    end = run_ticks(brain, ticks, reloader=reloader, before_tick=before_tick,
                                    observers=[add_to_curve, show])
        finally:
            if reloader is not None:
                reloader.close()
            brain.save()
        interrupted = end.interrupted
        res: dict[str, Any] = end.last or {"tick": start, "chemicals": brain.substrate.chemicals[:4]}
        dt = time.perf_counter() - t0
        done = res["tick"] - start
        if len(curve):
            print("\n" + curve.text(), file=out)
        msg = f"{'interrupted after' if interrupted else 'ran'} {done} ticks in {dt:.2f} s ({done / max(dt, 1e-9):,.0f} ticks/s)" \
            + (f", ticks {start} → {res['tick']}" if start else "")
        if "accuracy" in res:
            msg += f"; accuracy over the last {window_of(brain)} ticks: {res['accuracy']:.1%}"
        print(msg, file=out)
        last = brain.durability.last_id
        print(f"state saved under {state_dir} (checkpoint {last}); telemetry in {tele_path}", file=out)
        if plot is not None:
            if len(curve):
                title = f"brain {brain.config.name}: ticks {start + 1}–{res['tick']}" \
                    + (" (interrupted)" if interrupted else "")
                print(f"learning curve plotted to {curve.plot(plot, title)}", file=out)
            else:
                print(f"no learning curve to plot to {plot}: the brain has no task", file=out)
        traps = [(r.name, r.traps - traps_before.get(id(r), 0), r.last_trap) for r in brain.regions
                 if r.traps > traps_before.get(id(r), 0)]
        for name, n, last in traps:
            print(f"region {name}: {n} trap(s) in this run, last: {last}", file=out)
    if interrupted:
        return 130
    return 1 if traps else 0

