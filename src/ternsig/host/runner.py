"""``ternsig brain run``: boot a brain directory, run it with a live display, persist on exit."""
from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any, Optional

from ..errors import TernsigError


def _table(brain, res: dict[str, Any], rate: float):
    from rich.table import Table

    t = Table(title=f"brain {brain.config.name} — tick {res['tick']} — {rate:,.0f} ticks/s", expand=False)
    for col in ("region", "role", "instructions", "yields", "traps", "output"):
        t.add_column(col)
    for r in brain.regions:
        t.add_row(r.name, r.role, f"{r.executed:,}", f"{r.yields:,}", str(r.traps), str(r.output.tolist()[:6]))
    chems = res["chemicals"]
    t.caption = (f"dopamine {chems[0]}  serotonin {chems[1]}  norepinephrine {chems[2]}  gaba {chems[3]}"
                 + (f"   accuracy (last 200) {res['accuracy']:.1%}" if "accuracy" in res else ""))
    return t


def run_brain(directory: Path, ticks: int, telemetry: Optional[str] = None, watch: bool = False,
              quiet: bool = False, state_dir: Optional[Path] = None, out=None) -> int:
    from .brain import Brain

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
    tele_path = Path(telemetry) if telemetry else state_dir / "telemetry.jsonl"
    with open(tele_path, "a", buffering=1) as tele:
        brain = Brain(directory, telemetry=tele, state_dir=state_dir)
        reloader = None
        if watch:
            from ..reload import brain_reloader, describe

            reloader = brain_reloader(brain, report=lambda ev: print(describe(ev), file=out))
        brain.boot()
        t0 = time.perf_counter()
        res: dict[str, Any] = {"tick": 0, "chemicals": brain.substrate.chemicals[:4]}
        interrupted = False
        curve: list[tuple[int, float]] = []
        every = max(1, ticks // 12)
        early = {25, 50, 100}                 # the start of learning, before the first full window
        try:
            if quiet:
                for _ in range(ticks):
                    if reloader is not None:
                        reloader.check()
                    res = brain.tick()
                    if "accuracy" in res and (res["tick"] % every == 0 or res["tick"] in early):
                        curve.append((res["tick"], res["accuracy"]))
            else:
                from rich.console import Console
                from rich.live import Live

                console = Console(file=out)
                with Live(console=console, refresh_per_second=8, transient=False) as live:
                    for i in range(ticks):
                        if reloader is not None:
                            reloader.check()
                        res = brain.tick()
                        if "accuracy" in res and (res["tick"] % every == 0 or res["tick"] in early):
                            curve.append((res["tick"], res["accuracy"]))
                        if i % 25 == 0 or i == ticks - 1:
                            rate = (i + 1) / max(time.perf_counter() - t0, 1e-9)
                            live.update(_table(brain, res, rate))
        except KeyboardInterrupt:
            interrupted = True
        finally:
            if reloader is not None:
                reloader.close()
            brain.save()
        dt = time.perf_counter() - t0
        done = res["tick"]
        if curve:
            print("\nlearning curve (accuracy over the previous 200 ticks):", file=out)
            for tick, acc in curve:
                print(f"  tick {tick:>6}  {acc:6.1%}  {'#' * round(acc * 40)}", file=out)
        msg = f"{'interrupted after' if interrupted else 'ran'} {done} ticks in {dt:.2f} s ({done / max(dt, 1e-9):,.0f} ticks/s)"
        if "accuracy" in res:
            msg += f"; accuracy over the last 200 ticks: {res['accuracy']:.1%}"
        print(msg, file=out)
        print(f"state saved under {state_dir}; telemetry in {tele_path}", file=out)
        traps = [(r.name, r.traps, r.last_trap) for r in brain.regions if r.traps]
        for name, n, last in traps:
            print(f"region {name}: {n} trap(s), last: {last}", file=out)
    return 130 if interrupted else 0
