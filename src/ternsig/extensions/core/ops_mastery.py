"""Core mastery-learning handlers: MARK_ELIGIBILITY (a no-op in the core ISA), ADD_BABBLE,
MASTERY_UPDATE and MASTERY_COMMIT.

The kernels live in :mod:`ternsig.kernels.pressure` and :mod:`ternsig.plasticity.babble` and are shared with the learning extension. Core
quirks kept here: the direction register is read as ``C & 0x0F`` (legacy 16-register decoding),
the update's threshold divisor is always 4 and the commit's step always 5 (the assembler drops
both), and only the core commit marks the buffer ``dirty``.
"""
from __future__ import annotations

from ...plasticity.babble import apply_babble
from ...kernels.pressure import accumulate_mastery, commit_pressure
from ...vm.state import Machine
from .table import CORE


@CORE.implements("mark_eligibility")
def mark_eligibility(m: Machine, a: int, b: int, c: int, d: int) -> None:
    """The core opcode does nothing; eligibility traces are the learning extension's."""
    return None


@CORE.implements("add_babble")
def add_babble(m: Machine, a: int, b: int, c: int, d: int) -> None:
    apply_babble(m, a & 0x3F)


@CORE.implements("mastery_update")
def mastery_update(m: Machine, a: int, b: int, c: int, d: int) -> None:
    accumulate_mastery(m, a & 0x3F, b & 0x3F, c & 0x0F, d, 4)


@CORE.implements("mastery_commit")
def mastery_commit(m: Machine, a: int, b: int, c: int, d: int) -> None:
    idx = a & 0x3F
    if commit_pressure(m, idx, d, 5):
        m.cold[idx].dirty = True   # type: ignore[union-attr]  # commit_pressure checked it exists
