"""Which instruction specs have a compiled kernel (a mapping keyed by the spec, not an opcode list)."""
from __future__ import annotations

from ...extensions.core import CORE
from ...isa.spec import InstructionSpec
from . import loop as L

# kernel id per core instruction, looked up by mnemonic in the core table (the table owns opcodes)
_BY_MNEMONIC = {
    "nop": L.NOP, "halt": L.HALT, "reset": L.RESET, "loop": L.LOOP, "end_loop": L.END_LOOP,
    "break": L.BREAK, "jump": L.JUMP, "call": L.CALL, "return": L.RETURN, "if_zero": L.IF_ZERO,
    "if_nonzero": L.IF_NONZERO, "load_input": L.LOAD_INPUT, "store_output": L.STORE_OUTPUT,
    "copy_reg": L.COPY_REG, "zero_reg": L.ZERO_REG, "set": L.SET, "add": L.ADD, "sub": L.SUB,
    "mul": L.MUL, "relu": L.RELU, "sigmoid": L.SIGMOID, "shift": L.SHIFT, "clamp": L.CLAMP,
    "cmp_gt": L.CMP_GT, "max_reduce": L.MAX_REDUCE, "ternary_matmul": L.TERNARY_MATMUL,
}

#: kernels that make a straight run worth one loop entry even when it is short: they may repeat
#: the run (loops, calls) or do enough work (the matmul)
WORTH_ENTRY = frozenset((L.LOOP, L.END_LOOP, L.CALL, L.RETURN, L.TERNARY_MATMUL))
#: jumps and branches: worth an entry when they go back (a loop), not forward
BRANCHES = frozenset((L.JUMP, L.IF_ZERO, L.IF_NONZERO))

#: compiled kernel id of each spec that has one
KERNEL_OF: dict[int, int] = {id(CORE.by_mnemonic[name]): kid for name, kid in _BY_MNEMONIC.items()}
_SPECS = [CORE.by_mnemonic[name] for name in _BY_MNEMONIC]   # keeps the keyed specs alive


def kernel_of(spec: InstructionSpec) -> int:
    """The compiled kernel id of ``spec`` (0: the Python handler runs it)."""
    return KERNEL_OF.get(id(spec), L.FALLBACK_ID)


def compiled_specs() -> list[InstructionSpec]:
    """The instructions the compiled loop runs itself (everything else falls back)."""
    return list(_SPECS)
