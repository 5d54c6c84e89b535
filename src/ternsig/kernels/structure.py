"""Structural plasticity helpers: the reference LCG, grow, prune, allocate and skip-wiring.

Core structural opcodes and the ``arch`` extension share these; they differ only in which register
slots they may reach and in their error texts, so each helper takes the texts it needs.

The LCG (``INIT_RANDOM`` / ``GROW_NEURON``) is ``s = s*6364136223846793005 + 1 mod 2**64``, advanced
before each weight, ``r = s >> 33``; polarity ``[-1, 0, +1][r % 3]``, magnitude ``(r >> 2) % 200 + 30``.
It is evaluated for all weights at once with jump-ahead: after ``k`` steps the state is
``A_k*s0 + C_k`` where ``(A_k, C_k)`` compose by doubling, so no per-weight Python loop runs.
"""
from __future__ import annotations

from typing import Optional

import numpy as np

from ..errors import ExecFault, PanicFault
from ..intmath import sat_i32_arr
from ..vm.state import HOT, MAX_REGISTER_ELEMENTS, ColdBuffer, HotBuffer

LCG_MUL = 6364136223846793005
LCG_INC = 1
_MASK64 = (1 << 64) - 1

# jump-ahead tables are cached up to this many steps (grown on demand, 2 * 8 bytes per step)
_TABLE_CACHE_MAX = 1 << 20
_table_a = np.array([LCG_MUL], np.uint64)
_table_c = np.array([LCG_INC], np.uint64)


def _jump_tables(n: int) -> tuple[np.ndarray, np.ndarray]:
    """(A_k, C_k) for k = 1..n such that state_k = A_k*seed + C_k (mod 2**64)."""
    global _table_a, _table_c
    a, c = _table_a, _table_c
    while len(a) < n:
        m = len(a)
        am, cm = a[m - 1], c[m - 1]
        # state_{k+m} = A_m*state_k + C_m (uint64 array arithmetic wraps mod 2**64)
        a = np.concatenate((a, a * am))
        c = np.concatenate((c, c * am + cm))
    if len(a) <= _TABLE_CACHE_MAX and len(a) > len(_table_a):
        _table_a, _table_c = a, c
    return a[:n], c[:n]


def lcg_signals(seed: int, n: int) -> tuple[np.ndarray, np.ndarray]:
    """The first ``n`` (polarity int8, magnitude uint8) signals the reference LCG draws from ``seed``."""
    if n <= 0:
        return np.zeros(0, np.int8), np.zeros(0, np.uint8)
    a, c = _jump_tables(n)
    states = a * np.uint64(seed & _MASK64) + c
    r = states >> np.uint64(33)
    pol = (r % np.uint64(3)).astype(np.int8) - np.int8(1)
    mag = ((r >> np.uint64(2)) % np.uint64(200) + np.uint64(30)).astype(np.uint8)
    return pol, mag


# ---- allocation ---------------------------------------------------------------------------------

def alloc_shape(dim0: int, dim1: int) -> tuple[int, ...]:
    """ALLOC_TENSOR's shape: [d0] when d1 is 0, else [d0, d1]."""
    return (dim0,) if dim1 == 0 else (dim0, dim1)


def alloc_register(m, reg: int, shape: tuple[int, ...]) -> None:
    """Allocate hot or cold register ``reg`` (byte) zeroed; the reference's texts on failure."""
    bank, idx = reg >> 6, reg & 0x3F
    if bank == 0:
        if m.hot[idx] is not None:
            raise ExecFault(f"Hot register H{idx} already allocated")
        m.hot[idx] = HotBuffer.zeros(shape)
    elif bank == 1:
        if m.cold[idx] is not None:
            raise ExecFault(f"Cold register C{idx} already allocated")
        m.cold[idx] = ColdBuffer.zeros(shape)
    else:
        raise ExecFault(f"Cannot allocate register Register({reg}) - must be Hot or Cold")


def free_register(m, reg: int) -> None:
    bank, idx = reg >> 6, reg & 0x3F
    if bank == 0:
        if m.hot[idx] is None:
            raise ExecFault(f"Hot register H{idx} not allocated")
        m.hot[idx] = None
    elif bank == 1:
        if m.cold[idx] is None:
            raise ExecFault(f"Cold register C{idx} not allocated")
        m.cold[idx] = None
    else:
        raise ExecFault(f"Cannot free register Register({reg}) - must be Hot or Cold")


# ---- grow / prune / init ------------------------------------------------------------------------

