"""The ternsig exception family.

Every error raised for bad user input is a subclass of :class:`TernsigError`, and each carries the
position that lets a user find the fault: line and column for sources, byte offset for binaries,
instruction index and rule for validation, pc and instruction for traps.
"""
from __future__ import annotations

from typing import Any


class TernsigError(Exception):
    """Base of every error ternsig raises on purpose."""


class AssemblyError(TernsigError):
    """A `.ternsig` source could not be assembled."""

    def __init__(self, message: str, line: int, column: int = 1, source_name: str | None = None):
        self.message = message
        self.line = line
        self.column = column
        self.source_name = source_name
        where = f"{source_name}:" if source_name else ""
        super().__init__(f"{where}{line}:{column}: {message}")


class FormatError(TernsigError):
    """A binary file (`.tvmr`, legacy `TERN`, `.thermo`, `.bank`) is corrupt or hostile."""

    def __init__(self, message: str, offset: int):
        self.message = message
        self.offset = offset
        super().__init__(f"at byte offset {offset}: {message}")


class ValidationError(TernsigError):
    """A program breaks a validation rule (or the layer policy of its role)."""

    def __init__(self, message: str, instruction: int | None = None, rule: str = "", line: int | None = None):
        self.message = message
        self.instruction = instruction
        self.rule = rule
        self.line = line
        where = f"instruction {instruction}: " if instruction is not None else ""
        tag = f" [{rule}]" if rule else ""
        super().__init__(f"{where}{message}{tag}")


class Trap(TernsigError):
    """Execution stopped abnormally: pc and instruction say where, reason says why.

    ``kind`` is ``"error"`` where the reference returns ``StepResult::Error`` (the reason is then
    the reference's exact text), ``"panic"`` where the reference would panic, ``"fuel"`` when the
    instruction budget ran out, and ``"policy"`` for a safety-layer violation.
    """

    def __init__(self, reason: str, pc: int = -1, instruction: Any = None, kind: str = "error"):
        self.reason = reason
        self.pc = pc
        self.instruction = instruction
        self.kind = kind
        ins = f" ({instruction})" if instruction is not None else ""
        super().__init__(f"trap at pc {pc}{ins}: {reason}")


class PolicyTrap(Trap):
    """A safety-layer rule was broken at run time (a weight write the learning layer may not make,
    a chemical write without authority, a DomainOp the region's role may not ask for)."""


class FuelTrap(Trap):
    """The region's budget (instructions, or work units) ran out."""


class DeadlineTrap(Trap):
    """The region overran its per-tick wall-clock deadline."""


class MemoryTrap(Trap):
    """An allocation whose size came from a program or a file is above its configured limit."""


class HostTrap(Trap):
    """The host could not fulfil a DomainOp (a :class:`HostError` raised by a host callback)."""


class InternalTrap(Trap):
    """An unexpected exception inside the engine (a bug, reported as a trap, never a crash)."""


#: trap kind -> class: ``kind`` strings stay as they were ("error", "panic", "fuel", "policy",
#: "internal") and gain "work" (the work budget), "deadline", "memory" and "host"; every class is
#: still caught as Trap
TRAP_CLASSES: dict[str, type[Trap]] = {"policy": PolicyTrap, "fuel": FuelTrap, "work": FuelTrap,
                                       "deadline": DeadlineTrap, "memory": MemoryTrap, "host": HostTrap,
                                       "internal": InternalTrap}


def make_trap(reason: str, pc: int = -1, instruction: Any = None, kind: str = "error") -> Trap:
    """The :class:`Trap` subclass for ``kind`` (plain :class:`Trap` for "error" and "panic")."""
    return TRAP_CLASSES.get(kind, Trap)(reason, pc, instruction, kind)


class HostError(TernsigError):
    """The host could not fulfil a DomainOp (or refuses it)."""


class UsageError(TernsigError, ValueError):
    """A public function got an argument it cannot accept: a value out of range, arrays whose
    lengths differ, a configuration that cannot work, a malformed input file.

    It is also a :class:`ValueError`, so callers that caught ``ValueError`` before this family
    existed keep working.
    """


class IntegerRangeError(UsageError, OverflowError):
    """A value leaves the integer range the reference computes it in (an i32 product, a u8 step):
    where the reference would panic (debug) or wrap to garbage (release), ternsig refuses.

    Also an :class:`OverflowError` (and a :class:`ValueError`), for callers that catch either.
    """


# --- faults raised inside instruction handlers; the interpreter turns them into results ---------

class ExecFault(Exception):
    """A handler failed the way the reference returns ``StepResult::Error(message)``.

    ``message`` is the reference's exact text (conformance compares it).
    """

    def __init__(self, message: str):
        self.message = message
        super().__init__(message)


class PanicFault(Exception):
    """A handler hit a case where the reference engine panics; this engine traps instead."""

    def __init__(self, message: str):
        self.message = message
        super().__init__(message)


class LimitFault(Exception):
    """A handler was asked to allocate more than a configured limit allows: a memory trap."""

    def __init__(self, message: str):
        self.message = message
        super().__init__(message)
