"""Core learning ops: MARK_ELIGIBILITY (no-op), ADD_BABBLE, MASTERY_UPDATE, MASTERY_COMMIT."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from tests.paths import CORPUS
from ternsig.isa.encoding import Instruction as I
from ternsig.program import Program, RegisterDef
from ternsig.vm.interpreter import Interpreter
from ternsig.vm.results import Status
from ternsig.vm.state import HotBuffer

GOLDEN = CORPUS
HALT = I(0, 0x0001, 0xFF, 0xFF, 0, 0)
H = lambda i: i            # noqa: E731  register bytes
C = lambda i: 0x40 | i     # noqa: E731


def update(w, act, d, scale=0):
    return I(0, 0x5012, C(w), H(act), d, scale)


def commit(w, thr=0):
    return I(0, 0x5013, C(w), 0xFF, 0, thr)


def babble(r):
    return I(0, 0x5004, H(r), 0xFF, 0, 0)


def machine(instrs, hot=None, cold=None, shapes=None, temps=None, dopamine=128):
    """An interpreter with hot registers (name → values) and cold registers (index → signed values,
    shaped by ``shapes[index]`` when given, else flat)."""
    regs = [RegisterDef(C(i), "ternary", tuple((shapes or {}).get(i, (len(v),)))) for i, v in (cold or {}).items()]
    it = Interpreter(Program(list(instrs) + [HALT], regs))
    m = it.m
    for i, v in (hot or {}).items():
        m.hot[i] = HotBuffer(np.array(v, np.int32))
    for i, v in (cold or {}).items():
        v = np.array(v)
        m.cold[i].pol[:] = np.sign(v)
        m.cold[i].mag[:] = np.minimum(np.abs(v), 255)
        if temps and i in temps:
            m.cold[i].temps = np.array(temps[i], np.uint8)
        m.cold[i].touch()
    m.chem.dopamine = dopamine
    return it


# ---- a direct scalar model of the reference kernels (for cross-checking the vectorised ones) ----

def model_update(pressure, act, direction, scale):
    peak = max(max(act) if act else 1, 1)
    thr = peak // 4
    if pressure is None or len(pressure) != len(act):
        pressure = [0] * len(act)
    out = list(pressure)
    for i, a in enumerate(act):
        if a > thr:
            s = (a - thr) * 256 // peak
            delta = int(direction * s * scale / 256)
            out[i] = max(-2**31, min(2**31 - 1, out[i] + delta))
    return out


def model_commit(pressure, pol, mag, temps, base, step=5):
    pressure, pol, mag = list(pressure), list(pol), list(mag)
    for i in range(min(len(pressure), len(pol))):
        t = 0 if temps is None else min(temps[i], 3)
        if t == 3:
            continue
        eff = base * (1, 2, 4)[t] // 2
        p = pressure[i]
        if abs(p) >= eff:
            need = 1 if p > 0 else -1
            if pol[i] == need:
                mag[i] = min(mag[i] + step, 255)
            elif pol[i] == 0:
                pol[i], mag[i] = need, step
            elif mag[i] > step:
                mag[i] -= step
            else:
                pol[i], mag[i] = need, step
            pressure[i] = 0
    return pressure, pol, mag


# ---- mastery update -------------------------------------------------------------------------

def test_reference_trace_pressure_and_first_commit():
    """Verified against the reference: act [100,60,25,10], dir +1, DA 128: pressure grows by
    [11,5,0,0] a pass and weight 0 becomes (+1,5) on pass 3 (HOT threshold 50/2 = 25)."""
    it = machine([update(0, 0, 1), commit(0)], hot={0: [100, 60, 25, 10], 1: [7]}, cold={0: [0, 0, 0, 0]})
    m = it.m
    seen = []
    for _ in range(3):
        m.pc = 0
        assert it.run().status is Status.HALT
        seen.append((m.pressure[0].tolist(), m.cold[0].values().tolist()))
    assert seen[0] == ([11, 5, 0, 0], [0, 0, 0, 0])
    assert seen[1] == ([22, 10, 0, 0], [0, 0, 0, 0])
    assert seen[2] == ([0, 15, 0, 0], [5, 0, 0, 0])
    assert m.cold[0].dirty


@pytest.mark.parametrize("da,scale", [(0, 0), (75, 0), (76, 1), (139, 1), (140, 2), (204, 3), (255, 3)])
def test_dopamine_gates_and_scales_the_update(da, scale):
    it = machine([update(0, 0, 1, scale=16)], hot={0: [256, 0], 1: [1]}, cold={0: [0, 0]}, dopamine=da)
    it.run()
    p = it.m.pressure[0]
    if scale == 0:
        assert p is None          # gated before anything is touched
    else:
        # thr = 64, strength = 192·256/256 = 192, delta = 192·16·s/256 = 12·s
        assert p.tolist() == [12 * scale, 0]


def test_direction_register_is_read_with_the_legacy_low_nibble():
    """C = 17 (H17) reads H1 in the core ISA."""
    it = machine([update(0, 0, 17)], hot={0: [100], 1: [-3]}, cold={0: [0]})
    it.run()
    assert it.m.pressure[0].tolist() == [-11]
    assert it.m.pressure[0].tolist() == [model_update(None, [100], -1, 15)[0]]


def test_direction_is_a_sign_and_empty_direction_is_zero():
    it = machine([update(0, 0, 1), update(1, 0, 2)], hot={0: [100, 50], 1: [123456], 2: []},
                 cold={0: [0, 0], 1: [0, 0]})
    it.run()
    assert it.m.pressure[0].tolist() == model_update(None, [100, 50], 1, 15)
    assert it.m.pressure[1].tolist() == [0, 0]


def test_pressure_resets_when_the_activity_length_changes():
    it = machine([update(0, 0, 2), update(0, 1, 2)], hot={0: [100, 100, 100], 1: [100, 100], 2: [1]},
                 cold={0: [0, 0, 0]})
    it.run()
    assert it.m.pressure[0].tolist() == model_update(None, [100, 100], 1, 15)


def test_update_errors_use_the_reference_texts():
    it = machine([update(0, 5, 1)], hot={1: [1]})
    r = it.run()
    assert r.status is Status.ERROR and r.message == "Activity register not allocated"
    it = machine([update(0, 0, 9)], hot={0: [1]})
    r = it.run()
    assert r.status is Status.ERROR and r.message == "Direction register not allocated"


def test_update_does_not_need_the_cold_register():
    """The reference never looks at the weights while accumulating."""
    it = machine([update(7, 0, 1)], hot={0: [10, 20], 1: [1]})
    assert it.run().status is Status.HALT
    assert it.m.pressure[7].tolist() == model_update(None, [10, 20], 1, 15)


def test_saturating_pressure():
    it = machine([update(0, 0, 1, scale=255)], hot={0: [1000], 1: [1]}, cold={0: [0]}, dopamine=255)
    it.m.pressure[0] = np.array([2**31 - 10], np.int32)
    it.run()
    assert it.m.pressure[0].tolist() == [2**31 - 1]


@pytest.mark.parametrize("w", [16, 20, 63])
def test_all_64_cold_registers_have_pressure(w):
    """Deviation: the reference has 16 pressure slots and panics for C16 and above."""
    it = machine([update(w, 0, 1)] * 3 + [commit(w)], hot={0: [100, 100], 1: [1]}, cold={w: [0, -3]})
    assert it.run().status is Status.HALT
    assert it.m.cold[w].values().tolist() == [5, 5] and it.m.pressure[w].tolist() == [0, 0]


# ---- mastery commit -------------------------------------------------------------------------

@pytest.mark.parametrize("temp,needed", [(0, 25), (1, 50), (2, 100)])
def test_commit_threshold_scales_with_temperature(temp, needed):
    it = machine([commit(0)], cold={0: [10, 10]}, temps={0: [temp, temp]})
    it.m.pressure[0] = np.array([needed - 1, -needed], np.int32)
    it.run()
    assert it.m.cold[0].values().tolist() == [10, 5]
    assert it.m.pressure[0].tolist() == [needed - 1, 0]


def test_cold_weights_never_learn_even_at_saturated_pressure():
    """Deviation: the reference's COLD threshold is i32::MAX and |pressure| = i32::MAX passes it."""
    it = machine([commit(0, thr=1)], cold={0: [10, 10, 10]}, temps={0: [3, 3, 0]})
    it.m.pressure[0] = np.array([2**31 - 1, -(2**31 - 1), 2**31 - 1], np.int32)
    it.run()
    assert it.m.cold[0].values().tolist() == [10, 10, 15]
    assert it.m.pressure[0].tolist() == [2**31 - 1, -(2**31 - 1), 0]


