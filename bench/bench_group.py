"""Ticks/s of a brain with Brain.tick grouping regions that share firmware (host/grouprun.py) and
without (``Brain(group=False)``), same run, alternating; the digests of both must agree.

    python bench/bench_group.py [--columns 512] [--ticks 3] [--warmup 2] [--repeats 2] [--tier compiled]

Brains: the columns example (``--columns`` N sensory + N learner instances) and the example brain.
"""
from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _common  # noqa: E402,F401  (pins BLAS threads)
from _common import print_table  # noqa: E402

import ternsig  # noqa: E402

EXAMPLES = Path(ternsig.__file__).resolve().parent / "examples"


def one(name: str, n: int, group: bool, ticks: int, warmup: int) -> tuple[float, str, int]:
    """(ticks/s, digest, regions run stacked per tick) of one fresh copy of a brain."""
    from ternsig.group import Population
    from ternsig.host.brain import Brain
    from ternsig.host.digest import brain_digest
    from ternsig.host.durable import CheckpointPolicy

    scratch = Path(tempfile.mkdtemp(prefix="bench-group-"))
    try:
        d = scratch / name
        shutil.copytree(EXAMPLES / name, d)
        boot = d / "boot.ternsig"
        boot.write_text(boot.read_text().replace("[512]", f"[{n}]"))
        b = Brain(d, group=group)
        b.durability.set_policy(CheckpointPolicy(seconds=0))
        b.boot()
        for _ in range(warmup):
            b.tick()
        stacked = [0]
        orig = Population.run_stacked

        def counted(self, fuel=None):
            r = orig(self, fuel)
            stacked[0] += self.n if r is not None else 0
            return r

        Population.run_stacked = counted
        try:
            t0 = time.perf_counter()
            for _ in range(ticks):
                b.tick()
            dt = time.perf_counter() - t0
        finally:
            Population.run_stacked = orig
        b.save()
        return ticks / dt, brain_digest(d / "state").total, stacked[0] // max(1, ticks)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def measure(name: str, n: int, ticks: int, warmup: int, repeats: int) -> dict:
    best = {True: 0.0, False: 0.0}
    digests, stacked = {}, 0
    for _ in range(repeats):
        for g in (True, False):
            tps, dg, st = one(name, n, g, ticks, warmup)
            best[g] = max(best[g], tps)
            digests[g] = dg
            stacked = max(stacked, st) if g else stacked
    return {"brain": name if name != "columns" else f"columns ({2 * n} regions)", "grouped": best[True],
            "one_by_one": best[False], "stacked_per_tick": stacked, "same": digests[True] == digests[False]}


def main(argv=None) -> list[dict]:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--columns", type=int, default=512)
    ap.add_argument("--ticks", type=int, default=3)
    ap.add_argument("--warmup", type=int, default=2)
    ap.add_argument("--repeats", type=int, default=2)
    ap.add_argument("--tier", default="compiled", choices=["compiled", "interp"])
    ap.add_argument("--example-ticks", type=int, default=300)
    a = ap.parse_args(argv)
    old = os.environ.get("TERNSIG_TIER")
    os.environ["TERNSIG_TIER"] = a.tier
    try:
        rows = [measure("columns", a.columns, a.ticks, a.warmup, a.repeats),
                measure("brain", 0, a.example_ticks, a.warmup, a.repeats)]
    finally:
        if old is None:
            os.environ.pop("TERNSIG_TIER", None)
        else:
            os.environ["TERNSIG_TIER"] = old
    print_table(f"Brain.tick grouped vs one by one ({a.tier} tier, best of {a.repeats})",
                ["brain", "grouped ticks/s", "one by one ticks/s", "ratio", "regions stacked/tick", "same digest"],
                [[r["brain"], f"{r['grouped']:.2f}", f"{r['one_by_one']:.2f}",
                  f"{r['grouped'] / r['one_by_one']:.2f}x", r["stacked_per_tick"], r["same"]] for r in rows])
    if not all(r["same"] for r in rows):
        raise SystemExit("bench_group: grouped and one-by-one digests differ")
    return rows


if __name__ == "__main__":
    main()
