"""Crash test for thermogram saves: SIGKILL a saving process at random moments.

Each trial pre-saves generation 0, starts a worker that saves generation 1, 2, 3, ... in a loop
(acknowledging each completed save on stdout), kills it with SIGKILL after a random delay, then
checks the file:

* torn  - the file does not load (size/CRC/hash-chain check fails);
* lost  - the file is missing, or holds a generation older than the last acknowledged save.

Goal: 0 torn, 0 lost with the atomic store. ``--plain`` runs the same trials with the
reference's plain ``write`` (no temp file, no rename) for comparison.

    python bench/bench_thermo_crash.py [--trials 200] [--plain] [--seed 1]
"""
from __future__ import annotations

import argparse
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _common import progress  # noqa: E402  (a bar with ETA on stderr, when it is a terminal)

WORKER = r"""
import sys
from ternsig.signal import Signal
from ternsig.thermo import ConsolidatedEntry, Signals, Thermogram, Timestamp, encode
from ternsig.thermo.store import save
import numpy as np

path, mode = sys.argv[1], sys.argv[2]
rng = np.random.default_rng(0)
pol = rng.integers(-1, 2, 40000).astype(np.int8)
mag = rng.integers(0, 256, 40000).astype(np.uint8)

def make(gen):
    t = Thermogram.new("crash", clock=lambda: Timestamp(1735689600 + gen), id="crash-id")
    t.metadata.custom = gen.to_bytes(8, "little")
    for i in range(8):
        t.hot[f"w{i}"] = ConsolidatedEntry(f"w{i}", Signals.from_arrays(np.roll(pol, gen + i), mag),
                                           Signal(1, 200), Timestamp(1735689600), gen)
    return t

print("ready", flush=True)
gen = 1
while True:
    t = make(gen)
    if mode == "plain":
        with open(path, "wb") as f:       # the reference's fs::write
            f.write(encode(t))
    else:
        save(t, path)
    print(gen, flush=True)
    gen += 1
"""


def generation_of(path: Path) -> int | None:
    """The generation stored in ``path``; None when it does not load (torn)."""
    from ternsig.errors import FormatError
    from ternsig.thermo.store import load

    try:
        t = load(path)
    except FormatError:
        return None
    return int.from_bytes(t.metadata.custom, "little")


def seed_file(path: Path) -> None:
    from ternsig.thermo import Thermogram, Timestamp
    from ternsig.thermo.store import save

    t = Thermogram.new("crash", clock=lambda: Timestamp(1735689600), id="crash-id")
    t.metadata.custom = (0).to_bytes(8, "little")
    save(t, path)


def trial(d: Path, mode: str, delay: float) -> tuple[bool, bool, int]:
    path = d / "w.thermo"
    seed_file(path)
    proc = subprocess.Popen([sys.executable, "-c", WORKER, str(path), mode], stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    proc.stdout.readline()                              # "ready": imports done, saving starts now
    time.sleep(delay)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    acked = [int(x) for x in proc.stdout.read().split()]
    last_ack = max(acked, default=0)
    if not path.exists():
        return False, True, last_ack
    gen = generation_of(path)
    if gen is None:
        return True, False, last_ack
    return False, gen < last_ack, last_ack


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--trials", type=int, default=200)
    ap.add_argument("--plain", action="store_true", help="use the reference's plain write instead")
    ap.add_argument("--max-delay", type=float, default=0.25, help="seconds; kill time is uniform in [0, max]")
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    rng = random.Random(a.seed)
    mode = "plain" if a.plain else "atomic"
    torn = lost = saves = 0
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="thermo-crash-") as tmp:
        with progress(a.trials, "kill trials") as advance:
            for i in range(a.trials):
                d = Path(tmp) / f"t{i}"
                d.mkdir()
                tr, lo, n = trial(d, mode, rng.uniform(0, a.max_delay))
                torn += tr
                lost += lo
                saves += n
                advance()
    dt = time.perf_counter() - t0
    print(f"mode={mode}: {a.trials} trials, {saves} completed saves before the kills, {dt:.1f} s")
    print(f"{a.trials} trials, {torn} torn, {lost} lost")
    sys.exit(1 if (torn or lost) and mode == "atomic" else 0)


if __name__ == "__main__":
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    main()
