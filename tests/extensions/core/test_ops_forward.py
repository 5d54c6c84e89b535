"""Core register/forward handlers: golden cases (programs from assembled.json, so independent of the
assembler) and edge rules of the reference (saturation, wrap, masking, missing registers, panics).

``run_golden`` is shared with the extension tests (the extension tests import it).
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Optional

import numpy as np
import pytest

from tests.paths import CORPUS
from ternsig.conformance.compare import first_diff
from ternsig.conformance.runner import run_execution
from ternsig.intmath import I32_MAX, I32_MIN
from ternsig.isa.encoding import Instruction, make_reg
from ternsig.program import Program, RegisterDef
from ternsig.vm.interpreter import Interpreter
from ternsig.vm.results import Status
from ternsig.vm.state import HotBuffer

GOLDEN = CORPUS


# ---- shared helpers ----------------------------------------------------------------------------

def program_from_assembled(case: Path) -> Program:
    """The case's program as the reference assembled it (assembled.json)."""
    a = json.loads((case / "assembled.json").read_text())
    regs = [RegisterDef(r["id"], r["dtype"], tuple(r["shape"]), r["thermogram_key"], r["frozen"], r["allocated"])
            for r in a["registers"]]
    ins = [Instruction(i["ext_id"], i["opcode"], *i["operands"]) for i in a["instructions"]]
    return Program(instructions=ins, registers=regs)


def run_golden(case: Path, monkeypatch) -> tuple[dict[str, Any], dict[str, Any]]:
    """(expected, ours) for one execution case, run through the conformance runner."""
    import ternsig.asm as asm_pkg

    monkeypatch.setattr(asm_pkg, "assemble", lambda _src: program_from_assembled(case), raising=False)
    got = run_execution("", json.loads((case / "input.json").read_text()))
    want = json.loads((case / "expected.json").read_text())
    return want, got


def assert_golden(case: Path, monkeypatch) -> None:
    want, got = run_golden(case, monkeypatch)
    diff = first_diff(want, got)
    assert diff is None, diff
    if want["status"] == "error":
        assert got["error"] == want["error"]          # the reference's exact text


def cases(category: str, *prefixes: str) -> list[Path]:
    root = GOLDEN / category
    return sorted(p for p in root.iterdir() if p.is_dir() and p.name.startswith(prefixes))


H = lambda i: make_reg(0, i)  # noqa: E731
C = lambda i: make_reg(1, i)  # noqa: E731
P = lambda i: make_reg(2, i)  # noqa: E731


def run(instrs: list[Instruction], hot: Optional[dict[int, list[int]]] = None, *, cold=None,
        inp: Optional[list[int]] = None, target: Optional[list[int]] = None) -> tuple[Interpreter, Any]:
    """Run hand-built instructions with preloaded hot registers (and cold {i: (values)})."""
    it = Interpreter(Program(instructions=list(instrs)))
    for i, vals in (hot or {}).items():
        it.m.hot[i] = HotBuffer(np.asarray(vals, np.int64).astype(np.int32), (len(vals),))
    for i, vals in (cold or {}).items():
        from ternsig.vm.state import ColdBuffer

        v = np.asarray(vals, np.int64)
        it.m.cold[i] = ColdBuffer(np.sign(v).astype(np.int8), np.minimum(np.abs(v), 255).astype(np.uint8), (len(v),))
    if inp is not None:
        it.m.set_input(inp)
    if target is not None:
        it.m.set_target(target)
    return it, it.run()


def cold_buf(values, shape, temps=None) -> "ColdBuffer":
    """A cold register holding signed ``values`` (sign, min(|v|, 255)) and optional temperatures."""
    from ternsig.vm.state import ColdBuffer

    v = np.asarray(values, np.int64)
    buf = ColdBuffer(np.sign(v).astype(np.int8), np.minimum(np.abs(v), 255).astype(np.uint8), tuple(shape))
    if temps is not None:
        buf.temps = np.asarray(temps, np.uint8)
    return buf


