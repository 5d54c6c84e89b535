"""The exact matmul kernels against independent formulations of the reference loops.

``ref_*_loop`` transcribe the reference semantics as scalar Python (tiny sizes only);
``ref_*_int64`` are elementwise int64 NumPy forms of the same definitions (no BLAS, no algebra),
validated against the loops, then used to check the kernels at sizes where every fast path
(float32 digit planes, float64, int64 fallback, correction vs direct gathering) is exercised.
"""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ternsig.intmath import I32_MAX, I32_MIN
from ternsig.kernels import matmul as mm
from ternsig.vm.state import ColdBuffer

COND = (255, 200, 100, 30)
THR = (0, 15, 60, 120)


def tdiv(a: int, b: int) -> int:
    q = abs(a) // abs(b)
    return q if (a >= 0) == (b >= 0) else -q


def ref_core_loop(w, temps, x):
    out = []
    for row, trow in zip(w, temps):
        s = 0
        for wi, t, xi in zip(row, trow, x):
            if min(abs(xi), 255) >= THR[t]:
                s += tdiv(wi * xi * COND[t], 255)
        out.append(s)
    return out


def ref_ext_loop(w, temps, x):
    out = []
    for row, trow in zip(w, temps):
        s = 0
        for wi, t, xi in zip(row, trow, x):
            if (abs(xi) & 0xFF) >= THR[t]:
                s += tdiv(wi * COND[t], 255) * xi
        out.append(s)
    return out


def _tdiv_arr(a, b):
    q = np.abs(a) // b
    return np.where(a < 0, -q, q)


def ref_core_int64(w, t, x):
    c = np.asarray(COND)[t]
    ok = np.minimum(np.abs(x), 255)[None, :] >= np.asarray(THR)[t]
    return np.where(ok, _tdiv_arr(w * x[None, :] * c, 255), 0).sum(axis=1)


def ref_ext_int64(w, t, x):
    c = np.asarray(COND)[t]
    ok = (np.abs(x) & 0xFF)[None, :] >= np.asarray(THR)[t]
    return np.where(ok, _tdiv_arr(w * c, 255) * x[None, :], 0).sum(axis=1)


def cl(v) -> list[int]:
    return np.clip(np.asarray(v, np.int64), I32_MIN, I32_MAX).tolist()


def cold(w: np.ndarray, temps=None) -> ColdBuffer:
    w = np.asarray(w, np.int64)
    buf = ColdBuffer(np.sign(w).astype(np.int8).ravel(), np.abs(w).astype(np.uint8).ravel(), w.shape)
    if temps is not None:
        buf.temps = np.asarray(temps, np.uint8).ravel()
    return buf


def rand_case(rng, out, inn, xlo=-300, xhi=300, tmax=3):
    w = rng.integers(-255, 256, (out, inn))
    t = rng.integers(0, tmax + 1, (out, inn))
    x = rng.integers(xlo, xhi + 1, inn)
    return w, t, x


SPECIAL = [0, 1, -1, 14, 15, 59, 60, 119, 120, 254, 255, 256, -256, 257, 510, 511, 512, 65535,
           I32_MAX, I32_MIN, I32_MIN + 1, 1 << 24, -(1 << 24) - 7]


def test_int64_references_match_the_loops() -> None:
    rng = np.random.default_rng(1)
    for _ in range(20):
        w, t, _x = rand_case(rng, 3, 7)
        x = rng.choice(SPECIAL, 7)
        assert ref_core_int64(w, t, x).tolist() == ref_core_loop(w.tolist(), t.tolist(), x.tolist())
        assert ref_ext_int64(w, t, x).tolist() == ref_ext_loop(w.tolist(), t.tolist(), x.tolist())


def test_notes_verified_vector() -> None:
    """NOTES §4: rows (+10,−20,+30), (−40,+50,−60) all WARM, x = [100, 256, −300]."""
    w = np.array([[10, -20, 30], [-40, 50, -60]])
    buf = cold(w, np.ones(6))
    x = np.array([100, 256, -300])
    assert mm.gated_ext(buf, 2, 3, x).tolist() == [-6200, 11000]
    assert mm.gated_core(buf, 2, 3, x).tolist() == [-10289, 21019]


