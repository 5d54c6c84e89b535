"""Brain tasks: the built-in patterns task and ``task dataset file=...`` serving a user's data."""
from __future__ import annotations

import shutil

import numpy as np
import pytest

from ternsig.cli import main
from ternsig.errors import TernsigError
from ternsig.host.brain import Brain
from ternsig.host.tasks import DatasetTask, PatternTask, make_task, peaks_at
from tests.paths import EXAMPLES

PATTERNS = "task patterns classes=4 width=16 noise=40 seed=7"


def _brain_with_dataset(tmp_path, line: str, write=True):
    d = tmp_path / "brain"
    shutil.copytree(EXAMPLES / "brain", d)
    if write:
        task = PatternTask(noise=40, seed=3)
        samples = [task.sample() for _ in range(300)]
        np.savez(d / "mydata.npz", inputs=np.array([s.x for s in samples]),
                 labels=np.array([s.label for s in samples]))
    boot = d / "boot.ternsig"
    boot.write_text(boot.read_text().replace(PATTERNS, line))
    return d


def test_a_brain_learns_a_users_dataset(tmp_path):
    d = _brain_with_dataset(tmp_path, "task dataset file=mydata.npz seed=5")
    brain = Brain(d)
    assert isinstance(brain.task, DatasetTask) and brain.task.classes == 4
    history = brain.run(1200)
    first = sum(h["correct"] for h in history[:100]) / 100
    last = sum(h["correct"] for h in history[-200:]) / 200
    assert last >= 0.9 and last > first + 0.2, (first, last)


def test_the_dataset_task_from_the_cli(tmp_path, capsys):
    d = _brain_with_dataset(tmp_path, "task dataset file=mydata.npz")
    assert main(["brain", "run", str(d), "--ticks", "50", "-q"]) == 0
    assert "accuracy over the last 50 ticks" in capsys.readouterr().out


def test_samples_are_deterministic_per_seed_and_resume_from_a_checkpoint(tmp_path):
    d = _brain_with_dataset(tmp_path, "task dataset file=mydata.npz seed=9")
    a = make_task({"kind": "dataset", "file": "mydata.npz", "seed": "9"}, d)
    b = make_task({"kind": "dataset", "file": "mydata.npz", "seed": "9"}, d)
    assert [a.sample().label for _ in range(20)] == [b.sample().label for _ in range(20)]
    brain = Brain(d)
    brain.run(10)
    brain.save()
    expected = [brain.task.sample().label for _ in range(10)]
    again = Brain(d)
    again.boot()
    assert [again.task.sample().label for _ in range(10)] == expected


@pytest.mark.parametrize("line, needle", [
    ("task dataset", "needs file=NAME"),
    ("task dataset file=../outside.npz", "must be a relative path inside"),
    ("task dataset file=/etc/passwd", "must be a relative path inside"),
    ("task dataset file=missing.npz", "cannot read"),
    ("task dataset file=mydata.npz colour=red", "unknown option 'colour'"),
    ("task dataset file=mydata.npz seed=x", "seed must be an integer"),
    ("task dataset file=one.npz", "two or more values"),
    ("task dataset file=bad.csv", "names no 'label'"),
])
def test_bad_dataset_tasks_are_one_line_errors_at_the_task_line(tmp_path, capsys, line, needle):
    d = _brain_with_dataset(tmp_path, line)
    np.savez(d / "one.npz", inputs=np.zeros((3, 16)), targets=np.zeros((3, 1)))
    (d / "bad.csv").write_text("a,b\n1,2\n")
    with pytest.raises(TernsigError, match=needle) as exc:
        Brain(d)
    assert "boot.ternsig:9:" in str(exc.value)
    assert main(["brain", "run", str(d), "--ticks", "1", "-q"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and needle.split("'")[0] in err


def test_an_output_is_correct_only_when_it_peaks_uniquely_at_the_label():
    assert peaks_at(np.array([1, 9, 3, 9, 100]), 1, 3)          # only the first `classes` values count
    assert not peaks_at(np.array([1, 9, 3, 9]), 1, 4)            # a tie at the top is wrong
    assert not peaks_at(np.array([5, 2]), 0, 3)                  # too few outputs
    assert not peaks_at(np.array([5, 2]), 7, 2) and not peaks_at(np.array([5, 2]), -2, 2)
    rng = np.random.default_rng(3)
    for _ in range(500):                                         # against the definition, ties included
        out = rng.integers(-3, 4, int(rng.integers(1, 7))).astype(np.int32)
        label, classes = int(rng.integers(0, 6)), int(rng.integers(1, 7))
        head = out[:classes].astype(np.int64)
        best = np.flatnonzero(head == head.max())
        want = len(out) >= classes and len(best) == 1 and int(best[0]) == label
        assert peaks_at(out, label, classes) == want
