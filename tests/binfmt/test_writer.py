"""The writer's fast pass packs exactly the bytes of its checking pass, and leaves to it every
program it cannot pack."""
from __future__ import annotations

import pytest
from hypothesis import given, settings

from tests.binfmt.test_fuzz import programs
from ternsig.binfmt import writer as W
from ternsig.errors import FormatError
from ternsig.program import Program, RegisterDef


@settings(max_examples=300, deadline=None)
@given(programs)
def test_fast_pass_packs_what_the_checking_pass_packs(program: Program) -> None:
    assert W._fast_sections(program) == W._checked_sections(program, False)


@pytest.mark.parametrize("rd", [RegisterDef(0, "i32", (70000,)), RegisterDef(0, "i32", (1,) * 256),
                                RegisterDef(300, "i32", (1,)), RegisterDef(0, "u8", (1,)),
                                RegisterDef(0x40, "ternary", (1,), key="k" * 256),
                                RegisterDef(0, "i32", (2.0,))])  # type: ignore[arg-type]
def test_what_the_fast_pass_cannot_pack_goes_the_checking_way(rd: RegisterDef) -> None:
    p = Program(registers=[rd])
    with pytest.raises(W._Unpackable):
        W._fast_sections(p)
    try:
        want = W._checked_sections(p, False)
    except FormatError as exc:
        with pytest.raises(FormatError) as ei:
            W.serialize(p)
        assert (ei.value.message, ei.value.offset) == (exc.message, exc.offset)
    else:  # a float dimension the checking pass converts with int()
        assert W.serialize(p)[48:] == b"".join(want)
