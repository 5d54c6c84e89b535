"""The ternary extension (0x0002): golden cases and edge rules (always-gated matmul with wrapping
intensity, 2-D batch requirement, masking, quantise/pack/unpack, polarity/magnitude updates)."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tests.extensions.core.test_ops_forward import C, H, assert_golden, cases, hot, run, cold_buf, machine_with as machine
from ternsig.extensions import ternary
from ternsig.intmath import I32_MAX, I32_MIN
from ternsig.isa.encoding import Instruction
from ternsig.vm.results import Status
from ternsig.vm.state import ColdBuffer, HotBuffer


def t(op: str, a=0, b=0, c=0, d=0) -> Instruction:
    return Instruction(0x0002, ternary.TABLE.lookup(op).opcode, a, b, c, d)


@pytest.mark.parametrize("case", cases("ext_ternary", ""), ids=lambda p: p.name)
def test_golden_ext_ternary(case: Path, monkeypatch) -> None:
    assert_golden(case, monkeypatch)


def test_table_has_every_reference_opcode() -> None:
    assert sorted(s.opcode for s in ternary.TABLE.specs) == list(range(14))
    r = machine([Instruction(0x0002, 0x000E, 0, 0, 0, 0)]).run()
    assert r.status is Status.ERROR and r.message == "tvmr.ternary: unknown opcode 0x000E"


def test_matmul_gates_even_without_temperatures_and_wraps_intensity() -> None:
    w = cold_buf([10, -20, 30, -40, 50, -60], (2, 3), [1] * 6)
    it = machine([t("ternary_matmul", H(1), C(0), H(0))], {0: [100, 256, -300]}, {0: w})
    it.run()
    assert hot(it, 1) == [-6200, 11000]                      # NOTES §4 verified vector
    # x = 256 → intensity 0 blocks WARM; x = 257 → intensity 1 still blocked; HOT always passes
    w = cold_buf([100, 100, 100], (1, 3), [1, 0, 1])
    it = machine([t("ternary_matmul", H(1), C(0), H(0))], {0: [256, 256, 271]}, {0: w})
    it.run()
    assert hot(it, 1) == [100 * 256 + (100 * 200 // 255) * 271]
    # no temperature array: all HOT, identical to the ungated product; i32 saturation
    it = machine([t("ternary_matmul", H(1), C(0), H(0))], {0: [I32_MAX, I32_MAX]}, {0: cold_buf([255, 255], (1, 2))})
    it.run()
    assert hot(it, 1) == [I32_MAX]


def test_matmul_does_not_mask_input_to_16_and_errors() -> None:
    w = cold_buf([2], (1, 1))
    it = machine([t("ternary_matmul", H(1), C(0), H(17))], {17: [21], 1: [0]}, {0: w})
    it.run()
    assert hot(it, 1) == [42]
    for instr, msg in [(t("ternary_matmul", H(1), C(5), H(0)), "C5 not allocated"),
                       (t("ternary_matmul", H(1), C(0), H(9)), "H9 not allocated")]:
        r = machine([instr], {0: [1]}, {0: w}).run()
        assert r.message == msg
    r = machine([t("ternary_matmul", H(1), C(0), H(0))], {0: [1]}, {0: cold_buf([1], (1,))}).run()
    assert r.message == "Weights must be 2D for matmul"


def test_batch_requires_2d_and_reads_rows_at_in_dim_stride() -> None:
    w = cold_buf([1, 2, 3, 4], (2, 2), [0, 1, 0, 3])
    it = machine([t("ternary_batch_matmul", H(1), C(0), H(0))], colds={0: w})
    it.m.hot[0] = HotBuffer(np.array([100, 200, 50], np.int32), (2, 3))   # data shorter than 2x3
    it.run()
    g = lambda wv, cond: int(wv * cond / 255)   # noqa: E731
    assert hot(it, 1) == [100 + g(2, 200) * 200, 3 * 100 + g(4, 30) * 200, 50, 3 * 50]
    assert it.m.hot[1].shape == (2, 2)
    r = machine([t("ternary_batch_matmul", H(1), C(0), H(0))], {0: [1, 2]}, {0: w}).run()
    assert r.message == "Both weights and input must be 2D for batch matmul"


def test_bias_dequantize_embed_gate() -> None:
    it = machine([t("ternary_add_bias", H(1), H(0), C(17)), t("dequantize", H(2), H(0), 0, 0),
                  t("dequantize", H(3), H(0), 0, 34), t("embed_lookup", H(4), C(2), H(16)),
                  t("embed_sequence", H(5), C(2), 1), t("gate_update", H(6), H(0), H(16), H(16))],
                 {0: [I32_MIN, 512, -1]}, {1: cold_buf([-1, 1], (2,)), 2: cold_buf([1, 2, 3, 4], (2, 2))})
    assert it.run().status is Status.ENDED
    assert hot(it, 1) == [I32_MIN, 512 + 256, -1]
    assert hot(it, 2) == [I32_MIN >> 8, 2, -1] and it.m.hot[2].shape == (3,)
    assert hot(it, 3) == [I32_MIN >> 2, 128, -1]           # 34 & 31 = 2
    assert hot(it, 4) == [1, 2, 0, 0, 1, 2] and it.m.hot[4].shape == (3, 2)   # I32_MIN → index 0
    assert hot(it, 5) == [1, 2] and it.m.hot[5].shape == (1, 2)
    assert hot(it, 6) == [I32_MIN, 512, -1]


def test_quantize_truncates_magnitude_pack_unpack_roundtrip() -> None:
    it = machine([t("quantize", C(1), H(0)), t("pack_ternary", H(1), C(1)), t("unpack_ternary", C(2), H(1))],
                 {0: [65535, 65536, -300, 0, I32_MIN]})
    it.run()
    c1 = it.m.cold[1]
    assert c1.pol.tolist() == [1, 1, -1, 0, -1] and c1.mag.tolist() == [255, 0, 1, 0, 0]
    assert hot(it, 1) == [0b10_00_10_01_01 & 0xFF, 0b10]
    c2 = it.m.cold[2]
    assert c2.pol.tolist() == [1, 1, -1, 0, -1, 0, 0, 0] and c2.mag.tolist() == [128, 128, 128, 0, 128, 0, 0, 0]
    it = machine([t("unpack_ternary", C(2), H(0))], {0: [0b11, -1]})
    it.run()
    assert it.m.cold[2].pol.tolist() == [0, 0, 0, 0, 0, 0, 0, 0]   # 0b11 is not a code


def test_polarity_magnitude_threshold_and_pressure() -> None:
    w = ColdBuffer(np.array([1, -1, 0, 1], np.int8), np.array([10, 10, 10, 10], np.uint8), (4,))
    it = machine([t("apply_polarity", C(0), H(0)), t("apply_magnitude", C(1), H(1)),
                  t("threshold_polarity", C(2), H(2)), t("accumulate_pressure", H(3), H(2)),
                  t("accumulate_pressure", H(3), H(2))],
                 {0: [0, 5, -5], 1: [-3, 0, 300], 2: [-21, 20, I32_MIN, I32_MAX]},
                 {0: w, 1: cold_buf([7, -7, 7, 7], (4,)), 2: cold_buf([10, 10, -10, 10], (4,))})
    assert it.run().status is Status.ENDED
    assert w.pol.tolist() == [1, 1, -1, 1]
    assert it.m.cold[1].mag.tolist() == [0, 0, 255, 7] and it.m.cold[1].pol.tolist() == [1, -1, 1, 1]
    c2 = it.m.cold[2]
    assert c2.pol.tolist() == [-1, 1, -1, 1] and c2.mag.tolist() == [30, 10, 10, 10]   # I32_MIN: abs wraps
    assert hot(it, 3) == [-42, 40, I32_MIN, I32_MAX]
