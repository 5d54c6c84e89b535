import numpy as np
import pytest

from ternsig.errors import FormatError, HostError
from ternsig.host import banks
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


def test_full_bank_keeps_bookkeeping_aligned_with_rows():
    """Inserts into a full bank evict one entry each; ids, vectors, counts and edges stay aligned
    with each other and in insertion order (compared with a plain-list model of the bank)."""
    rng = np.random.default_rng(5)
    b = Bank("t", width=3, max_entries=8)
    model = []                                      # [id, vector, access_count, temperature, edges]
    for tick in range(60):
        v = rng.integers(-300, 300, 3)
        if len(model) == 8:
            scores = [(10, 50, 200, 1000)[t] + (500 - min(tick - c, 500)) + min(n, 500) + 128
                      for _, _, n, t, _, c in model]
            del model[scores.index(min(scores))]
        eid = b.insert(v, tick)
        model.append([eid, np.clip(v, -255, 255).tolist(), 0, 0, [], tick])
        pick = model[int(rng.integers(len(model)))]
        for _ in range(int(rng.integers(3))):
            b.touch(pick[0], tick)
            pick[2] += 1
        if rng.random() < 0.3:
            b.promote(pick[0])
            pick[3] = min(3, pick[3] + 1)
        if rng.random() < 0.2 and len(model) > 1:
            b.link(pick[0], 3, 0, model[0][0], 9, tick)
            pick[4].append(model[0][0])
        if rng.random() < 0.1:
            gone = model.pop(int(rng.integers(len(model))))
            b.delete(gone[0])
    assert b.ids.tolist() == [e[0] for e in model]
    assert b.vectors.tolist() == [e[1] for e in model]
    assert [(m.access_count, m.temperature, [x.target for x in m.edges]) for m in b.meta] == \
        [(e[2], e[3], e[4]) for e in model]
    c = Bank.from_bytes(b.to_bytes())
    assert c.ids.tolist() == b.ids.tolist() and c.meta == b.meta and c.seq == b.seq


def test_a_bank_body_with_impossible_values_is_a_format_error():
    import json

    import xxhash

    from ternsig.host.banks import MAGIC, VERSION

    b = Bank("t", width=2)
    b.insert(np.array([1, 2]), 0)
    raw = b.to_bytes()
    for edit in (lambda d: d["meta"][0].update(t=7), lambda d: d.update(vectors=[[999, 0]]),
                 lambda d: d.update(width=0), lambda d: d["meta"][0].update(e=[["x"]])):
        d = json.loads(raw[22:])
        edit(d)
        body = json.dumps(d).encode()
        bad = MAGIC + VERSION.to_bytes(2, "little") + len(body).to_bytes(8, "little") + xxhash.xxh64(body).digest() + body
        with pytest.raises(FormatError, match="malformed"):
            Bank.from_bytes(bad)


def test_invalid_bank_geometry_is_refused():
    with pytest.raises(HostError, match="width"):
        Bank("t", width=0)


def _bank_file(body: bytes) -> bytes:
    import xxhash

    from ternsig.host.banks import MAGIC, VERSION

    return MAGIC + VERSION.to_bytes(2, "little") + len(body).to_bytes(8, "little") + xxhash.xxh64(body).digest() + body


@pytest.mark.parametrize("body", [b"[" * 100_000 + b"]" * 100_000, b'{"name": "x", "width": 1e400}', b'{"name": 1}',
                                  b'{"name": "x", "width": 4, "max_entries": 4, "seq": 0, "ids": [1], '
                                  b'"vectors": [[1, 2, 3, 4]], "meta": [7]}'])
def test_hostile_bank_with_a_valid_checksum_is_a_format_error(body):
    from ternsig.errors import FormatError
    from ternsig.host.banks import Bank

    with pytest.raises(FormatError):
        Bank.from_bytes(_bank_file(body))


def test_a_bank_file_cannot_choose_where_the_next_save_goes(tmp_path):
    from ternsig.errors import FormatError
    from ternsig.host.banks import Bank, BankSet

    (tmp_path / "episodic.bank").write_bytes(Bank("../../evil", 4).to_bytes())
    with pytest.raises(FormatError, match="holds bank"):
        BankSet(tmp_path, width=4).load_all()


def _naive_query(b: Bank, q, k: int) -> list:
    """Sparse cosine written out in Python ints: only q's non-zero dimensions take part."""
    import math

    q = [max(-255, min(255, int(v))) for v in list(q)[: b.width]]
    dims = [i for i, v in enumerate(q) if v]
    if not len(b) or k <= 0 or not dims:
        return []
    nq = sum(q[i] * q[i] for i in dims)
    scored = []
    for row, eid in zip(b.vectors.tolist(), b.ids.tolist()):
        dot = sum(row[i] * q[i] for i in dims)
        den = math.isqrt(sum(row[i] * row[i] for i in dims) * nq)
        s = 0 if den == 0 else abs(dot * 256) // den * (1 if dot >= 0 else -1)
        scored.append((eid, s))
    return sorted(scored, key=lambda t: -t[1])[:k]       # stable: ties keep insertion order


@pytest.mark.parametrize("small", [0, 1 << 30], ids=["numpy", "python"])
@pytest.mark.parametrize("seed", range(8))
def test_query_matches_a_naive_cosine_through_inserts_deletes_and_evictions(seed, small, monkeypatch):
    """The query's cached float rows must follow every change of the vectors; both query paths
    (NumPy for larger banks, Python integers for small ones) give the naive result."""
    monkeypatch.setattr(banks, "SMALL_QUERY", small)
    rng = np.random.default_rng(seed)
    w = 6 if seed < 6 else 300            # float32 sums up to width 258, float64 above
    b = Bank("t", width=w, max_entries=40)
    for tick in range(200):
        act = rng.integers(0, 10)
        if act < 5 or not len(b):
            v = rng.integers(-300, 300, w) * (rng.random(w) < 0.7)
            b.insert(v, tick)
        elif act == 5:
            b.delete(int(b.ids[rng.integers(0, len(b))]))
        elif act == 6:
            b.evict(int(rng.integers(1, 4)), tick)
        elif act == 7 and tick % 50 == 7:
            b.compact()
        elif act == 8 and tick % 60 == 8:
            b.vectors = b.vectors[::-1].copy()
        q = rng.integers(-300, 300, int(rng.choice([w, w - 2, w + 3]))) * (rng.random(1) < 0.95)
        k = int(rng.integers(0, 8))
        assert b.query(q, k) == _naive_query(b, q, k), tick
