"""Crash test for whole brains: SIGKILL ``ternsig brain run`` at random moments and restart it.

One brain (a copy of the bundled example, which learns a pattern task) lives through every trial.
A trial starts ``ternsig brain run DIR -q --progress`` (which first restores the newest complete
checkpoint and says so), waits for its header line, lets it run for a random time, kills it with
SIGKILL, then checks what is on disk:

* torn      - a published manifest whose parts are missing or damaged, or a part that does not
              decode (goal 0; a checkpoint still being written has no manifest and is not torn);
* failed    - the next start does not boot and report the checkpoint it restored (goal 0);
* lost      - ticks of learning lost per kill: the last tick the killed run completed (its
              telemetry's last line) minus the tick the next run restored (goal: at most the
              checkpoint window).

The kill moments cover ticks and checkpoint writes alike. ``--every N`` checkpoints every N ticks
(window N ticks); ``--seconds S`` every S seconds (window ≈ S × ticks/s; the default, 1 s).

    python bench/bench_crash.py [--trials 200] [--every 0] [--seconds 1] [--max-delay 1.5] [--seed 1]
"""
from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

sys.path.insert(0, str(Path(__file__).parent))
from _common import progress  # noqa: E402  (a bar with ETA on stderr, when it is a terminal)

EXAMPLE = Path(__file__).resolve().parent.parent / "src" / "ternsig" / "examples" / "brain"
HEADER_RE = re.compile(r"telemetry in (\S+) \(run")
RUNNING_RE = re.compile(r"running from tick (\d+)")
CKPT_RE = re.compile(r"checkpoint (\d+) tick (\d+) ")


@dataclass
class Trial:
    restored: Optional[int] = None        # tick this run started from (0: fresh; None: did not boot)
    last_done: int = 0                    # last tick whose telemetry line was written
    checkpoints_seen: int = 0
    ran_s: float = 0.0                    # from "running from tick" to the kill
    torn: list[str] = field(default_factory=list)
    failed: Optional[str] = None


@dataclass
class Summary:
    trials: list[Trial] = field(default_factory=list)
    lost: list[int] = field(default_factory=list)
    lost_s: list[float] = field(default_factory=list)    # lost ticks at the killed run's tick rate

    @property
    def torn(self) -> int:
        return sum(len(t.torn) for t in self.trials)

    @property
    def failed(self) -> int:
        return sum(1 for t in self.trials if t.failed)


def last_tick(telemetry: Path) -> int:
    """The tick of the last complete tick line (a kill may leave a partial last line)."""
    try:
        data = telemetry.read_bytes()
    except FileNotFoundError:
        return 0
    for line in reversed(data.split(b"\n")):
        try:
            d = json.loads(line)
        except ValueError:
            continue
        if d.get("type") == "tick":
            return int(d["tick"])
    return 0


def check_state(state: Path) -> list[str]:
    """Published checkpoints that are not whole, and parts of the newest that do not decode."""
    from ternsig.errors import TernsigError
    from ternsig.host.brainstate import decode_part
    from ternsig.host.checkpoint import CheckpointStore

    store = CheckpointStore(state)
    problems = []
    for i in store.ids():
        try:
            m = store.read_manifest(i)
        except TernsigError as exc:
            problems.append(f"manifest {i}: {exc}")
            continue
        problems += [f"checkpoint {i}: {p}" for p in store.problems(m)]
    m = store.latest()
    if m is not None:
        for name in m.names():
            try:
                decode_part(store.read_part(m, name), name)
            except TernsigError as exc:
                problems.append(f"checkpoint {m.id} part {name}: {exc}")
    return problems


def run_trial(brain: Path, rng: random.Random, *, every: int, seconds: float, max_delay: float = 0.0,
              kill_after_checkpoints: Optional[int] = None, timeout: float = 120.0) -> Trial:
    """Start the brain, kill it (after a random delay, or after it reported N checkpoints), check.

    With ``kill_after_checkpoints`` the kill moment is decided by the process's own progress
    lines (no sleeping), which is what the test suite uses."""
    t = Trial()
    cmd = [sys.executable, "-m", "ternsig", "brain", "run", str(brain), "-q", "--progress", "--ticks", "1000000000",
           "--checkpoint-every", str(every), "--checkpoint-seconds", str(seconds)]
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    telemetry = None
    deadline = time.monotonic() + timeout
    try:
        for line in proc.stdout:                     # boot: header, what was restored, "running from tick T"
            m = HEADER_RE.search(line)
            if m:
                telemetry = Path(m.group(1))
            m = RUNNING_RE.match(line)
            if m:
                t.restored = int(m.group(1))
                break
            if time.monotonic() > deadline:
                break
        if telemetry is None or t.restored is None:
            proc.kill()
            proc.wait()
            t.failed = f"did not boot (exit {proc.returncode}): {proc.stderr.read().strip()[-300:]}"
            return t
        started = time.monotonic()
        if kill_after_checkpoints is not None:
            while t.checkpoints_seen < kill_after_checkpoints:
                line = proc.stdout.readline()
                if not line:
                    break
                if CKPT_RE.match(line):
                    t.checkpoints_seen += 1
        else:
            time.sleep(rng.uniform(0.0, max_delay))  # the bench's random kill moment
        if proc.poll() is not None:
            t.failed = f"exited early ({proc.returncode}): {proc.stderr.read().strip()[-300:]}"
            return t
        proc.send_signal(signal.SIGKILL)
        t.ran_s = time.monotonic() - started
        proc.wait()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        proc.stdout.close()
        proc.stderr.close()
    t.last_done = last_tick(telemetry)
    t.torn = check_state(brain / "state")
    return t


