"""The instruction set as data: encoding, register bytes, type ids and instruction specs."""
from .encoding import (
    COLD_REGS, HOT_REGS, PARAM_REGS, SHAPE_REGS, NULL_REG, Instruction, decode_words,
    encode_words, parse_register, reg_file, reg_index, reg_name, make_reg,
)
from .spec import ExtensionTable, InstructionSpec, Layer, Operand, parse_layout
from .types import DTYPES, Dtype, TypeId

__all__ = [
    "COLD_REGS", "HOT_REGS", "PARAM_REGS", "SHAPE_REGS", "NULL_REG", "Instruction", "decode_words",
    "encode_words", "parse_register", "reg_file", "reg_index", "reg_name", "make_reg",
    "ExtensionTable", "InstructionSpec", "Layer", "Operand", "parse_layout", "DTYPES", "Dtype", "TypeId",
]