def init_random(buf: Optional[ColdBuffer], seed: int) -> None:
    """Refill every weight of ``buf`` from the LCG (a missing register is a silent no-op)."""
    if buf is None:
        return
    buf.pol, buf.mag = lcg_signals(seed, len(buf.pol))
    buf.touch()


def grow_neurons(buf: ColdBuffer, count: int, seed: int) -> None:
    """Append ``count`` neurons: one element each (1-D) or one row each (2-D).

    The LCG starts at ``seed + current weight count``; a temperature array is extended with HOT.
    Callers check ``count == 0`` and a missing register first (the reference's order).
    """
    nd = len(buf.shape)
    if nd < 1:
        raise ExecFault("Cannot grow empty register")
    if nd == 1:
        new_shape: tuple[int, ...] = (buf.shape[0] + count,)
        n_new = count
    elif nd == 2:
        new_shape = (buf.shape[0] + count, buf.shape[1])
        n_new = count * buf.shape[1]
    else:
        raise ExecFault(f"Cannot grow {nd}D register, only 1D or 2D supported")
    if len(buf.pol) + n_new > MAX_REGISTER_ELEMENTS:
        raise PanicFault(f"grow would make the register hold {len(buf.pol) + n_new:,} elements; "
                         f"the limit is {MAX_REGISTER_ELEMENTS:,}")
    pol, mag = lcg_signals(seed + len(buf.pol), n_new)
    buf.pol = np.concatenate((buf.pol, pol))
    buf.mag = np.concatenate((buf.mag, mag))
    buf.shape = new_shape
    if buf.temps is not None:
        extra = len(buf.pol) - len(buf.temps)
        if extra < 0:
            raise PanicFault("attempt to subtract with overflow (temperature array longer than weights)")
        buf.temps = np.concatenate((buf.temps, np.full(extra, HOT, np.uint8)))
    buf.touch()


def prune_neuron(buf: ColdBuffer, idx: int) -> None:
    """Remove element ``idx`` (1-D) or row ``idx`` (2-D), with the reference's checks and texts."""
    nd = len(buf.shape)
    if nd == 1:
        size = buf.shape[0]
        if idx >= size:
            raise ExecFault(f"Neuron index {idx} out of bounds (size {size})")
        if size <= 1:
            raise ExecFault("Cannot prune last neuron")
        if idx >= len(buf.pol):
            raise PanicFault(f"removal index (is {idx}) should be < len (is {len(buf.pol)})")
        keep = np.ones(len(buf.pol), bool)
        keep[idx] = False
        buf.pol, buf.mag = buf.pol[keep], buf.mag[keep]
        buf.shape = (size - 1,)
        if buf.temps is not None and idx < len(buf.temps):
            buf.temps = np.delete(buf.temps, idx)
    elif nd == 2:
        out_dim, in_dim = buf.shape
        if idx >= out_dim:
            raise ExecFault(f"Neuron index {idx} out of bounds (out_dim {out_dim})")
        if out_dim <= 1:
            raise ExecFault("Cannot prune last neuron")
        start, end = idx * in_dim, (idx + 1) * in_dim
        if end > len(buf.pol) or (buf.temps is not None and end > len(buf.temps)):
            raise PanicFault(f"range end index {end} out of range for slice of length {len(buf.pol)}")
        buf.pol = np.concatenate((buf.pol[:start], buf.pol[end:]))
        buf.mag = np.concatenate((buf.mag[:start], buf.mag[end:]))
        buf.shape = (out_dim - 1, in_dim)
        if buf.temps is not None:
            buf.temps = np.concatenate((buf.temps[:start], buf.temps[end:]))
    else:
        raise ExecFault(f"Cannot prune {nd}D register, only 1D or 2D supported")
    buf.touch()


# ---- skip wiring ----------------------------------------------------------------------------------

def broadcast_skip(a: HotBuffer, b: HotBuffer) -> HotBuffer:
    """``out[i] = a[i % len a] + b[i % len b]`` saturating, length max(len), shape of ``a``.

    The reference computes ``i % len`` unguarded, so an empty side with a non-empty other panics.
    """
    la, lb = len(a.data), len(b.data)
    n = max(la, lb)
    if n and (la == 0 or lb == 0):
        raise PanicFault("attempt to calculate the remainder with a divisor of zero")
    ia = np.arange(n) % la if n else np.zeros(0, np.intp)
    ib = np.arange(n) % lb if n else np.zeros(0, np.intp)
    s = a.data.astype(np.int64)[ia] + b.data.astype(np.int64)[ib]
    return HotBuffer(sat_i32_arr(s), a.shape)
