"""Core ternary/tensor handlers: golden tensor-shape cases and the reference's edge rules
(masking, saturation, wrap, truncation, missing registers, temperatures, panics → traps)."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tests.extensions.core.test_ops_forward import C, H, assert_golden, cases, core, hot, run, cold_buf
from ternsig.intmath import I32_MAX, I32_MIN
from ternsig.vm.results import Status
from ternsig.vm.state import ColdBuffer


def run_with(instrs, hot_regs=None, colds=None):
    it, _ = run([], hot_regs)
    it.load_program(type(it.program)(instructions=list(instrs)), allocate=False)
    for i, buf in (colds or {}).items():
        it.m.cold[i] = buf
    return it, it.run()


@pytest.mark.parametrize("case", cases("core", "core_tensor_shape"), ids=lambda p: p.name)
def test_golden_tensor_shape(case: Path, monkeypatch) -> None:
    assert_golden(case, monkeypatch)


# ---- ternary_matmul --------------------------------------------------------------------------------

def test_matmul_ungated_masks_input_and_clamps() -> None:
    w = cold_buf([255, 255, -255, 0, 1, -2, -255, -255, 0], (3, 3))
    it, r = run_with([core("ternary_matmul", H(5), C(0), H(17))],     # H17 reads H1
                     {1: [I32_MAX, I32_MAX, 7, 99]}, {0: w})
    assert r.status is Status.ENDED
    assert hot(it, 5) == [I32_MAX, I32_MAX - 14, I32_MIN]
    assert it.m.hot[5].shape == (3,)


def test_matmul_short_input_uses_prefix_and_errors() -> None:
    w = cold_buf([1, 2, 3, 4, 5, 6], (2, 3))
    it, _ = run_with([core("ternary_matmul", H(2), C(0), H(0))], {0: [10, 20]}, {0: w})
    assert hot(it, 2) == [50, 140]
    for instr, msg in [(core("ternary_matmul", H(2), C(3), H(0)), "Cold register C3 not allocated"),
                       (core("ternary_matmul", H(2), C(0), H(9)), "Hot register H9 not allocated")]:
        it, r = run_with([instr], {0: [1]}, {0: w})
        assert r.status is Status.ERROR and r.message == msg
    it, r = run_with([core("ternary_matmul", H(2), C(0), H(0))], {0: [1]}, {0: cold_buf([1, 2], (2,))})
    assert r.message == "Weights must be 2D"


def test_matmul_gated_core_semantics_mixed_temperatures() -> None:
    """Verified vector (NOTES §4): all WARM, x = [100, 256, −300] → [−10289, 21019]."""
    w = cold_buf([10, -20, 30, -40, 50, -60], (2, 3), [1] * 6)
    it, _ = run_with([core("ternary_matmul", H(1), C(0), H(0))], {0: [100, 256, -300]}, {0: w})
    assert hot(it, 1) == [-10289, 21019]
    # temperatures 0..3 with x at each threshold edge; intensity = min(|x|, 255)
    w = cold_buf([200] * 8, (1, 8), [0, 1, 2, 3, 1, 2, 3, 3])
    x = [1, 15, 60, 120, 14, 59, 119, I32_MIN]
    it, _ = run_with([core("ternary_matmul", H(1), C(0), H(0))], {0: x}, {0: w})
    want = 200 * 1 + (200 * 15 * 200) // 255 + (200 * 60 * 100) // 255 + (200 * 120 * 30) // 255 \
        - (200 * (1 << 31) * 30) // 255
    assert hot(it, 1) == [max(I32_MIN, want)]


def test_matmul_noncanonical_and_empty() -> None:
    buf = ColdBuffer(np.array([0, 1, -1], np.int8), np.array([200, 0, 255], np.uint8), (1, 3))
    it, _ = run_with([core("ternary_matmul", H(1), C(0), H(0))], {0: [5, 5, 5]}, {0: buf})
    assert hot(it, 1) == [-1275]                          # p=0,m=200 and p=1,m=0 both read as 0
    it, _ = run_with([core("ternary_matmul", H(1), C(0), H(0))], {0: []}, {0: cold_buf([1, 1], (2, 1))})
    assert hot(it, 1) == [0, 0]


def test_matmul_short_weight_data_traps() -> None:
    """Reference: index out of bounds panic. Here: a trap (docs/deviations.md)."""
    buf = ColdBuffer(np.ones(3, np.int8), np.ones(3, np.uint8), (2, 3))
    buf.pol, buf.mag = buf.pol[:2], buf.mag[:2]
    it, r = run_with([core("ternary_matmul", H(1), C(0), H(0))], {0: [1, 1, 1]}, {0: buf})
    assert r.status is Status.TRAP and r.kind == "panic" and "index out of bounds" in r.message


def test_batch_matmul_shapes_and_errors() -> None:
    w = cold_buf([1, 2, 3, 4], (2, 2), [0, 1, 2, 3])
    it, _ = run_with([core("ternary_batch_matmul", H(2), C(0), H(0))], {0: [100, 200, 0, 300]}, {0: w})
    assert it.m.hot[2].shape == (2, 2)
    assert hot(it, 2) == [100 + (2 * 200 * 200) // 255, (3 * 100 * 100) // 255 + (4 * 200 * 30) // 255,
                          (2 * 300 * 200) // 255, (4 * 300 * 30) // 255]
    it, r = run_with([core("ternary_batch_matmul", H(2), C(0), H(0))], {0: [1, 2, 3]}, {0: w})
    assert r.status is Status.ERROR and r.message == "Input size 3 not divisible by in_dim 2"
    it, r = run_with([core("ternary_batch_matmul", H(2), C(0), H(0))], {0: [1]}, {0: cold_buf([], (2, 0))})
    assert r.status is Status.TRAP and "divisor of zero" in r.message


# ---- bias, embeddings, dequantize ----------------------------------------------------------------

def test_add_bias_times_256_clamped_and_masked() -> None:
    it, _ = run_with([core("ternary_add_bias", H(1), H(0), C(17))],
                     {0: [I32_MAX, I32_MIN, 5, 6]}, {1: cold_buf([1, -1, 255], (3,))})
    assert hot(it, 1) == [I32_MAX, I32_MIN, 5 + 255 * 256, 6]
    it, r = run_with([core("ternary_add_bias", H(1), H(0), C(2))], {0: [1]}, {})
    assert r.message == "Bias not allocated"
    it, r = run_with([core("ternary_add_bias", H(1), H(3), C(2))], {0: [1]}, {})
    assert r.message == "Source not allocated"


def test_embed_lookup_and_sequence() -> None:
    table = cold_buf([1, 2, 3, 4, 5, 6], (3, 2))
    it, _ = run_with([core("embed_lookup", H(2), C(0), H(16)), core("embed_sequence", H(3), C(0), 9)],
                     {0: [2, -5, 3, 1]}, {0: table})
    assert hot(it, 2) == [5, 6, 1, 2, 0, 0, 3, 4] and it.m.hot[2].shape == (4, 2)
    assert hot(it, 3) == [1, 2, 3, 4, 5, 6] and it.m.hot[3].shape == (3, 2)
    it, _ = run_with([core("embed_lookup", H(2), C(0), H(0))], {0: [0, 1]}, {0: cold_buf([7, 8], (2,))})
    assert hot(it, 2) == [7, 8, 0, 0]                     # 1-D table: one row
    it, r = run_with([core("embed_lookup", H(2), C(0), H(0))], {0: [0]}, {0: cold_buf([], ())})
    assert r.message == "Embedding table must have shape"
    it, r = run_with([core("embed_sequence", H(2), C(4), 1)], {}, {})
    assert r.message == "Embedding table C4 not allocated"


def test_dequantize_writes_output_buffer_and_masks_shift() -> None:
    it, _ = run_with([core("dequantize", H(1), H(0), 0, 0)], {0: [-256, 1024, -1]})
    assert it.output() == [-1, 4, -1] and it.m.hot[1] is None
    it, _ = run_with([core("dequantize", H(1), H(0), 0, 33)], {0: [-256, 1024]})
    assert it.output() == [-128, 512]                      # 33 & 31 = 1 (release build)


# ---- reductions, slicing, reshaping ----------------------------------------------------------------

def test_reduce_avg_wraps_i32_and_truncates() -> None:
    it, _ = run_with([core("reduce_avg", H(1), H(0), 0, 2), core("reduce_avg", H(2), H(0), 2, 9),
                      core("reduce_avg", H(3), H(0), 9, 1), core("reduce_avg", H(4), H(0), 0, 0)],
                     {0: [I32_MAX, 1, -7, 2]})
    assert hot(it, 1) == [I32_MIN // 2] and hot(it, 2) == [-2] and hot(it, 3) == [0] and hot(it, 4) == [0]


def test_reduce_mean_dims() -> None:
    it, _ = run_with([core("reduce_mean", H(1), H(0), 0)], {0: [-7, 2]})
    assert hot(it, 1) == [-2]
    it, _ = run([core("reduce_mean", H(1), H(0), 0), core("reduce_mean", H(2), H(0), 1)])
    from ternsig.vm.state import HotBuffer

    it.m.hot[0] = HotBuffer(np.array([1, 2, 3, -4, -5, -7], np.int32), (2, 3))
    it.m.pc = 0
    it.run()
    assert hot(it, 1) == [-1, -1, -2] and hot(it, 2) == [2, -5]


def test_slice_argmax_concat_copies() -> None:
    it, _ = run_with([core("slice", H(1), H(0), 1, 2), core("slice", H(2), H(0), 5, 2),
                      core("argmax", H(3), H(0)), core("concat", H(4), H(0), H(16)),
                      core("squeeze", H(5), H(0)), core("transpose", H(6), H(9)), core("unsqueeze", H(7), H(0))],
                     {0: [3, 9, 9, -1]})
    assert hot(it, 1) == [9, 9] and hot(it, 2) == [] and hot(it, 3) == [2]
    assert hot(it, 4) == [3, 9, 9, -1, 3, 9, 9, -1] and it.m.hot[4].shape == (8,)
    assert hot(it, 5) == [3, 9, 9, -1] and it.m.hot[6] is None
    it.m.hot[0].data[0] = 100
    assert hot(it, 5)[0] == 3 and hot(it, 7)[0] == 3      # copies, not aliases
    it, _ = run_with([core("argmax", H(3), H(0))], {0: []})
    assert hot(it, 3) == [0]


def test_gate_update_truncates_and_masks() -> None:
    it, _ = run_with([core("gate_update", H(3), H(0), H(17), H(18))],
                     {0: [300, -5, 128, 0], 1: [I32_MAX, 10, -7], 2: [0, 20, 8, 99]})
    g = [255, 0, 128]
    want = [int((g[i] * u + (255 - g[i]) * s) / 255) for i, (u, s) in enumerate([(I32_MAX, 0), (10, 20), (-7, 8)])]
    assert hot(it, 3) == want
    it, r = run_with([core("gate_update", H(3), H(0), H(1), H(5))], {0: [1], 1: [1]})
    assert r.message == "State H5 not allocated"


def test_large_gated_matmul_is_exact() -> None:
    rng = np.random.default_rng(11)
    out, inn = 40, 600
    w = rng.integers(-255, 256, out * inn)
    t = rng.integers(0, 4, out * inn)
    x = rng.integers(-400, 400, inn)
    it, _ = run_with([core("ternary_matmul", H(1), C(0), H(0))], {0: x.tolist()}, {0: cold_buf(w, (out, inn), t)})
    cond = np.array([255, 200, 100, 30])[t].reshape(out, inn)
    ok = np.minimum(np.abs(x), 255)[None, :] >= np.array([0, 15, 60, 120])[t].reshape(out, inn)
    prod = w.reshape(out, inn) * x[None, :] * cond
    want = np.where(ok, np.sign(prod) * (np.abs(prod) // 255), 0).sum(axis=1)
    assert hot(it, 1) == want.tolist()
