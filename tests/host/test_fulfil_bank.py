"""bank (0x000B) under a brain: write, query (sparse cosine, top-k), load, count, touch, delete,
typed edges and breadth-first traversal, promote/demote/evict/compact, and persistence across a
restart — every op yielded by firmware and fulfilled by the default host (no inline bank cache)."""
from __future__ import annotations

import numpy as np
import pytest

from ternsig.extensions.bank import TABLE
from ternsig.host.banks import Bank

from tests.host.conftest import assert_clean, assert_trapped, firmware, hot, make_brain, reopen, set_hot

COVERED = {"bank_query", "bank_write", "bank_load", "bank_link", "bank_traverse", "bank_touch", "bank_delete",
           "bank_count", "bank_promote", "bank_demote", "bank_evict", "bank_compact"}
CONFIG = "bank_width 4\nbank r 0=episodic 1=semantic"
REGS = "\n".join(f"H{i}: i32[1]" for i in range(16))


def test_every_bank_opcode_is_covered_here():
    assert {s.mnemonic for s in TABLE.specs} == COVERED


def bank_brain(root, program, **kw):
    return make_brain(root, {"r": (firmware(program, REGS), kw.pop("opts", "")),
                             **kw.pop("others", {})}, config=CONFIG)


def pair(eid: int) -> list[int]:
    lo = eid & 0xFFFFFFFF
    return [eid >> 32, lo - (1 << 32) if lo >= 1 << 31 else lo]


WRITE2 = """
    bank.bank_write H1, H0, 0
    bank.bank_write H3, H2, 0
"""


def test_write_query_load_count(root):
    b = bank_brain(root, WRITE2 + """
        bank.bank_query H4, H0, 0, 2
        bank.bank_load H5, H1, 0
        bank.bank_count H6, 0
        bank.bank_count H7, 1
        halt
    """)
    set_hot(b, "r", 0, [10, 0, -20, 5])
    set_hot(b, "r", 2, [0, 255, 0, 0])
    b.tick()
    assert_clean(b)
    bank = b.banks.get("episodic")
    a, c = bank.ids.tolist()
    assert hot(b, "r", 1) == pair(a) and hot(b, "r", 3) == pair(c)
    # only the query's non-zero dimensions count: entry c is zero there → score 0
    assert hot(b, "r", 4) == [2, 256, *pair(a), 0, *pair(c)]
    assert hot(b, "r", 5) == [10, 0, -20, 5]
    assert hot(b, "r", 6) == [2] and hot(b, "r", 7) == [0]
    assert bank.vectors.tolist() == [[10, 0, -20, 5], [0, 255, 0, 0]]


def test_query_top_k_limits_and_orders_by_score(root):
    b = bank_brain(root, WRITE2 + "bank.bank_write H9, H8, 0\nbank.bank_query H4, H10, 0, 1\nhalt")
    set_hot(b, "r", 0, [100, 0, 0, 0])
    set_hot(b, "r", 2, [50, 50, 0, 0])
    set_hot(b, "r", 8, [0, 0, 9, 9])
    set_hot(b, "r", 10, [10, 10, 0, 0])
    b.tick()
    assert_clean(b)
    ids = b.banks.get("episodic").ids.tolist()
    assert hot(b, "r", 4) == [1, 256, *pair(ids[1])]


def test_touch_promote_demote_delete(root):
    b = bank_brain(root, WRITE2 + """
        bank.bank_touch H1, 0
        bank.bank_touch H1, 0
        bank.bank_promote H1, 0
        bank.bank_promote H1, 0
        bank.bank_demote H1, 0
        bank.bank_demote H3, 0
        bank.bank_delete H3, 0
        bank.bank_count H6, 0
        halt
    """)
    set_hot(b, "r", 0, [1, 2, 3, 4])
    set_hot(b, "r", 2, [4, 3, 2, 1])
    b.tick()
    assert_clean(b)
    bank = b.banks.get("episodic")
    assert len(bank) == 1 and hot(b, "r", 6) == [1]
    m = bank.meta[0]
    assert (m.access_count, m.accessed, m.temperature) == (2, 1, 1)


def test_evict_removes_the_lowest_scoring_entries_and_compact_keeps_the_rest(root):
    b = bank_brain(root, WRITE2 + "bank.bank_touch H1, 0\nbank.bank_promote H1, 0\n"
                                  "bank.bank_evict 0, 1\nbank.bank_compact 0\nbank.bank_count H6, 0\nhalt")
    set_hot(b, "r", 0, [1, 1, 1, 1])
    set_hot(b, "r", 2, [2, 2, 2, 2])
    b.tick()
    assert_clean(b)
    bank = b.banks.get("episodic")
    assert hot(b, "r", 6) == [1] and bank.vectors.tolist() == [[1, 1, 1, 1]]   # the used, warmer one stays
    assert bank.vectors.flags["C_CONTIGUOUS"]


LINKS = """
    bank.bank_write H1, H0, 0        ; A
    bank.bank_write H3, H0, 0        ; B
    bank.bank_write H5, H0, 0        ; C
    bank.bank_write H7, H0, 1        ; D, in the other bank
    set H13, 0
    set H14, 200
    set H15, 1
    concat H8, H1, H13
    concat H8, H8, H3
    concat H8, H8, H14
    bank.bank_link H8, 3, 0          ; A -RelatedTo-> B
    concat H9, H3, H13
    concat H9, H9, H5
    concat H9, H9, H14
    bank.bank_link H9, 3, 0          ; B -RelatedTo-> C
    concat H10, H1, H15
    concat H10, H10, H7
    concat H10, H10, H14
    bank.bank_link H10, 5, 0         ; A -Causes-> D (slot 1)
    bank.bank_traverse H11, H1, 0, 0x32
    bank.bank_traverse H12, H1, 0, 0x31
    bank.bank_traverse H6, H1, 0, 0x51
    bank.bank_traverse H4, H5, 0, 0x32
    halt
"""


