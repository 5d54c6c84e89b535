"""Spiking substrate throughput: neuron-updates per second of a vectorised population.

Prints, for 10^3 .. 10^5 Izhikevich neurons (with and without ~10 synapses per neuron) and a
Hodgkin-Huxley population, the median time of one step and neuron-updates/s. Figures go in
docs/performance.md.
"""
from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _common import median_time, print_table  # noqa: E402

import numpy as np  # noqa: E402

from ternsig.host.spiking import Population  # noqa: E402


def case(n: int, model: str = "izhikevich", fanout: int = 0, steps: int = 20) -> list[object]:
    density = fanout / n if n else 0.0
    pop = Population(n, model=model, density=density, seed=1)
    drive = (np.arange(n) % 16).astype(np.int64) * 256
    for _ in range(5):
        pop.step(drive)
    t = median_time(lambda: pop.step(drive), repeats=5, number=steps)
    return [model, f"{n:,}", f"{len(pop.synapses):,}", f"{t * 1e3:.2f}", f"{n / t / 1e6:.1f}"]


def main() -> None:
    rows = [case(n) for n in (1_000, 10_000, 100_000)]
    rows += [case(n, fanout=10) for n in (10_000, 100_000)]
    rows.append(case(100_000, model="hodgkin_huxley", steps=5))
    print_table("spiking population: one step", ["model", "neurons", "synapses", "ms/step", "M neuron-updates/s"],
                rows)


if __name__ == "__main__":
    main()
