"""The sampling extension (0x00C0): golden cases, reference rules (stable ties, i32::MIN/2 filler,
threshold crossing, repeated saturating penalties) and missing-register defaults."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from ternsig.extensions import sampling
from ternsig.intmath import I32_MAX, I32_MIN
from ternsig.isa.encoding import Instruction
from ternsig.program import Program
from ternsig.vm.interpreter import Interpreter
from ternsig.vm.results import Status
from ternsig.vm.state import HotBuffer

from tests.extensions.core.test_ops_forward import assert_golden, cases

F = I32_MIN // 2


def S(op: str, a=0, b=0, c=0, d=0) -> Instruction:
    return Instruction(0x00C0, sampling.TABLE.lookup(op).opcode, a, b, c, d)


def run(instrs, hot):
    it = Interpreter(Program(instructions=list(instrs)))
    for i, vals in hot.items():
        it.m.hot[i] = HotBuffer(np.asarray(vals, np.int64).astype(np.int32), (len(vals),))
    return it, it.run()


def hv(it, i):
    return it.m.hot[i].data.tolist()


@pytest.mark.parametrize("case", cases("ext_sampling", "ext_sampling"), ids=lambda p: p.name)
def test_golden_sampling(case: Path, monkeypatch) -> None:
    assert_golden(case, monkeypatch)


def test_temperature_defaults_and_clamp() -> None:
    it, _ = run([S("temperature", 1, 0, 2), S("temperature", 3, 0, 9), S("temperature", 4, 0, 5)],
                {0: [I32_MAX, -3, 100], 2: [512], 5: [-7]})
    assert hv(it, 1) == [I32_MAX // 2, -1, 50]          # truncating: -768/512 = -1
    assert hv(it, 3) == [I32_MAX, -768, 25600]          # missing → 1, clamped
    assert hv(it, 4) == hv(it, 3)                       # non-positive → 1


def ref_top_k(xs, k):
    order = sorted(range(len(xs)), key=lambda i: -xs[i])   # Python's sort is stable
    out = [F] * len(xs)
    for i in order[:max(k, 1)]:
        out[i] = xs[i]
    return out


def ref_top_p(xs, p):
    p = min(max(p, 1), 255)
    if not xs:
        return []
    wrap = lambda x: ((x + 2**31) % 2**32) - 2**31  # noqa: E731
    m = max(xs)
    e = [max(1, 256 + max(-1024, min(1024, wrap(x - m)))) for x in xs]
    thr = max(sum(e), 1) * p // 255
    out, cum = [F] * len(xs), 0
    for i in sorted(range(len(xs)), key=lambda i: -xs[i]):
        cum += e[i]
        out[i] = xs[i]
        if cum >= thr:
            break
    return out


@pytest.mark.parametrize("seed", range(6))
def test_top_k_top_p_match_scalar_rules(seed) -> None:
    rng = np.random.default_rng(seed)
    xs = rng.integers(-600, 600, 40).tolist() + [5, 5, 5, I32_MIN, I32_MAX][: seed]
    k, p = int(rng.integers(-2, 50)), int(rng.integers(-10, 300))
    it, _ = run([S("top_k", 1, 0, 2), S("top_p", 3, 0, 4)], {0: xs, 2: [k], 4: [p]})
    assert hv(it, 1) == ref_top_k(xs, k)
    assert hv(it, 3) == ref_top_p(xs, p)


def test_ties_keep_index_order_and_defaults() -> None:
    it, _ = run([S("top_k", 1, 0, 9), S("top_k", 2, 0, 5), S("top_p", 3, 0, 9), S("top_p", 4, 6, 9)],
                {0: [3, 7, 7, 7, 1], 5: [2], 6: []})
    assert hv(it, 1) == [F, 7, F, F, F]                  # missing k → 1; the first 7 wins
    assert hv(it, 2) == [F, 7, 7, F, F]
    assert hv(it, 3) == ref_top_p([3, 7, 7, 7, 1], 255)
    assert hv(it, 4) == []


def test_rep_penalty_repeats_and_saturates() -> None:
    it, _ = run([S("rep_penalty", 1, 0, 2, 3), S("rep_penalty", 4, 0, 2, 5), S("rep_penalty", 6, 0, 2, 9),
                 S("rep_penalty", 7, 0, 9, 3)],
                {0: [10, I32_MIN + 3, I32_MAX - 1, 4], 2: [0, 0, 1, -1, 7, 2, 3, 3, 3], 3: [4], 5: [-3]})
    assert hv(it, 1) == [2, I32_MIN, I32_MAX - 5, -8]
    assert hv(it, 4) == [16, I32_MIN + 6, I32_MAX, 13]
    assert hv(it, 6) == [10, I32_MIN + 3, I32_MAX - 1, 4] == hv(it, 7)   # no penalty / no history


def test_missing_logits_and_unknown_opcode_text() -> None:
    _, r = run([S("top_k", 1, 12, 2)], {})
    assert r.status is Status.ERROR and r.message == "H12 not allocated"
    _, r = run([Instruction(0x00C0, 0x0004, 0, 0, 0, 0)], {})
    assert r.status is Status.ERROR and r.message == "tvmr.sampling opcode 0x0004 not implemented"


@pytest.mark.parametrize("k", [1, 7, 300, 2999, 3000, 5000])
def test_top_k_large_registers_with_many_ties(k) -> None:
    xs = np.random.default_rng(k).integers(-20, 20, 3000).tolist()
    it, _ = run([S("top_k", 1, 0, 2)], {0: xs, 2: [k]})
    assert hv(it, 1) == ref_top_k(xs, k)
