"""The work budget (run(work=)): charged before each instruction by its row's rule, a trap of kind
"work" at the same pc with the same text under both tiers, and no effect on the instruction count."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ternsig.asm import assemble
from ternsig.errors import FuelTrap, UsageError
from ternsig.vm.compiled import numba_available
from ternsig.vm.interpreter import Interpreter

TIERS = ["interp"] + (["compiled"] if numba_available() else [])

ADDS = """.registers
    H0: i32[1000]
    H1: i32[1000]
.program
    loop 10
    add H1, H0, H1
    relu H1, H1
    end_loop
    halt
"""


def interp(src: str, tier: str) -> Interpreter:
    if tier == "compiled":
        from ternsig.vm.compiled import warm

        warm.wait()
    return Interpreter(assemble(src), tier=tier)


@pytest.mark.parametrize("tier", TIERS)
def test_work_budget_traps_before_the_instruction_it_cannot_afford(tier):
    it = interp(ADDS, tier)
    # each add costs 3 x 1000, each relu 2 x 1000: 5,000 a round, so 40,000 runs 8 rounds
    res = it.run(work=40_000)
    assert (res.kind, res.pc, it.work_left) == ("work", 1, 0)
    assert res.message == "work budget exhausted: add needs 3,000 units, 0 left"
    assert it.steps == 1 + 8 * 3
    with pytest.raises(FuelTrap):
        res.raise_for_trap()


@pytest.mark.parametrize("tier", TIERS)
def test_enough_work_leaves_the_run_unchanged(tier):
    plain, budgeted = interp(ADDS, tier), interp(ADDS, tier)
    assert plain.run().status == budgeted.run(work=10**9).status
    assert plain.steps == budgeted.steps == 32
    assert budgeted.work_left == 10**9 - 10 * 5000
    assert plain.work_left == -1
    assert np.array_equal(plain.m.hot[1].data, budgeted.m.hot[1].data)


def test_attention_too_big_for_the_budget_never_runs():
    """tensor.attn at 2048 x 2048 would take minutes: the charge (rows x k and v elements) is
    refused before any of it is computed."""
    src = """.requires
    tensor 0x0001
.registers
    H0: i32[2048, 2048]
    H1: i32[2048, 2048]
    H2: i32[2048, 2048]
.program
    tensor.attn H0, H1, H2, H3
    halt
"""
    it = interp(src, "interp")
    res = it.run(work=10**8)
    assert res.kind == "work" and res.pc == 0 and it.m.hot[3] is None
    # 3 x 2048² operands + 2048 rows x (k + v elements)
    assert "tensor.attn needs 17,192,452,096 units" in res.message


def test_negative_work_is_a_usage_error():
    with pytest.raises(UsageError):
        interp(ADDS, "interp").run(work=-1)


OPS = ["add H{a}, H{b}, H{c}", "sub H{a}, H{b}, H{c}", "mul H{a}, H{b}, H{c}", "relu H{a}, H{b}",
       "copy_reg H{a}, H{b}", "max_reduce H{a}, H{b}", "shift H{a}, H{b}, 2", "cmp_gt H{a}, H{b}, H{c}",
       "concat H{a}, H{b}, H{c}", "zero_reg H{a}", "load_input H{a}", "ternary_matmul H{a}, C0, H{b}",
       "add H{a}, H{b}, C0", "softmax H{a}, H{b}", "set H{a}, 7"]


@pytest.mark.skipif(len(TIERS) < 2, reason="the compiled tier needs Numba")
@settings(max_examples=60, deadline=None)
@given(ops=st.lists(st.tuples(st.sampled_from(OPS), st.integers(0, 3), st.integers(0, 3), st.integers(0, 3)),
                    min_size=1, max_size=12),
       work=st.integers(0, 3000), loops=st.integers(1, 4))
def test_both_tiers_charge_the_same_units_and_trap_at_the_same_pc(ops, work, loops):
    body = "\n".join("    " + op.format(a=a, b=b, c=c) for op, a, b, c in ops)
    src = (".registers\n    H0: i32[16]\n    H1: i32[40]\n    H2: i32[8]\n    C0: ternary[8, 16]\n"
           f".program\n    loop {loops}\n{body}\n    end_loop\n    halt\n")
    out = []
    for tier in TIERS:
        it = interp(src, tier)
        it.load_input(list(range(-20, 20)))
        res = it.run(fuel=10_000, work=work)
        out.append((res.status, res.kind, res.pc, res.message, it.work_left, it.steps,
                    [None if h is None else h.data.tolist() for h in it.m.hot[:4]]))
    assert out[0] == out[1]


def test_chl_correlations_are_charged_and_bounded():
    """Before: chl_free_record of two 64K registers asked NumPy for a 32 GiB outer product."""
    src = """.requires
    learning 0x0004
.registers
    H0: i32[65536]
    H1: i32[65536]
.program
    learning.chl_free_start
    learning.chl_free_record H0, H1
    halt
"""
    it = interp(src, "interp")
    res = it.run(work=10**8)
    assert res.kind == "work" and res.pc == 1 and "learning.chl_free_record needs 4,295,098,368 units" in res.message
    it = interp(src, "interp")
    res = it.run()                                  # no work budget: the memory limit still holds
    assert res.kind == "memory" and "CHL: memory limit" in res.message


@pytest.mark.parametrize("tier", TIERS)
def test_weight_writes_call_the_guard_hook_with_their_pc_in_both_tiers(tier):
    """The host's layer-4 guard hangs on this hook: a compiled kernel for a weight-writing row must
    leave it to the wrapper whenever a work budget (a brain run) is set."""
    src = """.registers
    C0: ternary[1, 4]
    H0: i32[4]
    H1: i32[1]
.program
    loop 3
    set H1, 1
    mastery_update C0, H0, H1
    mastery_commit C0
    end_loop
    halt
"""
    it = interp(src, tier)
    seen: list[int] = []
    it.on_weight_write = seen.append
    assert it.run(work=10**9).status.value == "halt"
    assert seen == [3, 3, 3]
    it = interp(src, tier)
    it.on_weight_write = seen.append
    it.run()                                             # no work budget: no hook (the lean loop)
    assert seen == [3, 3, 3]
