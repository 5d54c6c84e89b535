"""The ternary extension (0x0002, ``tvmr.ternary``): signal matmuls, bias, embeddings, quantisation,
packing and polarity/magnitude updates.

Differences from the core ops of the same names, as in the reference (``extensions/ternary.rs``):

* TERNARY_MATMUL always gates (no temperature array = all HOT), takes input intensity as
  ``|x| as u8`` — i.e. ``|x| mod 256``, so x = 256 has intensity 0 and is blocked by any non-HOT
  weight — and computes ``trunc(w*cond/255) * x`` (gate first, then multiply).
* TERNARY_BATCH_MATMUL requires BOTH operands to be 2-D; rows are read at stride ``in_dim``.
* Registers are read with ``& 0x3F`` except the bias (ADD_BIAS), indices (EMBED_LOOKUP) and
  update/state (GATE_UPDATE), which keep the legacy ``& 0x0F``.
* DEQUANTIZE writes its destination register (the core op writes the output buffer).
* Missing registers fail with "H<i> not allocated" / "C<i> not allocated".

Release-build arithmetic throughout: QUANTIZE's magnitude is ``(|v| >> 8) as u8`` (truncating,
despite the ``min(255)`` in the source), THRESHOLD_POLARITY's ``|p|`` wraps for i32::MIN.
Operand layouts are one byte per source token (the reference's generic extension syntax).
"""
from __future__ import annotations

import numpy as np

from ..plasticity.temperature import record_forward_usage
from ..errors import ExecFault
from ..isa.spec import ExtensionTable, Layer
from ..intmath import sat_i32_arr
from ..kernels import matmul as mm
from ..vm.state import ColdBuffer, HotBuffer, Machine
from .core import ops_ternary as core_t
from ._regs import cold_reg as _cold, hot_reg as _hot

TABLE = ExtensionTable(0x0002, "ternary", (1, 0, 0),
                       doc="Signal (ternary) operations: gated matmul, bias, embeddings, quantisation, packing.")

R = Layer.RUNTIME
#: instructions that write cold registers (weights) belong to the learning layer: seed 003's
#: privilege matrix lets only layer 4 write weights
L = Layer.LEARNING
_RRR = "reg@A reg@B reg@C"
_RR = "reg@A reg@B"


def gated_matvec(w: ColdBuffer, x: np.ndarray, out: int, inn: int) -> np.ndarray:
    """Extension matmul of the first ``min(in, len x)`` inputs (weights past the data read 0)."""
    k = min(inn, len(x))
    return mm.gated_ext(w, out, inn, x[:k].astype(np.int64))


@TABLE.op(0x0000, "ternary_matmul", _RRR, R,
          "A = C(B)·H(C), always temperature-gated: trunc(w·cond/255)·x, intensity |x| mod 256.")
def ternary_matmul(m: Machine, a: int, b: int, c: int, d: int) -> None:
    w = _cold(m, b & 0x3F)
    x = _hot(m, c & 0x3F)
    out, inn = core_t.weight_dims(w, "Weights must be 2D for matmul")
    if w.usage is not None:               # the forward pass feeds the temperature lifecycle
        record_forward_usage(w, x.view(), wrap_intensity=True)
    m.hot[a & 0x3F] = HotBuffer(gated_matvec(w, x.view(), out, inn), (out,))


@TABLE.op(0x0001, "ternary_batch_matmul", _RRR, R,
          "A[b] = C(B)·H(C)[b] for each row; both operands must be 2-D. Output [batch, out].",
          flags="cost=rows(C)*n(B)")
def ternary_batch_matmul(m: Machine, a: int, b: int, c: int, d: int) -> None:
    w = _cold(m, b & 0x3F)
    x = _hot(m, c & 0x3F)
    if len(w.shape) < 2 or len(x.shape) < 2:
        raise ExecFault("Both weights and input must be 2D for batch matmul")
    out, inn = int(w.shape[0]), int(w.shape[1])
    batch = int(x.shape[0])
    xs = core_t.batch_rows(x.data, batch, inn)
    res = mm.gated_batch("ext", w, out, inn, xs)
    m.hot[a & 0x3F] = HotBuffer(res.reshape(-1), (batch, out))


