"""Brain's Python API: regions, registers, weights and chemicals by name; repr and HTML."""
from __future__ import annotations

import shutil

import numpy as np
import pytest

from ternsig.errors import UsageError
from ternsig.host.brain import Brain
from tests.paths import EXAMPLES


@pytest.fixture
def brain(tmp_path):
    shutil.copytree(EXAMPLES / "brain", tmp_path / "brain")
    b = Brain(tmp_path / "brain")
    b.boot()
    return b


def test_regions_weights_and_outputs(brain):
    assert brain.region_names == ["sensory", "memory", "learner", "regulation"]
    brain.run(30)
    w = brain.weights("learner", "C0")
    assert w.shape == (1, 16) and w.key == "demo.learner.class0"
    assert np.array_equal(w.values, brain.interpreter("learner").weights("C0").values)
    assert isinstance(brain.outputs["learner"], np.ndarray) and brain.outputs["learner"].shape == (4,)
    assert brain.register("sensory", "H1").shape == (16,)


def test_chemicals_by_name(brain):
    assert brain.chemicals["dopamine"] == 128 and len(brain.chemicals) == 8
    brain.set_chemicals(dopamine=10)
    assert brain.substrate.read_chemical(0) == 10
    with pytest.raises(UsageError, match="unknown chemical"):
        brain.set_chemicals(joy=1)
    with pytest.raises(UsageError, match="0..255"):
        brain.set_chemicals(dopamine=256)


def test_repr_and_html(brain):
    assert repr(brain).startswith("<Brain demo: 4 regions [sensory (runtime), memory (runtime), learner (learning)")
    assert "accuracy" not in repr(brain)                 # no tick scored yet
    brain.run(20)
    assert brain.accuracy is not None and "accuracy" in repr(brain) and "over the last 20 ticks" in repr(brain)
    assert brain.tick_count == 20
    page = brain._repr_html_()
    assert "<td>learner</td>" in page and "dopamine" in page
