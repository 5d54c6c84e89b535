"""Verifying a new firmware version before it may be swapped in: it must assemble (or decode),
be non-empty and pass the one admission gate for the region's role; anything else is a
:class:`ReloadRejected` and the old program keeps running."""
from __future__ import annotations

from pathlib import Path
from typing import Any, Optional, Union

from ..errors import TernsigError
from ..program import Program


class ReloadRejected(TernsigError):
    """A new firmware version was not swapped in; ``reason`` says why (the old one keeps running)."""

    def __init__(self, reason: str, path: Optional[Path] = None):
        self.reason = reason
        self.path = path
        super().__init__(f"{path}: {reason}" if path else reason)


def _assemble(source: Union[str, bytes], registry: Any, source_name: Optional[str]) -> Program:
    if isinstance(source, (bytes, bytearray)):          # a file's bytes: source, .tvmr, TERN or .card
        from ..loader import load_program_bytes

        return load_program_bytes(bytes(source), source_name or "program", registry=registry,
                                  card=(source_name or "").endswith(".card") or None)
    from ..asm import assemble

    return assemble(source, registry=registry, source_name=source_name)


def prepare_program(source: Union[str, bytes], role: Optional[str] = None, *, registry: Any = None,
                    source_name: Optional[str] = None) -> Program:
    """Assemble and verify ``source`` for ``role``; raise :class:`ReloadRejected` when it is not
    a valid program (whether the file is complete is the watcher's business: see the module doc).

    ``role`` is the region's role (None: the role the program declares, if any). A program that
    declares a different role than its region is refused: editing ``role`` in a file must not
    widen a region's privileges.
    """
    from ..errors import ValidationError
    from ..safety.admission import admit
    from ..safety.validator import ERROR, validate_program

    if registry is None:
        from ..registry import ExtensionRegistry

        registry = ExtensionRegistry.standard()
    try:
        program = _assemble(source, registry, source_name)
    except TernsigError as exc:
        raise ReloadRejected(f"does not assemble: {exc}") from None
    if not program.instructions:
        raise ReloadRejected("incomplete: the program has no instructions")
    eff_role = role or program.role
    if eff_role:
        try:                                  # the one admission gate (safety/admission.py)
            admit(program, eff_role, source_name or "program", registry=registry)
        except ValidationError as exc:
            if exc.rule == "role-mismatch":
                raise ReloadRejected(f"declares role {program.role!r} but runs as a {eff_role!r} region") from None
            if exc.rule.startswith("layer-") or exc.rule == "chemical-authority" or exc.rule == "role":
                raise ReloadRejected(f"refused by the {eff_role} policy: {exc}") from None
            raise ReloadRejected(f"does not validate: {exc}") from None
    else:
        errors = [d for d in validate_program(program, None, registry) if d.level == ERROR]
        if errors:
            raise ReloadRejected(f"does not validate: {errors[0]}")
    return program
