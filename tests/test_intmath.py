from hypothesis import given, strategies as st
import numpy as np

from ternsig.intmath import (I32_MAX, I32_MIN, sat_i32, sat_i32_arr, tdiv, tdiv_arr, trem, wrap_i32,
                             wrap_i32_arr)

i64 = st.integers(min_value=-(1 << 62), max_value=1 << 62)


@given(i64, i64.filter(lambda b: b != 0))
def test_tdiv_truncates_toward_zero(a, b):
    q = tdiv(a, b)
    assert abs(q) == abs(a) // abs(b)
    assert q == 0 or (q > 0) == ((a > 0) == (b > 0))
    assert a == q * b + trem(a, b)
    assert trem(a, b) == 0 or (trem(a, b) > 0) == (a > 0)


def test_rust_examples():
    assert tdiv(-7, 2) == -3 and trem(-7, 2) == -1
    assert tdiv(7, -2) == -3 and trem(7, -2) == 1
    assert -7 >> 1 == -4  # >> floors, as Rust's arithmetic shift


@given(st.lists(i64, max_size=50), i64.filter(lambda b: b != 0))
def test_tdiv_arr_matches_scalar(xs, b):
    got = tdiv_arr(np.array(xs, dtype=np.int64), b).tolist()
    assert got == [tdiv(x, b) for x in xs]


@given(st.integers(min_value=-(1 << 40), max_value=1 << 40))
def test_wrap_and_saturate(x):
    w = wrap_i32(x)
    assert I32_MIN <= w <= I32_MAX and (w - x) % (1 << 32) == 0
    s = sat_i32(x)
    assert s == min(max(x, I32_MIN), I32_MAX)
    assert wrap_i32_arr(np.array([x], np.int64)).tolist() == [w]
    assert sat_i32_arr(np.array([x], np.int64)).tolist() == [s]
