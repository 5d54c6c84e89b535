"""The interpreter's fast paths against the straightforward NumPy formulation.

Small registers are computed with Python ints and stored as tuples (``HotBuffer.of_ints``), some
handlers are specialised at bind time, and the small ungated matmul is one float64 product. Every
one of those must give the reference's integers: here each instruction runs through the
interpreter (bound, possibly specialised) and through its bare handler, on tuple- and
array-backed registers of length 0..8 and across the SMALL threshold, with values that include
the i32 limits, and both are compared with an int64 NumPy formulation written out in this file.
"""
from __future__ import annotations

from typing import Optional

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from ternsig.errors import ExecFault, PanicFault
from ternsig.extensions.core import CORE
from ternsig.extensions.core.ops_forward import tanh_exact
from ternsig.isa.encoding import Instruction
from ternsig.program import Program
from ternsig.vm.interpreter import Interpreter
from ternsig.vm.results import CONTINUE, Status
from tests.tiers import each_tier  # noqa: F401  (fixture)
from ternsig.vm.state import SMALL, ColdBuffer, HotBuffer, Machine

pytestmark = pytest.mark.usefixtures("each_tier")     # every test under both execution tiers

I32_MIN, I32_MAX = -(1 << 31), (1 << 31) - 1

i32 = st.one_of(st.integers(I32_MIN, I32_MAX), st.sampled_from([I32_MIN, I32_MIN + 1, -1, 0, 1, I32_MAX - 1, I32_MAX]),
                st.integers(-300, 300))
lengths = st.one_of(st.integers(0, 8), st.integers(SMALL - 2, SMALL + 3))
vec = lengths.flatmap(lambda n: st.lists(i32, min_size=n, max_size=n))
backing = st.booleans()          # True: tuple-backed, False: array-backed
settings_ = settings(max_examples=150, deadline=None)


def reg(values: list[int], as_tuple: bool, shape: Optional[tuple[int, ...]] = None) -> HotBuffer:
    shape = shape if shape is not None else (len(values),)
    if as_tuple and len(values) <= SMALL:
        return HotBuffer.of_ints(tuple(values), shape)
    return HotBuffer(np.array(values, np.int32), shape)


def sat(x: np.ndarray) -> np.ndarray:
    return np.clip(x, I32_MIN, I32_MAX).astype(np.int32)


def run_both(mnemonic: str, a: int, b: int, c: int, d: int, setup) -> tuple[Machine, Machine, object, object]:
    """Run one instruction through the interpreter (bound) and through the bare handler on two
    machines prepared by ``setup(m)``; return both machines and both outcomes."""
    spec = CORE.by_mnemonic[mnemonic]
    ins = Instruction(0, spec.opcode, a, b, c, d)
    it = Interpreter(Program(instructions=[ins], registers=[]))
    setup(it.m)
    res = it.run(fuel=1)                 # through the run loop of the tier under test
    if res.kind == "fuel":               # the instruction completed
        res = CONTINUE
    m2 = Machine()
    setup(m2)
    try:
        r2 = spec.handler(m2, a, b, c, d)
    except (ExecFault, PanicFault) as exc:
        r2 = exc
    return it.m, m2, res, r2


def hot_values(m: Machine, i: int) -> tuple[list[int], tuple[int, ...]]:
    h = m.hot[i]
    assert h is not None
    data = h.data
    assert isinstance(data, np.ndarray) and data.dtype == np.int32 and data.ndim == 1
    return data.tolist(), tuple(h.shape)


def check_hot(m: Machine, m2: Machine, i: int, expected: np.ndarray, shape: tuple[int, ...]) -> None:
    want = (expected.astype(np.int32).tolist(), tuple(shape))
    assert hot_values(m, i) == want
    assert hot_values(m2, i) == want


# ---- binary hot ops --------------------------------------------------------------------------------

def ref_add(s: np.ndarray, o: np.ndarray) -> np.ndarray:
    out = s.astype(np.int64)
    n = min(len(s), len(o))
    out[:n] = out[:n] + o[:n].astype(np.int64)
    return sat(out)


def ref_prefix(fn, s: np.ndarray, o: np.ndarray) -> np.ndarray:
    n = min(len(s), len(o))
    return fn(s[:n].astype(np.int64), o[:n].astype(np.int64))


