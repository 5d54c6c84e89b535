"""Core register-management handlers: load_input, store_output, copy_reg, zero_reg, load_target, set.

None of these can fail in the reference: a missing source is a silent no-op, and a bank mismatch
(copy/zero on a non-hot register byte) does nothing. Every write stores a fresh array, so no two
registers (or a register and a machine buffer) ever share storage.
"""
from __future__ import annotations

import numpy as np

from ...vm.state import SMALL, HotBuffer, hot_of

_new_hot = object.__new__
from .table import CORE


@CORE.implements("load_input")
def load_input(m, a, b, c, d):
    """H[A] = input buffer, shape [len] (replaces any declared shape)."""
    data = m.input.copy()
    m.hot[a & 0x3F] = HotBuffer(data, (len(data),))


@CORE.implements("store_output")
def store_output(m, a, b, c, d):
    """Output buffer = H[B].data; a missing register leaves the output alone."""
    h = m.hot[b & 0x3F]
    if h is not None:
        t = h._t
        m.output = np.array(t, np.int32) if t is not None else h._a.copy()


@CORE.implements("zero_reg")
def zero_reg(m, a, b, c, d):
    """Fill H[A] with zeros, keeping its shape; only when A is a hot register byte."""
    if a >> 6 == 0:
        h = m.hot[a]
        if h is not None:
            n = len(h)
            m.hot[a] = hot_of((0,) * n, h.shape) if n <= SMALL else HotBuffer(np.zeros(n, np.int32), h.shape)


@CORE.implements("copy_reg")
def copy_reg(m, a, b, c, d):
    """H[A] = clone of H[B]; both bytes must name hot registers, a missing source is a no-op."""
    if a >> 6 == 0 and b >> 6 == 0:
        src = m.hot[b]
        if src is not None:
            m.hot[a] = src.copy()


@CORE.implements("load_target")
def load_target(m, a, b, c, d):
    """H[A] = target buffer, shape [len]."""
    data = m.target.copy()
    m.hot[a & 0x3F] = HotBuffer(data, (len(data),))


@CORE.implements("set")
def set_const(m, a, b, c, d):
    """H[A] = [C:D] as an unsigned 16-bit value (``set H0, -5`` loads 65531)."""
    m.hot[a & 0x3F] = hot_of(((c << 8) | d,), (1,))


def _specialise_set(m, a, b, c, d):
    ai, vals, shape = a & 0x3F, ((c << 8) | d,), (1,)

    def set_() -> None:
        h = _new_hot(HotBuffer)                  # hot_of inlined
        h._a = None
        h._t = vals
        h.shape = shape
        m.hot[ai] = h

    return set_


set_const.specialise = _specialise_set