def machine_with(instrs, hots=None, colds=None) -> Interpreter:
    """An interpreter loaded with ``instrs`` (not run), hot registers as in :func:`run` and the
    given cold buffers installed as they are."""
    it, _ = run([], hots)
    it.load_program(type(it.program)(instructions=list(instrs)), allocate=False)
    for i, b in (colds or {}).items():
        it.m.cold[i] = b
    return it


def core(op: str, a=0, b=0, c=0, d=0) -> Instruction:
    from ternsig.extensions.core import CORE

    return Instruction(0, CORE.lookup(op).opcode, a, b, c, d)


def hot(it: Interpreter, i: int) -> list[int]:
    return it.m.hot[i].data.tolist()


# ---- golden cases --------------------------------------------------------------------------------

@pytest.mark.parametrize("case", cases("core", "core_elementwise", "core_activations", "core_control_flow",
                                       "core_infinite_loop", "core_shift_overflow"), ids=lambda p: p.name)
def test_golden_core(case: Path, monkeypatch) -> None:
    assert_golden(case, monkeypatch)


# ---- system ops ----------------------------------------------------------------------------------

def test_load_input_replaces_shape_and_store_output_copies() -> None:
    it, r = run([core("load_input", H(2)), core("store_output", 0xFF, H(2)), core("zero_reg", H(2))],
                hot={2: [9, 9, 9, 9, 9]}, inp=[I32_MIN, -1, I32_MAX])
    assert r.status is Status.ENDED
    assert it.m.hot[2].shape == (3,) and hot(it, 2) == [0, 0, 0]
    assert it.output() == [I32_MIN, -1, I32_MAX]          # output is not aliased to H2
    assert it.m.input.tolist() == [I32_MIN, -1, I32_MAX]   # nor is the input buffer


def test_store_output_missing_register_is_a_no_op() -> None:
    it, r = run([core("store_output", 0xFF, H(5))])
    assert r.status is Status.ENDED and it.output() == []


def test_copy_reg_clones_and_ignores_non_hot_bytes() -> None:
    it, _ = run([core("copy_reg", H(1), H(0)), core("zero_reg", H(0)),
                 core("copy_reg", H(2), C(0)), core("copy_reg", C(3), H(1)), core("copy_reg", H(4), H(9))],
                hot={0: [1, 2, 3]})
    assert hot(it, 1) == [1, 2, 3] and hot(it, 0) == [0, 0, 0]
    assert it.m.hot[2] is None and it.m.hot[3] is None and it.m.hot[4] is None


def test_zero_reg_keeps_shape_only_for_hot_bytes() -> None:
    it, _ = run([core("zero_reg", C(0)), core("zero_reg", H(7))], hot={0: [5, 6]})
    assert hot(it, 0) == [5, 6] and it.m.hot[7] is None


def test_load_target_and_set_u16() -> None:
    it, _ = run([core("load_target", H(3)), core("set", H(4), 0, 0xFF, 0xFB), core("set", make_reg(1, 5), 0, 0, 7)],
                target=[-1000, 3, 1000])
    assert hot(it, 3) == [-255, 3, 255] and it.m.hot[3].shape == (3,)
    assert hot(it, 4) == [65531]                           # `set H4, -5` loads the u16 65531
    assert hot(it, 5) == [7]                               # any bank byte: index & 0x3F


# ---- arithmetic ----------------------------------------------------------------------------------

def test_add_saturates_and_copies_the_tail() -> None:
    it, _ = run([core("add", H(2), H(0), H(1))], hot={0: [I32_MAX, I32_MIN, 5, 6], 1: [1, -1]})
    assert hot(it, 2) == [I32_MAX, I32_MIN, 5, 6] and it.m.hot[2].shape == (4,)


def test_add_third_operand_is_masked_to_16_registers() -> None:
    it, _ = run([core("add", H(2), H(0), H(17))], hot={0: [1, 2], 1: [10, 20], 17: [100, 200]})
    assert hot(it, 2) == [11, 22]


