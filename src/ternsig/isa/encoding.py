"""The 8-byte instruction word and the register byte.

Word: ``[ExtID u16 BE][OpCode u16 BE][A][B][C][D]``. Register byte: ``[file:2][index:6]`` with
register files Hot 0, Cold 1, Param 2, Shape 3; ``0xFF`` is the null register. (They are called
register *files*, not banks, so that "bank" means one thing: the vector-memory extension.)
"""
from __future__ import annotations

import re
from typing import Iterable, NamedTuple

from ..errors import UsageError

HOT_REGS, COLD_REGS, PARAM_REGS, SHAPE_REGS = 0, 1, 2, 3
REGFILE_LETTERS = "HCPS"
NULL_REG = 0xFF


class Instruction(NamedTuple):
    ext_id: int
    opcode: int
    a: int = 0
    b: int = 0
    c: int = 0
    d: int = 0

    @property
    def operands(self) -> tuple[int, int, int, int]:
        return (self.a, self.b, self.c, self.d)

    @property
    def cd(self) -> int:
        """Operands C:D as a big-endian u16 (counts, label targets, constants)."""
        return (self.c << 8) | self.d

    def to_bytes(self) -> bytes:
        try:
            return bytes((self.ext_id >> 8, self.ext_id & 0xFF, self.opcode >> 8, self.opcode & 0xFF,
                          self.a, self.b, self.c, self.d))
        except (ValueError, TypeError):
            raise UsageError(f"instruction fields out of range: ext id and opcode are u16, operands "
                             f"bytes (got {tuple(self)})") from None

    @classmethod
    def from_bytes(cls, data: bytes) -> "Instruction":
        if len(data) != 8:
            raise UsageError(f"an instruction word is 8 bytes, got {len(data)}")
        return cls((data[0] << 8) | data[1], (data[2] << 8) | data[3], data[4], data[5], data[6], data[7])

    @classmethod
    def from_hex(cls, text: str) -> "Instruction":
        try:
            data = bytes.fromhex(text)
        except ValueError:
            raise UsageError(f"not an instruction word in hex: {text!r}") from None
        return cls.from_bytes(data)

    def hex(self) -> str:
        return self.to_bytes().hex()

    def __str__(self) -> str:
        return f"{self.ext_id:04X}:{self.opcode:04X} [{self.a:02X} {self.b:02X} {self.c:02X} {self.d:02X}]"


def encode_words(instructions: Iterable[Instruction]) -> bytes:
    return b"".join(i.to_bytes() for i in instructions)


def decode_words(data: bytes) -> list[Instruction]:
    if len(data) % 8:
        raise UsageError("instruction stream length is not a multiple of 8")
    return [Instruction.from_bytes(data[i:i + 8]) for i in range(0, len(data), 8)]


def make_reg(regfile: int, index: int) -> int:
    return ((regfile & 3) << 6) | (index & 0x3F)


def reg_file(byte: int) -> int:
    return byte >> 6


def reg_index(byte: int) -> int:
    return byte & 0x3F


def reg_name(byte: int) -> str:
    """``H3``, ``C0``, ``P1``, ``S2``; the null register is ``NULL``."""
    if byte == NULL_REG:
        return "NULL"
    return f"{REGFILE_LETTERS[byte >> 6]}{byte & 0x3F}"


_REG_RE = re.compile(r"^([HTCPShtcps])(0[xX][0-9A-Fa-f]+|[0-9]+)$")


def parse_register(text: str) -> int | None:
    """Parse ``H3``/``T3``/``C0``/``P1``/``S2`` (case-insensitive, decimal or 0x index ≤ 63).

    ``T`` is an alias of the hot register file (the reference's legacy "temp" registers). Returns the
    register byte, or None when the text is not a register.
    """
    m = _REG_RE.match(text.strip())
    if not m:
        return None
    letter, num = m.group(1).upper(), m.group(2)
    hexa = num[:2].lower() == "0x"
    digits = (num[2:] if hexa else num).lstrip("0") or "0"
    if len(digits) > 3:   # > 63 anyway; also keeps hostile digit strings away from int()
        return None
    idx = int(digits, 16) if hexa else int(digits)
    if idx > 63:
        return None
    regfile = {"H": HOT_REGS, "T": HOT_REGS, "C": COLD_REGS, "P": PARAM_REGS, "S": SHAPE_REGS}[letter]
    return make_reg(regfile, idx)
