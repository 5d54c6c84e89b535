"""Firmware and model paths named by .config stay inside the brain directory: no '..', no absolute
paths, no symlink that points out (checked at boot and again whenever a model is loaded)."""
from __future__ import annotations

import pytest

from ternsig.confine import ConfinementError
from ternsig.host.brain import Brain

from tests.host.conftest import assert_clean, assert_trapped, brain_dir, firmware, hot

REGS = "\n".join(f"H{i}: i32[1]" for i in range(10))
CALLER = firmware("orchestration.model_load H9, 0\norchestration.model_exec H1, 0\nhalt", REGS)
MODEL = firmware("set H0, 5\nstore_output H0\nhalt", "H0: i32[1]")


@pytest.mark.parametrize("name", ["../outside.ternsig", "/tmp/outside.ternsig", "a/../../outside.ternsig"])
def test_a_model_path_outside_the_brain_is_refused_at_boot(tmp_path, name):
    d = brain_dir(tmp_path, {"r": CALLER}, config=f"model r 0={name}")
    (tmp_path / "outside.ternsig").write_text(MODEL)
    with pytest.raises(ConfinementError, match="model slot 0"):
        Brain(d).boot()


def test_a_model_symlinked_out_of_the_brain_is_refused_when_loaded(tmp_path):
    """The link appears after boot: the check at MODEL_LOAD refuses it (a host trap, no crash)."""
    d = brain_dir(tmp_path, {"r": CALLER}, config="model r 0=m.ternsig", files={"m.ternsig": MODEL})
    b = Brain(d)
    b.boot()
    (d / "m.ternsig").unlink()
    (tmp_path / "secret.ternsig").write_text(MODEL)
    (d / "m.ternsig").symlink_to(tmp_path / "secret.ternsig")
    b.tick()
    assert_trapped(b, "r", "ModelLoad", "outside")


def test_a_model_inside_the_brain_still_loads(tmp_path):
    d = brain_dir(tmp_path, {"r": CALLER}, config="model r 0=models/m.ternsig")
    (d / "models").mkdir()
    (d / "models" / "m.ternsig").write_text(MODEL)
    b = Brain(d)
    b.boot()
    b.tick()
    assert_clean(b)
    assert hot(b, "r", 1) == [5]


def test_firmware_symlinked_out_of_the_brain_is_refused(tmp_path):
    d = brain_dir(tmp_path, {"r": firmware("halt")})
    (tmp_path / "evil.ternsig").write_text(firmware("halt"))
    (d / "r.ternsig").unlink()
    (d / "r.ternsig").symlink_to(tmp_path / "evil.ternsig")
    with pytest.raises(ConfinementError, match="region r: firmware"):
        Brain(d).boot()
