"""Mastery pressure kernels (accumulate, commit, update), shared by the core ISA and the
learning extension (0x0004).

Pressure lives in ``machine.pressure[i]`` (int32, one slot per cold register index, all 64 of
them — the reference keeps 16 and panics past C15, see docs/deviations.md). Pressure
entry ``i`` maps to the *flat* weight index ``i``; a pressure vector is created on first use and
replaced by zeros whenever an op brings a vector of another length, as the reference does.

Every kernel is whole-array NumPy: integer-exact with the reference's i64/i32 arithmetic.
"""
from __future__ import annotations

import sys
from typing import Any, Optional

import numpy as np

from ..errors import ExecFault
from ..intmath import I32_MAX, I32_MIN, sat_i32_arr, tdiv_arr
from ..vm.state import ColdBuffer, Machine
from ..plasticity.temperature import _temps_of, learning_thresholds

__all__ = ["add_pressure", "accumulate_mastery", "mastery_pressure_delta", "weaken_before_flip",
           "commit_pressure", "apply_pressure_update"]


_NO_I32 = np.zeros(0, np.int32)
_NO_U8 = np.zeros(0, np.uint8)
_JIT_NAME = __name__.rsplit(".", 1)[0] + ".pressure_jit"


def _jit() -> Optional[Any]:
    """The compiled kernels once the compiled tier's loader made them ready, else None (the
    NumPy kernels below run; they are the reference form)."""
    mod = sys.modules.get(_JIT_NAME)
    # the loader thread may be importing it right now: a partly initialised module is not ready
    return mod if mod is not None and getattr(mod, "READY", False) else None


def add_pressure(m: Machine, idx: int, delta: np.ndarray) -> np.ndarray:
    """``pressure[idx] = saturating_add(pressure[idx], delta)``; the slot is created, or reset to
    zeros when its length differs from ``delta``'s."""
    p = m.pressure[idx]
    if p is None or len(p) != len(delta):
        p = np.zeros(len(delta), np.int32)
    p = sat_i32_arr(p.astype(np.int64) + delta)
    m.pressure[idx] = p
    return p


def mastery_pressure_delta(activity: np.ndarray, direction: int, scale: int, threshold_div: int = 4) -> np.ndarray:
    """Pressure increments of one mastery update (int64, the activity's length).

    Peak-relative participation: only activity above ``max/threshold_div`` counts, with strength
    ``(act − thr)·256/max`` and increment ``sign(direction)·strength·scale/256`` (truncating).
    """
    act = activity.astype(np.int64)
    peak = max(int(act.max()) if len(act) else 1, 1)
    thr = peak // threshold_div                      # peak ≥ 1 and div > 0: floor == trunc
    live = act > thr
    strength = (act - thr) * 256 // peak             # only used where act > thr, i.e. ≥ 0
    delta = tdiv_arr(direction * strength * scale, 256)
    return np.where(live, delta, 0)


def accumulate_mastery(m: Machine, w_idx: int, act_idx: int, dir_idx: int, scale_byte: int,
                       threshold_div: int = 4) -> None:
    """MASTERY_UPDATE: dopamine-gated pressure accumulation for cold ``w_idx``."""
    if not m.chem.learning_enabled():
        return
    scale = (scale_byte if scale_byte > 0 else 15) * m.chem.dopamine_scale()
    act = m.hot[act_idx]
    if act is None:
        raise ExecFault("Activity register not allocated")
    d = m.hot[dir_idx]
    if d is None:
        raise ExecFault("Direction register not allocated")
    jit = _jit()
    if jit is not None and threshold_div > 0:
        a = act.peek()
        dv = d.peek()
        if a.dtype == np.int32 and a.flags.c_contiguous:
            direction = (1 if dv[0] > 0 else -1 if dv[0] < 0 else 0) if len(dv) else 0
            p = m.pressure[w_idx]
            fresh = p is None or len(p) != len(a) or p.dtype != np.int32
            m.pressure[w_idx] = jit.mastery_accumulate(_NO_I32 if fresh else p, fresh, a, direction, scale,
                                                       threshold_div)
            return
    direction = int(np.sign(d.data[0])) if len(d.data) else 0
    add_pressure(m, w_idx, mastery_pressure_delta(act.data, direction, scale, threshold_div))


