"""Register lookup shared by the standard extensions' handlers.

Most extension instructions fail the same way when a register they read is missing — the
reference's ``"H<i> not allocated"`` / ``"C<i> not allocated"`` (compared by conformance) — so the
lookup is written once here. ``byte`` is a raw operand byte or an already-masked index: only its
low six bits are used.
"""
from __future__ import annotations

from ..errors import ExecFault
from ..vm.state import ColdBuffer, HotBuffer, Machine


def hot_reg(m: Machine, byte: int) -> HotBuffer:
    """Hot register ``byte & 0x3F``; ExecFault "H<i> not allocated" when it is missing."""
    idx = byte & 0x3F
    h = m.hot[idx]
    if h is None:
        raise ExecFault(f"H{idx} not allocated")
    return h


def cold_reg(m: Machine, byte: int) -> ColdBuffer:
    """Cold register ``byte & 0x3F``; ExecFault "C<i> not allocated" when it is missing."""
    idx = byte & 0x3F
    c = m.cold[idx]
    if c is None:
        raise ExecFault(f"C{idx} not allocated")
    return c
