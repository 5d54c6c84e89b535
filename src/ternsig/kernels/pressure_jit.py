"""Compiled (Numba) forms of the mastery pressure kernels in :mod:`.pressure`.

Same integer arithmetic, one pass over the weights instead of a dozen NumPy temporaries: a mastery
update + commit over 64×64 weights costs a few microseconds here against ~150 µs in NumPy.
:mod:`.pressure` uses them only once :data:`READY` is set — the compiled tier's background loader
(vm/compiled/warm.py) compiles or loads them with the run loop — so no instruction ever waits for
a compile, and ``TERNSIG_TIER=interp`` keeps the NumPy kernels. A property test checks both forms
against each other (tests/kernels/test_pressure_jit.py).
"""
from __future__ import annotations

#: set by the compiled tier's loader once both kernels are compiled (or loaded from the disk cache)
READY = False

import numpy as np  # noqa: E402  (READY exists before the slow imports: see pressure._jit)
from numba import njit  # noqa: E402

_I32_MAX = 2147483647
_I32_MIN = -2147483648


@njit(cache=True, nogil=True)
def mastery_accumulate(old, fresh, act, direction, scale, threshold_div):
    """The new pressure vector: ``old`` (ignored when ``fresh``) plus one mastery update's
    increments (``pressure.mastery_pressure_delta``), saturated to i32. ``threshold_div`` > 0.

    Branch-free per weight: the floor division by the peak is a float multiply by its reciprocal
    (exact to within one: the dividend is below 2^41) corrected by one integer check each way."""
    n = act.shape[0]
    peak = np.int64(1)
    if n > 0:
        peak = np.int64(act[0])
        for i in range(1, n):
            v = np.int64(act[i])
            peak = v if v > peak else peak
        if peak < 1:
            peak = 1
    thr = peak // threshold_div
    inv = 1.0 / np.float64(peak)
    out = np.empty(n, np.int32)
    for i in range(n):
        a = np.int64(act[i])
        live = a > thr
        x = (a - thr) * 256 if live else np.int64(0)
        q = np.int64(np.float64(x) * inv)
        q = q - 1 if q * peak > x else q
        q = q + 1 if (q + 1) * peak <= x else q
        v = direction * q * scale
        delta = (v >> 8) if v >= 0 else -((-v) >> 8)      # Rust `/ 256` truncates toward zero
        s = (np.int64(0) if fresh else np.int64(old[i])) + delta
        s = _I32_MAX if s > _I32_MAX else s
        s = _I32_MIN if s < _I32_MIN else s
        out[i] = s
    return out


@njit(cache=True, nogil=True)
def mastery_commit(p, pol, mag, temps, has_temps, k, base, step):
    """``pressure.commit_pressure`` over the first ``k`` weights, in place: step every weight whose
    |pressure| reached its temperature's threshold (weaken before flip), zero its pressure.
    Returns whether any weight was stepped. ``base`` > 0. Written as selects, not branches: which
    weights commit is data (random-looking), and mispredicted branches cost more than the work."""
    hot_thr = base // 2
    nt = temps.shape[0] if has_temps else 0
    hits = 0
    for i in range(k):
        pk = np.int64(p[i])
        mg = pk if pk >= 0 else -pk                 # i32::MIN: -pk is 2^31, kept out below
        thr = hot_thr
        if i < nt:
            t = np.int64(temps[i])
            t = t if t < 3 else np.int64(3)
            # HOT base/2, WARM base, COOL 2·base; COLD (3 and above) never reaches its threshold
            thr = (base * (np.int64(1) << t)) // 2 if t < 3 else np.int64(1) << 40
        sel = mg >= thr and pk != _I32_MIN
        needed = np.int64(1) if pk > 0 else np.int64(-1)
        pv = np.int64(pol[i])
        m = np.int64(mag[i])
        aligned = pv == needed
        weaken = pv != needed and pv != 0 and m > step
        up = m + step
        new_m = (up if up < 255 else np.int64(255)) if aligned else (m - step if weaken else step)
        new_p = pv if (aligned or weaken) else needed
        mag[i] = new_m if sel else m
        pol[i] = new_p if sel else pv
        p[i] = 0 if sel else p[i]
        hits += 1 if sel else 0
    return hits > 0


def warm_up() -> None:
    """Compile (or load) both kernels with the argument types the machine passes, then set READY."""
    global READY
    p = np.zeros(2, np.int32)
    act = np.array([3, 1], np.int32)
    mastery_accumulate(p, True, act, 1, 15, 4)
    mastery_accumulate(p, False, act, -1, 15, 4)
    mastery_commit(p, np.zeros(2, np.int8), np.zeros(2, np.uint8), np.zeros(0, np.uint8), False, 2, 50, 5)
    READY = True
