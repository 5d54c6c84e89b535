"""Work rules read from the table rows (isa/cost.py): operand elements plus the row's cost= rule."""
from __future__ import annotations

import pytest

from ternsig.errors import UsageError
from ternsig.extensions.core import CORE
from ternsig.isa.cost import cost_function, describe, parse_cost, work_slots
from ternsig.isa.spec import parse_flags
from ternsig.registry import ExtensionRegistry
from ternsig.vm.state import ColdBuffer, HotBuffer, Machine


def machine(**regs: tuple[int, ...]) -> Machine:
    m = Machine()
    for name, shape in regs.items():
        idx = int(name[1:])
        if name[0] == "H":
            m.hot[idx] = HotBuffer.zeros(shape)
        else:
            m.cold[idx] = ColdBuffer.zeros(shape)
    return m


def test_parse_cost_terms_and_factors():
    assert parse_cost("rows(A)*n(B)+4") == ((("rows", "A"), ("n", "B")), (("int", "4"),))
    assert parse_flags("masks_third cost=imm(B)*imm(CD)")["cost"] == "imm(B)*imm(CD)"


@pytest.mark.parametrize("bad", ["len(A)", "n(E)", "n(A)**2", "", "rows(A)+", "n(A) n(B)"])
def test_malformed_cost_rule_is_refused_where_the_row_is_declared(bad):
    with pytest.raises(UsageError):
        parse_cost(bad)


def test_operands_count_elements_of_the_larger_bank():
    add = CORE.by_mnemonic["add"]
    m = machine(H1=(10,), C1=(30,), H2=(5,), H3=(7,))
    # add H1, H2, H3: A counts max(H1, C1) = 30, B = 5, C = 7
    assert cost_function(add, 1, 2, 3, 0)(m) == 30 + 5 + 7


def test_masks_third_counts_the_index_the_handler_reads():
    add = CORE.by_mnemonic["add"]
    assert work_slots(add, 0, 1, 0x13, 0) == (0, 1, 3)


def test_c_and_d_above_15_also_count_the_legacy_low_index():
    relu = CORE.by_mnemonic["relu"]
    gate = ExtensionRegistry.standard().get(2).by_mnemonic["gate_update"]
    assert work_slots(relu, 0x20, 0x21, 0, 0) == (0x20, 0x21)
    assert work_slots(gate, 0, 1, 0x15, 0x16) == (0, 1, 0x15, 5, 0x16, 6)


def test_unallocated_registers_count_zero_and_registerless_rows_cost_nothing():
    assert cost_function(CORE.by_mnemonic["add"], 1, 2, 3, 0)(Machine()) == 0
    assert cost_function(CORE.by_mnemonic["nop"], 0xFF, 0xFF, 0, 0) is None


def test_attention_is_charged_its_multiply_adds():
    attn = ExtensionRegistry.standard().get(1).by_mnemonic["attn"]
    m = machine(H0=(64, 16), H1=(128, 16), H2=(128, 8))
    # operands 1024 + 2048 + 1024 (+0 for the missing output), then q_rows x (k + v elements)
    assert cost_function(attn, 0, 1, 2, 3)(m) == 1024 + 2048 + 1024 + 64 * 2048 + 64 * 1024


def test_embedding_gather_is_charged_rows_times_width():
    emb = CORE.by_mnemonic["embed_lookup"]
    m = machine(C1=(1000, 64), H2=(300,))
    assert cost_function(emb, 0, 0x41, 2, 0)(m) == 64000 + 300 + 300 * 64


def test_allocation_is_charged_by_its_immediates():
    alloc = CORE.by_mnemonic["alloc_tensor"]
    assert cost_function(alloc, 5, 200, 0x01, 0x00)(Machine()) == 200 * 256 + 200


def test_every_superlinear_row_declares_a_rule():
    reg = ExtensionRegistry.standard()
    named = {s.qualified for t in [reg.get(0), *reg.tables()] for s in t.specs if s.cost}
    assert {"tensor.attn", "ternary.ternary_batch_matmul", "ternary.embed_lookup", "neuro.coact_record",
            "embed_lookup", "ternary_batch_matmul", "alloc_tensor", "arch.alloc_dynamic"} <= named
    assert describe(reg.get(1).by_mnemonic["attn"]) == "n(A)+n(B)+n(C)+n(D) + rows(A)*n(B)+rows(A)*n(C)"
