"""The admission gate: the one function every program passes to enter a brain.

Boot, region load, hot reload, model load, model reload, and any new program source (loader,
``.card``, ``.tvmr`` firmware) call :func:`admit` with the role the program will run as. It
checks, in order:

1. the role is a known :class:`~ternsig.safety.policy.Role`;
2. a role the program declares itself (``.meta role``) agrees with the role it runs as;
3. the layer policy of the role (the static half of the rules in :mod:`ternsig.safety.policy`;
   the run-time guards read the same rules);
4. the validator reports no error.

It raises :class:`~ternsig.errors.ValidationError` (with instruction, line and rule) or returns
the program unchanged.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Optional, Union

from ..errors import ValidationError
from ..program import Program
from .policy import Role, check_program

if TYPE_CHECKING:
    from ..registry import ExtensionRegistry


def admit(program: Program, role: Union[str, Role], what: str = "program", *,
          registry: Optional["ExtensionRegistry"] = None) -> Program:
    """Admit ``program`` to run as ``role``, or raise :class:`ValidationError` saying why not."""
    from .validator import ERROR, validate_program

    r = Role.parse(role, what)
    declared = getattr(program, "role", None)
    if declared is not None and declared != r.value:
        raise ValidationError(f"{what}: declares role {declared!r} but runs as a {r.value!r} program",
                              rule="role-mismatch")
    check_program(program, r.value, what, registry)
    for d in validate_program(program, r.value, registry):
        if d.level == ERROR:
            raise ValidationError(f"{what}: {d.message}", d.instruction, d.rule, d.line)
    return program
