"""Fuzz campaign: ≥ 100k inputs over sources, binaries, .thermo files and instruction streams.

Prints "N inputs, X non-project exceptions, H hangs", the outcome per target, the first failures
(with their input in hex, to reproduce), and the fuel check: a budget of B stops every fuzzed
(looping) instruction stream after exactly B instructions.

    python bench/bench_fuzz.py [--n 100000] [--seed 1] [--fuel 500] [--fuel-programs 2000]
"""
from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _common  # noqa: E402,F401  (pins BLAS threads)

from ternsig import fuzz  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=100_000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--time-limit", type=float, default=2.0)
    ap.add_argument("--fuel", type=int, default=500)
    ap.add_argument("--fuel-programs", type=int, default=2000)
    args = ap.parse_args()
    limit = fuzz.limit_memory()
    skip = fuzz.thermo_available()
    if skip:
        print(skip)
    corpus = fuzz.Corpus.load(ROOT / "tests" / "conformance")
    print(f"corpus: {len(corpus.sources)} sources, {len(corpus.binaries)} binaries, {len(corpus.thermos)} "
          f"thermograms; memory limit {limit / 2**30:.1f} GiB" if limit else "memory limit: not set")
    gen = fuzz.InputGenerator(corpus, args.seed)
    per: dict[str, dict[str, int]] = {}
    failures = []
    t0 = time.perf_counter()
    n = 0
    for name, data in gen:
        if n >= args.n:
            break
        out = fuzz.classify(fuzz.TARGETS[name], data, args.time_limit)
        per.setdefault(name, {k: 0 for k in (fuzz.OK, fuzz.PROJECT, fuzz.NON_PROJECT, fuzz.HANG)})[out.kind] += 1
        if out.kind in (fuzz.NON_PROJECT, fuzz.HANG):
            failures.append((name, out.detail, data))
        n += 1
    dt = time.perf_counter() - t0
    nonproj = sum(v[fuzz.NON_PROJECT] for v in per.values())
    hangs = sum(v[fuzz.HANG] for v in per.values())
    print(f"\n{n} inputs, {nonproj} non-project exceptions, {hangs} hangs  ({dt:.0f} s, {n / dt:.0f} inputs/s)")
    for name, v in sorted(per.items()):
        print(f"  {name:7s} " + "  ".join(f"{k} {c}" for k, c in v.items()))
    kinds: dict[str, int] = {}
    for name, detail, _ in failures:
        kinds[f"{name}: {detail.split(' at ')[0][:100]}"] = kinds.get(f"{name}: {detail.split(' at ')[0][:100]}", 0) + 1
    for k, c in sorted(kinds.items(), key=lambda kv: -kv[1])[:15]:
        print(f"  {c:5d} × {k}")
    for name, detail, data in failures[:5]:
        print(f"  e.g. {name}: {detail}\n       input {data[:96].hex()}")

    rng = random.Random(args.seed + 1)
    streams = [fuzz.random_stream(rng) for _ in range(args.fuel_programs)]
    stopped, exact, earlier = fuzz.fuel_check(streams, args.fuel)
    print(f"\na budget of {args.fuel} stops every fuzzed program after exactly {args.fuel} instructions: "
          f"{exact}/{stopped}  ({earlier} of {len(streams)} stopped earlier on their own: halt, error or trap)")
    return 0 if exact == stopped else 1


if __name__ == "__main__":
    sys.exit(main())
