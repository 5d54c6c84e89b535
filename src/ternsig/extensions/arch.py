"""The arch extension (0x0006, ``tvmr.arch``): structural plasticity — allocate, wire, grow, prune,
define layers, freeze, and ask the host for dynamic registers.

Same algorithms as the core structural ops (``kernels.structure``) with the extension's
differences, as in the reference (``extensions/arch.rs``):

* every one of the 64 slots is reachable (no 16-slot limit on wiring results);
* missing registers fail with "H<i> not allocated" / "C<i> not allocated";
* WIRE_FORWARD/WIRE_SKIP read the input operand C as a RAW index into the 64 hot slots: the
  reference indexes its slot array with it unchecked and panics for C >= 64 (we trap);
* GROW checks ``count == 0`` before the register; INIT_RANDOM on a missing register is a no-op;
* DEFINE_LAYER takes the cold index as ``A & 0x3F`` and allocates [out, in];
* ALLOC_DYNAMIC / FREE_DYNAMIC yield AllocRegister / FreeRegister to the host.

Layers (seed 003): topology (alloc, free, wire, define_layer, set_activation, dynamic registers)
is boot (L1); neuron growth/pruning, re-initialisation and (un)freezing are evolutionary (L2).
"""
from __future__ import annotations

import numpy as np

from ..errors import ExecFault, PanicFault
from ..vm.domainops import make
from ..isa.spec import ExtensionTable, Layer
from ..kernels import matmul as mm
from ..kernels import structure as st
from ..vm.state import COLD, HOT, NREGS, ColdBuffer, HotBuffer, Machine
from ._regs import cold_reg as _cold

TABLE = ExtensionTable(0x0006, "arch", (1, 0, 0),
                       doc="Runtime architecture modification: allocate, wire, grow, prune, define layers.")

B, E = Layer.BOOT, Layer.EVOLUTIONARY


def _raw_hot(m: Machine, raw: int) -> HotBuffer:
    """A hot register addressed by a raw byte: the reference indexes its 64 slots unchecked."""
    if raw >= NREGS:
        raise PanicFault(f"index out of bounds: the len is {NREGS} but the index is {raw}")
    h = m.hot[raw]
    if h is None:
        raise ExecFault(f"H{raw} not allocated")
    return h


@TABLE.op(0x0000, "alloc_tensor", "reg@A imm8@B imm8@C=0 imm8@D=0", B,
          "Allocate zeroed hot/cold A of shape [B] (C:D = 0) or [B, C:D].",
          flags="structural cost=imm(B)*imm(CD)+imm(B)")
def alloc_tensor(m: Machine, a: int, b: int, c: int, d: int) -> None:
    st.alloc_register(m, a, st.alloc_shape(b, (c << 8) | d))


@TABLE.op(0x0001, "free_tensor", "reg@A", B, "Free hot/cold register A.", flags="structural")
def free_tensor(m: Machine, a: int, b: int, c: int, d: int) -> None:
    st.free_register(m, a)


@TABLE.op(0x0002, "wire_forward", "reg@A reg@B reg@C", B,
          "H(A) = C(B) · H[C] (C's raw byte is the slot index), ungated, clamped; shape [out].", flags="structural")
def wire_forward(m: Machine, a: int, b: int, c: int, d: int) -> None:
    wi = b & 0x3F
    w = _cold(m, wi)
    if len(w.shape) < 2:
        raise ExecFault("Weights must be 2D")
    out, inn = int(w.shape[0]), int(w.shape[1])
    x = _raw_hot(m, c).data
    k = min(inn, len(x))
    if out and k and (out - 1) * inn + k - 1 >= len(w.pol):
        raise PanicFault(f"index out of bounds: the len is {len(w.pol)} but the index is {(out - 1) * inn + k - 1}")
    m.hot[a & 0x3F] = HotBuffer(mm.ungated(w, out, inn, x[:k].astype(np.int64)), (out,))


@TABLE.op(0x0003, "wire_skip", "reg@A reg@B reg@C", B,
          "H(A) = H(B) + H[C] broadcast (i mod len), saturating; shape of B.", flags="structural")