@TABLE.op(0x0002, "ternary_add_bias", _RRR, R, "A = B + bias(C & 0x0F)·256, clamped to i32.")
def ternary_add_bias(m: Machine, a: int, b: int, c: int, d: int) -> None:
    src = _hot(m, b & 0x3F)
    bias = _cold(m, c & 0x0F)
    m.hot[a & 0x3F] = core_t.add_bias(src, bias)


@TABLE.op(0x0003, "dequantize", "reg@A reg@B imm8@C=0 imm8@D=0", R,
          "A = B >> (C:D, 0 → 8; amount masked to 5 bits), shape of B.")
def dequantize(m: Machine, a: int, b: int, c: int, d: int) -> None:
    src = _hot(m, b & 0x3F)
    shift = ((c << 8) | d) or 8
    m.hot[a & 0x3F] = HotBuffer((src.data >> (shift & 31)).astype(np.int32), src.shape)


@TABLE.op(0x0004, "embed_lookup", _RRR, R, "A = rows of table C(B) at indices H(C & 0x0F); [k, dim].",
          flags="cost=n(C)*cols(B)")
def embed_lookup(m: Machine, a: int, b: int, c: int, d: int) -> None:
    table = _cold(m, b & 0x3F)
    idx = _hot(m, c & 0x0F)
    m.hot[a & 0x3F] = core_t.embed_lookup(table, idx.data)


@TABLE.op(0x0005, "embed_sequence", "reg@A reg@B imm8@C", R, "A = rows 0 .. min(C, n) of table C(B).",
          flags="cost=imm(C)*cols(B)")
def embed_sequence(m: Machine, a: int, b: int, c: int, d: int) -> None:
    table = _cold(m, b & 0x3F)
    m.hot[a & 0x3F] = core_t.embed_sequence(table, c)


@TABLE.op(0x0006, "gate_update", "reg@A reg@B reg@C reg@D", R,
          "A = (g·U + (255−g)·S)/255, g = clamp(B, 0, 255); U = C & 0x0F, S = D & 0x0F.")
def gate_update(m: Machine, a: int, b: int, c: int, d: int) -> None:
    gate = _hot(m, b & 0x3F)
    upd = _hot(m, c & 0x0F)
    state = _hot(m, d & 0x0F)
    m.hot[a & 0x3F] = core_t.gate_update(gate.data, upd.data, state.data)


@TABLE.op(0x0007, "quantize", _RR, L,
          "Cold A = signals of H(B): polarity sign(v), magnitude (|v| >> 8) truncated to u8; shape [n].", flags="writes_weights")
def quantize(m: Machine, a: int, b: int, c: int, d: int) -> None:
    src = _hot(m, b & 0x3F).data.astype(np.int64)
    pol = np.sign(src).astype(np.int8)
    mag = ((np.abs(src) >> 8) & 0xFF).astype(np.uint8)
    m.replace_cold(a & 0x3F, pol, mag, (len(src),))


@TABLE.op(0x0008, "pack_ternary", _RR, R,
          "H(A) = polarities of C(B), 2 bits each (−1 → 0b10, +1 → 0b01), 4 per i32 in bits 0..7.")
def pack_ternary(m: Machine, a: int, b: int, c: int, d: int) -> None:
    pol = _cold(m, b & 0x3F).pol
    n = len(pol)
    words = (n + 3) // 4
    code = np.zeros(words * 4, np.int32)
    code[:n] = np.where(pol < 0, 2, np.where(pol > 0, 1, 0))
    packed = (code.reshape(words, 4) << np.array([0, 2, 4, 6], np.int32)).sum(axis=1).astype(np.int32)
    m.hot[a & 0x3F] = HotBuffer(packed, (words,))


