"""The `ternsig` command on bad files and arguments: one clear line naming the file (and the
position where there is one), a non-zero exit, never a traceback — and nothing created on disk
for a path that does not exist."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from ternsig.cli import EXAMPLES, main

GARBAGE = bytes(range(256)) * 2
CLASSIFIER = EXAMPLES / "classifier.ternsig"


def run(capsys, *argv) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def one_error_line(err: str, *needles: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert "Traceback" not in err
    for n in needles:
        assert n in lines[0], lines[0]
    return lines[0]


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    f = {
        "missing": tmp_path / "missing.ternsig",
        "dir": tmp_path / "adir",
        "garbage": tmp_path / "garbage.tvmr",
        "truncated": tmp_path / "trunc.tvmr",
        "broken": tmp_path / "broken.ternsig",
        "latin1": tmp_path / "latin1.ternsig",
    }
    f["dir"].mkdir()
    f["garbage"].write_bytes(GARBAGE)
    f["truncated"].write_bytes(b"TVMR\x01\x00\x00")
    f["broken"].write_text(".registers\n  H0: i32[4\n.program\n  halt\n")
    f["latin1"].write_bytes(".program\n  halt ; caf\xe9\n".encode("latin-1"))
    return f


@pytest.mark.parametrize("cmd", ["run", "asm", "disasm", "inspect"])
@pytest.mark.parametrize("kind", ["missing", "dir", "garbage", "truncated", "broken", "latin1"])
def test_file_commands_on_bad_files(capsys, files, cmd, kind):
    path = files[kind]
    if kind in ("truncated",):
        needle = "byte offset 7"
    elif kind == "broken":
        needle = f"{path}:2:"
    elif kind in ("garbage", "latin1"):
        needle = "byte"
    else:
        needle = path.name
    code, out, err = run(capsys, cmd, str(path))
    assert code == 1
    one_error_line(err, f"ternsig {cmd}: error:", needle)


@pytest.mark.parametrize("kind", ["garbage", "latin1", "broken"])
def test_validate_reports_each_bad_file(capsys, files, kind):
    code, out, err = run(capsys, "validate", str(files[kind]))
    assert code == 1 and "Traceback" not in out + err
    assert f"{files[kind]}: ERROR:" in out


def test_validate_missing_path_is_a_usage_error(capsys, files):
    code, out, err = run(capsys, "validate", str(files["missing"]))
    assert code == 2
    one_error_line(err, "no such file")


@pytest.mark.parametrize("kind", ["missing", "garbage", "latin1", "broken"])
def test_test_command_reports_load_errors(capsys, files, kind):
    code, out, err = run(capsys, "test", str(files[kind]))
    assert code == 2 and "Traceback" not in out + err
    assert "could not load:" in out


def test_test_command_reports_a_bad_sidecar(capsys, tmp_path):
    src = tmp_path / "t.ternsig"
    shutil.copy(EXAMPLES / "tests" / "test_forward.ternsig", src)
    (tmp_path / "t.input.json").write_text(json.dumps({"chemical": {"dopamine": 300}}))
    code, out, err = run(capsys, "test", str(src))
    assert code == 2
    assert "t.input.json: chemical dopamine must lie in 0..255" in out


@pytest.mark.parametrize("spec, needle", [
    ("[1, 2", "not valid JSON"),
    ({"C0": 5}, "C0 must be an object"),
    ({"C9": {"weights": [1]}}, "undeclared cold register C9"),
    ({"X0": {"weights": [1]}}, "'X0' is not a cold register"),
    ({"C0": {"weights": [1, 2]}}, "C0.weights has 2 entries; the register holds 32"),
    ({"C0": {"weights": ["a"] * 32}}, "C0.weights must be integers"),
    ({"C0": {"weights": [2 ** 40] * 32}}, "C0.weights must lie in"),
    ({"C0": {"weights": [[1, 300]] * 32}}, "signal pair out of range"),
    ({"C0": {"weights": [1] * 32, "temperatures": -1}}, "C0.temperatures must lie in 0..255"),
    ({"C0": {"weight": [1] * 32}}, "'weights' and/or 'temperatures'"),
])
def test_run_weights_file_errors(capsys, tmp_path, spec, needle):
    wf = tmp_path / "w.json"
    wf.write_text(spec if isinstance(spec, str) else json.dumps(spec))
    code, out, err = run(capsys, "run", str(CLASSIFIER), "--weights", str(wf))
    assert code == 1
    one_error_line(err, "w.json", needle)


def test_run_weights_file_is_applied(capsys, tmp_path):
    prog = tmp_path / "p.ternsig"
    prog.write_text(".registers\n  C0: ternary[2, 2]\n  H0: i32[2]\n  H1: i32[2]\n.program\n"
                    "  load_input H0\n  ternary_matmul H1, C0, H0\n  store_output H1\n  halt\n")
    wf = tmp_path / "w.json"
    wf.write_text(json.dumps({"C0": {"weights": [2, [-1, 3], 0, 1]}}))
    code, out, err = run(capsys, "run", str(prog), "--weights", str(wf), "--input", "10,100")
    assert code == 0 and "output: [-280, 100]" in out


@pytest.mark.parametrize("argv", [["run", str(CLASSIFIER), "--fuel", "-1"], ["run", str(CLASSIFIER), "--fuel", "x"],
                                  ["brain", "run", ".", "--ticks", "-5"], ["demo", "--ticks", "-1"]])
def test_negative_counts_are_argument_errors(capsys, argv):
    with pytest.raises(SystemExit) as exc:
        main(argv)
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert "must be 0 or more" in err or "expected an integer" in err


def test_run_bad_input_values(capsys):
    code, out, err = run(capsys, "run", str(CLASSIFIER), "--input", "1,x")
    assert code == 1
    one_error_line(err, "--input wants integers")
    code, out, err = run(capsys, "run", str(CLASSIFIER), "--input", str(2 ** 40))
    assert code == 1
    one_error_line(err, "input values must lie in")


# ---- brain run -----------------------------------------------------------------------------------

@pytest.fixture
def brain(tmp_path: Path) -> Path:
    d = tmp_path / "brain"
    shutil.copytree(EXAMPLES / "brain", d)
    return d


def test_brain_run_missing_directory_creates_nothing(capsys, tmp_path):
    target = tmp_path / "nope"
    code, out, err = run(capsys, "brain", "run", str(target), "-q")
    assert code == 1
    one_error_line(err, "nope", "not a brain directory")
    assert not target.exists()
    empty = tmp_path / "empty"
    empty.mkdir()
    code, out, err = run(capsys, "brain", "run", str(empty), "-q")
    assert code == 1
    one_error_line(err, "no boot.ternsig")
    assert list(empty.iterdir()) == []


@pytest.mark.parametrize("edit, needle", [
    (("budget 20000", "budget abc"), "boot.ternsig:11:1: budget must be an integer"),
    (("budget 20000", "budget 0"), "boot.ternsig:11:1: budget must be at least 1"),
    (("bank_width 16", "bank_width -3"), "boot.ternsig:10:1: bank_width must be at least 1"),
    (("classes=4", "classes=zz"), "boot.ternsig:9:1: task patterns: classes must be an integer"),
    (("classes=4", "clases=4"), "boot.ternsig:9:1: task patterns: unknown option 'clases'"),
    (("seed=7", "seed=-7"), "boot.ternsig:9:1: task patterns: seed must not be negative"),
    (("firmware=memory.ternsig", "firmware=nothere.ternsig"), "nothere.ternsig: cannot read firmware"),
    (("input=sensory target", "input=nowhere target"), "unknown region 'nowhere'"),
])
def test_brain_run_bad_boot_config(capsys, brain, edit, needle):
    boot = brain / "boot.ternsig"
    text = boot.read_text()
    assert edit[0] in text
    boot.write_text(text.replace(edit[0], edit[1], 1))
    code, out, err = run(capsys, "brain", "run", str(brain), "--ticks", "2", "-q")
    assert code == 1
    one_error_line(err, needle)


@pytest.mark.parametrize("name", ["boot.ternsig", "memory.ternsig"])
def test_brain_run_binary_garbage_in_sources(capsys, brain, name):
    (brain / name).write_bytes(GARBAGE)
    code, out, err = run(capsys, "brain", "run", str(brain), "--ticks", "2", "-q")
    assert code == 1
    one_error_line(err, name, "not UTF-8 text (byte")


def test_brain_run_corrupt_bank_file_names_the_file(capsys, brain):
    code, out, err = run(capsys, "brain", "run", str(brain), "--ticks", "3", "-q")
    assert code == 0
    banks = sorted((brain / "state" / "banks").glob("*.bank"))
    assert banks
    data = bytearray(banks[0].read_bytes())
    data[-1] ^= 0xFF
    banks[0].write_bytes(bytes(data))
    code, out, err = run(capsys, "brain", "run", str(brain), "--ticks", "1", "-q")
    assert code == 1
    one_error_line(err, banks[0].name, "checksum mismatch")


def test_ctrl_c_is_one_line_and_exit_130(capsys, monkeypatch):
    import ternsig.vm.interpreter as interp

    def interrupted(self, fuel=None):
        raise KeyboardInterrupt
    monkeypatch.setattr(interp.Interpreter, "run", interrupted)
    code, out, err = run(capsys, "run", str(CLASSIFIER))
    assert code == 130
    one_error_line(err, "ternsig run: interrupted")
