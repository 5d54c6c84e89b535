"""The compiled mastery kernels (kernels/pressure_jit.py) against the NumPy ones (kernels/pressure.py):
random machines — edge activities, pressures at the i32 limits, stale pressure lengths, temperatures
past COLD and shorter than the weights, every threshold byte — must end in identical state."""
from __future__ import annotations

import random

import numpy as np
import pytest

from ternsig.kernels import pressure, pressure_jit
from ternsig.vm.compiled import warm
from ternsig.vm.state import ColdBuffer, HotBuffer, Machine

EDGE = [0, 1, -1, 255, 2**31 - 1, -2**31, 3, 1000]


@pytest.fixture(autouse=True, scope="module")
def _loaded() -> None:
    warm.wait()
    assert pressure_jit.READY


def _machine(seed: int) -> Machine:
    rng = random.Random(seed)
    m = Machine()
    n = rng.choice((0, 1, 5, 16, 64, 300))
    act = [rng.choice(EDGE) if rng.random() < 0.3 else rng.randrange(-50, 300) for _ in range(n)]
    m.hot[1] = HotBuffer(np.array(act, np.int32), (n,))
    k = rng.choice((0, 1, 3))
    m.hot[2] = HotBuffer(np.array([rng.choice((-7, 0, 9)) for _ in range(k)], np.int32), (k,))
    w = n if rng.random() < 0.8 else rng.choice((0, 2, n + 3))
    c = ColdBuffer(np.array([rng.choice((-1, 0, 1)) for _ in range(w)], np.int8),
                   np.array([rng.randrange(256) for _ in range(w)], np.uint8), (w,))
    if rng.random() < 0.4:
        c.temps = np.array([rng.randrange(6) for _ in range(rng.choice((w, max(w - 2, 0))))], np.uint8)
    m.cold[0] = c
    pk = rng.random()
    if pk < 0.5:
        plen = n if rng.random() < 0.8 else n + 1
        m.pressure[0] = np.array([rng.choice(EDGE + [-EDGE[4]]) if rng.random() < 0.3
                                  else rng.randrange(-80, 80) for _ in range(plen)], np.int32)
    m.chem.dopamine = rng.choice((0, 80, 140, 200, 255))
    return m


def _state(m: Machine, stepped: bool) -> tuple:
    p = m.pressure[0]
    c = m.cold[0]
    return (None if p is None else p.tolist(), c.pol.tolist(), c.mag.tolist(), c.version, stepped)


def _play(seed: int, compiled: bool) -> list[tuple]:
    rng = random.Random(seed * 7 + 1)
    m = _machine(seed)
    old = pressure_jit.READY
    pressure_jit.READY = compiled
    try:
        out = []
        for _ in range(4):
            pressure.accumulate_mastery(m, 0, 1, 2, rng.randrange(256), rng.choice((1, 2, 4)))
            stepped = pressure.commit_pressure(m, 0, rng.choice((0, 1, 2, 7, 50, 255)), rng.choice((1, 5)))
            out.append(_state(m, stepped))
        return out
    finally:
        pressure_jit.READY = old


@pytest.mark.parametrize("seed", range(150))
def test_compiled_mastery_kernels_match_numpy(seed: int) -> None:
    assert _play(seed, True) == _play(seed, False)


def test_the_machine_uses_the_compiled_kernels_once_ready() -> None:
    assert pressure._jit() is pressure_jit
    pressure_jit.READY = False
    try:
        assert pressure._jit() is None
    finally:
        pressure_jit.READY = True