@pytest.mark.parametrize("out,inn", [(1, 1), (3, 5), (17, 33), (40, 300), (5, 700)])
@pytest.mark.parametrize("xrange", [(-300, 300), (-20, 20), (-(1 << 31), (1 << 31) - 1), (100, 130)])
def test_gated_kernels_match_reference(out, inn, xrange) -> None:
    rng = np.random.default_rng(out * 1000 + inn)
    for tmax in (0, 1, 3):
        w, t, x = rand_case(rng, out, inn, *xrange, tmax=tmax)
        buf = cold(w, t)
        assert mm.gated_core(buf, out, inn, x).tolist() == cl(ref_core_int64(w, t, x))
        assert mm.gated_ext(buf, out, inn, x).tolist() == cl(ref_ext_int64(w, t, x))
        assert mm.ungated(buf, out, inn, x).tolist() == cl(w @ x)


def test_special_values_and_noncanonical_signals() -> None:
    """Magnitude 255, polarity 0 with magnitude > 0 (reads as 0), temperatures 0..3 mixed."""
    rng = np.random.default_rng(7)
    out, inn = 6, len(SPECIAL)
    pol = rng.integers(-1, 2, out * inn).astype(np.int8)
    mag = rng.choice([0, 1, 128, 254, 255], out * inn).astype(np.uint8)
    buf = ColdBuffer(pol, mag, (out, inn))
    buf.temps = rng.integers(0, 4, out * inn).astype(np.uint8)
    w = (pol.astype(np.int64) * mag).reshape(out, inn)
    t = buf.temps.reshape(out, inn).astype(np.int64)
    x = np.array(SPECIAL, np.int64)
    assert mm.gated_core(buf, out, inn, x).tolist() == cl(ref_core_int64(w, t, x))
    assert mm.gated_ext(buf, out, inn, x).tolist() == cl(ref_ext_int64(w, t, x))
    assert mm.ungated(buf, out, inn, x).tolist() == cl(w @ x)


def test_x_256_has_extension_intensity_zero() -> None:
    buf = cold([[100, 100]], [[1, 0]])            # WARM, HOT
    x = np.array([256, 256])
    assert mm.gated_ext(buf, 1, 2, x).tolist() == [100 * 256]             # the WARM weight is blocked
    assert mm.gated_core(buf, 1, 2, x).tolist() == [tdiv(100 * 256 * 200, 255) + 100 * 256]


def test_float64_digit_planes_and_fallback_are_exact() -> None:
    """Σ|w|·|x| beyond 2**53 forces digit planes in float64 (2**15 inputs of ±2**31)."""
    rng = np.random.default_rng(3)
    inn = 1 << 15
    w = rng.integers(250, 256, (2, inn)) * rng.choice([-1, 1], (2, inn))
    x = rng.choice([I32_MAX, I32_MIN, I32_MAX - 1], inn)
    buf = cold(w, rng.integers(0, 4, (2, inn)))
    assert 255 * int(np.abs(x).sum()) >= mm.LIMIT64
    assert mm.ungated(buf, 2, inn, x).tolist() == cl(w @ x)
    assert mm.gated_ext(buf, 2, inn, x).tolist() == cl(ref_ext_int64(w, buf.temps.reshape(2, inn).astype(np.int64), x))
    assert mm.gated_core(buf, 2, inn, x).tolist() == cl(ref_core_int64(w, buf.temps.reshape(2, inn).astype(np.int64), x))


def test_vec_mat_paths() -> None:
    rng = np.random.default_rng(5)
    b = rng.integers(-255, 256, (500, 9))
    for xr in (10, 1000, 1 << 20, 1 << 31):
        x = rng.integers(-xr, xr, 500)
        want = (x @ b).tolist()
        assert mm.vec_mat(x, b.astype(np.float32), 255).tolist() == want
        assert mm.vec_mat(x, b.astype(np.float64), 255).tolist() == want
        assert mm.mat_vec(b.T.astype(np.float64).copy(), x, 255).tolist() == want


def test_batch_kernels_equal_row_by_row() -> None:
    rng = np.random.default_rng(9)
    w, t, _ = rand_case(rng, 7, 11)
    xs = rng.choice(SPECIAL, (4, 11))
    buf = cold(w, t)
    assert mm.ungated_batch(buf, 7, 11, xs).tolist() == cl(xs @ w.T)
    for kind, ref in (("core", ref_core_int64), ("ext", ref_ext_int64)):
        got = mm.gated_batch(kind, buf, 7, 11, xs)
        assert got.tolist() == [cl(ref(w, t, row)) for row in xs]


