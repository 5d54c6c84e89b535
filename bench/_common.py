"""Shared benchmark helpers: pinned BLAS threads, median-of-repeats timing, table printing."""
from __future__ import annotations

import os

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import statistics  # noqa: E402
import time  # noqa: E402
from typing import Callable  # noqa: E402


def median_time(fn: Callable[[], object], repeats: int = 7, number: int = 1) -> float:
    """Median over ``repeats`` of the mean wall time of ``number`` calls, in seconds."""
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        for _ in range(number):
            fn()
        times.append((time.perf_counter() - t0) / number)
    return statistics.median(times)


#: a repetition lasts at least this long; the figure is the median of REPS repetitions
MIN_REP_S = 0.050
REPS = 9


def calibrated_ns(op: Callable[[], object], div: int = 1, reps: int = REPS) -> tuple[float, float]:
    """(median wall ns, median thread-CPU ns) per call of ``op`` divided by ``div``: a repetition is
    a loop of n calls with n calibrated so it lasts >= MIN_REP_S; median of the repetitions (the
    side-by-side harness of /work/shared/perf; ``reps`` repetitions)."""
    n = 1
    while True:
        t0 = time.perf_counter()
        for _ in range(n):
            op()
        dt = time.perf_counter() - t0
        if dt >= MIN_REP_S:
            break
        n = min(max(n * 2, int(n * MIN_REP_S * 1.2 / max(dt, 1e-9)) + 1), n * 100)
    wall, cpu = [], []
    for _ in range(reps):
        c0 = time.thread_time()
        t0 = time.perf_counter()
        for _ in range(n):
            op()
        wall.append((time.perf_counter() - t0) / n)
        cpu.append((time.thread_time() - c0) / n)
    return statistics.median(wall) * 1e9 / div, statistics.median(cpu) * 1e9 / div


def print_table(title: str, header: list[str], rows: list[list[object]]) -> None:
    print(f"\n{title}")
    widths = [max(len(str(h)), *(len(str(r[i])) for r in rows)) for i, h in enumerate(header)]
    print("  ".join(str(h).ljust(w) for h, w in zip(header, widths)))
    print("  ".join("-" * w for w in widths))
    for r in rows:
        print("  ".join(str(c).ljust(w) for c, w in zip(r, widths)))


class progress:
    """A rich progress bar with ETA on stderr for long benchmarks (the tables stay on stdout)::

        with progress(200, "kill/restart trials") as advance:
            for ...: ...; advance()

    Shown when stderr is a terminal (or BENCH_PROGRESS=1); otherwise ``advance`` does nothing."""

    def __init__(self, total: int, description: str):
        import sys

        self.total, self.description = total, description
        self.enabled = os.environ.get("BENCH_PROGRESS", "1" if sys.stderr.isatty() else "0") == "1"
        self._bar = None
        self.done = 0             # what the bar showed last (0 when disabled)

    def __enter__(self) -> Callable[..., None]:
        if not self.enabled:
            return lambda n=1: None
        import sys

        from rich.console import Console
        from rich.progress import Progress

        from ternsig.host.curve import progress_columns

        self._bar = Progress(*progress_columns(), console=Console(file=sys.stderr), transient=True)
        self._bar.start()
        job = self._bar.add_task(self.description, total=self.total)
        self._job = job
        return lambda n=1: self._bar.advance(job, n)

    def __exit__(self, *exc: object) -> None:
        if self._bar is not None:
            self.done = int(self._bar.tasks[0].completed)
            self._bar.stop()