BINARY = {
    "add": ref_add,
    "sub": lambda s, o: sat(ref_prefix(np.subtract, s, o)),
    "mul": lambda s, o: ((ref_prefix(np.multiply, s, o)) >> 8).astype(np.int32),
    "cmp_gt": lambda s, o: ref_prefix(lambda x, y: (x > y) * 255, s, o),
}


@pytest.mark.parametrize("mnemonic", sorted(BINARY))
@settings_
@given(sv=vec, ov=vec, tb_s=backing, tb_o=backing, dest=st.sampled_from([0, 1, 2]))
def test_binary_ops_match_numpy(mnemonic, sv, ov, tb_s, tb_o, dest) -> None:
    shape = (len(sv),)

    def setup(m: Machine) -> None:
        m.hot[0] = reg(sv, tb_s)
        m.hot[1] = reg(ov, tb_o)

    m, m2, res, _ = run_both(mnemonic, dest, 0, 1, 0, setup)
    assert res.status == Status.CONTINUE
    s, o = np.array(sv, np.int64), np.array(ov, np.int64)
    check_hot(m, m2, dest, BINARY[mnemonic](s, o), shape)
    if dest != 0:                                  # the sources are untouched
        assert hot_values(m, 0) == (sv, shape)
    if dest != 1:
        assert hot_values(m, 1)[0] == ov


@settings_
@given(sv=vec, weights=st.lists(st.integers(-255, 255), max_size=SMALL + 4), tb=backing, dest=st.sampled_from([0, 2]))
def test_add_cold_bias_matches_numpy(sv, weights, tb, dest) -> None:
    pol = np.sign(np.array(weights, np.int64)).astype(np.int8)
    mag = np.abs(np.array(weights, np.int64)).astype(np.uint8)

    def setup(m: Machine) -> None:
        m.hot[0] = reg(sv, tb)
        m.cold[1] = ColdBuffer(pol.copy(), mag.copy(), (len(weights),))

    m, m2, res, _ = run_both("add", dest, 0, 0x40 | 1, 0, setup)
    assert res.status == Status.CONTINUE
    want = ref_add(np.array(sv, np.int64), np.array(weights, np.int64) * 255)
    check_hot(m, m2, dest, want, (len(sv),))


def test_add_cold_bias_cache_follows_replaced_arrays() -> None:
    m = Machine()
    spec = CORE.by_mnemonic["add"]
    m.hot[0] = HotBuffer.of_ints((10,), (1,))
    m.cold[1] = ColdBuffer(np.array([1], np.int8), np.array([2], np.uint8), (1,))
    spec.handler(m, 2, 0, 0x41, 0)
    assert m.hot[2].data.tolist() == [10 + 510]
    m.cold[1].pol = np.array([-1], np.int8)          # replaced without touch(): no stale bias
    spec.handler(m, 2, 0, 0x41, 0)
    assert m.hot[2].data.tolist() == [10 - 510]


@pytest.mark.parametrize("mnemonic", ["add", "sub", "mul", "cmp_gt"])
def test_binary_errors_unchanged(mnemonic: str) -> None:
    def no_src(m: Machine) -> None:
        m.hot[1] = HotBuffer.of_ints((1,), (1,))

    def no_other(m: Machine) -> None:
        m.hot[0] = HotBuffer.of_ints((1,), (1,))

    for setup, text in ((no_src, "Source not allocated"), (no_other, "Other not allocated")):
        _, _, res, r2 = run_both(mnemonic, 2, 0, 1, 0, setup)
        assert res.status == Status.ERROR and res.message == text
        assert isinstance(r2, ExecFault) and r2.message == text


def test_add_other_banks_are_silent_noops() -> None:
    for c in (0x80 | 1, 0xC0 | 1):
        m, m2, res, _ = run_both("add", 2, 0, c, 0, lambda m: None)
        assert res.status == Status.CONTINUE and m.hot[2] is None and m2.hot[2] is None
    m, _, res, _ = run_both("add", 2, 0x40, 1, 0, lambda m: None)      # cold source byte
    assert res.status == Status.CONTINUE and m.hot[2] is None


# ---- unary ops --------------------------------------------------------------------------------------

