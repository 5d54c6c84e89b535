"""Interpreter.fit: a learning program trained on arrays, scored per epoch."""
from __future__ import annotations

import numpy as np
import pytest

from ternsig.asm import assemble
from ternsig.errors import Trap, UsageError
from ternsig.host.tasks import PatternTask
from ternsig.vm.interpreter import Interpreter
from ternsig.vm.training import correct, score_epoch
from tests.paths import EXAMPLES
from tests.tiers import each_tier

pytestmark = pytest.mark.usefixtures("each_tier")

LEARNER = (EXAMPLES / "brain" / "learner.ternsig").read_text()


def _data(n: int = 200):
    task = PatternTask(noise=40)
    samples = [task.sample() for _ in range(n)]
    return np.array([s.x for s in samples]) >> 3, np.array([s.target for s in samples])


def test_the_example_learner_learns_the_pattern_task_from_arrays():
    vm = Interpreter(assemble(LEARNER))
    x, y = _data()
    seen = []
    scores = vm.fit(x, y, epochs=3, on_epoch=seen.append)
    assert [s.epoch for s in scores] == [1, 2, 3] and seen == scores
    assert scores[0].accuracy < 0.9 and scores[-1].accuracy == 1.0
    assert scores[-1].mae < scores[0].mae


def test_without_dopamine_nothing_is_learned():
    vm = Interpreter(assemble(LEARNER))
    x, y = _data(50)
    vm.fit(x, y, epochs=2, dopamine=0)
    assert not np.any(vm.weights("C0").values)
    assert vm.chemicals["dopamine"] == 0


def test_scoring():
    assert correct(np.array([1, 9, 3]), np.array([0, 255, 0]))
    assert not correct(np.array([9, 9, 3]), np.array([0, 255, 0]))       # a tie is not an answer
    assert not correct(np.array([], np.int32), np.array([0, 255]))
    assert correct(np.array([10]), np.array([255, 0]))                   # a short output counts 0 beyond its end
    s = score_epoch(1, [np.array([0, 255]), np.array([0, 10])], np.array([[0, 255], [255, 0]]))
    assert s.accuracy == 0.5 and s.mae == (0 + 0 + 255 + 10) / 4
    assert "accuracy  50.0%" in str(s)
    assert score_epoch(1, [np.array([3])], np.array([[5]])).accuracy is None


def test_bad_datasets_are_usage_errors():
    vm = Interpreter(assemble(LEARNER))
    x, y = _data(4)
    for args, needle in (((x, y[:3]), "4 input rows but 3 target rows"),
                         ((x[:0], y[:0]), "no samples"),
                         ((x + 0.5, y), "integers"),
                         ((x, y[:, :1]), "needs class targets")):
        with pytest.raises(UsageError, match=needle):
            vm.fit(*args)
    with pytest.raises(UsageError, match="epochs"):
        vm.fit(x, y, epochs=0)


def test_a_trap_names_the_sample():
    vm = Interpreter(assemble(".registers\n  H0: i32[2]\n.program\n  load_input H0\n  relu H0, H7\n  halt\n"))
    with pytest.raises(Trap, match="epoch 1, sample 0"):
        vm.fit([[1, 2]], [[0, 255]])
