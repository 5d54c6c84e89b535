"""Where a tick of the example brain goes: per-part wall-clock timers around the host's steps.

Times ``--ticks`` ticks of ``src/ternsig/examples/brain`` (after 100 warm-up ticks, telemetry on as
in ``ternsig brain run``) and prints, per part, µs per tick and its share of the tick:

* ``region runs`` — every region's firmware run (``RegionRunner.step``), which includes
* ``fulfil`` — the DomainOps the host serves (bank query, chemicals, valence...) and
* ``weight guard`` — the layer-4 check after each weight write (inside the runs) and after the
  learner's run;
* ``machine`` — region runs minus fulfil and the guard inside them: the VM's own share;
* ``prepare``, ``weight snapshot``, ``task sample``, ``finish tick`` (journal, score, telemetry
  line), ``checkpoints`` — the rest of the host's tick; ``tick loop`` is what no timer holds.

The timers wrap the brain's own objects (instance attributes), so nothing outside this brain
changes. Figures move 2x with the machine's load: compare runs made side by side.

    python bench/bench_host_tick.py [--ticks 3000] [--tier interp,compiled]
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Callable

sys.path.insert(0, str(Path(__file__).parent))
import _common  # noqa: E402,F401  (pins BLAS threads)

EXAMPLE = Path(__file__).resolve().parent.parent / "src" / "ternsig" / "examples" / "brain"
PARTS = ("region runs", "fulfil", "weight guard", "machine", "prepare", "weight snapshot", "task sample",
         "finish tick", "checkpoints", "tick loop")


def _timed(obj: Any, name: str, acc: dict[str, float], label: str) -> None:
    fn: Callable[..., Any] = getattr(obj, name)
    clock = time.perf_counter

    def wrapper(*a: Any, **k: Any) -> Any:
        t0 = clock()
        try:
            return fn(*a, **k)
        finally:
            acc[label] += clock() - t0

    setattr(obj, name, wrapper)


def measure(tier: str, ticks: int) -> dict[str, Any]:
    """Per-part µs per tick of ``ticks`` example-brain ticks under ``tier``."""
    old = os.environ.get("TERNSIG_TIER")
    os.environ["TERNSIG_TIER"] = tier
    work = Path(tempfile.mkdtemp(prefix="bench-host-tick-"))
    try:
        from ternsig.host.brain import Brain
        from ternsig.host.telemetry import open_run_telemetry

        if tier == "compiled":
            from ternsig.vm.compiled import warm

            warm.wait()          # else the first ticks run in the interpreter while the loop loads
        shutil.copytree(EXAMPLE, work / "brain")
        with open_run_telemetry(work / "state", run_id="bench") as tele:
            b = Brain(work / "brain", state_dir=work / "state", telemetry=tele)
            b.run(100)
            acc = {p: 0.0 for p in PARTS}
            acc["guard after runs"] = 0.0
            runner = b.runner
            for obj, name, label in ((runner, "step", "region runs"), (runner, "serve", "fulfil"),
                                     (runner, "revert_bad_writes", "weight guard"), (b, "_prepare", "prepare"),
                                     (runner, "weights_before", "weight snapshot"), (b, "finish_tick", "finish tick"),
                                     (b.durability, "after_tick", "checkpoints"),
                                     (runner, "check_weights", "guard after runs")):
                _timed(obj, name, acc, label)
            if b.task is not None:
                _timed(b.task, "sample", acc, "task sample")
            t0 = time.perf_counter()
            b.run(ticks)
            total = time.perf_counter() - t0
        # the guard runs inside step (after each weight write) and after the learner's run
        # (check_weights, outside step): each share is subtracted where it was timed
        after = acc.pop("guard after runs")
        acc["machine"] = max(0.0, acc["region runs"] - acc["fulfil"] - (acc["weight guard"] - after))
        acc["tick loop"] = max(0.0, total - acc["region runs"] - after - sum(acc[p] for p in PARTS[4:9]))
        return {"tier": tier, "ticks": ticks, "us_per_tick": round(total / ticks * 1e6, 1),
                "parts_us": {p: round(acc[p] / ticks * 1e6, 1) for p in PARTS},
                "share_pct": {p: round(acc[p] / total * 100, 1) for p in PARTS}}
    finally:
        shutil.rmtree(work, ignore_errors=True)
        if old is None:
            os.environ.pop("TERNSIG_TIER", None)
        else:
            os.environ["TERNSIG_TIER"] = old


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--ticks", type=int, default=3000)
    ap.add_argument("--tier", default="interp,compiled", help="comma-separated tiers")
    args = ap.parse_args(argv)
    for tier in args.tier.split(","):
        r = measure(tier, args.ticks)
        print(json.dumps({"tier": tier, "ticks": r["ticks"], "us_per_tick": r["us_per_tick"]}), flush=True)
        for p in PARTS:
            print(f"  {p:16s} {r['parts_us'][p]:9.1f} us {r['share_pct'][p]:6.1f} %", flush=True)


if __name__ == "__main__":
    main()
