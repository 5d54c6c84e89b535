"""The instruction set as data: encoding, register bytes, type ids and instruction specs."""
from .encoding import (
    BANK_COLD, BANK_HOT, BANK_PARAM, BANK_SHAPE, NULL_REG, Instruction, decode_words,
    encode_words, parse_register, reg_bank, reg_index, reg_name, make_reg,
)
from .spec import ExtensionTable, InstructionSpec, Layer, Operand, parse_layout
from .types import DTYPES, Dtype, TypeId

__all__ = [
    "BANK_COLD", "BANK_HOT", "BANK_PARAM", "BANK_SHAPE", "NULL_REG", "Instruction", "decode_words",
    "encode_words", "parse_register", "reg_bank", "reg_index", "reg_name", "make_reg",
    "ExtensionTable", "InstructionSpec", "Layer", "Operand", "parse_layout", "DTYPES", "Dtype", "TypeId",
]
