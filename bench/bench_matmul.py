"""Benchmark: core and extension TERNARY_MATMUL, with and without temperatures.

Prints GMAC/s (N*N multiply-accumulates per product) for N = 64, 256, 1024, 2048, median of
repeated runs of the instruction handler (decoded operands, as the interpreter calls it). BLAS is
pinned to one thread before NumPy is imported. Weights are random signals (polarity -1/0/+1,
magnitude 0..255); inputs are uniform in [-255, 255]; temperatures (when present) are uniform
HOT/WARM/COOL/COLD. "steady" reuses the register's cached matrices (weights unchanged between
calls, the common forward-pass case); "first" includes building them (weights just changed).

Usage: python bench/bench_matmul.py [--sizes 64,256,1024,2048] [--repeats N]
"""
from __future__ import annotations

import os

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "BLIS_NUM_THREADS",
             "VECLIB_MAXIMUM_THREADS", "NUMEXPR_NUM_THREADS"):
    os.environ[_var] = "1"

import argparse  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402

from ternsig.extensions import ternary as ext  # noqa: E402
from ternsig.extensions.core import ops_ternary as core  # noqa: E402
from ternsig.vm.state import ColdBuffer, HotBuffer, Machine  # noqa: E402

REFERENCE_1024 = {"gated": 11.8, "ungated": 0.62}     # ms, Rust reference (issue text)


def make_machine(n: int, temps: bool, seed: int = 0) -> Machine:
    rng = np.random.default_rng(seed)
    m = Machine()
    w = ColdBuffer(rng.integers(-1, 2, n * n).astype(np.int8), rng.integers(0, 256, n * n).astype(np.uint8), (n, n))
    if temps:
        w.temps = rng.integers(0, 4, n * n).astype(np.uint8)
    m.cold[0] = w
    m.hot[0] = HotBuffer(rng.integers(-255, 256, n).astype(np.int32), (n,))
    return m


def time_op(fn, m: Machine, repeats: int, first: bool) -> float:
    times = []
    fn(m, 1, 0x40, 0, 0)                                  # H1 = C0 · H0
    for _ in range(repeats):
        if first:
            m.cold[0].touch()
        t0 = time.perf_counter()
        fn(m, 1, 0x40, 0, 0)
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="64,256,1024,2048")
    ap.add_argument("--repeats", type=int, default=0, help="0 = automatic (more for small N)")
    args = ap.parse_args()
    ops = [("core", core.op_ternary_matmul), ("ternary", ext.ternary_matmul)]
    print(f"{'N':>5} {'op':>8} {'temps':>6} {'mode':>6} {'ms':>9} {'GMAC/s':>8} {'vs ref':>7}")
    for n in (int(s) for s in args.sizes.split(",")):
        reps = args.repeats or max(5, min(200, int(2e8 // (n * n * 40))))
        for temps in (False, True):
            for name, fn in ops:
                for mode in ("steady", "first"):
                    m = make_machine(n, temps)
                    t = time_op(fn, m, reps if mode == "steady" else max(3, reps // 4), mode == "first")
                    ref = ""
                    if n == 1024:
                        ref_ms = REFERENCE_1024["gated" if temps else "ungated"]
                        ref = f"{ref_ms / (t * 1e3):6.1f}x"
                    print(f"{n:>5} {name:>8} {'yes' if temps else 'no':>6} {mode:>6} {t * 1e3:9.3f} "
                          f"{n * n / t / 1e9:8.2f} {ref:>7}", flush=True)


if __name__ == "__main__":
    main()