def run_trials(n: int, workdir: Path, *, every: int = 0, seconds: float = 1.0, max_delay: float = 1.5, seed: int = 1,
               kill_after_checkpoints: Optional[int] = None) -> Summary:
    """``n`` kill/restart cycles of one brain; the restart of trial i is the start of trial i+1
    (a final start checks the last kill)."""
    brain = workdir / "brain"
    if not brain.exists():
        shutil.copytree(EXAMPLE, brain)
    rng = random.Random(seed)
    s = Summary()
    prev: Optional[Trial] = None
    with progress(n + 1, "kill/restart trials") as advance:
        for i in range(n + 1):
            final = i == n
            t = run_trial(brain, rng, every=every, seconds=seconds, max_delay=max_delay,
                          kill_after_checkpoints=1 if final else kill_after_checkpoints)
            if prev is not None:
                if t.restored is not None:
                    lost = max(0, prev.last_done - t.restored)
                    s.lost.append(lost)
                    rate = (prev.last_done - (prev.restored or 0)) / prev.ran_s if prev.ran_s > 0 else 0.0
                    s.lost_s.append(lost / rate if rate > 0 else 0.0)
            if not final:
                s.trials.append(t)
            elif t.failed:
                s.trials.append(Trial(failed=t.failed))
            prev = t
            advance()
    return s


def checkpoint_cost(workdir: Path, ticks: int = 200, repeats: int = 15) -> tuple[float, float, int]:
    """(median ms per checkpoint, median ms per tick, bytes per checkpoint) of the example brain."""
    import statistics

    from ternsig.host.brain import Brain
    from ternsig.host.durable import CheckpointPolicy

    brain_dir = workdir / "cost-brain"
    shutil.copytree(EXAMPLE, brain_dir)
    b = Brain(brain_dir, state_dir=workdir / "cost-state", checkpoint=CheckpointPolicy(every=0, seconds=0, keep=2))
    b.boot()
    t0 = time.perf_counter()
    for _ in range(ticks):
        b.tick()
    per_tick = (time.perf_counter() - t0) / ticks
    times = []
    for _ in range(repeats):
        b.tick()
        t0 = time.perf_counter()
        m = b.durability.checkpoint("bench")
        times.append(time.perf_counter() - t0)
    size = sum(p.size for p in m.parts) if m else 0
    return statistics.median(times) * 1e3, per_tick * 1e3, size


def main(argv: Optional[list[str]] = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--trials", type=int, default=200)
    ap.add_argument("--every", type=int, default=0, help="checkpoint every N ticks (0 = off)")
    ap.add_argument("--seconds", type=float, default=1.0, help="checkpoint every S seconds (0 = off; default 1)")
    ap.add_argument("--max-delay", type=float, default=1.5, help="kill up to this many seconds after boot")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--keep", help="work directory to keep (default: a temporary one)")
    args = ap.parse_args(argv)
    work = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="ternsig-crash-"))
    cost, tick, size = checkpoint_cost(work)
    print(f"example brain: one checkpoint {cost:.1f} ms ({size:,} bytes, fsynced), one tick {tick:.2f} ms")
    t0 = time.perf_counter()
    s = run_trials(args.trials, work, every=args.every, seconds=args.seconds, max_delay=args.max_delay, seed=args.seed)
    dt = time.perf_counter() - t0
    lost = sorted(s.lost)
    window = f"{args.every} ticks" if args.every else f"{args.seconds:g} s"
    print(f"\nbrain crash test: {len(s.trials)} kills in {dt:.0f} s, checkpoint window {window}")
    print(f"  torn or unreadable state: {s.torn}")
    print(f"  failed restarts:          {s.failed}")
    if lost:
        print(f"  ticks lost per kill:      median {lost[len(lost) // 2]}, p95 {lost[int(len(lost) * 0.95) - 1]}, "
              f"max {lost[-1]} (over {len(lost)} restarts)")
        ls = sorted(s.lost_s)
        print(f"  running time lost:        median {ls[len(ls) // 2]:.2f} s, p95 {ls[int(len(ls) * 0.95) - 1]:.2f} s, "
              f"max {ls[-1]:.2f} s (at each killed run's own tick rate)")
    for t in s.trials:
        for p in t.torn:
            print(f"  TORN: {p}")
        if t.failed:
            print(f"  FAILED: {t.failed}")
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    return 0 if s.torn == 0 and s.failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
