"""The activation extension (0x0003): golden cases, the reference's verified vectors, scalar rules."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from ternsig.extensions import activation
from ternsig.intmath import I32_MAX, I32_MIN
from ternsig.isa.encoding import Instruction
from ternsig.program import Program
from ternsig.vm.interpreter import Interpreter
from ternsig.vm.results import Status
from ternsig.vm.state import HotBuffer

from tests.extensions.core.test_ops_forward import assert_golden, cases

VEC = [-1000, -100, -1, 0, 1, 100, 1000]


def A(op: str, a: int, b: int) -> Instruction:
    return Instruction(0x0003, activation.TABLE.lookup(op).opcode, a, b, 0, 0)


def apply(op: str, xs, shape=None) -> tuple[list[int], tuple]:
    it = Interpreter(Program(instructions=[A(op, 1, 0)]))
    it.m.hot[0] = HotBuffer(np.asarray(xs, np.int64).astype(np.int32), shape or (len(xs),))
    r = it.run()
    assert r.status is Status.ENDED, r
    return it.m.hot[1].data.tolist(), it.m.hot[1].shape


@pytest.mark.parametrize("case", cases("ext_activation", "ext_activation"), ids=lambda p: p.name)
def test_golden_activation(case: Path, monkeypatch) -> None:
    assert_golden(case, monkeypatch)


@pytest.mark.parametrize("op,want", [
    ("sigmoid", [103, 120, 128, 128, 128, 136, 153]),
    ("tanh", [-112, -55, 0, 0, 0, 55, 112]),
    ("gelu", [0, -41, 0, 0, 0, 58, 996]),
    ("softmax", [0, 0, 0, 0, 0, 0, 249]),
    ("relu", [0, 0, 0, 0, 1, 100, 1000]),
])
def test_verified_vectors(op, want) -> None:
    assert apply(op, VEC)[0] == want


def _tdiv(a: int, b: int) -> int:
    q = abs(a) // abs(b)
    return q if (a >= 0) == (b >= 0) else -q


def _wrap(x: int) -> int:
    return ((x + 2**31) % 2**32) - 2**31


def ref(op: str, xs: list[int]) -> list[int]:
    if op == "sigmoid":
        return [min(255, max(0, 128 + _tdiv(x * 32, 256 + abs(x)))) for x in (max(-2048, min(2048, v)) for v in xs)]
    if op == "tanh":
        return [min(127, max(-127, _tdiv(x * 127, 128 + abs(x)))) for x in (max(-2048, min(2048, v)) for v in xs)]
    if op == "gelu":
        return [_wrap(_tdiv(x * (128 + max(-128, min(127, _tdiv(x * 54, 256)))), 256)) for x in xs]
    if op == "softmax":
        if not xs:
            return []
        m = max(xs)
        e = [max(1, 256 + max(_wrap(x - m), -1024)) for x in xs]
        return [v * 255 // max(sum(e), 1) for v in e]
    return [max(0, x) for x in xs]


@pytest.mark.parametrize("op", ["relu", "sigmoid", "tanh", "softmax", "gelu"])
def test_matches_scalar_rule_on_random_and_extreme_values(op) -> None:
    rng = np.random.default_rng(5)
    xs = rng.integers(-5000, 5000, 300).tolist() + [I32_MIN, I32_MAX, -2049, 2049, -1024, 1024]
    assert apply(op, xs)[0] == ref(op, xs)
    big = rng.integers(I32_MIN, I32_MAX, 300, endpoint=True).tolist()
    assert apply(op, big)[0] == ref(op, big)


def test_shape_is_preserved_and_empty_softmax_is_empty() -> None:
    assert apply("tanh", [1, 2, 3, 4, 5, 6], (2, 3))[1] == (2, 3)
    assert apply("softmax", [], (0,)) == ([], (0,))


def test_softmax_i32_wrap_of_x_minus_max() -> None:
    # I32_MIN - I32_MAX wraps to 1 in release builds: both extremes weigh like the max
    assert apply("softmax", [I32_MIN, I32_MAX, 0])[0] == ref("softmax", [I32_MIN, I32_MAX, 0]) == [127, 127, 0]


def test_missing_source_and_unknown_opcode() -> None:
    it = Interpreter(Program(instructions=[A("relu", 1, 7)]))
    r = it.run()
    assert r.status is Status.ERROR and r.message == "H7 not allocated"
    r = Interpreter(Program(instructions=[Instruction(0x0003, 0x0005, 0, 0, 0, 0)])).run()
    assert r.message == "tvmr.activation: unknown opcode 0x0005"


def test_table_paths_equal_the_exact_formulas_everywhere_that_matters() -> None:
    rng = np.random.default_rng(11)
    edges = [I32_MIN, I32_MIN + 1, -(1 << 16) - 1, -(1 << 16), -2049, -2048, -2047, -607, -606, -605,
             -1, 0, 1, 601, 602, 603, 2047, 2048, 2049, (1 << 16), (1 << 16) + 1, I32_MAX - 1, I32_MAX]
    x = np.concatenate([np.arange(-70000, 70000), rng.integers(I32_MIN, I32_MAX, 20000, endpoint=True),
                        np.array(edges)]).astype(np.int32)
    assert np.array_equal(activation.sigmoid_values(x), activation.sigmoid_exact(x))
    assert np.array_equal(activation.tanh_values(x), activation.tanh_exact(x))
    assert np.array_equal(activation.gelu_values(x), activation.gelu_exact(x))
