"""One brain over several MPI ranks computes exactly what one process computes.

The runs are real: ``mpiexec -n N python -m ternsig brain run`` (the venv's mpiexec, from the
``mpich`` package) in subprocesses with a timeout, so a wedged job fails the test instead of
hanging CI. The single-rank path (``ClusterBrain`` over ``SoloComm``) runs in-process.
"""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from ternsig.cluster.comm import SoloComm, launcher_world
from ternsig.cluster.tick import ClusterBrain
from ternsig.host.brain import Brain
from ternsig.host.digest import brain_digest
from ternsig.host.durable import CheckpointPolicy
from tests.cluster.brains import array_brain, example_brain

BIN = Path(sys.executable).parent
MPIEXEC = BIN / "mpiexec"
TIMEOUT = 240             # seconds for one whole mpiexec job (a few seconds normally)
TICKS = 60


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PMI_", "OMPI_", "PMIX_"))}
    env["OMP_NUM_THREADS"] = "1"
    return env


def run(args: list[str], ranks: int = 0, timeout: float = TIMEOUT) -> subprocess.CompletedProcess:
    cmd = [sys.executable, "-m", "ternsig", "brain", *args]
    if ranks:
        cmd = [str(MPIEXEC), "-n", str(ranks), *cmd]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=_env())


def single(d: Path, ticks: int = TICKS) -> str:
    p = run(["run", str(d), "--ticks", str(ticks), "-q", "--checkpoint-seconds", "0"])
    assert p.returncode == 0, p.stderr
    return brain_digest(d / "state").total


def test_the_venv_has_a_working_mpiexec():
    assert MPIEXEC.is_file(), "the [test] extra installs mpich, which provides mpiexec in the venv"


@pytest.mark.parametrize("ranks", [1, 2, 3, 4])
def test_digest_is_the_same_for_one_process_and_n_ranks(tmp_path, ranks):
    ref = single(array_brain(tmp_path / "one", 3))
    d = array_brain(tmp_path / "many", 3)
    p = run(["run", str(d), "--ticks", str(TICKS), "-q", "--checkpoint-seconds", "0"], ranks=ranks)
    assert p.returncode == 0, p.stdout + p.stderr
    assert f"cluster: {ranks} rank(s); 6 partitioned region(s)" in p.stdout
    assert f"ran {TICKS} ticks on {ranks} rank(s)" in p.stdout
    got = brain_digest(d / "state")
    assert got.total == ref and got.tick == TICKS


def test_saved_with_two_ranks_restarts_with_three_and_with_one(tmp_path):
    ref = single(example_brain(tmp_path / "one"), 2 * TICKS)
    d = example_brain(tmp_path / "many")
    for ranks in (2, 3):
        p = run(["run", str(d), "--ticks", str(TICKS // 2), "-q", "--checkpoint-every", "7",
                 "--checkpoint-seconds", "0"], ranks=ranks)
        assert p.returncode == 0, p.stdout + p.stderr
    assert "restored checkpoint 30 (tick 30)" in p.stdout
    p = run(["run", str(d), "--ticks", str(TICKS), "-q", "--checkpoint-seconds", "0"])
    assert p.returncode == 0, p.stderr
    assert brain_digest(d / "state").total == ref


def test_one_rank_in_process_matches_the_brain(tmp_path):
    ref = single(array_brain(tmp_path / "one", 2), 25)
    b = Brain(array_brain(tmp_path / "solo", 2))
    b.durability.set_policy(CheckpointPolicy(seconds=0))
    cb = ClusterBrain(b, SoloComm())
    for _ in range(25):
        cb.tick()
    cb.save()
    assert brain_digest(b.state_dir).total == ref


def test_without_mpiexec_nothing_changes_and_mpi4py_is_not_imported(tmp_path):
    d = example_brain(tmp_path)
    code = ("import sys; from ternsig.cli import main; rc = main(['brain', 'run', sys.argv[1], '--ticks', '3', '-q']);"
            "print('MPI4PY', 'mpi4py' in sys.modules); sys.exit(rc)")
    p = subprocess.run([sys.executable, "-c", code, str(d)], capture_output=True, text=True, timeout=TIMEOUT,
                       env=_env())
    assert p.returncode == 0, p.stderr
    assert "MPI4PY False" in p.stdout and "cluster" not in p.stdout
    assert launcher_world({}) is None
    assert launcher_world({"PMI_RANK": "1", "PMI_SIZE": "3"}) == (1, 3)
    assert launcher_world({"OMPI_COMM_WORLD_RANK": "0", "OMPI_COMM_WORLD_SIZE": "2"}) == (0, 2)