@pytest.mark.parametrize("seed", range(6))
def test_ext_batch_is_one_product_equal_to_row_by_row(seed) -> None:
    """The extension's batched gated product (one matrix product for all rows) equals the
    per-row kernel, from tiny inputs to i32 extremes (digit planes) and all-blocked rows."""
    rng = np.random.default_rng(100 + seed)
    out, inn, batch = int(rng.integers(1, 40)), int(rng.integers(1, 300)), int(rng.integers(1, 9))
    w, t, _ = rand_case(rng, out, inn)
    xr = [30, 70_000, I32_MAX][seed % 3]            # 30: the single-GEMM path; larger: per row
    xs = rng.integers(-xr, xr, (batch, inn))
    if seed % 3:
        xs[0] = rng.choice(SPECIAL, inn)
    if batch > 1:
        xs[1] = 14                                   # level 1 everywhere: every warm+ weight blocked
    buf = cold(w, t)
    got = mm.gated_batch("ext", buf, out, inn, xs)
    assert got.tolist() == [mm.gated_ext(buf, out, inn, row).tolist() for row in xs]
    assert got.tolist() == [cl(ref_ext_int64(w, t, row)) for row in xs]


def test_cache_follows_touch_and_array_replacement() -> None:
    w = np.array([[1, 2], [3, 4]])
    buf = cold(w, [[0, 1], [2, 3]])
    x = np.array([200, 200])
    first = mm.gated_ext(buf, 2, 2, x).tolist()
    buf.mag[:] = 100                               # in place: caller must touch()
    buf.touch()
    w2 = np.sign(w) * 100
    t = buf.temps.reshape(2, 2).astype(np.int64)
    assert mm.gated_ext(buf, 2, 2, x).tolist() == cl(ref_ext_int64(w2, t, x)) != first
    buf.temps = np.zeros(4, np.uint8)              # replaced array: picked up even without touch()
    assert mm.gated_ext(buf, 2, 2, x).tolist() == cl(w2 @ x)


def test_cache_survives_address_reuse_of_replaced_arrays() -> None:
    """Replacing weight arrays without touch() many times: a freed array's address is reused by
    later ones (CPython), so a cache keyed on id() numbers would serve a stale matrix."""
    buf = ColdBuffer.zeros((8, 8))
    x = np.arange(8)
    for i in range(300):
        buf.pol = np.full(64, 1 if i % 2 else -1, np.int8)
        buf.mag = np.full(64, i % 256, np.uint8)
        w = (buf.pol.astype(np.int64) * buf.mag).reshape(8, 8)
        assert mm.ungated(buf, 8, 8, x).tolist() == cl(w @ x), i
        assert mm.ungated_batch(buf, 8, 8, x[None, :]).tolist() == [cl(w @ x)], i


def test_short_weights_and_temperatures_pad() -> None:
    """Weights missing from the data read 0, missing temperatures read HOT (extension semantics)."""
    buf = ColdBuffer(np.array([1, 1, 1], np.int8), np.array([10, 20, 30], np.uint8), (2, 2))
    buf.temps = np.array([3], np.uint8)
    x = np.array([5, 7])
    assert mm.gated_ext(buf, 2, 2, x).tolist() == [7 * 20, 30 * 5]
    assert mm.clamp_i32(np.array([1 << 40, -(1 << 40), 5])).tolist() == [I32_MAX, I32_MIN, 5]


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 6), st.integers(1, 9), st.integers(0, 2**32 - 1),
       st.sampled_from([(-300, 300), (-(1 << 31), (1 << 31) - 1), (-16, 16)]))
def test_property_random(out, inn, seed, xr) -> None:
    rng = np.random.default_rng(seed)
    w, t, x = rand_case(rng, out, inn, *xr)
    buf = cold(w, t)
    assert mm.gated_core(buf, out, inn, x).tolist() == cl(ref_core_loop(w.tolist(), t.tolist(), x.tolist()))
    assert mm.gated_ext(buf, out, inn, x).tolist() == cl(ref_ext_loop(w.tolist(), t.tolist(), x.tolist()))
