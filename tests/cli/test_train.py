"""``ternsig train`` and ``ternsig run --state``: a learning program learns a user's dataset from the CLI."""
from __future__ import annotations

import numpy as np
import pytest

from ternsig.cli import EXAMPLES, main
from ternsig.host.tasks import PatternTask

LEARNER = EXAMPLES / "brain" / "learner.ternsig"


def run(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def data(tmp_path):
    task = PatternTask(noise=40)
    samples = [task.sample() for _ in range(200)]
    x = np.array([s.x for s in samples]) >> 3          # the sensory region's scale (0..31)
    labels = np.array([s.label for s in samples])
    npz = tmp_path / "patterns.npz"
    np.savez(npz, inputs=x, labels=labels)
    csv = tmp_path / "patterns.csv"
    csv.write_text(",".join([f"x{i}" for i in range(16)] + ["label"]) + "\n"
                   + "".join(",".join(map(str, [*row, lab])) + "\n" for row, lab in zip(x.tolist(), labels.tolist())))
    return npz, csv


def _epochs(out):
    return [line for line in out.splitlines() if line.startswith("epoch ")]


def test_train_prints_a_learning_curve_and_saves_the_state(capsys, data, tmp_path):
    npz, _ = data
    state, png = tmp_path / "trained.npz", tmp_path / "curve.png"
    code, out, err = run(capsys, "train", LEARNER, npz, "--epochs", "3", "-q", "--save", state, "--plot", png)
    assert code == 0, err
    rows = _epochs(out)
    assert len(rows) == 3 and "accuracy 100.0%" in rows[-1]
    assert float(rows[0].split()[3].rstrip("%")) < 90
    assert "trained 3 epoch(s); last epoch: accuracy 100.0%" in out
    assert png.read_bytes()[:4] == b"\x89PNG"
    # the trained state answers from the CLI: class 0's prototype peaks at output 0
    x0 = np.load(npz)["inputs"][np.load(npz)["labels"] == 0][0]
    code, out, err = run(capsys, "run", LEARNER, "--state", state, "--input", ",".join(map(str, x0)),
                         "--target", "255,0,0,0")
    assert code == 0, err
    output = [int(v) for v in out.split("output: [")[1].split("]")[0].split(",")]
    assert int(np.argmax(output)) == 0


def test_csv_gives_the_same_curve_as_npz(capsys, data):
    npz, csv = data
    a = _epochs(run(capsys, "train", LEARNER, npz, "--epochs", "2", "-q")[1])
    b = _epochs(run(capsys, "train", LEARNER, csv, "--epochs", "2", "-q")[1])
    assert a == b and len(a) == 2


def test_load_continues_from_a_saved_state(capsys, data, tmp_path):
    npz, _ = data
    state = tmp_path / "s.npz"
    run(capsys, "train", LEARNER, npz, "--epochs", "3", "-q", "--save", state)
    fresh = _epochs(run(capsys, "train", LEARNER, npz, "-q")[1])[0]
    code, out, err = run(capsys, "train", LEARNER, npz, "-q", "--load", state)
    assert code == 0
    resumed = _epochs(out)[0]
    assert float(resumed.split()[3].rstrip("%")) > float(fresh.split()[3].rstrip("%")) + 10, (fresh, resumed)


def test_progress_bar_and_fixed_dopamine(capsys, data):
    npz, _ = data
    code, out, err = run(capsys, "train", LEARNER, npz, "--dopamine", "0")
    assert code == 0, err
    assert "dopamine 0" in out and len(_epochs(out)) == 1
    with pytest.raises(SystemExit) as exc:
        main(["train", str(LEARNER), str(npz), "--dopamine", "300"])
    assert exc.value.code == 2 and "dopamine must be 0..255" in capsys.readouterr().err


def test_mismatched_widths_and_programs_without_targets(capsys, data, tmp_path):
    npz, _ = data
    code, out, err = run(capsys, "train", EXAMPLES / "classifier.ternsig", npz)
    assert code == 1
    assert "has 16 input value(s) per sample but H0 (i32[8]), loaded by load_input at line 15, takes 8" in err
    np.savez(tmp_path / "five.npz", inputs=np.zeros((4, 16)), labels=np.array([0, 1, 2, 4]))
    code, out, err = run(capsys, "train", LEARNER, tmp_path / "five.npz")
    assert code == 1 and "has 5 target value(s)" in err
    prog = tmp_path / "no_target.ternsig"
    prog.write_text(".registers\n  H0: i32[16]\n.program\n  load_input H0\n  store_output H0\n  halt\n")
    code, out, err = run(capsys, "train", prog, npz)
    assert code == 1 and "never runs load_target" in err


def test_missing_and_bad_files_are_one_line_errors(capsys, tmp_path, data):
    npz, _ = data
    code, out, err = run(capsys, "train", LEARNER, tmp_path / "nope.npz")
    assert code == 1 and err.count("\n") == 1 and "nope.npz" in err
    bad = tmp_path / "bad.csv"
    bad.write_text("a,b\n1,2\n")
    code, out, err = run(capsys, "train", LEARNER, bad)
    assert code == 1 and "names no 'label'" in err
    code, out, err = run(capsys, "run", LEARNER, "--state", npz, "--input", ",".join(["1"] * 16))
    assert code == 1 and "not a ternsig state file" in err


def test_ctrl_c_exits_130_and_reports_the_epochs_done(capsys, data, monkeypatch):
    npz, _ = data
    from ternsig.vm import training

    real = training.score_epoch

    def score(epoch, outputs, targets):
        if epoch == 2:
            raise KeyboardInterrupt
        return real(epoch, outputs, targets)

    monkeypatch.setattr(training, "score_epoch", score)
    code, out, err = run(capsys, "train", LEARNER, npz, "--epochs", "5", "-q")
    assert code == 130
    assert "interrupted after 1 epoch(s)" in out
