"""Commands over single programs: asm, disasm, inspect, run, spec, test, validate."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..errors import TernsigError, UsageError
from .common import add_command, apply_weights, count, load_program, parse_ints


def cmd_asm(args: argparse.Namespace) -> int:
    from ..binary import write_file

    program = load_program(Path(args.src))
    out = Path(args.output) if args.output else Path(args.src).with_suffix(".tvmr")
    write_file(out, program, checksum=args.checksum)
    print(f"{out}: {len(program.instructions)} instructions, {len(program.registers)} registers")
    return 0


def cmd_disasm(args: argparse.Namespace) -> int:
    from ..asm import disassemble

    sys.stdout.write(disassemble(load_program(Path(args.file))))
    return 0


def cmd_inspect(args: argparse.Namespace) -> int:
    from ..binary import header_json, read_tvmr
    from ..isa.encoding import reg_name
    from ..loader import load_program_bytes, program_bytes_kind

    data = Path(args.file).read_bytes()
    card_id = None
    kind = "card" if Path(args.file).suffix == ".card" else program_bytes_kind(data)
    if kind == "card":
        from ..card import parse_card

        card = parse_card(data)
        card_id, data = card.id, card.payload
    elif kind == "source":                 # show the header `ternsig asm` would write
        from ..binary import serialize

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


def _declared_len(program, mnemonic: str) -> "tuple[str, int, str] | None":
    """(register, declared length, where) of the first ``mnemonic`` (load_input / load_target)
    whose destination register is declared in ``.registers``; None when there is none."""
    from ..extensions.core.table import CORE

    spec = next((s for s in CORE.specs if s.mnemonic == mnemonic), None)
    if spec is None:
        return None
    declared = {r.reg: r for r in program.registers}
    for i, ins in enumerate(program.instructions):
        if ins.ext_id == 0 and ins.opcode == spec.opcode and (ins.a & 0x3F) in declared:
            r = declared[ins.a & 0x3F]
            line = program.lines[i] if i < len(program.lines) else None
            where = f"line {line}" if line else f"pc {i}"
            return f"{r.name} ({r.dtype}{list(r.shape)})", r.numel, f"{mnemonic} at {where}"
    return None


def _checked_values(program, text: str, option: str, mnemonic: str, load) -> list[int]:
    """``load`` (the machine's set_input / set_target, which range-checks) the values of
    ``option``, then check their count against the register ``mnemonic`` loads them into."""
    values = parse_ints(text)
    load(values)
    want = _declared_len(program, mnemonic)
    if want is not None and len(values) != want[1]:
        raise UsageError(f"{option} has {len(values)} value(s) but {want[0]}, loaded by "
                         f"{want[2]}, takes {want[1]}")
    return values


def cmd_run(args: argparse.Namespace) -> int:
    from ..vm.interpreter import Interpreter

    program = load_program(Path(args.program))
    interp = Interpreter(program)
    if args.state:
        interp.load(args.state)
    if args.weights:
        apply_weights(interp, Path(args.weights))
    if args.input:
        _checked_values(program, args.input, "--input", "load_input", interp.m.set_input)
    else:
        interp.m.set_input([])
    if args.target is not None:
        _checked_values(program, args.target, "--target", "load_target", interp.m.set_target)
    res = interp.run(fuel=args.fuel)
    print(f"status: {res.status.value}" + (f" ({res.message})" if res.message else ""))
    if not res.ok and 0 <= res.pc < len(program.instructions):
        print(f"at: {_where(program, Path(args.program), res.pc)}")
        missing = _unallocated_operands(interp, program.instructions[res.pc])
        if missing:
            print(f"hint: {', '.join(missing)} {'is' if len(missing) == 1 else 'are'} not allocated: "
                  f"declare {'it' if len(missing) == 1 else 'them'} in .registers (or write {'it' if len(missing) == 1 else 'them'} "
                  f"before this instruction)")
    print(f"output: {interp.m.output.tolist()}")
    return 0 if res.ok else 1


def _unallocated_operands(interp, ins) -> list[str]:
    """The hot/cold register operands of ``ins`` that hold nothing on the machine right now (the
    reference's "Source not allocated" does not name the register)."""
    from ..isa.encoding import COLD_REGS, HOT_REGS, reg_name
    from ..safety.policy import spec_for

    spec = spec_for(ins, interp.registry)
    if spec is None:
        return []
    m = interp.m
    out = []
    regs = [o for o in spec.layout if o.kind == "reg" and o.slot in ("A", "B", "C", "D")]
    if len(regs) > 1:
        regs = regs[1:]          # `op dst, src…`: the destination is created by the write
    for o in regs:
        reg = ins.operands["ABCD".index(o.slot)]
        bank, idx = reg >> 6, reg & 0x3F
        empty = (bank == HOT_REGS and m.hot[idx] is None) or (bank == COLD_REGS and m.cold[idx] is None)
        if empty and reg_name(reg) not in out:
            out.append(reg_name(reg))
    return out


def _where(program, path: Path, pc: int) -> str:
    """``pc N, FILE:LINE: source text`` (or the disassembled instruction for a binary)."""
    line = program.lines[pc] if pc < len(program.lines) else None
    if line:
        try:
            text = path.read_text(errors="replace").splitlines()[line - 1].split(";")[0].strip()
        except (OSError, IndexError):
            text = ""
        return f"pc {pc}, {path}:{line}: {text}"
    return f"pc {pc}: instruction {program.instructions[pc]}"


def cmd_spec(args: argparse.Namespace) -> int:
    from ..docs import write_isa_reference

    if args.output is None or args.output == "-":
        from ..docs import isa_reference

        sys.stdout.write(isa_reference())
        return 0
    out = Path(args.output)
    write_isa_reference(out)
    print(f"wrote {out}")
    return 0


def cmd_test(args: argparse.Namespace) -> int:
    from ..testing import run_test_files

    return run_test_files([Path(p) for p in args.files], sys.stdout)


def cmd_validate(args: argparse.Namespace) -> int:
    from ..loader import PROGRAM_SUFFIXES, load_program_file
    from ..safety.validator import ERROR, validate_program

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


def register(sub: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    p = add_command(sub, "asm", "assemble a .ternsig source into a .tvmr binary",
                    "Assemble PROGRAM (a .ternsig source, or any program file) and write it as a TVMR "
                    "binary the Rust engine can load.",
                    """
                    ternsig asm classifier.ternsig                  # writes classifier.tvmr
                    ternsig asm classifier.ternsig -o out/c.tvmr --checksum xxhash64
                    """)
    p.add_argument("src", help="program file (.ternsig, .tvmr or .card)")
    p.add_argument("-o", "--output", help="output file (default SRC with suffix .tvmr)")
    p.add_argument("--checksum", choices=("reference", "xxhash64"), default="reference",
                   help="checksum to write (reference: loadable by the Rust engine)")
    p.set_defaults(fn=cmd_asm)

    p = add_command(sub, "disasm", "print a program as .ternsig source",
                    "Print FILE (a .tvmr/.card binary or a source) as .ternsig source on stdout.",
                    "ternsig disasm classifier.tvmr > classifier.ternsig")
    p.add_argument("file", help="program file")
    p.set_defaults(fn=cmd_disasm)

    p = add_command(sub, "inspect", "show a .tvmr file's header, checksum, extensions and registers",
                    "Show the TVMR header, checksum kind, required extensions and register table of "
                    "FILE. For a source, shows the header `ternsig asm` would write.",
                    "ternsig inspect classifier.tvmr\nternsig inspect seed.card")
    p.add_argument("file", help="program file")
    p.set_defaults(fn=cmd_inspect)

    p = add_command(sub, "run", "run a program (source or binary) and print status and output",
                    "Load PROGRAM, set its input, run it until halt (or until the fuel runs out) and "
                    "print the status and the output register. Exit 0 on halt, 1 on a trap.",
                    """
                    ternsig run classifier.ternsig --input 10,20,30,40
                    ternsig run classifier.ternsig --input '10 20 30 40' --weights w.json
                    ternsig run learner.ternsig --state trained.npz --input 1,2,3,4 --target 255,0
                    """)
    p.add_argument("program", help="program file (.ternsig, .tvmr or .card)")
    p.add_argument("--input", help="input values, e.g. '1,2,3'")
    p.add_argument("--target", help="target values for a learning program (load_target), e.g. '255,0'")
    p.add_argument("--weights", help="JSON file of cold-register contents")
    p.add_argument("--state", help="a trained state (.npz) from `ternsig train --save` or Interpreter.save")
    p.add_argument("--fuel", type=count, default=10_000_000, help="instruction budget (default 10M)")
    p.set_defaults(fn=cmd_run)

    p = add_command(sub, "spec", "write the ISA reference generated from the instruction tables",
                    "Print the ISA reference (markdown) generated from the instruction tables, or "
                    "write it to a file with -o.",
                    "ternsig spec > isa.md\nternsig spec -o docs/isa.md")
    p.add_argument("-o", "--output", help="output file (default: print to stdout)")
    p.set_defaults(fn=cmd_spec)

    p = add_command(sub, "test", "run test-harness programs and report each test case",
                    "Run .ternsig test programs (with their .test.json sidecars) and report each case. "
                    "Exit 0 when all pass, 1 otherwise.",
                    "ternsig test tests/programs/*.ternsig")
    p.add_argument("files", nargs="+", help="test programs")
    p.set_defaults(fn=cmd_test)

    p = add_command(sub, "validate", "validate programs (reference passes + role policy)",
                    "Run the reference validator passes and the role policy over program files or "
                    "directories. Exit 0 when no file has errors, 1 otherwise, 2 when nothing to check.",
                    "ternsig validate brain/\nternsig validate firmware.ternsig --role learner -v")
    p.add_argument("paths", nargs="+", help="program files or directories")
    p.add_argument("--role", help="validate for this role instead of the one in .meta")
    p.add_argument("-v", "--verbose", action="store_true", help="also show info diagnostics and ok files")
    p.set_defaults(fn=cmd_validate)
