"""``ternsig run/spec`` rough edges: input/target length, empty source, error location, stdout spec."""
from __future__ import annotations

from pathlib import Path

from ternsig.cli import EXAMPLES, main

CLASSIFIER = EXAMPLES / "classifier.ternsig"


def run(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_input_of_the_wrong_length_is_an_error_naming_the_register(capsys):
    code, out, err = run(capsys, "run", CLASSIFIER, "--input", "1,2,3")
    assert code == 1 and out == ""
    assert err.strip() == ("ternsig run: error: --input has 3 value(s) but H0 (i32[8]), loaded by "
                           "load_input at line 15, takes 8")


def test_input_of_the_declared_length_runs(capsys):
    code, out, err = run(capsys, "run", CLASSIFIER, "--input", "1,2,3,4,5,6,7,8")
    assert code == 0 and "status: halt" in out and err == ""


LEARNER = """\
.registers
    C0: ternary[2, 2]  key="t.w"
    H0: i32[2]
    H1: i32[2]
    H2: i32[2]
.program
    load_input H0
    load_target H2
    store_output H2
    halt
"""


def test_target_is_loaded_and_length_checked(capsys, tmp_path):
    src = tmp_path / "learner.ternsig"
    src.write_text(LEARNER)
    code, out, err = run(capsys, "run", src, "--input", "1,2", "--target", "255,-300")
    assert code == 0, err
    assert "output: [255, -255]" in out        # targets clamp to [-255, 255] as in the reference
    code, out, err = run(capsys, "run", src, "--input", "1,2", "--target", "1")
    assert code == 1
    assert "--target has 1 value(s) but H2 (i32[2]), loaded by load_target at line 8, takes 2" in err


def test_empty_source_is_an_error(capsys, tmp_path):
    src = tmp_path / "empty.ternsig"
    src.write_text("; nothing yet\n")
    for cmd in ("run", "asm"):
        code, out, err = run(capsys, cmd, src)
        assert code == 1
        assert err.strip() == f"ternsig {cmd}: error: {src}: the program has no instructions (empty .program section?)"


def test_missing_register_operand_is_named(capsys, tmp_path):
    src = tmp_path / "shift.ternsig"
    src.write_text(".registers\n  H1: i32[4]\n.program\n  shift H1,\n  halt\n")
    code, out, err = run(capsys, "run", src)
    assert code == 1
    assert err.strip() == f"ternsig run: error: {src}:4:12: Invalid register: (missing operand)"


def test_runtime_error_shows_pc_and_program_line(capsys, tmp_path):
    src = tmp_path / "undeclared.ternsig"
    src.write_text(".registers\n  H1: i32[4]\n.program\n  relu H1, H2   ; H2 never declared\n  halt\n")
    code, out, err = run(capsys, "run", src)
    assert code == 1
    assert f"at: pc 0, {src}:4: relu H1, H2\n" in out
    assert "hint: H2 is not allocated: declare it in .registers" in out


def test_the_hint_names_only_source_registers(capsys, tmp_path):
    src = tmp_path / "cold.ternsig"
    src.write_text(".registers\n  H1: i32[4]\n.program\n  load_input H1\n  ternary_matmul H3, C1, H1\n  halt\n")
    code, out, err = run(capsys, "run", src, "--input", "1,2,3,4")
    assert code == 1
    assert "hint: C1 is not allocated" in out and "H3" not in out.split("hint:")[1]


def test_spec_without_output_prints_and_writes_nothing(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, out, err = run(capsys, "spec")
    assert code == 0 and out.startswith("# TVMR instruction set reference")
    assert list(Path(tmp_path).iterdir()) == []
    code, out, err = run(capsys, "spec", "-o", "isa.md")
    assert code == 0 and (tmp_path / "isa.md").read_text().startswith("# TVMR instruction set reference")
