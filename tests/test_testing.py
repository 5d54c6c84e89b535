"""The test-harness runner (ternsig.testing): per-case outcomes, recovery after failures, reporting, exit codes."""
from __future__ import annotations

import io
from pathlib import Path

import numpy as np

from ternsig.vm.domainops import DomainOp
from ternsig.isa.encoding import Instruction
from ternsig.program import Program, RegisterDef
from ternsig.testing import (ERROR, FAILED, PASSED, describe, run_test_files, run_test_program,
                             write_report)

X = 0x000A


def begin(n):
    return Instruction(X, 4, n)


END = Instruction(X, 5)
HALT = Instruction(0, 0x0001, 0xFF, 0xFF)
LOAD_IN = lambda r: Instruction(0, 0x1007, r, 0xFF)  # noqa: E731
COPY = lambda d, s: Instruction(0, 0x1004, d, s)     # noqa: E731
ZERO = lambda r: Instruction(0, 0x1006, r, 0xFF)     # noqa: E731
EQ = lambda a, b: Instruction(X, 0, a, b)            # noqa: E731
ACTIVE = lambda r: Instruction(X, 2, r)              # noqa: E731
LOOP = lambda n: Instruction(0, 0x6000, 0xFF, 0xFF, n >> 8, n & 0xFF)  # noqa: E731
END_LOOP = Instruction(0, 0x6001, 0xFF, 0xFF)
JUMP = lambda t: Instruction(0, 0x6008, 0, 0, t >> 8, t & 0xFF)  # noqa: E731


def prog(*ins, regs=((0, (3,)), (1, (3,)))):
    return Program(instructions=list(ins), registers=[RegisterDef(r, "i32", s) for r, s in regs])


def outcomes(rep):
    return [(c.test_id, c.outcome) for c in rep.cases]


def test_all_cases_pass():
    rep = run_test_program(prog(LOAD_IN(0), begin(1), COPY(1, 0), EQ(0, 1), END, begin(2), ACTIVE(0), END, HALT),
                           inputs={"input": [1, 2, 3]})
    assert outcomes(rep) == [(1, PASSED), (2, PASSED)]
    assert rep.steps == 9 and rep.yields_skipped == 0


def test_failure_reports_message_and_location_and_later_cases_still_run():
    rep = run_test_program(prog(LOAD_IN(0), begin(1), EQ(0, 1), ACTIVE(0), END, begin(2), ACTIVE(0), END, HALT),
                           inputs={"input": [5, 0, 0]})
    assert outcomes(rep) == [(1, FAILED), (2, PASSED)]
    c = rep.cases[0]
    assert c.message == "[test 1] ASSERT_EQ failed at index 0: H0[0]=5 != H1[0]=0"
    assert (c.pc, c.instruction) == (2, "test.assert_eq H0, H1")


def test_recovery_restores_loop_stack_and_clears_test_context():
    # case 1 fails inside a loop; case 2 runs its own loop and must not see case 1's loop frame
    rep = run_test_program(prog(begin(1), LOOP(3), ACTIVE(0), END_LOOP, END,
                                begin(2), LOOP(2), ZERO(1), END_LOOP, END,
                                ACTIVE(0), HALT))
    assert outcomes(rep)[:2] == [(1, FAILED), (2, PASSED)]
    # the assertion after case 2 fails outside any case: no stale "[test 1] " prefix
    file_err = rep.cases[2]
    assert file_err.test_id is None and file_err.outcome == ERROR
    assert file_err.message == "ASSERT_ACTIVE failed: H0 is entirely zero (3 elements)"


def test_non_assertion_error_inside_case_is_an_error():
    rep = run_test_program(prog(begin(4), Instruction(0x0100, 0), END, begin(5), END))
    assert outcomes(rep) == [(4, ERROR), (5, PASSED)]
    assert rep.cases[0].message == "Unknown extension: 0x0100"


def test_failure_with_no_following_marker_stops_the_file():
    rep = run_test_program(prog(begin(1), END, begin(2), ACTIVE(0), ZERO(0), HALT))
    assert outcomes(rep) == [(1, PASSED), (2, FAILED)] and rep.steps == 4


def test_case_without_test_end_does_not_swallow_the_next_case():
    # case 1 fails and has no test_end of its own: resume at case 2's test_begin, not after its test_end
    rep = run_test_program(prog(begin(1), ACTIVE(0), COPY(1, 0), begin(2), ZERO(1), END, HALT))
    assert outcomes(rep) == [(1, FAILED), (2, PASSED)]


def test_halt_or_end_inside_case_and_unterminated_case():
    rep = run_test_program(prog(begin(7), HALT))
    assert outcomes(rep) == [(7, ERROR)]
    assert rep.cases[0].message == "the program halted before test 7 reached test.test_end"
    rep = run_test_program(prog(begin(8)))
    assert rep.cases[0].message == "the program ran past its last instruction before test 8 reached test.test_end"
    rep = run_test_program(prog(begin(1), begin(2), END))
    assert outcomes(rep) == [(1, ERROR), (2, PASSED)]
    assert rep.cases[0].message == "test 1 never reached test.test_end (test 2 began)"


def test_step_limit():
    rep = run_test_program(prog(begin(1), JUMP(1)), fuel=50)
    assert outcomes(rep) == [(1, ERROR)] and rep.cases[0].message == "step limit of 50 instructions reached"
    rep = run_test_program(prog(JUMP(0)), fuel=10)
    assert outcomes(rep) == [(None, ERROR)]


