"""The assembler (`.ternsig` source → Program) and the disassembler (Program → source).

``assemble(disassemble(p))`` reproduces p's instruction words, register definitions and
requirements exactly, whatever the words hold (see :mod:`.disassembler`).
"""
from ..errors import AssemblyError
from .assembler import Assembler, assemble
from .disassembler import DisassemblyError, disassemble

__all__ = ["AssemblyError", "Assembler", "DisassemblyError", "assemble", "disassemble"]
