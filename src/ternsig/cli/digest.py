"""``ternsig brain digest DIR [--per-region] [--id N]``: one SHA-256 over a brain's saved state."""
from __future__ import annotations

import argparse
import sys
from typing import Any, Optional, TextIO


def cmd_brain_digest(args: argparse.Namespace, out: Optional[TextIO] = None) -> int:
    from ..host.digest import brain_digest
    from .durability import _state_dir

    d = brain_digest(_state_dir(args.dir, args.state), args.id)
    for line in d.lines(per_region=args.per_region):
        print(line, file=out or sys.stdout)
    return 0


def register_brain(bsub: Any) -> None:
    """Add ``digest`` to the ``brain`` subcommands."""
    from .common import add_command
    from .durability import _int_at_least

    p = add_command(bsub, "digest", "one SHA-256 over a brain's saved state (are two runs the same brain?)",
                    "Print one SHA-256 over the newest complete checkpoint of a brain (or --id N): every "
                    "region's registers, weights, temperatures and pressure, banks, chemicals, the "
                    "journal, the weight store and the tick count, in a canonical order. It depends on "
                    "the state only, not on how or by how many processes it was written. --per-region "
                    "adds one line per region and one for the kernel.",
                    "ternsig brain digest mybrain\nternsig brain digest mybrain --per-region")
    p.add_argument("dir", help="brain directory (or its state directory)")
    p.add_argument("--state", help="state directory (default DIR/state)")
    p.add_argument("--id", type=_int_at_least(0), metavar="N", help="checkpoint to digest (default: the newest complete)")
    p.add_argument("--per-region", action="store_true", help="also print one line per region and the kernel")
    p.set_defaults(fn=cmd_brain_digest)
