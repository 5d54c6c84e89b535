"""How a brain scales over MPI ranks: ticks/s of the 1,024-region columns example at 1 and 2 ranks,
MPI collective calls and bytes per tick, the measured cost of one exchange, and a model of larger
runs (docs/scale.md records the figures).

    python bench/bench_scale.py [--ticks 8] [--warmup 3] [--ranks 1,2]

The script starts itself under the venv's ``mpiexec`` once per rank count (``--worker``); rank 0
of each job prints one JSON line that the parent collects. Needs the [mpi] extra.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _common  # noqa: E402,F401  (pins BLAS threads)
from _common import print_table  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
BRAIN = REPO / "src" / "ternsig" / "examples" / "columns"
SIZES = (0, 1024, 16384, 262144)      # payload bytes per rank for the exchange-cost probe


def worker(ticks: int, warmup: int) -> None:
    from ternsig.cluster.comm import MpiComm
    from ternsig.cluster.tick import ClusterBrain
    from ternsig.host.brain import Brain
    from ternsig.host.durable import CheckpointPolicy

    comm = MpiComm(timeout=600)
    scratch = Path(tempfile.mkdtemp(prefix=f"bench-scale-{comm.rank}-"))
    try:
        d = scratch / "columns"
        shutil.copytree(BRAIN, d)
        brain = Brain(d, state_dir=scratch / "state")
        brain.durability.set_policy(CheckpointPolicy(seconds=0))      # no checkpoints inside the timing
        cb = ClusterBrain(brain, comm)
        cb.boot()
        for _ in range(warmup):
            cb.tick()
        comm.allgather(b"")                                           # start together
        c0, b0, s0 = comm.calls, comm.bytes, cb.stage_count
        t0 = time.perf_counter()
        for _ in range(ticks):
            cb.tick()
        dt = time.perf_counter() - t0
        calls, sent, stages = comm.calls - c0, comm.bytes - b0, cb.stage_count - s0
        # the exchange itself: one allgather of n bytes per rank (two MPI collectives)
        probe = {}
        for n in SIZES:
            data = bytes(n)
            comm.allgather(data)
            reps = 20 if n < 100_000 else 5
            t1 = time.perf_counter()
            for _ in range(reps):
                comm.allgather(data)
            probe[n] = (time.perf_counter() - t1) / reps
        total_sent = sum(int(x) for x in comm.allgather(str(sent).encode()))
        if comm.rank == 0:
            print(json.dumps({"ranks": comm.size, "ticks": ticks, "seconds": dt, "ticks_per_s": ticks / dt,
                              "regions": len(brain.regions), "partitioned": sum(cb.plan.local.values()),
                              "stages_per_tick": stages / ticks, "calls_per_tick": calls / ticks,
                              "bytes_per_tick_rank0": sent / ticks, "bytes_per_tick_all": total_sent / ticks,
                              "allgather_s": probe}), flush=True)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def run_job(ranks: int, ticks: int, warmup: int) -> dict:
    mpiexec = Path(sys.executable).parent / "mpiexec"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PMI_", "OMPI_", "PMIX_"))}
    cmd = [str(mpiexec), "-n", str(ranks), sys.executable, __file__, "--worker", "--ticks", str(ticks),
           "--warmup", str(warmup)]
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=3600, env=env)
    if p.returncode != 0:
        raise SystemExit(f"mpiexec -n {ranks} failed:\n{p.stdout}\n{p.stderr}")
    return json.loads([ln for ln in p.stdout.splitlines() if ln.startswith("{")][-1])


def model(one: dict, two: dict) -> list[list[object]]:
    """ticks/s at P machines for R regions: compute scales as R/P from the 1-rank run; each level of
    partitioned regions costs one allgather whose time is alpha*ceil(log2 P) + beta*(bytes every
    rank receives), alpha and beta fitted to the measured exchange of this machine."""
    probe = {int(k): v for k, v in two["allgather_s"].items()}
    alpha = probe[0]
    big = max(probe)
    beta = max((probe[big] - alpha) / (big * two["ranks"]), 0.0)   # seconds per byte received
    per_region = one["seconds"] / one["ticks"] / one["regions"]
    bytes_per_region = two["bytes_per_tick_all"] / one["regions"]
    levels = max(1, round(two["stages_per_tick"]))
    rows = []
    for machines in (16, 64, 256):
        for regions in (10_000, 100_000, 1_000_000):
            compute = per_region * regions / machines
            exchange = levels * (alpha * math.ceil(math.log2(machines)) + beta * bytes_per_region * regions)
            rows.append([machines, f"{regions:,}", f"{compute * 1e3:,.1f}", f"{exchange * 1e3:,.2f}",
                         f"{1 / (compute + exchange):,.2f}"])
    return rows, alpha, beta, per_region, bytes_per_region, levels


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--ticks", type=int, default=8)
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--ranks", default="1,2")
    ap.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.worker:
        worker(a.ticks, a.warmup)
        return
    jobs = {r: run_job(r, a.ticks, a.warmup) for r in (int(x) for x in a.ranks.split(","))}
    print_table(f"columns example ({jobs[min(jobs)]['regions']:,} regions), {a.ticks} ticks after {a.warmup} warm-up",
                ["ranks", "ticks/s", "stages/tick", "MPI calls/tick", "bytes/tick (rank 0)", "bytes/tick (all ranks)"],
                [[r, f"{j['ticks_per_s']:.2f}", f"{j['stages_per_tick']:.0f}", f"{j['calls_per_tick']:.0f}",
                  f"{j['bytes_per_tick_rank0']:,.0f}", f"{j['bytes_per_tick_all']:,.0f}"] for r, j in jobs.items()])
    if 1 in jobs and max(jobs) > 1:
        many = jobs[max(jobs)]
        print_table(f"one allgather on {many['ranks']} ranks (this machine)", ["bytes per rank", "µs"],
                    [[f"{int(n):,}", f"{s * 1e6:,.1f}"] for n, s in many["allgather_s"].items()])
        rows, alpha, beta, per_region, bpr, levels = model(jobs[1], many)
        print(f"\nmodel: alpha {alpha * 1e6:.1f} µs per allgather step, beta {beta * 1e9:.2f} ns per byte received, "
              f"{per_region * 1e6:,.0f} µs compute per region, {bpr:.0f} bytes exchanged per region, "
              f"{levels} level(s) per tick")
        print_table("modelled ticks/s", ["machines", "regions", "compute ms/tick", "exchange ms/tick", "ticks/s"], rows)


if __name__ == "__main__":
    main()
