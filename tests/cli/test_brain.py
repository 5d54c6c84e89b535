"""``ternsig brain run`` / ``watch`` / ``demo``: exit codes, learning curve, plots, where state goes."""
from __future__ import annotations

import io
import os
import shutil
import tempfile
from pathlib import Path

import pytest

from ternsig.cli import EXAMPLES, main
from ternsig.cli.brain import default_state_dir
from ternsig.reload import run_watch


def run(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def brain(tmp_path: Path) -> Path:
    d = tmp_path / "brain"
    shutil.copytree(EXAMPLES / "brain", d)
    return d


def test_a_region_that_traps_makes_brain_run_exit_1(capsys, brain):
    fw = brain / "memory.ternsig"
    fw.write_text(fw.read_text().replace(".program\n", ".program\n    relu H0, H60\n", 1))
    code, out, err = run(capsys, "brain", "run", brain, "--ticks", "5", "-q")
    assert code == 1, out + err
    assert "region memory: 5 trap(s) in this run, last:" in out


def test_traps_of_an_earlier_run_do_not_fail_the_next(capsys, brain):
    fw = brain / "memory.ternsig"
    good = fw.read_text()
    fw.write_text(good.replace(".program\n", ".program\n    relu H0, H60\n", 1))
    assert run(capsys, "brain", "run", brain, "--ticks", "3", "-q")[0] == 1
    fw.write_text(good)
    code, out, err = run(capsys, "brain", "run", brain, "--ticks", "3", "-q")
    assert code == 0 and "trap(s)" not in out, out


def test_learning_curve_labels_and_plot(capsys, brain, tmp_path):
    png = tmp_path / "curve.png"
    code, out, err = run(capsys, "brain", "run", brain, "--ticks", "120", "-q", "--plot", png)
    assert code == 0, err
    assert "tick      25" in out and "over the last 25 ticks" in out
    assert "previous 200" not in out
    assert "accuracy over the last 120 ticks:" in out            # the window had 120 ticks, not 200
    assert f"learning curve plotted to {png}" in out
    assert png.read_bytes()[:4] == b"\x89PNG"


def test_a_bad_plot_name_fails_before_the_run(capsys, brain):
    code, out, err = run(capsys, "brain", "run", brain, "--ticks", "5", "-q", "--plot", "curve.jpg")
    assert code == 1 and "must end in .png" in err
    assert not (brain / "state").exists()


def test_the_live_display_has_a_progress_bar_with_eta(capsys, brain):
    code, out, err = run(capsys, "brain", "run", brain, "--ticks", "30")
    assert code == 0, err
    assert "30/30" in out and "ETA" in out


def test_an_interrupted_run_curves_only_the_ticks_that_ran(capsys, brain, monkeypatch):
    from ternsig.host import brain as brain_mod

    real = brain_mod.Brain.tick

    def tick(self):
        if self.substrate.tick >= 60:
            raise KeyboardInterrupt
        return real(self)

    monkeypatch.setattr(brain_mod.Brain, "tick", tick)
    code, out, err = run(capsys, "brain", "run", brain, "--ticks", "1000", "-q")
    assert code == 130
    rows = [line.split()[1] for line in out.splitlines() if line.startswith("  tick ")]
    assert rows[-1] == "60" and len(rows) >= 6
    assert "interrupted after 60 ticks" in out


def test_bundled_examples_keep_their_state_outside_the_package(capsys, tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "xdg"))
    before = sorted(p.name for p in (EXAMPLES / "brain").iterdir())
    code, out, err = run(capsys, "brain", "run", EXAMPLES / "brain", "--ticks", "3", "-q")
    assert code == 0, err
    assert sorted(p.name for p in (EXAMPLES / "brain").iterdir()) == before
    state = tmp_path / "xdg" / "ternsig" / "examples" / "brain"
    assert f"state in {state}" in out and (state / "thermo").is_dir()
    assert default_state_dir(tmp_path) is None                     # a user's brain keeps DIR/state


def test_demo_leaves_no_temporary_directory(capsys, tmp_path, monkeypatch):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    code, out, err = run(capsys, "demo", "--ticks", "3", "-q")
    assert code == 0, err
    assert "removed on exit" in out
    assert list(tmp_path.iterdir()) == []


def test_watch_shows_the_running_brain_and_ctrl_c_exits_130(brain, monkeypatch):
    from ternsig.host import brain as brain_mod

    real = brain_mod.Brain.tick

    def tick(self):
        if self.substrate.tick >= 250:
            raise KeyboardInterrupt
        return real(self)

    monkeypatch.setattr(brain_mod.Brain, "tick", tick)
    out = io.StringIO()
    assert run_watch(brain, out, tick_interval=0, use_watchfiles=False) == 130
    text = out.getvalue()
    assert "tick 100: DA " in text and "tick 200: DA " in text
    assert "learner " in text and "accuracy" in text
    assert "interrupted after 250 ticks" in text


def test_watch_of_a_program_directory_exits_130_on_ctrl_c(tmp_path, monkeypatch):
    (tmp_path / "p.ternsig").write_text(".registers\n  H0: i32[1]\n.program\n  halt\n")
    calls = []

    def stop():
        calls.append(1)
        if len(calls) > 3:
            raise KeyboardInterrupt
        return False

    assert run_watch(tmp_path, io.StringIO(), stop=stop, tick_interval=0, use_watchfiles=False) == 130