def test_add_cold_bias_is_times_255_and_clamped() -> None:
    it, _ = run([core("add", H(2), H(0), C(1))], hot={0: [I32_MAX - 10, 0, 7]}, cold={1: [1, -255]})
    assert hot(it, 2) == [I32_MAX, -255 * 255, 7]


def test_add_other_banks_and_non_hot_source_are_no_ops() -> None:
    it, r = run([core("add", H(2), H(0), P(1)), core("add", H(3), C(0), H(0)), core("add", H(4), H(0), 0xFF)],
                hot={0: [1]})
    assert r.status is Status.ENDED
    assert it.m.hot[2] is None and it.m.hot[3] is None and it.m.hot[4] is None


@pytest.mark.parametrize("op,b,c,msg", [
    ("add", H(9), H(0), "Source not allocated"), ("add", H(0), H(9), "Other not allocated"),
    ("add", H(0), C(9), "Bias not allocated"), ("sub", H(0), H(9), "Other not allocated"),
    ("mul", H(9), H(0), "Source not allocated"), ("cmp_gt", H(0), H(9), "Other not allocated"),
    ("relu", H(9), 0, "Source not allocated"), ("max_reduce", H(9), 0, "Source not allocated"),
    ("clamp", H(9), 0, "Source not allocated"), ("shift", H(9), 0, "Source not allocated"),
])
def test_missing_registers_use_the_reference_texts(op, b, c, msg) -> None:
    it, r = run([core(op, H(2), b, c, 0)], hot={0: [1]})
    assert r.status is Status.ERROR and r.message == msg and r.pc == 0


def test_sub_saturates_and_zips_to_the_shorter() -> None:
    it, _ = run([core("sub", H(2), H(0), H(1))], hot={0: [I32_MIN, I32_MAX, 3], 1: [1, -1]})
    assert hot(it, 2) == [I32_MIN, I32_MAX]
    assert it.m.hot[2].shape == (3,)                       # the source's shape, as the reference


def test_mul_wraps_to_i32() -> None:
    it, _ = run([core("mul", H(2), H(0), H(1))], hot={0: [I32_MAX, -7, I32_MIN], 1: [I32_MAX, 3, I32_MIN]})
    big = (I32_MAX * I32_MAX) >> 8
    wrap = lambda x: ((x + 2**31) % 2**32) - 2**31  # noqa: E731
    assert hot(it, 2) == [wrap(big), (-21) >> 8, wrap((I32_MIN * I32_MIN) >> 8)]


def test_cmp_gt_is_255_or_0() -> None:
    it, _ = run([core("cmp_gt", H(2), H(0), H(1))], hot={0: [5, 1, 1], 1: [1, 5]})
    assert hot(it, 2) == [255, 0]


def test_shift_masks_amount_to_five_bits() -> None:
    it, _ = run([core("shift", H(2), H(0), 33), core("shift", H(3), H(0), 31)], hot={0: [-1000, 1000]})
    assert hot(it, 2) == [-500, 500] and hot(it, 3) == [-1, 0]


def test_clamp_raw_byte_bounds_and_panic_when_inverted() -> None:
    it, r = run([core("clamp", H(2), H(0), 10, 200)], hot={0: [-5, 50, 999]})
    assert hot(it, 2) == [10, 50, 200]
    it, r = run([core("clamp", H(2), H(0), 200, 10)], hot={0: [1]})
    assert r.status is Status.TRAP and r.kind == "panic" and "min" in r.message
    assert it.m.hot[2] is None
    it, r = run([core("clamp", H(2), H(0), 200, 10)], hot={0: []})  # no element: Rust never clamps
    assert r.status is Status.ENDED and hot(it, 2) == []


def test_max_reduce_empty_and_extremes() -> None:
    it, _ = run([core("max_reduce", H(2), H(0)), core("max_reduce", H(3), H(1))], hot={0: [], 1: [I32_MIN, -3]})
    assert hot(it, 2) == [0] and hot(it, 3) == [-3]