def test_weaken_before_flip_and_neutral_and_saturation():
    it = machine([commit(0)], cold={0: [40, 5, 3, 0, 253, -255]})
    it.m.pressure[0] = np.array([-30, -30, -30, 30, 30, 30], np.int32)
    it.run()
    c = it.m.cold[0]
    assert c.pol.tolist() == [1, -1, -1, 1, 1, -1]
    assert c.mag.tolist() == [35, 5, 5, 5, 255, 250]


def test_threshold_byte_and_tiny_threshold_quirk():
    """thr = 1 makes the HOT threshold 0: every entry commits, zero pressure pushes negative."""
    it = machine([commit(0, thr=1)], cold={0: [0, 7]})
    it.m.pressure[0] = np.array([0, 0], np.int32)
    it.run()
    assert it.m.cold[0].values().tolist() == [-5, 2]


def test_commit_without_pressure_is_a_no_op_and_missing_weights_error():
    it = machine([commit(0)], cold={0: [1]})
    assert it.run().status is Status.HALT and not it.m.cold[0].dirty
    it = machine([commit(3)])
    it.m.pressure[3] = np.array([100], np.int32)
    r = it.run()
    assert r.status is Status.ERROR and r.message == "Signal register not allocated"


def test_commit_covers_the_shorter_of_pressure_and_weights():
    it = machine([commit(0)], cold={0: [1, 1]})
    it.m.pressure[0] = np.array([100, 100, 100, 100], np.int32)
    it.run()
    assert it.m.cold[0].values().tolist() == [6, 6]
    assert it.m.pressure[0].tolist() == [0, 0, 100, 100]


