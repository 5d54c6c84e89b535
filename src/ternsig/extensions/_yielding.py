"""Shared builder for instructions that do nothing but yield a DomainOp.

Most instructions of neuro, lifecycle, ipc, orchestration, bank and pool only package operand
bytes into a DomainOp for the host. Declaring them as rows — (opcode, mnemonic, layout, layer, doc,
variant, field sources) — keeps each extension's table readable and lets one place build the
handlers. A field source is an operand slot letter (``"A"``..``"D"``: the raw byte, which is what
the reference puts in both ``Register`` and integer fields) or a function of the four bytes.
"""
from __future__ import annotations

from typing import Any, Callable, Union

from ..errors import UsageError
from ..vm.domainops import OPS
from ..isa.spec import ExtensionTable, Layer
from ..vm.state import Machine

FieldSource = Union[str, Callable[[int, int, int, int], Any]]
Row = tuple  # (opcode, mnemonic, layout, layer, doc, variant, field sources[, flags])

_SLOT = {"A": 0, "B": 1, "C": 2, "D": 3}


def yield_handler(variant: str, sources: dict[str, FieldSource]) -> Callable[..., Any]:
    """A handler ``(m, a, b, c, d) -> DomainOp`` building ``variant`` from operand bytes."""
    cls = OPS[variant]
    expected = {f for f, _ in cls.field_kinds}
    if set(sources) != expected:
        raise UsageError(f"{variant}: fields {sorted(sources)} do not match {sorted(expected)}")
    picks = [(f, _SLOT[s]) for f, s in sources.items() if isinstance(s, str)]
    funcs = [(f, s) for f, s in sources.items() if not isinstance(s, str)]
    if not sources:
        op = cls()  # unit variant: one immutable instance serves every execution

        def unit(m: Machine, a: int, b: int, c: int, d: int) -> Any:
            return op

        unit.__name__ = f"yield_{variant}"
        return unit

    def handler(m: Machine, a: int, b: int, c: int, d: int) -> Any:
        ops = (a, b, c, d)
        kw = {f: ops[i] for f, i in picks}
        for f, fn in funcs:
            kw[f] = fn(a, b, c, d)
        return cls(**kw)

    handler.__name__ = f"yield_{variant}"
    handler.__doc__ = f"Yield {variant} built from the operand bytes."
    return handler


def declare_yields(table: ExtensionTable, rows: list[Row]) -> None:
    """Declare every row on ``table`` as a yielding instruction."""
    for opcode, mnemonic, layout, layer, doc, variant, sources, *flags in rows:
        table.op(opcode, mnemonic, layout, layer, doc, yields=variant,
                 flags=flags[0] if flags else "")(yield_handler(variant, sources))
