"""Portable type ids (u16) and the register dtypes of `.registers` declarations."""
from __future__ import annotations

from enum import IntEnum


class TypeId(IntEnum):
    VOID = 0x0000
    BOOL = 0x0001
    U8 = 0x0002
    I8 = 0x0003
    U16 = 0x0004
    I16 = 0x0005
    U32 = 0x0006
    I32 = 0x0007
    U64 = 0x0008
    I64 = 0x0009
    F16 = 0x000A
    F32 = 0x000B
    F64 = 0x000C
    SIGNAL = 0x0100
    PACKED_SIGNAL = 0x0101
    CHEMICAL = 0x0102

    @staticmethod
    def is_primitive(v: int) -> bool:
        return v < 0x0100

    @staticmethod
    def is_domain(v: int) -> bool:
        return 0x0100 <= v < 0x0200

    @staticmethod
    def is_user(v: int) -> bool:
        return v >= 0x0300


TYPE_SIZES = {TypeId.VOID: 0, TypeId.BOOL: 1, TypeId.U8: 1, TypeId.I8: 1, TypeId.U16: 2, TypeId.I16: 2,
              TypeId.U32: 4, TypeId.I32: 4, TypeId.U64: 8, TypeId.I64: 8, TypeId.F16: 2, TypeId.F32: 4,
              TypeId.F64: 8, TypeId.SIGNAL: 2, TypeId.PACKED_SIGNAL: 1, TypeId.CHEMICAL: 4}


class Dtype(str):
    """A register dtype name as the reference spells it in assembled.json."""


#: canonical dtype → (TypeId, accepted spellings in sources)
DTYPES: dict[str, tuple[int, tuple[str, ...]]] = {
    "f32": (TypeId.F32, ("f32", "float", "float32")),
    "i32": (TypeId.I32, ("i32", "int", "int32")),
    "ternary": (TypeId.SIGNAL, ("ternary",)),
    "packed": (TypeId.PACKED_SIGNAL, ("packed", "packedternary")),
    "f16": (TypeId.F16, ("f16", "half", "float16")),
    "i16": (TypeId.I16, ("i16", "int16")),
    "i8": (TypeId.I8, ("i8", "int8")),
    "i64": (TypeId.I64, ("i64", "int64")),
}

_SPELLINGS = {sp: name for name, (_, sps) in DTYPES.items() for sp in sps}
_BY_TYPEID = {int(tid): name for name, (tid, _) in DTYPES.items()}


def parse_dtype(text: str) -> str | None:
    """Source spelling (case-insensitive) → canonical dtype name, or None."""
    return _SPELLINGS.get(text.strip().lower())


def dtype_typeid(name: str) -> int:
    return int(DTYPES[name][0])


def dtype_from_typeid(tid: int) -> str:
    """TypeId → dtype; unknown ids decode to i32 as in the reference."""
    return _BY_TYPEID.get(tid, "i32")
