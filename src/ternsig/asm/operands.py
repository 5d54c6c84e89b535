"""Operand encoding: layout-driven (core ISA, user extensions) and generic (standard extensions).

Two encoders, because the reference has two:

* :func:`encode_layout` reads an instruction's operand layout (see :mod:`ternsig.isa.spec`):
  each non-``fix`` field consumes the next comma-separated token, in order. Kinds are checked
  (a register where a register is wanted, an integer that fits its slot, ``name=N`` with the
  right name), so what the reference truncates or zeroes silently is refused here.
* :func:`encode_generic` is the reference's encoding of standard-extension instructions: token i
  fills byte i, as a register byte or an integer. Out-of-range or unparsable tokens, which the
  reference silently turns into truncated bytes or 0, are refused.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Optional, Sequence

from functools import lru_cache

from ..isa.encoding import parse_register as _parse_register_uncached
from ..isa.spec import Operand
from .source import Tok, fail, number_error, parse_f32, parse_int

#: register names repeat on nearly every line; the parse is a pure function of the text
parse_register = lru_cache(maxsize=1024)(_parse_register_uncached)

SLOT_INDEX = {"A": 0, "B": 1, "C": 2, "D": 3}
BYTE_MIN, BYTE_MAX = -128, 255          # two's-complement spellings of a byte are accepted
U16_MIN, U16_MAX = -32768, 0xFFFF

#: a label: an identifier (letters, digits, '_', '.', '$'), not starting with a digit or '.'
LABEL_RE = re.compile(r"(?![\d.])[\w.$]+\Z")


@dataclass(frozen=True)
class LabelUse:
    """A label operand waiting for resolution: patched big-endian into C:D."""

    name: str
    tok: Tok


@dataclass(frozen=True)
class _Plan:
    fields: tuple[Operand, ...]        # operands written in sources, in order
    base: tuple[int, int, int, int]    # bytes before any operand: fixed bytes, zeros elsewhere
    required: int                      # how many leading fields have no default
    reg_slots: Optional[tuple[int, ...]] = None  # byte indexes, when every field is a register


_PLANS: dict[tuple[Operand, ...], _Plan] = {}
#: plans by the identity of the layout tuple (hashing a tuple of dataclasses costs ~1 us a line);
#: each entry keeps its layout alive, so an id is never reused while it is in the table
_PLANS_BY_ID: dict[int, tuple[tuple[Operand, ...], _Plan]] = {}


def plan(layout: tuple[Operand, ...]) -> _Plan:
    hit = _PLANS_BY_ID.get(id(layout))
    if hit is not None and hit[0] is layout:
        return hit[1]
    p = _PLANS.get(layout)
    if p is None:
        base = [0, 0, 0, 0]
        fields = []
        for op in layout:
            if op.kind == "fix":
                _put(base, op.slot, int(op.default or 0))
            else:
                fields.append(op)
        required = 0
        for i, op in enumerate(fields):
            if not op.optional:
                required = i + 1
        reg_slots = tuple(SLOT_INDEX[op.slot] for op in fields) \
            if all(op.kind == "reg" and op.slot in SLOT_INDEX for op in fields) else None
        p = _Plan(tuple(fields), (base[0], base[1], base[2], base[3]), required, reg_slots)
        _PLANS[layout] = p
    if len(_PLANS_BY_ID) > 4096:  # tables built over and over (tests, reloads): start afresh
        _PLANS_BY_ID.clear()
    _PLANS_BY_ID[id(layout)] = (layout, p)
    return p


def _put(out: list[int], slot: str, value: int) -> None:
    if slot == "CD":
        out[2], out[3] = (value >> 8) & 0xFF, value & 0xFF
    elif slot != "-":
        out[SLOT_INDEX[slot]] = value & 0xFF


def _slot_range(slot: str, signed: bool) -> tuple[int, int]:
    if slot == "CD":
        return (U16_MIN if signed else 0), U16_MAX
    return (BYTE_MIN if signed else 0), BYTE_MAX


def bad_register(text: str) -> str:
    """The message for a register operand that is not one; an empty token (``shift H1,``) names
    what is missing instead of ending in ": "."""
    return f"Invalid register: {text}" if text else "Invalid register: (missing operand)"


def reg_byte(tok: Tok, line: int) -> int:
    r = parse_register(tok.text) if tok.text else None
    if r is None:
        raise fail(bad_register(tok.text), line, tok.col)
    return r


def immediate(tok: Tok, line: int, lo: int, hi: int, what: str) -> int:
    v = parse_int(tok.text)
    if v is None:
        raise fail(number_error(tok.text), line, tok.col)
    if not lo <= v <= hi:
        raise fail(f"Immediate {tok.text} does not fit {what} ({lo}..{hi})", line, tok.col)
    return v


def named_value(tok: Tok, name: str) -> tuple[str, int]:
    """Split ``name=value`` (checking the name) → (value text, its column); plain values pass."""
    key, eq, value = tok.text.partition("=")
    if not eq:
        return tok.text, tok.col
    return value.strip(), tok.col + len(key) + 1 + (len(value) - len(value.lstrip()))


def _param(op: Operand, tok: Tok, line: int) -> int:
    key, eq, _ = tok.text.partition("=")
    if eq and key.strip().lower() != op.kind.lower():
        raise fail(f"Expected {op.kind}=N here, got {tok.text}", line, tok.col)
    text, col = named_value(tok, op.kind)
    v = parse_int(text)
    lo, hi = _slot_range("CD" if op.slot == "CD" else "A", signed=False)
    if v is None or not lo <= v <= hi:
        raise fail(f"Invalid {op.kind}: {text}", line, col)
    return v


def _gain(op: Operand, tok: Tok, line: int) -> int:
    key, eq, _ = tok.text.partition("=")
    if eq and key.strip().lower() != "gain":
        raise fail(f"Expected gain=X here, got {tok.text}", line, tok.col)
    text, col = named_value(tok, "gain")
    g = parse_f32(text)
    if g is None:
        raise fail(f"Invalid gain: {text}", line, col)
    code = min(max(g * 16.0, 0.0), 255.0)   # the reference: (gain*16).clamp(0, 255) as u8
    if not 1.0 <= g * 16.0 < 256.0:
        # 0 would silently mean "default gain 4" at run time; larger values would be clamped.
        raise fail(f"Gain {text} is not encodable: gains are 0.0625 .. 15.9375 in steps of 1/16",
                   line, col)
    return int(code)


def encode_layout(layout: tuple[Operand, ...], toks: Sequence[Tok], mnem: Tok, line: int,
                  labels: list[tuple[str, LabelUse]]) -> list[int]:
    """Encode ``toks`` by the layout; label operands are appended to ``labels`` as (slot, use)."""
    p = plan(layout)
    if len(toks) > len(p.fields):
        extra = toks[len(p.fields)]
        n = len(p.fields)
        raise fail(f"Too many operands for {mnem.text}: it takes {'no' if n == 0 else 'at most ' + str(n)} "
                   f"operand{'s' if n != 1 else ''}", line, extra.col)
    out = list(p.base)
    if p.reg_slots is not None and len(toks) == len(p.reg_slots):
        # every field a register in a single-byte slot, all given: the common forward-op line
        for slot, tok in zip(p.reg_slots, toks):
            r = parse_register(tok.text) if tok.text else None
            if r is None:
                raise fail(bad_register(tok.text), line, tok.col)
            out[slot] = r
        return out
    ntoks = len(toks)
    for i, op in enumerate(p.fields):
        if i >= ntoks:
            if op.default is None:
                col = toks[-1].end + 1 if toks else mnem.end + 1
                raise fail(_missing(op, mnem.text), line, col)
            if op.kind == "gain":
                _put(out, op.slot, int(min(max(float(op.default) * 16.0, 0.0), 255.0)))
            else:
                _put(out, op.slot, int(op.default))
            continue
        tok = toks[i]
        if op.kind == "reg":
            _put(out, op.slot, reg_byte(tok, line))
        elif op.kind in ("imm8", "imm16"):
            lo, hi = _slot_range(op.slot, signed=True)
            _put(out, op.slot, immediate(tok, line, lo, hi, "a byte" if op.slot != "CD" else "16 bits"))
        elif op.kind == "label":
            v = parse_int(tok.text)
            if v is not None:
                if not 0 <= v <= U16_MAX:
                    raise fail(f"Jump target {tok.text} is not an instruction index (0..65535)", line, tok.col)
                _put(out, op.slot, v)
            elif LABEL_RE.match(tok.text):
                labels.append((op.slot, LabelUse(tok.text, tok)))
            elif not tok.text:
                raise fail(f"{mnem.text} requires a label", line, tok.col)
            else:
                raise fail(f"Invalid label: {tok.text}", line, tok.col)
        elif op.kind == "gain":
            _put(out, op.slot, _gain(op, tok, line))
        else:
            _put(out, op.slot, _param(op, tok, line))
    return out


def _missing(op: Operand, mnemonic: str) -> str:
    if op.kind == "reg":
        return "Missing register operand"
    if op.kind in ("imm8", "imm16"):
        return "Missing immediate operand"
    if op.kind == "label":
        return f"{mnemonic} requires a label"
    return f"Missing {op.kind} parameter"


def encode_generic(toks: Sequence[Tok], mnem: Tok, line: int,
                   layout: Optional[tuple[Operand, ...]] = None) -> list[int]:
    """The reference's positional encoding: token i → byte i (register byte or integer)."""
    if len(toks) > 4:
        raise fail(f"Too many operands for {mnem.text}: an instruction has 4 operand bytes", line, toks[4].col)
    out = [0, 0, 0, 0]
    for i, tok in enumerate(toks):
        r = parse_register(tok.text) if tok.text else None
        if r is not None:
            out[i] = r
            continue
        v = parse_int(tok.text)
        if v is not None:
            if not BYTE_MIN <= v <= BYTE_MAX:
                raise fail(f"Operand {tok.text} does not fit a byte ({BYTE_MIN}..{BYTE_MAX})", line, tok.col)
            out[i] = v & 0xFF
            continue
        named = _named_field(layout, "ABCD"[i], tok.text) if layout else None
        if named is not None:
            out[i] = _param(named, tok, line)
            continue
        raise fail(f"Invalid operand: {tok.text!s} (expected a register or an integer)" if tok.text
                   else "Missing operand (empty between commas)", line, tok.col)
    return out


def _named_field(layout: tuple[Operand, ...], slot: str, text: str) -> Optional[Operand]:
    """The layout's ``name@slot`` parameter that ``name=value`` names, if any."""
    key, eq, _ = text.partition("=")
    if not eq:
        return None
    for op in layout:
        if op.is_param and op.kind != "gain" and op.slot == slot and op.kind.lower() == key.strip().lower():
            return op
    return None
