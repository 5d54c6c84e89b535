"""The ``ternsig`` command."""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Optional, Sequence

from .errors import TernsigError

EXAMPLES = Path(__file__).parent / "examples"


def _load_program(path: Path):
    from .loader import load_program_file

    return load_program_file(path)


def _parse_ints(text: str) -> list[int]:
    try:
        return [int(t, 0) for t in text.replace(",", " ").split()]
    except ValueError:
        raise TernsigError(f"--input wants integers separated by commas or spaces, got {text!r}") from None


def _apply_weights(interp, path: Path) -> None:
    """Cold-register contents from a JSON file: {"C0": {"weights": [...], "temperatures": [...]}}."""
    from .inputs import apply_cold

    try:
        spec = json.loads(path.read_bytes())
    except OSError as exc:
        raise TernsigError(f"{path}: cannot read weights: {exc.strerror or exc}") from None
    except ValueError as exc:
        raise TernsigError(f"{path}: weights file is not valid JSON: {exc}") from None
    apply_cold(interp.m, spec, str(path))


def _count(text: str) -> int:
    """argparse type of --fuel and --ticks: an integer, 0 or more."""
    try:
        v = int(text, 0)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}") from None
    if v < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more, got {v}")
    return v


def cmd_asm(args) -> int:
    from .binary import write_file

    program = _load_program(Path(args.src))
    out = Path(args.output) if args.output else Path(args.src).with_suffix(".tvmr")
    write_file(out, program, checksum=args.checksum)
    print(f"{out}: {len(program.instructions)} instructions, {len(program.registers)} registers")
    return 0


def cmd_disasm(args) -> int:
    from .asm import disassemble

    sys.stdout.write(disassemble(_load_program(Path(args.file))))
    return 0


def cmd_inspect(args) -> int:
    from .binary import header_json, read_tvmr
    from .isa.encoding import reg_name

    data = Path(args.file).read_bytes()
    card_id = None
    from .loader import load_program_bytes, program_bytes_kind

    kind = "card" if Path(args.file).suffix == ".card" else program_bytes_kind(data)
    if kind == "card":
        from .card import parse_card

        card = parse_card(data)
        card_id, data = card.id, card.payload
    elif kind == "source":                 # show the header `ternsig asm` would write
        from .binary import serialize

        data = serialize(load_program_bytes(data, args.file))
    program, header = read_tvmr(data)
    h = header_json(header) if header is not None else {}
    w = 19
    print(f"{'file:':<{w}}{args.file} ({len(data)} bytes)")
    if card_id is not None:
        print(f"{'card id:':<{w}}{card_id}")
    for k, v in h.items():
        print(f"{k + ':':<{w}}{v}")
    print(f"{'checksum kind:':<{w}}{getattr(header, 'checksum_kind', 'unknown')}")
    print(f"{'extensions:':<{w}}" + (", ".join(f"{r.name} 0x{r.ext_id:04X}" for r in program.requires) or "none"))
    print("registers:")
    for r in program.registers:
        extra = (f' key="{r.key}"' if r.key else "") + (" frozen" if r.frozen else "")
        print(f"  {reg_name(r.reg)}: {r.dtype}{list(r.shape)}{extra}")
    print(f"instructions: {len(program.instructions)}")
    return 0


def cmd_run(args) -> int:
    from .vm.interpreter import Interpreter

    program = _load_program(Path(args.program))
    interp = Interpreter(program)
    if args.weights:
        _apply_weights(interp, Path(args.weights))
    interp.m.set_input(_parse_ints(args.input) if args.input else [])
    res = interp.run(fuel=args.fuel)
    print(f"status: {res.status.value}" + (f" ({res.message})" if res.message else ""))
    print(f"output: {interp.m.output.tolist()}")
    return 0 if res.ok else 1


def cmd_spec(args) -> int:
    from .docs import write_isa_reference

    out = Path(args.output)
    write_isa_reference(out)
    print(f"wrote {out}")
    return 0


def cmd_test(args) -> int:
    from .testing import run_test_files

    return run_test_files([Path(p) for p in args.files], sys.stdout)


def cmd_demo(args) -> int:
    """Run the bundled example brain in a scratch directory and show it learning."""
    import shutil
    import tempfile

    from .host.runner import run_brain

    work = Path(args.dir) if args.dir else Path(tempfile.mkdtemp(prefix="ternsig-demo-"))
    brain_dir = work / "brain"
    if not brain_dir.exists():
        shutil.copytree(EXAMPLES / "brain", brain_dir)
    print(f"example brain: {brain_dir} (4 regions: sensory, memory, learner, regulation)")
    return run_brain(brain_dir, ticks=args.ticks, quiet=args.quiet)