def ref_sigmoid(x: np.ndarray, gain: int) -> np.ndarray:
    return np.clip(((x * gain) >> 10) + 128, 0, 255)


UNARY = {
    "relu": lambda x, c, d: np.maximum(x, 0),
    "sigmoid": lambda x, c, d: ref_sigmoid(x, d if d > 0 else 64),
    "tanh": lambda x, c, d: tanh_exact(x),
    "shift": lambda x, c, d: x >> (c & 31),
    "clamp": lambda x, c, d: np.minimum(np.maximum(x, min(c, d)), d),
}


@pytest.mark.parametrize("mnemonic", sorted(UNARY))
@settings_
@given(xv=vec, tb=backing, c=st.integers(0, 255), d=st.integers(0, 255), dest=st.sampled_from([0, 3]))
def test_unary_ops_match_numpy(mnemonic, xv, tb, c, d, dest) -> None:
    if mnemonic == "clamp" and c > d:
        c, d = d, c                                # min > max traps (pinned by the forward tests)
    shape = (1, len(xv)) if len(xv) % 2 else (len(xv),)

    def setup(m: Machine) -> None:
        m.hot[0] = reg(xv, tb, shape)

    m, m2, res, _ = run_both(mnemonic, dest, 0, c, d, setup)
    assert res.status == Status.CONTINUE
    check_hot(m, m2, dest, UNARY[mnemonic](np.array(xv, np.int64), c, d), shape)


@settings_
@given(xv=vec, tb=backing)
def test_max_reduce_and_register_moves(xv, tb) -> None:
    x = np.array(xv, np.int64)

    def setup(m: Machine) -> None:
        m.hot[0] = reg(xv, tb)

    m, m2, _, _ = run_both("max_reduce", 1, 0, 0, 0, setup)
    check_hot(m, m2, 1, np.array([x.max() if len(x) else 0]), (1,))
    m, m2, _, _ = run_both("store_output", 0, 0, 0, 0, setup)
    assert m.output.dtype == np.int32 and m.output.tolist() == xv and m2.output.tolist() == xv
    m, m2, _, _ = run_both("zero_reg", 0, 0, 0, 0, setup)
    check_hot(m, m2, 0, np.zeros(len(xv)), (len(xv),))
    m, m2, _, _ = run_both("copy_reg", 1, 0, 0, 0, setup)
    check_hot(m, m2, 1, x, (len(xv),))
    for mn, taken in (("if_zero", not x.any()), ("if_nonzero", bool(x.any()))):
        m, m2, _, _ = run_both(mn, 0, 0, 0, 7, setup)
        assert m.pc == (7 if taken else 1)


@given(c=st.integers(0, 255), d=st.integers(0, 255))
def test_set_loads_unsigned_16_bits(c, d) -> None:
    m, m2, _, _ = run_both("set", 5, 0, c, d, lambda m: None)
    check_hot(m, m2, 5, np.array([(c << 8) | d]), (1,))


# ---- matmul -----------------------------------------------------------------------------------------

@settings(max_examples=120, deadline=None)
@given(out=st.one_of(st.integers(1, 6), st.integers(SMALL + 1, SMALL + 4)), inn=st.integers(1, 20), data=st.data(),
       tb=backing)
def test_small_ungated_matmul_matches_int64(out, inn, data, tb) -> None:
    ws = data.draw(st.lists(st.integers(-255, 255), min_size=out * inn, max_size=out * inn))
    xv = data.draw(st.lists(i32, min_size=0, max_size=inn + 3))
    pol = np.sign(np.array(ws, np.int64)).astype(np.int8)
    mag = np.abs(np.array(ws, np.int64)).astype(np.uint8)

    def setup(m: Machine) -> None:
        m.cold[0] = ColdBuffer(pol.copy(), mag.copy(), (out, inn))
        m.hot[0] = reg(xv, tb)

    m, m2, res, _ = run_both("ternary_matmul", 1, 0x40, 0, 0, setup)
    assert res.status == Status.CONTINUE
    k = min(inn, len(xv))
    w = np.array(ws, np.int64).reshape(out, inn)
    check_hot(m, m2, 1, sat(w[:, :k] @ np.array(xv[:k], np.int64)), (out,))


