"""The assembler's fast paths give exactly what its long ways give: same program, same error
(message, line, column), on generated lines."""
from __future__ import annotations

import dataclasses
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ternsig.asm import assembler as A
from ternsig.asm import operands as O
from ternsig.asm import assemble
from ternsig.binary import program_json
from ternsig.errors import AssemblyError

_NEVER = re.compile(r"(?!)")

pieces = st.sampled_from(["H0", "C1", "T2", "h3", "C63", "S0", "P1", "H64", "X1", "C0x1", " C2 ", "C01"])
dtypes = st.sampled_from(["i32", "ternary", "INT", "f32", "packed", "u8", "i 32", "key=i32", "float32", ""])
dims = st.lists(st.sampled_from(["1", "16", " 64", "0", "+3", "", "x", "99999999999999999999999", "١"]),
                max_size=3)
tails = st.sampled_from(["", '  key="a.b"', 'key=""', ' key="x" frozen=true', " junk", ' key="q', "  "])


def _outcome(src: str) -> object:
    try:
        return program_json(assemble(src))
    except AssemblyError as exc:
        return (exc.message, exc.line, exc.column)


@settings(max_examples=300, deadline=None)
@given(pieces, dtypes, dims, tails, st.booleans())
def test_register_line_fast_path_matches_the_long_way(name: str, dtype: str, ds: list[str], tail: str,
                                                       brackets: bool) -> None:
    shape = f"[{','.join(ds)}]" if brackets else ""
    src = f".registers\n    {name}: {dtype}{shape}{tail}\n.program\n    halt\n"
    fast = _outcome(src)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(A, "_REG_LINE", _NEVER)
        slow = _outcome(src)
    assert fast == slow


operands = st.sampled_from(["H0", "H1", "C0", "h2", "T3", "", "5", "0x10", "H99", "label", "S1"])
mnemonics = st.sampled_from(["add", "relu", "ternary_matmul", "load_input", "store_output", "halt",
                             "mul", "copy", "sigmoid", "nop", "ADD"])


@settings(max_examples=300, deadline=None)
@given(mnemonics, st.lists(operands, max_size=4))
def test_register_operand_fast_path_matches_the_long_way(mnem: str, ops: list[str]) -> None:
    src = f".registers\n    H0: i32[4]\n.program\n    {mnem} {', '.join(ops)}\n    halt\n"
    fast = _outcome(src)
    real_plan = O.plan
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(O, "plan", lambda layout: dataclasses.replace(real_plan(layout), reg_slots=None))
        mp.setattr(A, "_register_only_core", lambda text, core: None)
        slow = _outcome(src)
    assert fast == slow
