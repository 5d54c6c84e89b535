"""Source text → positioned tokens, and the number grammars of `.ternsig` sources.

Every token keeps its 1-based column in the physical line so that each :class:`AssemblyError`
can point at the offending text. Line splitting and comment stripping follow the reference
(Rust ``str::lines`` and "a ``;`` cuts the rest of the line, even inside quotes").
"""
from __future__ import annotations

import math
import re
from typing import NamedTuple, Optional

import numpy as np

from ..errors import AssemblyError


class Tok(NamedTuple):
    """A piece of a source line: its text (already trimmed) and its 1-based column.

    A named tuple, not a frozen dataclass: the assembler makes several per line, and a frozen
    dataclass costs about four times as much to build."""

    text: str
    col: int

    @property
    def end(self) -> int:
        """Column just past the token (where a missing next operand would start)."""
        return self.col + len(self.text)


def split_lines(source: str) -> list[str]:
    """Physical lines the way Rust's ``str::lines`` yields them (``\\n`` separated, ``\\r`` dropped).

    ``str.splitlines`` is not used: it also splits on form feeds, ``\\x1c`` and Unicode line
    separators, which would shift every line number after them.
    """
    lines = source.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return [ln[:-1] if ln.endswith("\r") else ln for ln in lines]


def content_of(raw: str) -> Optional[Tok]:
    """The meaningful part of a physical line (comment cut, whitespace trimmed), or None if blank."""
    semi = raw.find(";")
    text = raw if semi < 0 else raw[:semi]
    stripped = text.strip()
    if not stripped:
        return None
    # everything before the first non-space character is space, so this finds exactly it
    return Tok(stripped, text.find(stripped) + 1)


_SPACE = re.compile(r"\s")  # the same characters as str.isspace (both use Py_UNICODE_ISSPACE)


def first_word(tok: Tok) -> tuple[Tok, Optional[Tok]]:
    """Split at the first whitespace character: (head, trimmed rest or None)."""
    text = tok.text
    m = _SPACE.search(text)
    if m is None:
        return tok, None
    i = m.start()
    rest = text[i + 1:]
    stripped = rest.lstrip()
    lead = len(rest) - len(stripped)
    stripped = stripped.rstrip()
    return Tok(text[:i], tok.col), (Tok(stripped, tok.col + i + 1 + lead) if stripped else None)


def split_commas(tok: Optional[Tok]) -> list[Tok]:
    """Comma-separated operands, each trimmed (an empty operand stays as an empty token)."""
    if tok is None:
        return []
    out = []
    pos = tok.col
    for piece in tok.text.split(","):
        stripped = piece.strip()
        out.append(Tok(stripped, pos + (piece.find(stripped) if stripped else len(piece))))
        pos += len(piece) + 1
    return out


def words(tok: Optional[Tok]) -> list[Tok]:
    """Whitespace-separated words with their columns."""
    if tok is None:
        return []
    return [Tok(m.group(), tok.col + m.start()) for m in re.finditer(r"\S+", tok.text)]


# ---- numbers ------------------------------------------------------------------------------------

_DEC = re.compile(r"[+-]?[0-9]{1,40}\Z")
_UDEC = re.compile(r"\+?[0-9]{1,40}\Z")
_HEX = re.compile(r"0[xX][0-9A-Fa-f]{1,40}\Z")
_FLOAT = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?\Z")
_INF = re.compile(r"[+-]?inf(?:inity)?\Z", re.IGNORECASE)


def parse_int(text: str) -> Optional[int]:
    """A decimal (optionally signed) or ``0x`` hex integer; None if the text is not one.

    Digit counts are capped so that hostile input cannot hit Python's int-string limit.
    """
    if _HEX.match(text):
        return int(text[2:], 16)
    if _DEC.match(text):
        return int(text)
    return None


def parse_uint(text: str) -> Optional[int]:
    """An unsigned decimal (Rust ``u32::from_str`` grammar: optional ``+``) or ``0x`` hex."""
    if _HEX.match(text):
        return int(text[2:], 16)
    if _UDEC.match(text):
        return int(text)
    return None


def parse_udec(text: str) -> Optional[int]:
    """Unsigned decimal only (meta and shape fields, as Rust ``usize::from_str``)."""
    return int(text) if _UDEC.match(text) else None


def parse_f32(text: str) -> Optional[float]:
    """A decimal float rounded to f32 (Rust ``f32::from_str``); None for junk and for NaN."""
    if _FLOAT.match(text):
        try:
            v = float(text)
        except ValueError:  # pragma: no cover - the regex admits only what float() reads
            return None
    elif _INF.match(text):
        v = -math.inf if text.startswith("-") else math.inf
    else:
        return None
    with np.errstate(over="ignore"):
        return float(np.float32(v))


def number_error(text: str) -> str:
    """The reference's message for an unparsable immediate."""
    return f"Invalid hex: {text}" if text[:2] in ("0x", "0X") else f"Invalid number: {text}"


def fail(message: str, line: int, col: int) -> AssemblyError:
    return AssemblyError(message, line, max(col, 1))