def wire_skip(m: Machine, a: int, b: int, c: int, d: int) -> None:
    si = b & 0x3F
    x1 = m.hot[si]
    if x1 is None:
        raise ExecFault(f"H{si} not allocated")
    x2 = _raw_hot(m, c)
    m.hot[a & 0x3F] = st.broadcast_skip(x1, x2)


@TABLE.op(0x0004, "grow_neuron", "reg@A imm8@B=0 imm8@C=0 imm8@D=0", E,
          "Append C neurons to cold A (rows if 2-D), LCG-initialised from seed D + weight count.",
          flags="structural writes_weights cost=imm(C)*cols(A)")
def grow_neuron(m: Machine, a: int, b: int, c: int, d: int) -> None:
    if c == 0:
        raise ExecFault("Cannot grow by 0 neurons")
    st.grow_neurons(_cold(m, a & 0x3F), c, d)


@TABLE.op(0x0005, "prune_neuron", "reg@A imm8@B=0 imm8@C=0", E, "Remove neuron (element or row) C of cold A.", flags="structural writes_weights")
def prune_neuron(m: Machine, a: int, b: int, c: int, d: int) -> None:
    st.prune_neuron(_cold(m, a & 0x3F), c)


@TABLE.op(0x0006, "init_random", "reg@A imm8@B=0 imm8@C=0 imm8@D=0", E,
          "Refill cold A from the LCG with seed D (missing register: no-op).", flags="structural writes_weights")
def init_random(m: Machine, a: int, b: int, c: int, d: int) -> None:
    st.init_random(m.cold[a & 0x3F], d)


@TABLE.op(0x0007, "define_layer", "reg@A imm8@B imm8@C=0 imm8@D=0", B,
          "Allocate cold (A & 0x3F) of shape [C:D, B] (out, in); both dimensions must be > 0.",
          flags="structural writes_weights cost=imm(B)*imm(CD)")
def define_layer(m: Machine, a: int, b: int, c: int, d: int) -> None:
    idx, inn, out = a & 0x3F, b, (c << 8) | d
    if inn == 0 or out == 0:
        raise ExecFault("Layer dimensions must be > 0")
    if m.cold[idx] is not None:
        raise ExecFault(f"C{idx} already allocated")
    m.cold[idx] = ColdBuffer.zeros((out, inn))


def _set_all_temps(m: Machine, a: int, temp: int) -> None:
    w = _cold(m, a & 0x3F)
    w.temps = np.full(len(w.pol), temp, np.uint8)
    w.touch()


@TABLE.op(0x0008, "freeze_layer", "reg@A", E, "Set every temperature of cold A to COLD.", flags="structural writes_weights")
def freeze_layer(m: Machine, a: int, b: int, c: int, d: int) -> None:
    _set_all_temps(m, a, COLD)


@TABLE.op(0x0009, "unfreeze_layer", "reg@A", E, "Set every temperature of cold A to HOT.", flags="structural writes_weights")
def unfreeze_layer(m: Machine, a: int, b: int, c: int, d: int) -> None:
    _set_all_temps(m, a, HOT)


@TABLE.op(0x000A, "set_activation", "reg@A imm8@B", B,
          "Shape register (A & 0x3F) = [B] (0 none, 1 relu, 2 sigmoid, 3 tanh, 4 softmax, 5 gelu).", flags="structural")
def set_activation(m: Machine, a: int, b: int, c: int, d: int) -> None:
    m.shape_regs[a & 0x3F] = [b]


@TABLE.op(0x000B, "alloc_dynamic", "reg@A imm8@B imm8@C=0 imm8@D=0", B,
          "Ask the host for a register: bank B (0 hot..3 shape), size C:D. Yields AllocRegister.",
          yields="AllocRegister", flags="structural cost=imm(CD)")
def alloc_dynamic(m: Machine, a: int, b: int, c: int, d: int):
    return make("AllocRegister", target=a, bank=b, size=(c << 8) | d)


@TABLE.op(0x000C, "free_dynamic", "reg@A", B, "Release a dynamically allocated register. Yields FreeRegister.",
          yields="FreeRegister", flags="structural")
def free_dynamic(m: Machine, a: int, b: int, c: int, d: int):
    return make("FreeRegister", register=a)
