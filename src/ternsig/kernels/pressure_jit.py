"""Compiled (Numba) forms of the mastery pressure kernels in :mod:`.pressure`.

Same integer arithmetic, one pass over the weights instead of a dozen NumPy temporaries: a mastery
update + commit over 64×64 weights costs a few microseconds here against ~150 µs in NumPy.
:mod:`.pressure` uses them only once :data:`READY` is set — the compiled tier's background loader
(vm/compiled/warm.py) compiles or loads them with the run loop — so no instruction ever waits for
a compile, and ``TERNSIG_TIER=interp`` keeps the NumPy kernels. A property test checks both forms
against each other (tests/kernels/test_pressure_jit.py).
"""
from __future__ import annotations

import numpy as np
from numba import njit

#: set by the compiled tier's loader once both kernels are compiled (or loaded from the disk cache)
READY = False

_I32_MAX = 2147483647
_I32_MIN = -2147483648


@njit(cache=True, nogil=True)
def mastery_accumulate(old, fresh, act, direction, scale, threshold_div):
    """The new pressure vector: ``old`` (ignored when ``fresh``) plus one mastery update's
    increments (``pressure.mastery_pressure_delta``), saturated to i32. ``threshold_div`` > 0."""
    n = act.shape[0]
    peak = np.int64(1)
    if n > 0:
        peak = np.int64(act[0])
        for i in range(1, n):
            if act[i] > peak:
                peak = np.int64(act[i])
        if peak < 1:
            peak = 1
    thr = peak // threshold_div
    out = np.empty(n, np.int32)
    for i in range(n):
        base = np.int64(0) if fresh else np.int64(old[i])
        a = np.int64(act[i])
        delta = np.int64(0)
        if a > thr:
            v = direction * (((a - thr) * 256) // peak) * scale
            q = (-v) // 256 if v < 0 else v // 256     # Rust `/` truncates toward zero
            delta = -q if v < 0 else q
        s = base + delta
        if s > _I32_MAX:
            s = _I32_MAX
        elif s < _I32_MIN:
            s = _I32_MIN
        out[i] = s
    return out


@njit(cache=True, nogil=True)
def mastery_commit(p, pol, mag, temps, has_temps, k, base, step):
    """``pressure.commit_pressure`` over the first ``k`` weights, in place: step every weight whose
    |pressure| reached its temperature's threshold (weaken before flip), zero its pressure.
    Returns whether any weight was stepped. ``base`` > 0."""
    hot_thr = base // 2
    nt = temps.shape[0]
    any_sel = False
    for i in range(k):
        pk = np.int64(p[i])
        if pk == _I32_MIN:
            continue                            # i32::abs wraps: never reaches a threshold
        mg = pk if pk >= 0 else -pk
        if has_temps:
            t = np.int64(temps[i]) if i < nt else np.int64(0)
            if t >= 3:
                continue                        # COLD never learns
            mult = np.int64(1) if t == 0 else (np.int64(2) if t == 1 else np.int64(4))
            thr = (base * mult) // 2
        else:
            thr = hot_thr
        if mg < thr:
            continue
        any_sel = True
        needed = 1 if pk > 0 else -1
        pv = np.int64(pol[i])
        m = np.int64(mag[i])
        if pv == needed:
            m = m + step
            if m > 255:
                m = 255
        elif pv != 0 and m > step:
            m = m - step
        else:
            pol[i] = needed
            m = step
        mag[i] = m
        p[i] = 0
    return any_sel


def warm_up() -> None:
    """Compile (or load) both kernels with the argument types the machine passes, then set READY."""
    global READY
    p = np.zeros(2, np.int32)
    act = np.array([3, 1], np.int32)
    mastery_accumulate(p, True, act, 1, 15, 4)
    mastery_accumulate(p, False, act, -1, 15, 4)
    mastery_commit(p, np.zeros(2, np.int8), np.zeros(2, np.uint8), np.zeros(0, np.uint8), False, 2, 50, 5)
    READY = True