def test_link_and_breadth_first_traverse_by_type_and_depth(root):
    b = bank_brain(root, LINKS)
    set_hot(b, "r", 0, [1, 2, 3, 4])
    b.tick()
    assert_clean(b)
    A, B, C = b.banks.get("episodic").ids.tolist()
    (D,) = b.banks.get("semantic").ids.tolist()
    assert hot(b, "r", 11) == [2, 0, *pair(B), 0, *pair(C)]      # RelatedTo, depth 2
    assert hot(b, "r", 12) == [1, 0, *pair(B)]                   # depth 1
    assert hot(b, "r", 6) == [1, 1, *pair(D)]                    # Causes → the other bank
    assert hot(b, "r", 4) == [0]                                 # C has no outgoing edges
    e = b.banks.get("episodic").meta[0].edges[0]
    assert (e.type, e.slot, e.target, e.weight) == (3, 0, B, 200)


def test_banks_persist_and_answer_after_a_restart(root):
    b = bank_brain(root, "bank.bank_write H1, H0, 0\nhalt")
    set_hot(b, "r", 0, [7, -7, 7, -7])
    b.tick()
    b.save()
    (root / "brain" / "r.ternsig").write_text(firmware("bank.bank_query H4, H0, 0, 4\nbank.bank_count H6, 0\nhalt", REGS))
    b3 = reopen(root)
    set_hot(b3, "r", 0, [7, -7, 7, -7])
    b3.tick()
    assert_clean(b3)
    (eid,) = b3.banks.get("episodic").ids.tolist()
    assert hot(b3, "r", 4) == [1, 256, *pair(eid)] and hot(b3, "r", 6) == [1]


@pytest.mark.parametrize("program,what,op", [
    ("bank.bank_count H6, 9", "no bank in slot 9", "BankCount"),
    ("bank.bank_write H1, H0, 0", "width is 4", "BankWrite"),
    ("bank.bank_load H5, H6, 0", "needs an entry id pair", "BankLoad"),
    ("bank.bank_delete H2, 0", "no entry", "BankDelete"),
    ("bank.bank_touch H2, 0", "no entry", "BankTouch"),
    ("bank.bank_promote H2, 0", "no entry", "BankPromote"),
    ("bank.bank_link H2, 3, 0", "needs 6 values", "BankLink"),
    ("bank.bank_link H3, 77, 0", "unknown edge type 77", "BankLink"),
    ("bank.bank_traverse H4, H2, 0, 0x31", "no entry", "BankTraverse"),
    ("bank.bank_query H4, H41, 0, 1", "H41 is not allocated", "BankQuery"),
    ("bank.bank_write H1, H40, 1", "H40 is not allocated", "BankWrite"),
])
def test_bad_bank_input_traps_and_leaves_the_persisted_bank_intact(root, program, what, op):
    ok = firmware("lifecycle.tick_read H0\nstore_output H0\nhalt")
    seed = bank_brain(root, "bank.bank_write H1, H0, 0\nhalt", others={"ok": ok})
    set_hot(seed, "r", 0, [1, 2, 3, 4])
    seed.tick()
    seed.save()
    path = root / "state" / "banks" / "episodic.bank"
    before = path.read_bytes()
    (root / "brain" / "r.ternsig").write_text(firmware(f"{program}\nhalt", REGS))
    b = reopen(root)
    (eid,) = b.banks.get("episodic").ids.tolist()
    set_hot(b, "r", 0, [1, 2, 3, 4, 5])                      # wrong width for bank_write
    set_hot(b, "r", 2, [0, 12345])                           # an id that does not exist
    set_hot(b, "r", 3, [*pair(eid), 0, *pair(eid), 9])       # a well-formed link source
    b.tick()
    assert_trapped(b, "r", "pc 0", op, what)
    assert_clean(b, "ok")
    assert b.region("ok").output.tolist() == [2]          # the restart resumed at tick 1 (checkpoint)
    assert len(b.banks.get("episodic")) == 1
    b.save()
    assert Bank.from_bytes(path.read_bytes()).vectors.tolist() == Bank.from_bytes(before).vectors.tolist()
    assert not b.banks.get("episodic").meta[0].edges


def test_query_top_k_equals_the_exact_integer_formula_with_stable_ties():
    import math

    rng = np.random.default_rng(3)
    for trial in range(20):
        n, k = int(rng.integers(1, 200)), int(rng.integers(1, 12))
        v = rng.integers(-255, 256, (n, 64)) * (rng.random((n, 64)) < 0.5)
        v[: n // 3] = v[0]                                          # many exact ties
        bank = Bank("t", 64, max_entries=10_000)
        bank.vectors, bank.ids = v.astype(np.int32), np.arange(n, dtype=np.int64)
        q = rng.integers(-255, 256, 64) * (rng.random(64) < 0.6)
        m = q != 0
        ref = []
        for i in range(n):
            dot = sum(int(a) * int(c) for a, c in zip(v[i][m], q[m]))
            d = math.isqrt(sum(int(a) ** 2 for a in v[i][m]) * sum(int(c) ** 2 for c in q[m]))
            ref.append(0 if d == 0 else (abs(dot) * 256 // d) * (1 if dot >= 0 else -1))   # Rust `/` truncates
        order = sorted(range(n), key=lambda i: (-ref[i], i))[:k]
        assert bank.query(q, k) == [(i, ref[i]) for i in order], trial
