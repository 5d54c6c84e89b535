"""Core structural handlers: alloc/free, wire_forward/wire_skip, grow/prune/init_random.

The reference has no assembler syntax for these (programs patch them in). Quirks kept, from
``ops_runtime.rs``/``runtime_mod.rs``:

* WIRE_FORWARD/WIRE_SKIP read the input operand C as a RAW byte index (no bank decoding); an index
  of 64 or more is simply "not allocated". Their result is stored only when the destination index
  is below 16 — otherwise it is silently dropped (the runtime helper's legacy 16-slot limit).
* WIRE_FORWARD never gates by temperature.
* INIT_RANDOM on a missing register is a silent no-op.
"""
from __future__ import annotations

import numpy as np

from ...errors import ExecFault
from ...kernels import matmul as mm
from ...kernels import structure as st
from ...vm.state import ColdBuffer, HotBuffer, Machine
from .ops_ternary import check_core_weights, weight_dims
from .table import CORE

LEGACY_SLOTS = 16


def wire_forward(w: ColdBuffer, x: np.ndarray) -> HotBuffer:
    """Ungated ``W @ x`` over ``min(in, len x)`` inputs, clamped; the loop indexes weights unchecked."""
    out, inn = weight_dims(w, "Weights must be 2D")
    k = min(inn, len(x))
    check_core_weights(w, out, inn, k)
    return HotBuffer(mm.ungated(w, out, inn, x[:k].astype(np.int64)), (out,))


@CORE.implements("alloc_tensor")
def op_alloc_tensor(m: Machine, a: int, b: int, c: int, d: int) -> None:
    st.alloc_register(m, a, st.alloc_shape(b, (c << 8) | d))


@CORE.implements("free_tensor")
def op_free_tensor(m: Machine, a: int, b: int, c: int, d: int) -> None:
    st.free_register(m, a)


@CORE.implements("wire_forward")
def op_wire_forward(m: Machine, a: int, b: int, c: int, d: int) -> None:
    wi = b & 0x3F
    w = m.cold[wi]
    if w is None:
        raise ExecFault(f"Cold register C{wi} not allocated")
    weight_dims(w, "Weights must be 2D")
    x = m.hot[c] if c < len(m.hot) else None
    if x is None:
        raise ExecFault(f"Hot register H{c} not allocated")
    res = wire_forward(w, x.data)
    if (a & 0x3F) < LEGACY_SLOTS:
        m.hot[a & 0x3F] = res


@CORE.implements("wire_skip")
def op_wire_skip(m: Machine, a: int, b: int, c: int, d: int) -> None:
    si = b & 0x3F
    x1 = m.hot[si]
    if x1 is None:
        raise ExecFault(f"Hot register H{si} not allocated")
    x2 = m.hot[c] if c < len(m.hot) else None
    if x2 is None:
        raise ExecFault(f"Hot register H{c} not allocated")
    res = st.broadcast_skip(x1, x2)
    if (a & 0x3F) < LEGACY_SLOTS:
        m.hot[a & 0x3F] = res


@CORE.implements("grow_neuron")
def op_grow_neuron(m: Machine, a: int, b: int, c: int, d: int) -> None:
    if c == 0:
        raise ExecFault("Cannot grow by 0 neurons")
    idx = a & 0x3F
    buf = m.cold[idx]
    if buf is None:
        raise ExecFault(f"Cold register C{idx} not allocated")
    st.grow_neurons(buf, c, d)


@CORE.implements("prune_neuron")
def op_prune_neuron(m: Machine, a: int, b: int, c: int, d: int) -> None:
    idx = a & 0x3F
    buf = m.cold[idx]
    if buf is None:
        raise ExecFault(f"Cold register C{idx} not allocated")
    st.prune_neuron(buf, c)


@CORE.implements("init_random")
def op_init_random(m: Machine, a: int, b: int, c: int, d: int) -> None:
    st.init_random(m.cold[a & 0x3F], d)
