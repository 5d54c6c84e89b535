"""The bundled examples work: test harnesses pass, every program validates for its role, the
example brain learns its task."""
from __future__ import annotations

import io
import shutil
from pathlib import Path

import pytest

from tests.paths import EXAMPLES as EXAMPLES_DIR
from ternsig.asm import assemble
from ternsig.cli import main
from ternsig.safety.validator import validate_program
from ternsig.testing import run_test_files

EXAMPLES = EXAMPLES_DIR
PROGRAMS = sorted(EXAMPLES.rglob("*.ternsig"))


def test_bundled_test_harnesses_pass():
    out = io.StringIO()
    code = run_test_files(sorted((EXAMPLES / "tests").glob("*.ternsig")), out)
    assert code == 0, out.getvalue()
    assert "6 passed" in out.getvalue()


@pytest.mark.parametrize("path", PROGRAMS, ids=lambda p: str(p.relative_to(EXAMPLES)))
def test_example_validates_for_its_role(path):
    program = assemble(path.read_text(), source_name=str(path))
    errors = [d for d in validate_program(program) if d.level == "error"]
    assert not errors, "\n".join(map(str, errors))


def test_example_brain_learns(tmp_path):
    from ternsig.host.brain import Brain

    shutil.copytree(EXAMPLES / "brain", tmp_path / "brain")
    brain = Brain(tmp_path / "brain")
    history = brain.run(1500)
    first = sum(h["correct"] for h in history[:100]) / 100
    last = sum(h["correct"] for h in history[-200:]) / 200
    assert last >= 0.9 and last > first + 0.2, (first, last)
    assert all(r.traps == 0 for r in brain.regions), [(r.name, r.last_trap) for r in brain.regions]
    brain.save()
    # a restarted brain restores the learned weights from its thermogram
    again = Brain(tmp_path / "brain")
    assert sum(h["correct"] for h in again.run(100)) >= 90


def test_demo_command_runs(tmp_path, capsys):
    assert main(["demo", "--ticks", "300", "--dir", str(tmp_path), "-q"]) == 0
    out = capsys.readouterr().out
    assert "ran 300 ticks" in out and (tmp_path / "brain" / "state" / "thermo" / "weights.thermo").exists()


def test_spiking_example_brain_runs_its_snn_and_pool(tmp_path):
    from ternsig.host.brain import Brain

    shutil.copytree(EXAMPLES / "spiking", tmp_path / "brain")
    brain = Brain(tmp_path / "brain")
    brain.run(200)
    assert all(r.traps == 0 for r in brain.regions), [r.last_trap for r in brain.regions]
    cortex, pool = brain.spiking.snn("cortex"), brain.spiking.pool("motor")
    assert len(cortex) == 200 and cortex.timestep == 200
    assert cortex.spike_counts[:16].min() > 0          # the driven neurons fire
    assert pool.ticks == 200 and pool.pop.spike_counts[:16].min() > 0


def test_columns_example_is_1024_regions_of_two_arrays_each_instance_learning_on_its_own(tmp_path):
    """The bundled array brain declares 1,024 regions; shrunk to 3 + 3 instances (the same lines
    with smaller counts) every learner learns the same weights under its own keys."""
    from ternsig.host.brain import Brain
    from ternsig.host.config import parse_config
    from ternsig.host.durable import CheckpointPolicy

    boot = (EXAMPLES / "columns" / "boot.ternsig").read_text()
    cfg = parse_config(boot)
    assert len(cfg.regions) == 1024 and cfg.arrays == {"sensory": 512, "learner": 512}
    assert cfg.regions[512 + 7].name == "learner[7]" and cfg.regions[512 + 7].inputs == ["sensory[7]"]
    d = tmp_path / "columns"
    shutil.copytree(EXAMPLES / "columns", d)
    (d / "boot.ternsig").write_text(boot.replace("[512]", "[3]"))
    b = Brain(d, checkpoint=CheckpointPolicy(every=0, seconds=0))
    b.run(60)
    learners = [b.region(f"learner[{i}]") for i in range(3)]
    keys = [[c.key for c in r.machine.cold if c is not None] for r in learners]
    assert keys[2] == [f"columns.learner.2.class{k}" for k in range(4)]
    weights = [[(c.pol.tolist(), c.mag.tolist()) for c in r.machine.cold if c is not None] for r in learners]
    assert weights[0] == weights[1] == weights[2]
    assert any(any(mag) for _, mag in weights[0])               # they learned something
    assert all(r.traps == 0 for r in b.regions)
