"""Babble: deterministic exploration noise, scaled by ``babble_scale``.

The pattern is a function of the element index and a phase counter, so a run is reproducible
bit for bit. For element ``i`` at phase ``φ`` with ``base = babble_scale·50``::

    factor = 77 + (7φ + 13i) mod 179
    sign   = +1 if (7i + φ/10) mod 5 < 3 else −1
    x     += sign·(base·factor/255) + base/3        (saturating i32)

The ``+ base/3`` bias keeps babble mostly excitatory, so ReLU layers stay alive while exploring.
"""
from __future__ import annotations

import numpy as np

from ..intmath import sat_i32_arr, tdiv, tdiv_arr
from ..vm.state import Machine

__all__ = ["babble_noise", "apply_babble", "decay_babble_scale"]


def babble_noise(n: int, scale: int, phase: int) -> np.ndarray:
    """The babble added to ``n`` elements at ``phase`` (int64)."""
    base = int(scale) * 50
    i = np.arange(n, dtype=np.int64)
    factor = 77 + (phase * 7 + i * 13) % 179
    sign = np.where((i * 7 + phase // 10) % 5 < 3, 1, -1)
    return sign * tdiv_arr(base * factor, 255) + tdiv(base, 3)


def apply_babble(m: Machine, idx: int) -> None:
    """ADD_BABBLE on hot register ``idx``; the phase advances once, only if the register exists."""
    buf = m.hot[idx]
    if buf is None:
        return
    buf.data = sat_i32_arr(buf.data.astype(np.int64) + babble_noise(len(buf.data), m.babble_scale, m.babble_phase))
    m.babble_phase += 1


def decay_babble_scale(m: Machine) -> None:
    """DECAY_BABBLE: ``scale = scale·245/256`` (about 96% kept per call)."""
    m.babble_scale = tdiv(int(m.babble_scale) * 245, 256)