def cmd_validate(args) -> int:
    from .loader import PROGRAM_SUFFIXES, load_program_file
    from .safety.validator import ERROR, validate_program

    paths: list[Path] = []
    for p in args.paths:
        pp = Path(p)
        if pp.is_dir():
            paths.extend(sorted(f for f in pp.rglob("*") if f.suffix in PROGRAM_SUFFIXES and f.is_file()))
        elif pp.exists():
            paths.append(pp)
        else:
            print(f"ternsig validate: no such file or directory: {p}", file=sys.stderr)
            return 2
    if not paths:
        print("ternsig validate: no program files (.ternsig, .tvmr, .card) found", file=sys.stderr)
        return 2
    bad = 0
    for path in paths:
        try:
            program = load_program_file(path)
        except TernsigError as exc:
            print(f"{path}: ERROR: {exc}")
            bad += 1
            continue
        diags = validate_program(program, role=args.role)
        shown = [d for d in diags if args.verbose or d.level != "info"]
        errors = [d for d in diags if d.level == ERROR]
        for d in shown:
            print(f"{path}: {d}")
        if errors:
            bad += 1
        elif args.verbose:
            print(f"{path}: ok")
    print(f"{len(paths)} file(s), {bad} with errors")
    return 1 if bad else 0


def cmd_brain_run(args) -> int:
    from .host.runner import run_brain

    from .durability_cli import run_flag_kwargs

    return run_brain(Path(args.dir), ticks=args.ticks, telemetry=args.telemetry, watch=args.watch,
                     quiet=args.quiet, state_dir=Path(args.state) if args.state else None, **run_flag_kwargs(args))


def cmd_watch(args) -> int:
    from .reload import watch_main

    return watch_main(Path(args.dir), sys.stdout)


def build_parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="ternsig", description="TVMR: the Ternsig Virtual Mainframe Runtime")
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("asm", help="assemble a .ternsig source into a .tvmr binary")
    p.add_argument("src")
    p.add_argument("-o", "--output")
    p.add_argument("--checksum", choices=("reference", "xxhash64"), default="reference",
                   help="checksum to write (reference: loadable by the Rust engine)")
    p.set_defaults(fn=cmd_asm)
    p = sub.add_parser("disasm", help="print a program as .ternsig source")
    p.add_argument("file")
    p.set_defaults(fn=cmd_disasm)
    p = sub.add_parser("inspect", help="show a .tvmr file's header, checksum, extensions and registers")
    p.add_argument("file")
    p.set_defaults(fn=cmd_inspect)
    p = sub.add_parser("run", help="run a program (source or binary) and print status and output")
    p.add_argument("program")
    p.add_argument("--input", help="input values, e.g. '1,2,3'")
    p.add_argument("--weights", help="JSON file of cold-register contents")
    p.add_argument("--fuel", type=_count, default=10_000_000, help="instruction budget (default 10M)")
    p.set_defaults(fn=cmd_run)
    p = sub.add_parser("spec", help="write the ISA reference generated from the instruction tables")
    p.add_argument("-o", "--output", default="docs/isa.md")
    p.set_defaults(fn=cmd_spec)
    p = sub.add_parser("test", help="run test-harness programs and report each test case")
    p.add_argument("files", nargs="+")
    p.set_defaults(fn=cmd_test)
    p = sub.add_parser("validate", help="validate programs (reference passes + role policy)")
    p.add_argument("paths", nargs="+")
    p.add_argument("--role", help="validate for this role instead of the one in .meta")
    p.add_argument("-v", "--verbose", action="store_true")
    p.set_defaults(fn=cmd_validate)
    p = sub.add_parser("brain", help="run a brain directory (boot program + region firmware)")
    bsub = p.add_subparsers(dest="brain_cmd", required=True)
    b = bsub.add_parser("run", help="boot the brain and run it for N ticks")
    b.add_argument("dir")
    b.add_argument("--ticks", type=_count, default=1000)
    b.add_argument("--telemetry", help="JSON-lines telemetry file (default: a new DIR/state/telemetry/RUN.jsonl per run)")
    b.add_argument("--state", help="state directory (default DIR/state)")
    b.add_argument("--watch", action="store_true", help="hot-reload firmware files while running")
    b.add_argument("-q", "--quiet", action="store_true", help="no live display")
    b.set_defaults(fn=cmd_brain_run)
    from .durability_cli import add_run_flags, register as register_durability

    add_run_flags(b)
    register_durability(bsub)
    p = sub.add_parser("watch", help="dev loop: run a brain (or a firmware directory) and hot-reload edits")
    p.add_argument("dir")
    p.set_defaults(fn=cmd_watch)
    p = sub.add_parser("demo", help="run the bundled example brain and show it learning")
    p.add_argument("--ticks", type=_count, default=3000)
    p.add_argument("--dir", help="work directory (default: a new temporary directory)")
    p.add_argument("-q", "--quiet", action="store_true")
    p.set_defaults(fn=cmd_demo)
    from .cardcli import register as register_card

    register_card(sub)
    return ap


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.fn(args) or 0)
    except TernsigError as exc:
        print(f"ternsig {args.cmd}: error: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"ternsig {args.cmd}: error: {exc.strerror or exc}: {exc.filename or ''}".rstrip(": "), file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"ternsig {args.cmd}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
