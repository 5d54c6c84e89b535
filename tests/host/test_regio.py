"""Register I/O of fulfilled DomainOps: results are saturated to i32 whatever path converts them."""
from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from ternsig.host.regio import _as_i32

I32 = (-(1 << 31), (1 << 31) - 1)


@given(st.lists(st.integers(-(1 << 62), 1 << 62), max_size=80))
def test_short_int_lists_and_arrays_saturate_alike(values):
    want = [min(max(v, I32[0]), I32[1]) for v in values]
    for form in (values, np.array(values, np.int64), tuple(values)):
        got = _as_i32(form)
        assert got.dtype == np.int32 and got.tolist() == want


def test_a_new_array_never_the_callers():
    src = np.array([1, 2, 3], np.int32)
    out = _as_i32(src)
    out[0] = 9
    assert src[0] == 1
    assert _as_i32([True, 2]).tolist() == [1, 2]
