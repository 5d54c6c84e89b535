"""Standard extensions: one module per extension, its instruction table and handlers side by side.

The core ISA is extension 0 (``core/``). :data:`STANDARD` is the one list of standard tables,
in id order; every id and name elsewhere is read from these tables.
"""
from __future__ import annotations

from ..isa.spec import ExtensionTable
from . import (activation, arch, bank, ipc, learning, lifecycle, neuro, orchestration, pool, sampling, tensor,
               ternary, assertions)
from .core import CORE

#: every standard table, core first, then by id
STANDARD: tuple[ExtensionTable, ...] = tuple(sorted(
    (CORE, tensor.TABLE, ternary.TABLE, activation.TABLE, learning.TABLE, neuro.TABLE, arch.TABLE,
     orchestration.TABLE, lifecycle.TABLE, ipc.TABLE, assertions.TABLE, bank.TABLE, pool.TABLE, sampling.TABLE),
    key=lambda t: t.ext_id))

#: short name → ext id of the standard (non-core) extensions, as the reference's `.requires` resolves them
STANDARD_IDS: dict[str, int] = {t.name: t.ext_id for t in STANDARD if t.ext_id}


def standard_tables() -> list[ExtensionTable]:
    """Every standard extension table (core excluded: a registry always holds it)."""
    return [t for t in STANDARD if t.ext_id]