@TABLE.op(0x0009, "unpack_ternary", _RR, L,
          "Cold A = 4 signals per word of H(B) (bits 0..7): 0b01 → +128, 0b10 → −128, else 0.", flags="writes_weights")
def unpack_ternary(m: Machine, a: int, b: int, c: int, d: int) -> None:
    words = _hot(m, b & 0x3F).data.astype(np.int64)
    codes = ((words[:, None] >> np.array([0, 2, 4, 6])) & 3).ravel()
    pol = np.where(codes == 1, 1, np.where(codes == 2, -1, 0)).astype(np.int8)
    mag = np.where(pol != 0, 128, 0).astype(np.uint8)
    m.replace_cold(a & 0x3F, pol, mag, (len(pol),))


def _updates(m: Machine, a: int, b: int) -> tuple[ColdBuffer, np.ndarray, int]:
    upd = _hot(m, b & 0x3F).data
    w = _cold(m, a & 0x3F)
    return w, upd, min(len(upd), len(w.pol))


@TABLE.op(0x000A, "apply_polarity", _RR, L,
          "Cold A polarity = +1 where H(B) > 0, −1 where < 0, unchanged where 0 (magnitude kept).", flags="writes_weights")
def apply_polarity(m: Machine, a: int, b: int, c: int, d: int) -> None:
    w, upd, n = _updates(m, a, b)
    u = upd[:n]
    pol = w.pol.copy()
    pol[:n] = np.where(u > 0, 1, np.where(u < 0, -1, pol[:n]))
    w.pol = pol
    w.touch()


@TABLE.op(0x000B, "apply_magnitude", _RR, L, "Cold A magnitude = clamp(H(B), 0, 255) (polarity kept).", flags="writes_weights")
def apply_magnitude(m: Machine, a: int, b: int, c: int, d: int) -> None:
    w, upd, n = _updates(m, a, b)
    mag = w.mag.copy()
    mag[:n] = np.minimum(np.maximum(upd[:n].astype(np.int64), 0), 255)
    w.mag = mag
    w.touch()


@TABLE.op(0x000C, "threshold_polarity", _RR, L,
          "Where |H(B)| > 2·magnitude and its sign differs from the polarity: flip, magnitude = 30.", flags="writes_weights")
def threshold_polarity(m: Machine, a: int, b: int, c: int, d: int) -> None:
    pressure = _hot(m, b & 0x3F).data
    w = _cold(m, a & 0x3F)
    n = min(len(pressure), len(w.pol))
    p = pressure[:n].astype(np.int64)
    ap = np.where(p == -(1 << 31), p, np.abs(p))          # i32::abs wraps in release builds
    new_pol = np.where(p > 0, 1, -1).astype(np.int8)
    flip = (ap > 2 * w.mag[:n].astype(np.int64)) & (w.pol[:n] != new_pol)
    pol, mag = w.pol.copy(), w.mag.copy()
    pol[:n] = np.where(flip, new_pol, pol[:n])
    mag[:n] = np.where(flip, 30, mag[:n])
    w.pol, w.mag = pol, mag
    w.touch()


@TABLE.op(0x000D, "accumulate_pressure", _RR, R,
          "H(A) += H(B), saturating over min(len); a missing A is created as zeros of B's length.")
def accumulate_pressure(m: Machine, a: int, b: int, c: int, d: int) -> None:
    src = _hot(m, b & 0x3F).data.astype(np.int64)
    di = a & 0x3F
    dst = m.hot[di]
    if dst is None:
        dst = HotBuffer(np.zeros(len(src), np.int32), (len(src),))
        m.hot[di] = dst
    n = min(len(dst.data), len(src))
    data = dst.data.copy()
    data[:n] = sat_i32_arr(data[:n].astype(np.int64) + src[:n])
    dst.data = data