# ---- activations ---------------------------------------------------------------------------------

VEC = [-1000, -100, -1, 0, 1, 100, 1000]


def test_core_activation_vectors_from_notes() -> None:
    it, _ = run([core("sigmoid", H(1), H(0)), core("tanh", H(2), H(0)), core("gelu", H(3), H(0)),
                 core("relu", H(4), H(0))], hot={0: VEC})
    assert hot(it, 1) == [65, 121, 127, 128, 128, 134, 190]
    assert hot(it, 2) == [64, 64, 64, 64, 64, 106, 192]
    assert hot(it, 3) == [-493, -50, -1, 0, 0, 50, 503]
    assert hot(it, 4) == [0, 0, 0, 0, 1, 100, 1000]


def _ref_softmax(xs: list[int]) -> list[int]:
    if not xs:
        return []
    mx = max(xs)
    wrap = lambda x: ((x + 2**31) % 2**32) - 2**31  # noqa: E731
    e = [256 if wrap(x - mx) >= 0 else max(1, 256 + max(wrap(x - mx), -256)) for x in xs]
    return [v * 255 // sum(e) for v in e]


@pytest.mark.parametrize("xs", [[], [7], [0, 0, 0], [1, 2, 300, -5, 300], [I32_MIN, I32_MAX, 0, -1]])
def test_core_softmax_matches_scalar_rule(xs) -> None:
    it, _ = run([core("softmax", H(1), H(0))], hot={0: xs})
    assert hot(it, 1) == _ref_softmax(xs)


def test_sigmoid_gain_operand() -> None:
    it, _ = run([core("sigmoid", H(1), H(0), 0, 40), core("sigmoid", H(2), H(0), 0, 0)], hot={0: [1024, -1024]})
    assert hot(it, 1) == [168, 88] and hot(it, 2) == [192, 64]


def test_activations_at_i32_limits() -> None:
    it, _ = run([core("sigmoid", H(1), H(0), 0, 255), core("gelu", H(2), H(0)), core("tanh", H(3), H(0))],
                hot={0: [I32_MIN, I32_MAX]})
    assert hot(it, 1) == [0, 255]
    assert hot(it, 2) == [0, (I32_MAX * 255) >> 8]
    assert hot(it, 3) == [64, 192]


def test_large_registers_are_vectorised_and_exact() -> None:
    rng = np.random.default_rng(7)
    x = rng.integers(I32_MIN, I32_MAX, 5000, endpoint=True)
    it, _ = run([core("gelu", H(1), H(0)), core("sub", H(2), H(0), H(0))], hot={0: x.tolist()})
    want = [((int(v) * min(max((((int(v) * 435) >> 8) >> 10) + 128, 0), 255)) >> 8) for v in x[:200]]
    assert hot(it, 1)[:200] == want
    assert hot(it, 2) == [0] * 5000


def test_core_table_paths_equal_the_exact_formulas() -> None:
    from ternsig.extensions.core import ops_forward as f

    rng = np.random.default_rng(3)
    edges = [I32_MIN, I32_MIN + 1, -80001, -80000, -79999, -77138, -77137, -77136, -1, 0, 1, 255, 256,
             76531, 76532, 76533, 79999, 80000, 80001, I32_MAX - 1, I32_MAX]
    x = np.concatenate([np.arange(-140000, 140000, 7), rng.integers(I32_MIN, I32_MAX, 5000, endpoint=True),
                        np.array(edges)]).astype(np.int32)
    assert np.array_equal(f.tanh_values(x), f.tanh_exact(x))
    assert np.array_equal(f.gelu_values(x), f.gelu_exact(x))
    for gain in range(1, 256):
        half = (128 << 10) // gain + 2
        xs = np.concatenate([x[::13], np.array([-half - 1, -half, -half + 1, half - 1, half, half + 1])]).astype(np.int32)
        assert np.array_equal(f.sigmoid_values(xs, gain), f.sigmoid_exact(xs, gain)), gain
