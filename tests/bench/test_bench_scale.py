"""bench/bench_scale.py's model: compute splits over machines, the allgather does not."""
from __future__ import annotations

import sys

from tests.paths import BENCH

sys.path.insert(0, str(BENCH))
import bench_scale  # noqa: E402


def _jobs(seconds_per_tick: float = 2.0):
    one = {"ranks": 1, "ticks": 4, "seconds": 4 * seconds_per_tick, "regions": 1000, "stages_per_tick": 2,
           "bytes_per_tick_all": 0, "allgather_s": {"0": 0.0}}
    two = {"ranks": 2, "ticks": 4, "seconds": 4.0, "regions": 1000, "stages_per_tick": 2,
           "bytes_per_tick_all": 100_000, "allgather_s": {"0": 1e-4, "1000000": 1e-4 + 2e6 * 1e-9}}
    return one, two


def test_model_fits_alpha_beta_and_splits_compute_over_machines():
    rows, alpha, beta, per_region, bpr, levels = bench_scale.model(*_jobs())
    assert alpha == 1e-4 and abs(beta - 1e-9) < 1e-15      # 2 MB received in 2 ms over alpha
    assert per_region == 2e-3 and bpr == 100 and levels == 2
    table = {(r[0], r[1]): r for r in rows}
    assert table[(16, "10,000")][2] == f"{2e-3 * 10_000 / 16 * 1e3:,.1f}"
    # the exchange grows with the regions (every output to every rank), not with the machines
    ex4, ex5 = (float(table[(64, n)][3].replace(",", "")) for n in ("10,000", "100,000"))
    assert abs((ex5 - ex4) - levels * beta * bpr * 90_000 * 1e3) < 0.01
    rates = [float(r[4].replace(",", "")) for r in rows if r[1] == "10,000"]
    assert rates == sorted(rates)                         # more machines, more ticks/s
