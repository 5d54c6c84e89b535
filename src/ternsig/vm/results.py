"""What a step returns: continue, halt, ended, error, trap, or the yield of a DomainOp."""
from __future__ import annotations

from enum import Enum
from typing import Any, Optional


class Status(str, Enum):
    CONTINUE = "continue"
    HALT = "halt"
    ENDED = "ended"       # pc ran past the last instruction
    ERROR = "error"       # the reference's StepResult::Error (exact text in ``message``)
    TRAP = "trap"         # where the reference panics, fuel ran out, or a policy was broken
    YIELD = "yield"       # ``op`` holds the DomainOp for the host
    BREAK = "break"       # core BREAK executed (treated as continue by run loops)
    RETURN = "return"     # reserved for parity with the reference's StepResult


class StepResult:
    __slots__ = ("status", "op", "message", "pc", "instruction", "kind")

    def __init__(self, status: Status, op: Any = None, message: Optional[str] = None, pc: int = -1,
                 instruction: Any = None, kind: Optional[str] = None):
        self.status = status
        self.op = op
        self.message = message
        self.pc = pc
        self.instruction = instruction
        self.kind = kind

    @property
    def finished(self) -> bool:
        return self.status in (Status.HALT, Status.ENDED, Status.ERROR, Status.TRAP)

    @property
    def ok(self) -> bool:
        return self.status not in (Status.ERROR, Status.TRAP)

    def raise_for_trap(self) -> "StepResult":
        """Raise :class:`~ternsig.errors.Trap` when this result is an error or a trap."""
        if not self.ok:
            from ..errors import make_trap

            raise make_trap(self.message or "", self.pc, self.instruction, self.kind or self.status.value)
        return self

    def __repr__(self) -> str:
        extra = f" {self.op!r}" if self.op is not None else f" {self.message!r}" if self.message else ""
        return f"<StepResult {self.status.value}{extra}>"


CONTINUE = StepResult(Status.CONTINUE)
HALT = StepResult(Status.HALT)
ENDED = StepResult(Status.ENDED)
BREAK = StepResult(Status.BREAK)