def test_dirty_is_set_only_when_something_committed_and_caches_are_invalidated():
    it = machine([commit(0)], cold={0: [1, 1]})
    it.m.pressure[0] = np.array([1, 1], np.int32)
    v0 = it.m.cold[0].version
    it.run()
    assert not it.m.cold[0].dirty and it.m.cold[0].version == v0
    it.m.pressure[0][:] = 30
    it.m.pc = 0
    it.run()
    assert it.m.cold[0].dirty and it.m.cold[0].version > v0
    assert it.m.cold[0].values().tolist() == [6, 6]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(-300, 3000), min_size=1, max_size=24), st.integers(-2, 2), st.integers(0, 255),
       st.integers(0, 255), st.integers(76, 255), st.data())
def test_update_and_commit_match_the_scalar_model(act, direction, scale, thr, da, data):
    n = len(act)
    w = data.draw(st.lists(st.integers(-255, 255), min_size=n, max_size=n))
    temps = data.draw(st.one_of(st.none(), st.lists(st.integers(0, 3), min_size=n, max_size=n)))
    it = machine([update(0, 0, 1, scale), update(0, 0, 1, scale), commit(0, thr)], hot={0: act, 1: [direction]},
                 cold={0: w}, temps=None if temps is None else {0: temps}, dopamine=da)
    it.run()
    eff_scale = (scale or 15) * (1 + (da - 76) // 64)
    p = model_update(model_update(None, act, int(np.sign(direction)), eff_scale), act, int(np.sign(direction)), eff_scale)
    p, pol, mag = model_commit(p, list(np.sign(w)), [min(abs(x), 255) for x in w], temps, thr or 50)
    c = it.m.cold[0]
    assert it.m.pressure[0].tolist() == p
    assert c.pol.tolist() == pol and c.mag.tolist() == mag


# ---- babble and eligibility -----------------------------------------------------------------

def test_babble_reference_vector():
    """Verified against the reference: scale 10 on zeros gives [316, 342, −35, 393, −86]."""
    it = machine([babble(0)], hot={0: [0, 0, 0, 0, 0]})
    it.m.set_babble_scale(10)
    it.run()
    assert it.m.hot[0].data.tolist() == [316, 342, -35, 393, -86]
    assert it.m.babble_phase == 1


def test_babble_phase_advances_only_for_existing_registers_and_saturates():
    it = machine([babble(0), babble(5), babble(0)], hot={0: [2**31 - 1, -(2**31)]})
    it.m.set_babble_scale(255)
    it.run()
    assert it.m.babble_phase == 2
    d = it.m.hot[0].data.tolist()
    assert d[0] == 2**31 - 1 and d[1] > -(2**31)


def test_babble_phase_changes_the_pattern():
    it = machine([babble(0), babble(1)], hot={0: [0] * 8, 1: [0] * 8})
    it.m.set_babble_scale(40)
    it.run()
    assert it.m.hot[0].data.tolist() != it.m.hot[1].data.tolist()


def test_core_mark_eligibility_is_a_no_op():
    it = machine([I(0, 0x5000, C(0), H(0), 0, 0)], hot={0: [100, 1]}, cold={0: [1, 1]})
    assert it.run().status is Status.HALT
    assert all(p is None for p in it.m.pressure) and it.m.cold[0].values().tolist() == [1, 1]


# ---- golden cases (from assembled.json, so they do not wait for the assembler) ---------------

def _golden(category: str, prefix: str):
    return sorted(p for p in (GOLDEN / category).glob(f"{prefix}*") if (p / "expected.json").exists())


def run_golden(case: Path) -> tuple[dict, dict]:
    """Run a golden case through the conformance runner with the program taken from its
    assembled.json; returns (want, got)."""
    import ternsig.asm as asm_pkg
    from ternsig.conformance import runner
    from ternsig.program import RegisterDef as RD

    a = json.loads((case / "assembled.json").read_text())

    def assemble(_src: str) -> Program:
        regs = [RD(r["id"], r["dtype"], tuple(r["shape"]), r["thermogram_key"], r["frozen"], r["allocated"])
                for r in a["registers"]]
        return Program([I(i["ext_id"], i["opcode"], *i["operands"]) for i in a["instructions"]], regs,
                       labels=dict(a["labels"]))

    real = getattr(asm_pkg, "assemble", None)
    asm_pkg.assemble = assemble
    try:
        got = runner.run_execution((case / "program.ternsig").read_text(), json.loads((case / "input.json").read_text()))
    finally:
        if real is None:
            del asm_pkg.assemble
        else:
            asm_pkg.assemble = real
    return json.loads((case / "expected.json").read_text()), got


@pytest.mark.parametrize("case", _golden("core", "core_learning__"), ids=lambda p: p.name)
def test_golden_core_learning(case):
    from ternsig.conformance.compare import first_diff

    want, got = run_golden(case)
    assert first_diff(want, got, "expected") is None
    assert got["error"] == want["error"]


def test_dirty_follows_the_reference_even_when_a_saturated_weight_cannot_move():
    """The reference marks dirty whenever an entry commits; an aligned 255 stays 255."""
    it = machine([commit(0)], cold={0: [255]})
    it.m.pressure[0] = np.array([100], np.int32)
    it.run()
    assert it.m.cold[0].values().tolist() == [255] and it.m.cold[0].dirty
    assert it.m.pressure[0].tolist() == [0]


def test_i32_min_pressure_never_commits_like_a_release_build():
    it = machine([commit(0, thr=1)], cold={0: [9, 9]})
    it.m.pressure[0] = np.array([-(2**31), -(2**31) + 1], np.int32)
    it.run()
    assert it.m.cold[0].values().tolist() == [9, 4]
    assert it.m.pressure[0].tolist() == [-(2**31), 0]
