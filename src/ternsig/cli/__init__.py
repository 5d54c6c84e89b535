"""The ``ternsig`` command.

Each subcommand group lives in its own module of this package with a ``register(sub)`` function
(top-level commands) and/or ``register_brain(bsub)`` (``ternsig brain ...`` commands). Adding a
command is one line in :data:`COMMANDS` or :data:`BRAIN_COMMANDS`.

Exit codes: 0 ok, 1 error or trap, 2 usage error, 130 interrupted (Ctrl-C), 141 output closed
early (the reader of a pipe exited, as in ``ternsig brain inspect DIR | head``: no message).
"""
from __future__ import annotations

import argparse
import importlib
import os
import sys
from typing import Optional, Sequence

from .. import __version__
from ..errors import TernsigError
from .common import EXAMPLES

__all__ = ["BRAIN_COMMANDS", "COMMANDS", "EXAMPLES", "build_parser", "main"]

#: Modules (in ternsig.cli) whose ``register(sub)`` adds top-level commands, in help order.
COMMANDS: tuple[str, ...] = (
    "program",      # asm, disasm, inspect, run, spec, test, validate
    "train",        # train
    "brain",        # watch, demo
    "card",         # card pack|unpack
)

#: Modules (in ternsig.cli) whose ``register_brain(bsub)`` adds ``ternsig brain ...`` commands.
BRAIN_COMMANDS: tuple[str, ...] = (
    "brain",        # brain run
    "durability",   # brain inspect, brain rollback
    "digest",       # brain digest
)

EPILOG = """\
exit codes: 0 ok, 1 error or trap, 2 usage error, 130 interrupted, 141 output closed early
run `ternsig COMMAND --help` for a command's options and examples"""


def _module(name: str):
    return importlib.import_module(f"{__name__}.{name}")


def build_parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="ternsig", description="TVMR: the Ternsig Virtual Mainframe Runtime",
                                 epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--version", action="version", version=f"ternsig {__version__}")
    sub = ap.add_subparsers(dest="cmd", required=True, metavar="COMMAND")
    for name in COMMANDS:
        _module(name).register(sub)
    p = sub.add_parser("brain", help="run and manage a brain directory (boot program + region firmware)",
                       description="Run and manage a brain directory (boot program + region firmware).",
                       epilog="run `ternsig brain COMMAND --help` for a command's options and examples")
    bsub = p.add_subparsers(dest="brain_cmd", required=True, metavar="COMMAND")
    for name in BRAIN_COMMANDS:
        _module(name).register_brain(bsub)
    return ap


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        rc = int(args.fn(args) or 0)
        sys.stdout.flush()   # a closed pipe shows here, not in the interpreter's exit
        return rc
    except TernsigError as exc:
        print(f"ternsig {args.cmd}: error: {exc}", file=sys.stderr)
        return 1
    except BrokenPipeError:
        # the reader went away: stop quietly, as Unix tools do on SIGPIPE; stdout goes to
        # /dev/null so the interpreter's final flush cannot raise a second time
        try:
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        except (OSError, ValueError):  # stdout is not a file descriptor (an embedding caller's)
            pass
        return 141
    except OSError as exc:
        print(f"ternsig {args.cmd}: error: {exc.strerror or exc}: {exc.filename or ''}".rstrip(": "), file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"ternsig {args.cmd}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
