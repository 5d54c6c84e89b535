import numpy as np
import pytest

from ternsig.errors import FormatError, HostError
from ternsig.host.banks import Bank, isqrt_arr


def test_isqrt_is_exact():
    v = np.array([0, 1, 2, 3, 4, 15, 16, 17, (1 << 52) + 5, 2147483647 ** 2, 2147483647 ** 2 - 1, (1 << 62) - 1], np.int64)
    import math
    assert isqrt_arr(v).tolist() == [math.isqrt(int(x)) for x in v]


def test_sparse_cosine_matches_the_integer_formula():
    b = Bank("t", width=4)
    a = b.insert(np.array([10, 0, -20, 5]), tick=1)
    c = b.insert(np.array([10, 0, 20, 5]), tick=1)
    hits = b.query(np.array([10, 0, -20, 0]), 2)
    # query dims 0 and 2 only: entry a → dot 500, |q|² 500, |s|² 500 → 256; entry c → dot -300 → -153
    assert hits == [(a, 256), (c, -153)]
    assert b.query(np.zeros(4), 3) == []


def test_width_is_enforced_and_eviction_prefers_cold_unused_entries():
    b = Bank("t", width=2, max_entries=2)
    with pytest.raises(HostError, match="width"):
        b.insert(np.array([1, 2, 3]), 0)
    x = b.insert(np.array([1, 1]), 0)
    y = b.insert(np.array([2, 2]), 0)
    for _ in range(5):
        b.touch(x, 1)
    b.promote(x)
    b.insert(np.array([3, 3]), 2)                 # full: the lowest score (y) goes
    assert x in b.ids.tolist() and y not in b.ids.tolist()


def test_round_trip_and_corruption_is_detected():
    b = Bank("mem", width=3)
    e = b.insert(np.array([1, -2, 3]), 4)
    f = b.insert(np.array([0, 5, 0]), 5)
    b.link(e, 3, 0, f, 200, 6)
    raw = b.to_bytes()
    c = Bank.from_bytes(raw)
    assert c.ids.tolist() == b.ids.tolist() and c.vectors.tolist() == b.vectors.tolist()
    assert c.meta[0].edges[0].target == f
    bad = bytearray(raw)
    bad[-3] ^= 0x01
    with pytest.raises(FormatError, match="checksum"):
        Bank.from_bytes(bytes(bad))
    with pytest.raises(FormatError):
        Bank.from_bytes(raw[:10])
