"""Register I/O for hosts: how a fulfilled DomainOp reads and writes a machine's registers.

Conventions (the reference's): reads of the world write ``H[target]``, writes to the world read
``H[source]``. Fixed-size results (a level, a count, an id pair) are written into the first
elements of an existing target register, keeping its shape; variable-length payloads (a field
slice, a message, query results) replace the register with a new ``[n]`` buffer.
"""
from __future__ import annotations

from typing import Iterable

import numpy as np

from ..errors import HostError
from ..intmath import I32_MAX, I32_MIN, sat_i32_arr
from ..isa.encoding import COLD_REGS, HOT_REGS, reg_name
from ..vm.state import ColdBuffer, HotBuffer, Machine


def _as_i32(values: Iterable[int]) -> np.ndarray:
    """A new int32 array (never the caller's): the values saturated to i32."""
    if type(values) is list and len(values) <= 64 and all(type(v) is int for v in values):
        # a short list of Python ints (a DomainOp's result): saturate in Python, one conversion
        return np.array([I32_MIN if v < I32_MIN else I32_MAX if v > I32_MAX else v for v in values], np.int32)
    arr = np.asarray(list(values) if not isinstance(values, np.ndarray) else values, dtype=np.int64).ravel()
    return sat_i32_arr(arr)


def hot_index(op: str, reg: int, role: str) -> int:
    if reg >> 6 != HOT_REGS:
        raise HostError(f"{op}: {role} register {reg_name(reg)} is not a hot register")
    return reg & 0x3F


def read_hot(m: Machine, op: str, reg: int, role: str = "source") -> np.ndarray:
    """The data of hot register ``reg`` (int32 view); a clear HostError when it is missing."""
    idx = hot_index(op, reg, role)
    h = m.hot[idx]
    if h is None:
        raise HostError(f"{op}: {role} register {reg_name(reg)} is not allocated")
    return h.data


def peek_hot(m: Machine, op: str, reg: int, role: str = "source") -> np.ndarray:
    """:func:`read_hot` for a caller that reads the values now and keeps neither them nor the
    array: a compiled-tier register then stays in place (``HotBuffer.peek``; ``.data`` would hand
    its memory out and make the loop move the register at its next write)."""
    idx = hot_index(op, reg, role)
    h = m.hot[idx]
    if h is None:
        raise HostError(f"{op}: {role} register {reg_name(reg)} is not allocated")
    return h.peek()


def read_scalar(m: Machine, op: str, reg: int, index: int = 0, role: str = "source") -> int:
    data = peek_hot(m, op, reg, role)
    if index >= len(data):
        raise HostError(f"{op}: {role} register {reg_name(reg)} has {len(data)} elements, needs index {index}")
    return int(data[index])


def write_prefix(m: Machine, op: str, reg: int, values: Iterable[int], role: str = "target") -> None:
    """Write ``values`` into the first elements of ``H[reg]`` (allocating ``[n]`` if missing or short)."""
    idx = hot_index(op, reg, role)
    h = m.hot[idx]
    if isinstance(values, (list, tuple)) and len(values) <= 4 and h is not None and len(h.data) >= len(values):
        # fast path for the common fixed-size result (a level, a count, an id pair): the NumPy
        # conversion below costs ~4 µs, most of a DomainOp round trip
        data = h.data
        for i, v in enumerate(values):
            v = int(v)
            data[i] = I32_MIN if v < I32_MIN else I32_MAX if v > I32_MAX else v
        return
    vals = _as_i32(values)
    if h is None or len(h.data) < len(vals):
        m.hot[idx] = HotBuffer(vals, (len(vals),))
    else:
        h.data[: len(vals)] = vals


def write_vector(m: Machine, op: str, reg: int, values: Iterable[int], role: str = "target") -> None:
    """Replace ``H[reg]`` with ``values`` (shape ``[n]``)."""
    idx = hot_index(op, reg, role)
    vals = _as_i32(values)
    m.hot[idx] = HotBuffer(vals, (len(vals),))


def cold_buffer(m: Machine, op: str, reg: int) -> ColdBuffer:
    if reg >> 6 != COLD_REGS:
        raise HostError(f"{op}: register {reg_name(reg)} is not a cold register")
    c = m.cold[reg & 0x3F]
    if c is None:
        raise HostError(f"{op}: cold register {reg_name(reg)} is not allocated")
    return c