def test_duplicate_ids_are_numbered():
    rep = run_test_program(prog(begin(3), END, begin(3), END))
    assert [c.name for c in rep.cases] == ["test_3", "test_3#2"]


def test_yields_skipped_or_served_by_host():
    p = prog(begin(1), Instruction(0x0008, 0x0001, 0), ACTIVE(0), END)   # lifecycle.tick_read H0
    rep = run_test_program(p)
    assert rep.yields_skipped == 1 and outcomes(rep) == [(1, FAILED)]

    def host(op: DomainOp, m) -> bool:
        assert op.op_name == "TickRead"
        m.hot[op.target].data[:] = 42
        return True

    rep = run_test_program(p, host=host)
    assert rep.yields_skipped == 0 and outcomes(rep) == [(1, PASSED)]
    rep = run_test_program(p, host=lambda op, m: False)
    assert outcomes(rep) == [(1, ERROR)] and "host stopped" in rep.cases[0].message


def test_inputs_chemicals_and_cold():
    p = prog(begin(1), Instruction(X, 6, 0, 200, 210), Instruction(0x0005, 0x09, 1, 0x40), ACTIVE(1), END,
             regs=((0x40, (2,)),))
    rep = run_test_program(p, inputs={"chemical": {"dopamine": 205}, "cold": {"C0": {"weights": [1, -1],
                                                                                      "temperatures": [0, 3]}}})
    assert outcomes(rep) == [(1, PASSED)]
    rep = run_test_program(p, inputs={"chemical": {"dopamine": 128}})
    assert rep.cases[0].message == "[test 1] EXPECT_CHEM failed: dopamine=128 not in [200, 210]"


def test_describe():
    assert describe(Instruction(X, 3, 0x02, 0, 255)) == "<000A:0003 [02 00 FF 00]>"   # no registry: unknown
    from ternsig.registry import ExtensionRegistry

    reg = ExtensionRegistry.standard()
    assert describe(Instruction(X, 3, 0x02, 0, 255), reg) == "test.assert_range H2, 0, 255"
    assert describe(Instruction(0, 0x1004, 1, 0x40), reg) == "copy_reg H1, C0"
    assert describe(Instruction(0, 0x0001, 0xFF, 0xFF), reg) == "halt"
    assert describe(Instruction(X, 0x99), reg) == "<000A:0099 [00 00 00 00]>"


# ---- report and exit codes ------------------------------------------------------------------------------------

def _report(*reps):
    out = io.StringIO()
    return write_report(reps, out, 0.0), out.getvalue()


def test_exit_codes_and_summary():
    ok = run_test_program(prog(begin(1), END), "a.ternsig")
    bad = run_test_program(prog(begin(2), ACTIVE(0), END), "b.ternsig")
    empty = run_test_program(prog(HALT), "c.ternsig")
    outside = run_test_program(prog(ACTIVE(0)), "d.ternsig")
    code, text = _report(ok)
    assert code == 0 and "a.ternsig::test_1 PASSED" in text and "1 passed in 0.00s" in text
    code, text = _report(ok, bad)
    assert code == 1
    assert "b.ternsig::test_2 FAILED" in text and "FAILURES" in text
    assert "pc 1: test.assert_active H0" in text
    assert "E   [test 2] ASSERT_ACTIVE failed: H0 is entirely zero (3 elements)" in text
    assert "1 failed, 1 passed" in text
    code, text = _report(empty)
    assert code == 5 and "c.ternsig (no test cases)" in text and "no test cases ran" in text
    code, text = _report(ok, outside)
    assert code == 2 and "d.ternsig::<program> ERROR" in text and "1 error" in text


def test_files_sidecar_load_errors_and_cli(tmp_path: Path):
    src = tmp_path / "suite.ternsig"
    src.write_text(""".requires
    test 0x000A

.registers
    H0: i32[3]
    H1: i32[3]

.program
    load_input H0
    test.test_begin 1
    test.assert_range H0, 1, 3
    test.test_end
    test.test_begin 2
    test.assert_eq H0, H1
    test.test_end
    halt
""")
    (tmp_path / "suite.input.json").write_text('{"input": [1, 2, 3]}')
    out = io.StringIO()
    assert run_test_files([src], out) == 1
    text = out.getvalue()
    assert f"{src}::test_1 PASSED" in text and f"{src}::test_2 FAILED" in text
    assert "pc 5 (line 14): test.assert_eq H0, H1" in text

    broken = tmp_path / "broken.ternsig"
    broken.write_text(".program\n    frobnicate H0\n")
    out = io.StringIO()
    assert run_test_files([broken, tmp_path / "missing.ternsig"], out) == 2
    assert f"{broken} ERROR" in out.getvalue() and "could not load" in out.getvalue()

    from ternsig.cli import main

    (tmp_path / "suite.input.json").write_text('{"input": [0, 0, 0]}')
    assert main(["test", str(src)]) == 1


def test_numpy_inputs_unchanged_by_report():
    # a report is plain data: outcomes are strings, ids ints (safe to serialise)
    rep = run_test_program(prog(begin(np.uint8(9)), END))
    assert isinstance(rep.cases[0].test_id, int) and rep.cases[0].outcome == "passed"
