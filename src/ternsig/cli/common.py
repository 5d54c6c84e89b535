"""Helpers shared by the subcommand modules: argument types, program loading, help formatting."""
from __future__ import annotations

import argparse
import json
import textwrap
from pathlib import Path
from typing import Any

from ..errors import TernsigError

#: The bundled examples (example brain, firmware, test programs).
EXAMPLES = Path(__file__).resolve().parent.parent / "examples"

#: ``sub`` in every ``register(sub)``: what ``add_subparsers`` returns.
SubParsers = "argparse._SubParsersAction[argparse.ArgumentParser]"


def add_command(sub: Any, name: str, summary: str, description: str = "",
                examples: str = "") -> argparse.ArgumentParser:
    """Add subcommand ``name`` with a one-line ``summary`` (shown in the parent's list), a longer
    ``description`` and an ``examples`` block (both shown by ``ternsig NAME --help``)."""
    epilog = "examples:\n" + textwrap.indent(textwrap.dedent(examples).strip("\n"), "  ") if examples else None
    paragraphs = textwrap.dedent(description).strip().split("\n\n") if description else [summary]
    text = "\n\n".join(textwrap.fill(" ".join(par.split()), 78) for par in paragraphs)
    return sub.add_parser(name, help=summary, description=text,
                          epilog=epilog, formatter_class=argparse.RawDescriptionHelpFormatter)


def load_program(path: Path):
    """The program in ``path``; a program without instructions (an empty source) is an error."""
    from ..errors import UsageError
    from ..loader import load_program_file

    program = load_program_file(path)
    if not program.instructions:
        raise UsageError(f"{path}: the program has no instructions (empty .program section?)")
    return program


def parse_ints(text: str) -> list[int]:
    try:
        return [int(t, 0) for t in text.replace(",", " ").split()]
    except ValueError:
        raise TernsigError(f"--input wants integers separated by commas or spaces, got {text!r}") from None


def apply_weights(interp: Any, path: Path) -> None:
    """Cold-register contents from a JSON file: {"C0": {"weights": [...], "temperatures": [...]}}."""
    from ..inputs import apply_cold

    try:
        spec = json.loads(path.read_bytes())
    except OSError as exc:
        raise TernsigError(f"{path}: cannot read weights: {exc.strerror or exc}") from None
    except (ValueError, RecursionError) as exc:      # RecursionError: nested too deeply
        raise TernsigError(f"{path}: weights file is not valid JSON: {str(exc)[:200]}") from None
    apply_cold(interp.m, spec, str(path))


def count(text: str) -> int:
    """argparse type of --fuel and --ticks: an integer, 0 or more."""
    try:
        v = int(text, 0)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}") from None
    if v < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more, got {v}")
    return v