def weaken_before_flip(buf: ColdBuffer, sel: np.ndarray, needed: np.ndarray, step: int) -> None:
    """Apply one structural step to the selected weights (``sel`` covers the first ``len(sel)``).

    Aligned polarity: magnitude += step (saturating). Zero polarity: take the needed polarity at
    magnitude ``step``. Opposed with magnitude > step: weaken only. Otherwise flip at ``step``.
    Polarity is structural: it changes only once the magnitude is spent.
    """
    k = len(sel)
    pol = buf.pol[:k]
    mag = buf.mag[:k].astype(np.int64)
    p64 = pol.astype(np.int64)
    aligned = sel & (p64 == needed)
    neutral = sel & (p64 == 0)
    opposed = sel & ~aligned & ~neutral
    weaken = opposed & (mag > step)
    reset = neutral | (opposed & ~weaken)
    new_mag = np.where(aligned, np.minimum(mag + step, 255), np.where(weaken, mag - step, np.where(reset, step, mag)))
    buf.mag[:k] = new_mag.astype(np.uint8)
    buf.pol[:k] = np.where(reset, needed, p64).astype(np.int8)


def commit_pressure(m: Machine, w_idx: int, threshold_byte: int, step: int = 5) -> bool:
    """MASTERY_COMMIT: turn pressure past the temperature-scaled threshold into weight steps.

    Threshold = ``base·mult/2`` (base D or 50): HOT 25, WARM 50, COOL 100, COLD never. Committed
    entries reset to 0; the rest keep accumulating. Returns whether any weight was stepped.
    """
    p = m.pressure[w_idx]
    if p is None:
        return False
    buf = m.cold[w_idx]
    if buf is None:
        raise ExecFault("Signal register not allocated")
    k = min(len(p), len(buf))
    if k == 0:
        return False
    base = threshold_byte if threshold_byte > 0 else 50
    jit = _jit()
    if jit is not None and base > 0:
        pol, mag, temps = buf.pol, buf.mag, buf.temps
        if (p.dtype == np.int32 and pol.dtype == np.int8 and mag.dtype == np.uint8
                and p.flags.c_contiguous and pol.flags.c_contiguous and mag.flags.c_contiguous
                and pol.flags.writeable and mag.flags.writeable and p.flags.writeable
                and (temps is None or (temps.dtype == np.uint8 and temps.flags.c_contiguous))):
            if not jit.mastery_commit(p, pol, mag, _NO_U8 if temps is None else temps, temps is not None,
                                      k, base, step):
                return False
            buf.touch()
            return True
    pk = p[:k].astype(np.int64)
    # i32::abs wraps i32::MIN to itself in a release build: it never reaches the threshold
    mag = np.where(pk == I32_MIN, I32_MIN, np.abs(pk))
    if buf.temps is None:               # all HOT: one scalar threshold (the common case)
        sel = mag >= base // 2
    else:
        eff = learning_thresholds(base, _temps_of(buf, k))
        sel = (mag >= eff) & (eff != I32_MAX)
    if not sel.any():
        return False
    weaken_before_flip(buf, sel, np.where(pk > 0, 1, -1), step)
    p[:k][sel] = 0
    buf.touch()
    return True


def apply_pressure_update(m: Machine, w_idx: int) -> None:
    """UPDATE_WEIGHTS: scale pressure by error and dopamine, step where |scaled| > 30, zero all
    pressure. Dopamine-gated."""
    if not m.chem.learning_enabled():
        return
    es = min(max(int(m.current_error), 1), 1000)
    ds = m.chem.dopamine_scale()
    p = m.pressure[w_idx]
    if p is None:
        return
    buf = m.cold[w_idx]
    if buf is None:
        raise ExecFault(f"C{w_idx} not allocated")
    k = min(len(p), len(buf))
    scaled = tdiv_arr(p[:k].astype(np.int64) * (es * ds), 256 * 256)
    sel = np.abs(scaled) > 30
    if sel.any():
        weaken_before_flip(buf, sel, np.where(scaled > 0, 1, -1), 3)
        buf.touch()
    p[:] = 0
