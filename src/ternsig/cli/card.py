"""``ternsig card pack|unpack``: wrap a program in a ``.card`` and take it out again."""
from __future__ import annotations

import argparse
from pathlib import Path

from .common import add_command


def cmd_card_pack(args: argparse.Namespace) -> int:
    from ..atomicio import atomic_write
    from ..loader import card_bytes, load_program_file

    program = load_program_file(Path(args.program))
    out = Path(args.output) if args.output else Path(args.program).with_suffix(".card")
    data = card_bytes(program, args.id or out.stem, checksum=args.checksum)
    atomic_write(out, data)
    print(f"{out}: card {args.id or out.stem!r}, {len(data)} bytes, "
          f"{len(program.instructions)} instructions")
    return 0


def cmd_card_unpack(args: argparse.Namespace) -> int:
    from ..atomicio import atomic_write
    from ..binary import deserialize
    from ..card import parse_card
    from ..errors import FormatError
    from ..loader import _read

    src = Path(args.card)
    try:
        card = parse_card(_read(src, "card"))
        deserialize(card.payload)          # refuse to write out a payload that is not a program
    except FormatError as exc:
        raise FormatError(f"{src}: {exc.message}", exc.offset) from None
    out = Path(args.output) if args.output else src.with_suffix(".tvmr")
    atomic_write(out, card.payload)
    print(f"{out}: {len(card.payload)} bytes from card {card.id!r}")
    return 0


def register(sub: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    p = add_command(sub, "card", "pack a program into a .card (datacard) file or unpack one",
                    "Pack a program into a .card (datacard) file, or take the TVMR program out of one.",
                    "ternsig card pack seed.ternsig --id seed-001\nternsig card unpack seed.card -o seed.tvmr")
    csub = p.add_subparsers(dest="card_cmd", required=True)
    c = add_command(csub, "pack", "write PROGRAM (source, .tvmr or .card) as a .card file",
                    examples="ternsig card pack seed.ternsig            # writes seed.card")
    c.add_argument("program")
    c.add_argument("-o", "--output", help="output file (default PROGRAM with suffix .card)")
    c.add_argument("--id", help="card id (default the output file's stem)")
    c.add_argument("--checksum", choices=("reference", "xxhash64"), default="reference",
                   help="checksum of the TVMR payload (as for `ternsig asm`)")
    c.set_defaults(fn=cmd_card_pack)
    c = add_command(csub, "unpack", "write the TVMR program inside a .card file",
                    examples="ternsig card unpack seed.card             # writes seed.tvmr")
    c.add_argument("card")
    c.add_argument("-o", "--output", help="output file (default CARD with suffix .tvmr)")
    c.set_defaults(fn=cmd_card_unpack)
