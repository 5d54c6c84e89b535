"""``mpiexec -n N ternsig brain run DIR --ticks T``: the cluster run.

Every rank boots the whole brain from the same directory (restoring the newest complete
checkpoint, whatever rank count wrote it), runs the staged tick of :mod:`.tick`, and saves on the
way out. Rank 0 prints and writes telemetry; the other ranks are silent. An error on any rank is
printed once, naming the rank, and stops the whole job (``MPI_Abort``) instead of leaving the
others waiting; a rank that dies outright is noticed by ``mpiexec`` (or, failing that, by the
other ranks' bounded waits).
"""
from __future__ import annotations

import os
import sys
import time
from pathlib import Path
from typing import Any, Optional

from ..errors import TernsigError, UsageError


def run_cluster(directory: Path, ticks: int, *, state_dir: Optional[Path] = None, telemetry: Optional[str] = None,
                out: Any = None, comm: Any = None, checkpoint_every: Optional[int] = None,
                checkpoint_seconds: Optional[float] = None, keep_checkpoints: Optional[int] = None,
                telemetry_max_bytes: Optional[int] = None, progress: bool = False,
                timeout: Optional[float] = None) -> int:
    """Run ``ticks`` ticks of the brain in ``directory`` on every rank of ``comm`` (default: the
    MPI world). Returns 0, or 1 when a region trapped during the run (on rank 0; other ranks
    return the same code)."""
    from .tick import RankFailed

    out = out or sys.stdout
    if comm is None:
        from .comm import DEFAULT_TIMEOUT, MpiComm

        comm = MpiComm(timeout=timeout or DEFAULT_TIMEOUT)
    try:
        return _run(Path(directory), ticks, state_dir, telemetry, out, comm, checkpoint_every,
                    checkpoint_seconds, keep_checkpoints, telemetry_max_bytes, progress)
    except RankFailed as exc:             # every rank knows: rank 0 says it once, all end cleanly
        if comm.rank == 0:
            sys.stderr.write(f"ternsig: rank {exc.rank} of {comm.size}: error: {exc}\n")
            sys.stderr.flush()
        return 1
    except (TernsigError, OSError) as exc:
        _fail(comm, f"ternsig: rank {comm.rank} of {comm.size}: error: {exc}")
    except Exception as exc:        # a bug on one rank must still stop the others
        _fail(comm, f"ternsig: rank {comm.rank} of {comm.size}: internal error: {type(exc).__name__}: {exc}")
    return 1


def _fail(comm: Any, message: str) -> None:
    sys.stderr.write(message + "\n")
    sys.stderr.flush()
    if comm.size > 1:
        comm.abort(1)
    raise SystemExit(1)


def _run(directory: Path, ticks: int, state_dir: Optional[Path], telemetry: Optional[str], out: Any, comm: Any,
         checkpoint_every: Optional[int], checkpoint_seconds: Optional[float], keep_checkpoints: Optional[int],
         telemetry_max_bytes: Optional[int], progress: bool) -> int:
    from ..host.brain import Brain
    from ..host.durable import policy_for
    from ..host.telemetry import DEFAULT_MAX_BYTES, open_run_telemetry
    from ..host.tickloop import run_ticks
    from .tick import ClusterBrain, RankFailed

    if not directory.is_dir() or not (directory / "boot.ternsig").is_file():
        raise TernsigError(f"{directory}: not a brain directory (no boot.ternsig)")
    if ticks < 0:
        raise TernsigError(f"--ticks must be 0 or more, got {ticks}")
    root = comm.rank == 0
    state_dir = state_dir or directory / "state"
    state_dir.mkdir(parents=True, exist_ok=True)
    say = (lambda text: print(text, file=out, flush=True)) if root else (lambda text: None)
    tele_cm = open_run_telemetry(state_dir, Path(telemetry) if telemetry else None,
                                 max_bytes=telemetry_max_bytes or DEFAULT_MAX_BYTES) if root else None
    tele = tele_cm.__enter__() if tele_cm is not None else None
    try:
        brain = Brain(directory, telemetry=tele, state_dir=state_dir)
        brain.durability.set_policy(policy_for(brain.config, checkpoint_every, checkpoint_seconds, keep_checkpoints))
        cb = ClusterBrain(brain, comm)
        say(f"brain {directory}: state in {state_dir}"
            + (f"; telemetry in {tele.path} (run {tele.run_id})" if tele is not None else "")
            + f"; cluster: {cb.plan.summary()}")
        # which process is which rank: mpiexec names a process that died by its pid
        pids = [int(x) for x in comm.allgather(str(os.getpid()).encode())]
        say("ranks: " + ", ".join(f"{i}=pid {p}" for i, p in enumerate(pids)))
        cb.boot()
        rep = brain.durability.report
        if rep is not None:
            for name, why in rep.skipped:
                say(f"skipped checkpoint {name}: {why}")
            if rep.checkpoint is not None:
                say(f"restored checkpoint {rep.checkpoint} (tick {rep.tick})")
        for line in brain.dropped:
            say(f"dropped: {line}")
        if progress and root:
            brain.durability.on_publish = lambda m, why: say(f"checkpoint {m.id} tick {m.tick} {why}")
        say(f"running from tick {brain.substrate.tick}")
        start = brain.substrate.tick
        traps_before = {r.id: r.traps for r in brain.regions}
        t0 = time.perf_counter()
        failed = False
        try:
            end = run_ticks(cb, ticks)
        except RankFailed:
            failed = True                 # the ranks agree the state cannot be committed: no save
            raise
        finally:
            if not failed:
                cb.save()
        dt = time.perf_counter() - t0
        res = end.last or {"tick": start}
        done = res["tick"] - start
        msg = f"ran {done} ticks on {comm.size} rank(s) in {dt:.2f} s ({done / max(dt, 1e-9):,.0f} ticks/s)" \
            + (f", ticks {start} → {res['tick']}" if start else "")
        if "accuracy" in res:
            msg += f"; accuracy: {res['accuracy']:.1%}"
        say(msg)
        say(f"state saved under {state_dir} (checkpoint {brain.durability.last_id})")
        trapped = [r for r in brain.regions if r.traps > traps_before[r.id]]
        for r in trapped:
            say(f"region {r.name}: {r.traps - traps_before[r.id]} trap(s) in this run, last: {r.last_trap}")
        return 1 if trapped else 0
    finally:
        if tele_cm is not None:
            tele_cm.__exit__(None, None, None)


def refuse_cluster_options(watch: bool, plot: Any) -> None:
    """Options ``brain run`` does not offer under mpiexec (yet): say so instead of ignoring them."""
    if watch:
        raise UsageError("--watch is not available under mpiexec (hot reload runs in one process)")
    if plot is not None:
        raise UsageError("--plot is not available under mpiexec")
