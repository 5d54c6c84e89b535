"""Work: what one instruction costs, read from its table row.

The instruction budget (``fuel``) counts instructions, exactly as the reference's step count; it
cannot bound CPU time, because one instruction on large registers may take seconds. A separate
*work budget* charges each instruction, before it runs, by the elements it touches:

* every register operand of its layout counts its element count. A register byte names index
  ``byte & 0x3F`` and counts the larger of the hot and the cold register at that index, so a
  handler that ignores the bank bits cannot be undercharged. Operands in C and D also count index
  ``byte & 0x0F`` when it differs (several handlers keep the reference's legacy ``& 0x0F``); a
  ``masks_third`` row's C counts only ``C & 0x0F``;
* plus the row's explicit ``cost=`` rule (:attr:`InstructionSpec.cost`) for work that grows faster
  than its operands (attention, batched matmul, embedding gathers, co-activation matrices,
  allocations sized by immediates).

A ``cost=`` rule is terms joined by ``+``, each a product (``*``) of factors: ``n(X)`` elements,
``rows(X)`` first dimension (1 for a 1-D register), ``cols(X)`` elements per row, of the register
in slot X; ``imm(X)`` the raw operand value of slot X (``CD`` is the big-endian C:D); or an integer.
Example: ``cost=rows(A)*n(B)+rows(A)*n(C)`` for attention.

The compiled tier mirrors the operand part (:func:`work_slots`) in its loop; a row with an explicit
rule never gets a compiled kernel, so both tiers charge the same units and trap at the same pc.
"""
from __future__ import annotations

import re
from typing import Any, Callable, Optional

from ..errors import UsageError

_FACTOR = re.compile(r"^(?:(n|rows|cols|imm)\((A|B|C|D|CD)\)|(\d+))$")
_SLOT_INDEX = {"A": 0, "B": 1, "C": 2, "D": 3}

Rule = tuple[tuple[tuple[str, str], ...], ...]       # terms of factors (function, slot or number)


def parse_cost(text: str) -> Rule:
    """``"rows(A)*n(B)+4"`` → ``((("rows","A"),("n","B")), (("int","4"),))``; UsageError if malformed."""
    terms = []
    for term in text.split("+"):
        factors = []
        for f in term.split("*"):
            m = _FACTOR.match(f.strip())
            if m is None:
                raise UsageError(f"bad cost factor {f!r} in cost rule {text!r} "
                                 "(n(X), rows(X), cols(X), imm(X) or an integer)")
            factors.append(("int", m.group(3)) if m.group(3) else (m.group(1), m.group(2)))
        terms.append(tuple(factors))
    return tuple(terms)


def work_slots(spec: Any, a: int, b: int, c: int, d: int) -> tuple[int, ...]:
    """Register indices whose elements the instruction is charged for, one per register operand."""
    ops = (a, b, c, d)
    out: list[int] = []
    for o in spec.layout:
        if o.kind == "reg" and o.slot in _SLOT_INDEX:
            out += _indices(ops[_SLOT_INDEX[o.slot]], o.slot, spec.masks_third)
    return tuple(out)


def _indices(byte: int, slot: str, masks_third: bool) -> tuple[int, ...]:
    """The register indices an operand byte in ``slot`` may name, as some handler reads it."""
    if slot == "C" and masks_third:
        return (byte & 0x0F,)
    if slot in ("C", "D") and byte & 0x30:
        return (byte & 0x3F, byte & 0x0F)
    return (byte & 0x3F,)


def _biggest(m: Any, idxs: tuple[int, ...]) -> Any:
    best, size = None, -1
    for i in idxs:
        for r in (m.hot[i], m.cold[i]):
            if r is not None and len(r) > size:
                best, size = r, len(r)
    return best


def _count(m: Any, idx: int) -> int:
    h = m.hot[idx]
    c = m.cold[idx]
    nh = len(h) if h is not None else 0
    nc = len(c) if c is not None else 0
    return nh if nh > nc else nc


def _factor(fn: str, arg: str, ops: tuple[int, int, int, int], masks_third: bool) -> Callable[[Any], int]:
    if fn == "int":
        v = int(arg)
        return lambda m: v
    if fn == "imm":
        v = (ops[2] << 8) | ops[3] if arg == "CD" else ops[_SLOT_INDEX[arg]]
        return lambda m: v
    slot = "C" if arg == "CD" else arg
    idxs = _indices(ops[_SLOT_INDEX[slot]], slot, masks_third)
    if fn == "n":
        return lambda m: max(_count(m, i) for i in idxs)

    def dims(m: Any) -> tuple[int, int]:
        r = _biggest(m, idxs)
        if r is None:
            return 0, 0
        n = len(r)
        rows = int(r.shape[0]) if len(r.shape) >= 2 else 1
        return rows, (n // rows if rows > 0 else 0)

    if fn == "rows":
        return lambda m: dims(m)[0]
    return lambda m: dims(m)[1]


def rule_function(spec: Any, a: int, b: int, c: int, d: int) -> Optional[Callable[[Any], int]]:
    """``rule(machine) -> units`` of the row's explicit ``cost=`` rule for these operands (None
    when the row has none)."""
    rule: Rule = spec.cost_rule
    if not rule:
        return None
    ops = (a, b, c, d)
    terms = [[_factor(fn, arg, ops, spec.masks_third) for fn, arg in t] for t in rule]

    def cost(m: Any) -> int:
        total = 0
        for t in terms:
            p = 1
            for f in t:
                p *= f(m)
            total += p
        return total

    return cost


def cost_function(spec: Any, a: int, b: int, c: int, d: int) -> Optional[Callable[[Any], int]]:
    """``cost(machine) -> units`` for one decoded instruction: its operands' elements plus its rule
    (None: it touches no register and has no rule, so it costs nothing beyond its instruction).
    The definition; vm/work.py counts the operand part inline for speed, the compiled loop mirrors it."""
    idxs = work_slots(spec, a, b, c, d)
    rule = rule_function(spec, a, b, c, d)
    if not idxs and rule is None:
        return None

    def cost(m: Any) -> int:
        total = 0
        for i in idxs:
            total += _count(m, i)
        return total + (rule(m) if rule is not None else 0)

    return cost


def describe(spec: Any) -> str:
    """The work rule of a row in words, for docs: ``n(A)+n(B)+n(C) + rows(A)*n(B)``."""
    ops = [f"n({o.slot})" for o in spec.layout if o.kind == "reg" and o.slot in _SLOT_INDEX]
    parts = ["+".join(ops)] if ops else []
    if spec.cost:
        parts.append(spec.cost)
    return " + ".join(parts) or "0"
