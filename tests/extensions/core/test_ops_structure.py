"""Core structural handlers and the shared LCG: golden patched-runtime cases, the verified LCG
vector, legacy 16-slot wiring, raw-byte input indices, error texts, panics → traps."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tests.extensions.core.test_ops_forward import C, H, P, assert_golden, cases, core, hot, run
from ternsig.intmath import I32_MAX
from ternsig.kernels.structure import lcg_signals
from ternsig.vm.results import Status
from ternsig.vm.state import ColdBuffer


def lcg_loop(seed: int, n: int) -> list[tuple[int, int]]:
    s, out = seed, []
    for _ in range(n):
        s = (s * 6364136223846793005 + 1) % 2**64
        r = s >> 33
        out.append(([-1, 0, 1][r % 3], (r >> 2) % 200 + 30))
    return out


@pytest.mark.parametrize("case", cases("core_patched", "core_runtime_patched"), ids=lambda p: p.name)
def test_golden_runtime_patched(case: Path, monkeypatch) -> None:
    assert_golden(case, monkeypatch)


def test_lcg_verified_vector_and_jump_ahead() -> None:
    p, m = lcg_signals(42, 6)
    assert list(zip(p.tolist(), m.tolist())) == [(1, 211), (0, 222), (-1, 104), (1, 73), (0, 157), (0, 170)]
    for seed in (0, 7, 255, 255 + 4096):
        p, m = lcg_signals(seed, 3000)
        assert list(zip(p.tolist(), m.tolist())) == lcg_loop(seed, 3000)
    assert lcg_signals(1, 0)[0].size == 0


def test_identical_seeds_give_identical_weights() -> None:
    it, _ = run([core("init_random", C(0), d=9), core("init_random", C(1), d=9), core("init_random", C(5), d=9)])
    for i in (0, 1):
        it.m.cold[i] = ColdBuffer.zeros((3, 4))
    it.m.pc = 0
    it.run()
    assert it.m.cold[0].pol.tolist() == it.m.cold[1].pol.tolist()
    assert it.m.cold[0].mag.tolist() == it.m.cold[1].mag.tolist() == [mm for _, mm in lcg_loop(9, 12)]
    assert it.m.cold[5] is None                                    # missing register: no-op


def _machine(instrs, colds=None, hots=None):
    it, _ = run([], hots)
    it.load_program(type(it.program)(instructions=list(instrs)), allocate=False)
    for i, b in (colds or {}).items():
        it.m.cold[i] = b
    return it


def test_alloc_free_texts_and_banks() -> None:
    it = _machine([core("alloc_tensor", H(20), 3), core("alloc_tensor", C(40), 2, 0, 5), core("free_tensor", H(20))])
    assert it.run().status is Status.ENDED
    assert it.m.hot[20] is None and it.m.cold[40].shape == (2, 5) and len(it.m.cold[40]) == 10
    for instr, msg in [(core("alloc_tensor", P(1), 1), "Cannot allocate register Register(129) - must be Hot or Cold"),
                       (core("free_tensor", 0xC3), "Cannot free register Register(195) - must be Hot or Cold"),
                       (core("free_tensor", C(7)), "Cold register C7 not allocated")]:
        r = _machine([instr]).run()
        assert r.status is Status.ERROR and r.message == msg


def test_wire_forward_ignores_temperatures_and_drops_high_destinations() -> None:
    w = ColdBuffer(np.array([1, -1, 1, 1], np.int8), np.array([10, 20, 30, 40], np.uint8), (2, 2))
    w.temps = np.array([3, 3, 3, 3], np.uint8)
    it = _machine([core("wire_forward", H(2), C(0), 1), core("wire_forward", H(16), C(0), 1)], {0: w}, {1: [5, 6]})
    assert it.run().status is Status.ENDED
    assert hot(it, 2) == [10 * 5 - 20 * 6, 30 * 5 + 40 * 6] and it.m.hot[16] is None
    # the input operand is a raw index: 0x41 is H65 → "not allocated", not C1
    r = _machine([core("wire_forward", H(2), C(0), 0x41)], {0: w}, {1: [5]}).run()
    assert r.status is Status.ERROR and r.message == "Hot register H65 not allocated"
    r = _machine([core("wire_forward", H(2), C(0), 1)], {0: ColdBuffer.zeros((4,))}, {1: [5]}).run()
    assert r.message == "Weights must be 2D"


def test_wire_skip_broadcast_saturates_and_panics_on_empty() -> None:
    it = _machine([core("wire_skip", H(2), H(0), 1)], hots={0: [I32_MAX, 1, 2, 3], 1: [10, 20]})
    it.run()
    assert hot(it, 2) == [I32_MAX, 21, 12, 23] and it.m.hot[2].shape == (4,)
    it = _machine([core("wire_skip", H(2), H(0), 1)], hots={0: [], 1: [10]})
    r = it.run()
    assert r.status is Status.TRAP and r.kind == "panic" and "remainder" in r.message


def test_grow_prune_keep_temperatures_aligned() -> None:
    w = ColdBuffer.zeros((2, 3))
    w.temps = np.array([1, 2, 3, 1, 2, 3], np.uint8)
    it = _machine([core("grow_neuron", C(0), 0, 2, 5), core("prune_neuron", C(0), 0, 1)], {0: w})
    assert it.run().status is Status.ENDED
    assert w.shape == (3, 3) and len(w.pol) == 9
    assert w.temps.tolist() == [1, 2, 3, 0, 0, 0, 0, 0, 0]
    grown = lcg_loop(5 + 6, 6)
    assert list(zip(w.pol[3:].tolist(), w.mag[3:].tolist())) == grown


def test_grow_prune_errors() -> None:
    cases_ = [([core("grow_neuron", C(0), 0, 0, 1)], {}, "Cannot grow by 0 neurons"),
              ([core("grow_neuron", C(0), 0, 1, 1)], {}, "Cold register C0 not allocated"),
              ([core("grow_neuron", C(0), 0, 1, 1)], {0: ColdBuffer.zeros((1, 1, 1))},
               "Cannot grow 3D register, only 1D or 2D supported"),
              ([core("grow_neuron", C(0), 0, 1, 1)], {0: ColdBuffer.zeros(())}, "Cannot grow empty register"),
              ([core("prune_neuron", C(0), 0, 3)], {0: ColdBuffer.zeros((3,))}, "Neuron index 3 out of bounds (size 3)"),
              ([core("prune_neuron", C(0), 0, 0)], {0: ColdBuffer.zeros((1,))}, "Cannot prune last neuron"),
              ([core("prune_neuron", C(0), 0, 0)], {0: ColdBuffer.zeros((1, 4))}, "Cannot prune last neuron"),
              ([core("prune_neuron", C(0), 0, 0)], {0: ColdBuffer.zeros(())},
               "Cannot prune 0D register, only 1D or 2D supported")]
    for instrs, colds, msg in cases_:
        r = _machine(instrs, colds).run()
        assert r.status is Status.ERROR and r.message == msg, msg


def test_prune_1d_removes_element_and_inconsistent_data_traps() -> None:
    w = ColdBuffer(np.ones(5, np.int8), np.array([10, 20, 30, 40, 50], np.uint8), (5,))
    _machine([core("prune_neuron", C(0), 0, 2)], {0: w}).run()
    assert w.mag.tolist() == [10, 20, 40, 50] and w.shape == (4,)
    bad = ColdBuffer(np.ones(2, np.int8), np.ones(2, np.uint8), (5,))   # shape says 5, data has 2
    r = _machine([core("prune_neuron", C(0), 0, 3)], {0: bad}).run()
    assert r.status is Status.TRAP and r.kind == "panic"
