"""Smoke tests of the integer-only learning benchmark (bench/bench_learning.py): the firmware
learns real data through the VM well above chance, dopamine gates it, inference leaves weights
alone. No timing assertions: figures live in docs/perf.d/learning.md."""
from __future__ import annotations

import sys

import numpy as np

from tests.paths import BENCH

sys.path.insert(0, str(BENCH))
import bench_learning as bl  # noqa: E402


def _learner(task: str, n_classes: int) -> bl.FirmwareLearner:
    return bl.FirmwareLearner((bl.FIRMWARE / f"{task}.ternsig").read_text(), n_classes)


def test_digits_learns_well_above_chance():
    res, learner = bl.run_task("digits", epochs=1, limit=400, test_limit=200)
    assert res.curve[0].test_acc <= 0.2           # untrained: all-zero weights
    assert res.final_acc >= 0.6, res.final_acc     # chance is 0.1
    w = learner.weights()
    assert w.dtype.kind == "i" and np.any(w != 0)
    assert set(np.unique(np.abs(w) % 5)) == {0}   # mastery commits move magnitudes in steps of 5


def test_onset_learns_well_above_chance():
    res, _ = bl.run_task("onset", epochs=1, limit=300, test_limit=300)
    assert res.final_acc >= 0.8, res.final_acc     # chance is 0.5 (balanced labels)
    assert res.t90_final is not None and res.t90_final[1] <= 300


def test_low_dopamine_disables_learning(monkeypatch):
    data = bl.load_onset(n_train=100, n_test=10)
    learner = _learner("onset", 2)
    monkeypatch.setattr(bl, "LEARN_DA", 75)        # one below the reference's threshold (76)
    for x, y in zip(data.x_train, data.y_train):
        learner.train_step(x, int(y))
    assert not np.any(learner.weights())
    monkeypatch.setattr(bl, "LEARN_DA", 76)
    for x, y in zip(data.x_train, data.y_train):
        learner.train_step(x, int(y))
    assert np.any(learner.weights())


def test_inference_does_not_change_weights():
    data = bl.load_onset(n_train=200, n_test=200)
    learner = _learner("onset", 2)
    for x, y in zip(data.x_train, data.y_train):
        learner.train_step(x, int(y))
    before = learner.weights().copy()
    pressure = [None if p is None else p.copy() for p in learner.m.pressure[:2]]
    learner.predict(data.x_test)
    assert np.array_equal(before, learner.weights())
    for p0, p1 in zip(pressure, learner.m.pressure[:2]):
        assert (p0 is None and p1 is None) or np.array_equal(p0, p1)


def test_onset_data_is_integer_and_balanced():
    x, y = bl.make_onset(2000, window=16, noise=2, seed=3)
    assert x.dtype.kind == "i" and x.min() >= 0 and x.max() <= bl.LEVELS
    assert 0.45 < y.mean() < 0.55
    enc = bl.on_off(x)
    assert enc.shape == (2000, 32) and np.all(enc[:, :16] + enc[:, 16:] == bl.LEVELS)


def test_eval_schedule():
    assert bl.eval_schedule(100, 25, 50, 40) == [25, 40, 50, 80, 100]
