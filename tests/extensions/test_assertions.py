"""The test extension (0x000A): every assertion's pass and fail paths, exact texts, the prefix, state."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tests.paths import CORPUS
from ternsig.extensions import assertions
from ternsig.isa.encoding import Instruction
from ternsig.program import Program, RegisterDef
from ternsig.vm.interpreter import Interpreter
from ternsig.vm.results import Status
from ternsig.vm.state import HotBuffer

GOLDEN = CORPUS
X = 0x000A


def T(op: int, a: int = 0, b: int = 0, c: int = 0, d: int = 0) -> Instruction:
    return Instruction(X, op, a, b, c, d)


def run(instrs: list[Instruction], hot: dict[int, list[int]] | None = None, interp: Interpreter | None = None):
    """Run ``instrs`` to the end; return (interpreter, last result)."""
    if interp is None:
        interp = Interpreter(Program(instructions=list(instrs)))
    for i, data in (hot or {}).items():
        interp.m.hot[i] = HotBuffer(np.asarray(data, np.int32))
    res = interp.run(fuel=1000)
    return interp, res


def error_of(instrs, hot=None) -> str:
    _, res = run(instrs, hot)
    assert res.status is Status.ERROR, res
    return res.message


# ---- table -----------------------------------------------------------------------------------------

def test_table_declares_eight_ops_in_test_layer():
    t = assertions.TABLE
    assert (t.ext_id, t.name, t.qualified_name) == (0x000A, "test", "tvmr.test")
    assert [(s.opcode, s.mnemonic) for s in t.specs] == [
        (0, "assert_eq"), (1, "assert_gt"), (2, "assert_active"), (3, "assert_range"),
        (4, "test_begin"), (5, "test_end"), (6, "expect_chem"), (7, "snapshot")]
    assert all(s.layer.name == "TEST" and not s.yields for s in t.specs)


def test_unknown_opcode():
    assert error_of([T(8)]) == "tvmr.test: unknown opcode 0x0008"


# ---- ASSERT_EQ ---------------------------------------------------------------------------------------

def test_assert_eq_pass_and_fail_messages():
    _, res = run([T(0, 0, 1)], {0: [10, 20, 30], 1: [10, 20, 30]})
    assert res.status is Status.ENDED
    assert error_of([T(0, 0, 1)], {0: [10, 20, 30], 1: [10, 99, 31]}) == \
        "ASSERT_EQ failed at index 1: H0[1]=20 != H1[1]=99"
    assert error_of([T(0, 2, 3)], {2: [1, 2], 3: [1, 2, 3]}) == \
        "ASSERT_EQ failed: H2 has 2 elements, H3 has 3 elements"


def test_assert_eq_unallocated_names_first_missing_and_masks_bank_bits():
    assert error_of([T(0, 5, 0)], {0: [1]}) == "ASSERT_EQ: H5 not allocated"
    assert error_of([T(0, 0, 6)], {0: [1]}) == "ASSERT_EQ: H6 not allocated"
    # register bytes are read with .index() (& 0x3F): C1 (0x41) addresses H1
    _, res = run([T(0, 0x40, 0x41)], {0: [4], 1: [4]})
    assert res.status is Status.ENDED


def test_assert_eq_negative_values_and_empty():
    assert error_of([T(0, 0, 1)], {0: [-(2**31)], 1: [2**31 - 1]}) == \
        "ASSERT_EQ failed at index 0: H0[0]=-2147483648 != H1[0]=2147483647"
    _, res = run([T(0, 0, 1)], {0: [], 1: []})
    assert res.status is Status.ENDED


# ---- ASSERT_GT ---------------------------------------------------------------------------------------

def test_assert_gt_uses_i64_sums():
    _, res = run([T(1, 0, 1)], {0: [100, 200, 300], 1: [10, 20, 30]})
    assert res.status is Status.ENDED
    # sums beyond i32: must not wrap
    big = [2**31 - 1, 2**31 - 1]
    assert error_of([T(1, 1, 0)], {0: big, 1: [5]}) == "ASSERT_GT failed: sum(H1)=5 <= sum(H0)=4294967294"
    assert error_of([T(1, 0, 1)], {0: [3], 1: [1, 2]}) == "ASSERT_GT failed: sum(H0)=3 <= sum(H1)=3"
    assert error_of([T(1, 0, 9)], {0: [3]}) == "ASSERT_GT: H9 not allocated"


# ---- ASSERT_ACTIVE / ASSERT_RANGE ---------------------------------------------------------------------

def test_assert_active():
    _, res = run([T(2, 0)], {0: [0, 0, 42, 0]})
    assert res.status is Status.ENDED
    assert error_of([T(2, 0)], {0: [0, 0, 0, 0]}) == "ASSERT_ACTIVE failed: H0 is entirely zero (4 elements)"
    assert error_of([T(2, 0)], {0: []}) == "ASSERT_ACTIVE failed: H0 is entirely zero (0 elements)"
    assert error_of([T(2, 7)]) == "ASSERT_ACTIVE: H7 not allocated"


def test_assert_range_bounds_inclusive_and_first_offender():
    _, res = run([T(3, 0, 10, 200)], {0: [10, 50, 200]})
    assert res.status is Status.ENDED
    assert error_of([T(3, 0, 10, 200)], {0: [10, 201, -1]}) == "ASSERT_RANGE failed: H0[1]=201 not in [10, 200]"
    assert error_of([T(3, 0, 0, 255)], {0: [0, -1]}) == "ASSERT_RANGE failed: H0[1]=-1 not in [0, 255]"
    # min > max: every value fails
    assert error_of([T(3, 0, 9, 3)], {0: [5]}) == "ASSERT_RANGE failed: H0[0]=5 not in [9, 3]"
    assert error_of([T(3, 4, 0, 1)]) == "ASSERT_RANGE: H4 not allocated"


# ---- EXPECT_CHEM ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("cid,name", list(enumerate(["dopamine", "serotonin", "norepinephrine", "gaba"])))
def test_expect_chem_each_chemical(cid, name):
    interp = Interpreter(Program(instructions=[T(6, cid, 100, 120)]))
    setattr(interp.m.chem, name, 121)
    _, res = run([], interp=interp)
    assert res.status is Status.ERROR
    assert res.message == f"EXPECT_CHEM failed: {name}=121 not in [100, 120]"
    interp = Interpreter(Program(instructions=[T(6, cid, 100, 120)]))
    setattr(interp.m.chem, name, 120)
    assert run([], interp=interp)[1].status is Status.ENDED


def test_expect_chem_unknown_chemical():
    assert error_of([T(6, 4, 0, 255)]) == "EXPECT_CHEM: unknown chemical 4"
    assert error_of([T(4, 2), T(6, 255, 0, 255)]) == "[test 2] EXPECT_CHEM: unknown chemical 255"


# ---- TEST_BEGIN / TEST_END / prefix / SNAPSHOT ---------------------------------------------------------

def test_prefix_follows_test_begin_and_end():
    hot = {0: [0]}
    assert error_of([T(4, 9), T(2, 0)], hot) == "[test 9] ASSERT_ACTIVE failed: H0 is entirely zero (1 elements)"
    assert error_of([T(4, 9), T(5), T(2, 0)], hot) == "ASSERT_ACTIVE failed: H0 is entirely zero (1 elements)"
    # a second TEST_BEGIN replaces the id
    assert error_of([T(4, 1), T(4, 255), T(2, 0)], hot).startswith("[test 255] ASSERT_ACTIVE")


def test_prefix_on_every_assertion_kind():
    hot = {0: [1], 1: [2, 3]}
    assert error_of([T(4, 3), T(0, 0, 1)], hot).startswith("[test 3] ASSERT_EQ failed:")
    assert error_of([T(4, 3), T(1, 0, 1)], hot).startswith("[test 3] ASSERT_GT failed:")
    assert error_of([T(4, 3), T(3, 1, 0, 2)], hot).startswith("[test 3] ASSERT_RANGE failed:")
    assert error_of([T(4, 3), T(6, 0, 0, 1)], hot).startswith("[test 3] EXPECT_CHEM failed:")


def test_snapshot_stores_copy_and_has_no_prefix():
    interp, res = run([T(7, 0)], {0: [42, 84, 126]})
    assert res.status is Status.ENDED
    snap = interp.m.ext_state[X].snapshots[0]
    assert snap.tolist() == [42, 84, 126]
    interp.m.hot[0].data[0] = 7          # a copy, not a view
    assert snap.tolist() == [42, 84, 126]
    assert error_of([T(4, 3), T(7, 5)]) == "SNAPSHOT: H5 not allocated"


def test_state_survives_pc_reset_and_is_per_machine():
    prog = Program(instructions=[T(4, 6)])
    interp = Interpreter(prog)
    interp.run()
    interp.pc = 0
    assert interp.m.ext_state[X].current == 6
    other = Interpreter(Program(instructions=[T(5)]))
    assert other.m.ext_state[X].current is None


# ---- golden cases (built from assembled.json, so they run without the assembler) -------------------------

def program_from_assembled(case: Path) -> Program:
    asm = json.loads((case / "assembled.json").read_text())
    regs = [RegisterDef(r["id"], r["dtype"], tuple(r["shape"]), r["thermogram_key"], r["frozen"], r["allocated"])
            for r in asm["registers"]]
    ins = [Instruction(i["ext_id"], i["opcode"], *i["operands"]) for i in asm["instructions"]]
    return Program(instructions=ins, registers=regs)


def run_golden(case: Path) -> tuple[dict[str, Any], Interpreter]:
    """The harness procedure of the corpus README (no cold/target inputs are used by these cases)."""
    inp = json.loads((case / "input.json").read_text())
    prog = program_from_assembled(case)
    for p in inp.get("patch_instructions", []):
        prog.instructions[p["index"]] = Instruction.from_hex(p["hex"])
    interp = Interpreter(prog)
    m = interp.m
    for k, v in inp.get("chemical", {}).items():
        setattr(m.chem, k, v)
    m.set_input(inp.get("input", []))
    ops, traces, total = [], [], 0
    status, error = "step_limit", None
    for r in range(inp.get("runs", 1)):
        if r:
            m.pc = 0
        trace: list[int] = []
        traces.append(trace)
        steps = 0
        status, error = "step_limit", None
        while steps < inp.get("max_steps", 100000):
            trace.append(m.pc)
            res = interp.step()
            steps += 1
            if res.status in (Status.HALT, Status.ENDED, Status.ERROR, Status.TRAP):
                status, error = res.status.value, res.message
                break
            if res.status is Status.YIELD:
                ops.append({**res.op.to_json(), "run": r, "step": steps, "pc_after": m.pc})
        total += steps
    hot = {f"H{i}": {"data": h.data.tolist(), "shape": list(h.shape)} for i, h in enumerate(m.hot) if h is not None}
    return {"status": status, "error": error, "steps": total, "trace": traces, "hot": hot,
            "output": m.output.tolist(), "pc": m.pc, "domain_ops": ops}, interp


def golden_cases(category: str) -> list[Path]:
    root = GOLDEN / category
    return sorted(p for p in root.iterdir() if (p / "expected.json").exists()) if root.exists() else []


@pytest.mark.parametrize("case", golden_cases("ext_test"), ids=lambda p: p.name)
def test_golden_ext_test(case: Path):
    got, _ = run_golden(case)
    exp = json.loads((case / "expected.json").read_text())
    for key in ("status", "error", "steps", "trace", "hot", "output", "pc"):
        assert got[key] == exp[key], key
    assert got["domain_ops"] == [{k: o[k] for k in ("op", "fields", "run", "step", "pc_after")}
                                 for o in exp["domain_ops"]]


def test_golden_ext_test_corpus_present():
    assert len(golden_cases("ext_test")) == 12
