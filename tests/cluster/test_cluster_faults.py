"""Faults under MPI: a trapping region reports as in one process; a rank that fails or dies stops
the whole job promptly (never a hang: every job runs under a timeout) with the last committed
state intact."""
from __future__ import annotations

import os
import selectors
import signal
import subprocess
import sys
import time

from ternsig.host.checkpoint import CheckpointStore
from ternsig.host.digest import brain_digest
from tests.cluster.brains import example_brain
from tests.cluster.test_cluster_run import MPIEXEC, TIMEOUT, _env, run


def _starve_learner(d):
    cfg = (d / "boot.ternsig").read_text()
    (d / "boot.ternsig").write_text(cfg.replace("input=sensory target=@env", "input=sensory target=@env budget=5"))


def test_a_trap_on_a_partitioned_rank_is_reported_like_in_one_process(tmp_path):
    one, many = example_brain(tmp_path / "one"), example_brain(tmp_path / "many")
    for d in (one, many):
        _starve_learner(d)
    p1 = run(["run", str(one), "--ticks", "10", "-q"])
    p2 = run(["run", str(many), "--ticks", "10", "-q"], ranks=2)
    line = "region learner: 10 trap(s) in this run, last: region learner: pc 5: fuel exhausted"
    assert p1.returncode == 1 and line in p1.stdout
    assert p2.returncode == 1 and line in p2.stdout, p2.stdout + p2.stderr
    assert brain_digest(one / "state").total == brain_digest(many / "state").total


def test_a_rank_that_fails_stops_every_rank_with_one_error_naming_it(tmp_path):
    d = example_brain(tmp_path)
    assert run(["run", str(d), "--ticks", "5", "-q"], ranks=2).returncode == 0
    before = brain_digest(d / "state")
    # rank 1 holds the learner (see the plan): make its file of checkpoint 12 impossible to write
    blocked = d / "state" / "checkpoints" / f"{12:012d}" / "rank1.part"
    blocked.mkdir(parents=True)
    p = run(["run", str(d), "--ticks", "50", "-q", "--checkpoint-every", "7", "--checkpoint-seconds", "0"], ranks=2)
    assert p.returncode != 0
    errors = [ln for ln in p.stderr.splitlines() if ln.startswith("ternsig: rank")]
    assert len(errors) == 1 and errors[0].startswith("ternsig: rank 1 of 2: error:"), p.stderr
    assert "rank1.part" in errors[0]
    after = CheckpointStore(d / "state").latest()
    assert after is not None and after.id == 5 and brain_digest(d / "state").total == before.total
    p = run(["run", str(d), "--ticks", "3", "-q", "--checkpoint-seconds", "0"], ranks=2)
    assert p.returncode == 0 and "restored checkpoint 5 (tick 5)" in p.stdout, p.stdout + p.stderr


def _lines_until(proc, wanted: str, deadline: float) -> list[str]:
    sel = selectors.DefaultSelector()
    sel.register(proc.stdout, selectors.EVENT_READ)
    seen: list[str] = []
    buf = b""
    while time.monotonic() < deadline:
        if not sel.select(timeout=1.0):
            continue
        chunk = os.read(proc.stdout.fileno(), 65536)
        if not chunk:
            break
        buf += chunk
        *done, buf = buf.split(b"\n")
        seen += [x.decode() for x in done]
        if any(wanted in x for x in seen):
            return seen
    raise AssertionError(f"no {wanted!r} from the job; saw {seen}")


def test_a_killed_rank_ends_the_job_promptly_and_the_last_checkpoint_is_intact(tmp_path):
    d = example_brain(tmp_path)
    cmd = [str(MPIEXEC), "-n", "2", sys.executable, "-m", "ternsig", "brain", "run", str(d), "--ticks", "1000000",
           "-q", "--progress", "--checkpoint-every", "5", "--checkpoint-seconds", "0"]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=_env(), start_new_session=True)
    try:
        seen = _lines_until(proc, "checkpoint 10 tick 10", time.monotonic() + TIMEOUT)
        ranks = next(x for x in seen if x.startswith("ranks: "))
        pid1 = int(ranks.split("1=pid ")[1].split(",")[0])
        os.kill(pid1, signal.SIGKILL)
        proc.wait(timeout=TIMEOUT)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    err = proc.stdout.read().decode() + proc.stderr.read().decode()
    assert proc.returncode != 0
    # mpiexec reports the first process of the job it reaps: the killed one, or one it ended itself
    # in its cleanup (which of the two is a race inside mpiexec); the run's header maps either to
    # its rank
    assert "BAD TERMINATION" in err, err
    pids = {int(x.split("=pid ")[1]) for x in ranks[len("ranks: "):].split(", ")}
    named = {int(x.split("PID ")[1].split()[0]) for x in err.splitlines() if "PID " in x}
    assert named and named <= pids, (named, pids, err)
    m = CheckpointStore(d / "state").latest()
    assert m is not None and m.id >= 10 and m.id % 5 == 0
    assert brain_digest(d / "state").tick == m.id