def test_matmul_saturates_at_both_limits() -> None:
    def setup(m: Machine) -> None:
        m.cold[0] = ColdBuffer(np.array([1, 1, -1, -1], np.int8), np.full(4, 255, np.uint8), (2, 2))
        m.hot[0] = HotBuffer(np.array([I32_MAX, I32_MAX], np.int32), (2,))

    m, m2, _, _ = run_both("ternary_matmul", 1, 0x40, 0, 0, setup)
    check_hot(m, m2, 1, np.array([I32_MAX, I32_MIN]), (2,))


def test_matmul_weights_too_short_still_panics() -> None:
    def setup(m: Machine) -> None:
        m.cold[0] = ColdBuffer(np.ones(3, np.int8), np.ones(3, np.uint8), (2, 2))
        m.hot[0] = HotBuffer.of_ints((1, 2), (2,))

    _, _, res, r2 = run_both("ternary_matmul", 1, 0x40, 0, 0, setup)
    assert res.status == Status.TRAP and res.message == "index out of bounds: the len is 3 but the index is 3"
    assert isinstance(r2, PanicFault)


# ---- the two backings ------------------------------------------------------------------------------

@given(xv=st.lists(i32, max_size=SMALL))
def test_tuple_backing_is_one_value(xv) -> None:
    h = HotBuffer.of_ints(tuple(xv), (len(xv),))
    assert len(h) == len(xv) and list(h.ints()) == xv
    v = h.view()
    assert v.dtype == np.int32 and v.tolist() == xv and h._t is not None      # view keeps the tuple
    c = h.copy()
    d = h.data                                      # handing out the array drops the tuple
    assert h._t is None and d.tolist() == xv
    if xv:
        d[0] = 12345                                # in-place writes are seen by every reader
        assert h.ints()[0] == 12345 and h.view()[0] == 12345
        assert c.data.tolist() == xv                 # a copy never shares storage
    h.data = np.array([7], np.int32)
    assert h.ints() == [7] and len(h) == 1


def test_small_zero_registers_start_as_tuples() -> None:
    assert HotBuffer.zeros((2, 3))._t == (0,) * 6
    assert HotBuffer.zeros((SMALL + 1,))._t is None
    assert HotBuffer.zeros((SMALL + 1,)).data.tolist() == [0] * (SMALL + 1)


def test_matmul_bound_closure_follows_weight_changes() -> None:
    """The bound matmul reuses the cached matrix only while pol/mag/shape are the same objects
    and there are no temperatures; every change below must show in the next result."""
    ins = Instruction(0, CORE.by_mnemonic["ternary_matmul"].opcode, 1, 0x40, 0, 0)
    it = Interpreter(Program(instructions=[ins, ins], registers=[]))
    m = it.m
    m.cold[0] = ColdBuffer(np.array([1, -1, 1, 1], np.int8), np.array([2, 3, 4, 5], np.uint8), (2, 2))
    m.hot[0] = HotBuffer.of_ints((10, 100), (2,))

    def step_twice() -> list[int]:
        m.pc = 0
        assert it.step().status == Status.CONTINUE
        first = m.hot[1].data.tolist()
        assert it.step().status == Status.CONTINUE
        assert m.hot[1].data.tolist() == first
        return first

    assert step_twice() == [2 * 10 - 3 * 100, 4 * 10 + 5 * 100]
    m.cold[0].pol = np.array([-1, -1, 1, 1], np.int8)                 # replaced, no touch()
    assert step_twice() == [-2 * 10 - 3 * 100, 4 * 10 + 5 * 100]
    m.cold[0].mag = np.array([1, 1, 1, 1], np.uint8)
    assert step_twice() == [-110, 110]
    m.cold[0].shape = (1, 4)                                          # 1 x 4: all four weights
    m.hot[0] = HotBuffer.of_ints((1, 2, 3, 4), (4,))
    assert step_twice() == [-1 - 2 + 3 + 4]
    m.cold[0].temps = np.full(4, 3, np.uint8)                         # COLD: the gated path
    m.cold[0].touch()
    m.hot[0] = HotBuffer.of_ints((1, 2, 3, 4), (4,))
    assert step_twice() == [0]                                        # intensity < 120 blocks COLD
