"""``ternsig brain inspect DIR`` and ``ternsig brain rollback DIR [--to N]``, and the checkpoint and
telemetry flags of ``ternsig brain run``."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any, Optional, TextIO

import numpy as np

from ..errors import FormatError, TernsigError


def _state_dir(directory: str, state: Optional[str]) -> Path:
    d = Path(directory)
    if state:
        return Path(state)
    if (d / "checkpoints").is_dir() and not (d / "boot.ternsig").exists():
        return d                                   # DIR is a state directory itself
    if not d.is_dir():
        raise TernsigError(f"{d}: no such brain directory")
    return d / "state"


def _temps(c: dict[str, Any]) -> str:
    t = c["temps"]
    if not isinstance(t, np.ndarray) or not t.size:
        return "all HOT"
    counts = np.bincount(t.astype(np.int64), minlength=4)[:4]
    return " ".join(f"{n}×{name}" for n, name in zip(counts.tolist(), ("HOT", "WARM", "COOL", "COLD")) if n)


def describe_region(st: Any, out: TextIO) -> None:
    from ..isa.encoding import COLD_REGS, HOT_REGS, make_reg, reg_name

    declared = {int(k): v for k, v in st["declared"].items()}
    dyn = {int(x) for x in st["dyn"]}
    flags = ("" if st["enabled"] else " disabled") + (" halted" if st["halted"] else "")
    print(f"  region {st['name']} ({st['role']}{flags}): {st['executed']:,} instructions, "
          f"{st['traps']} trap(s)", file=out)
    for c in st["cold"]:
        reg = make_reg(COLD_REGS, c["i"])
        note = " dynamic" if reg in dyn else (
            f" (declared {declared[reg][0]})" if reg in declared and declared[reg][0] != c["shape"] else "")
        key = f" key={c['key']}" if c["key"] else ""
        nz = int(np.count_nonzero(c["pol"]))
        print(f"    {reg_name(reg)}: ternary{c['shape']}{key}{note}: {nz} non-zero, {_temps(c)}"
              + (", pressure" if c["pressure"] is not None else ""), file=out)
    for h in st["hot"]:
        reg = make_reg(HOT_REGS, h["i"])
        if reg in dyn:
            print(f"    {reg_name(reg)}: i32{h['shape']} dynamic", file=out)


def cmd_brain_inspect(args: argparse.Namespace, out: Optional[TextIO] = None) -> int:
    out = out or sys.stdout
    from ..host.brainstate import KERNEL_PART, decode_part
    from ..host.checkpoint import CheckpointStore

    store = CheckpointStore(_state_dir(args.dir, args.state))
    ids = store.ids()
    if not ids:
        print(f"no checkpoints under {store.dir}", file=out)
        return 1
    newest = store.latest()
    print(f"checkpoints under {store.dir}:", file=out)
    for i in ids:
        try:
            m = store.read_manifest(i)
            bad = store.problems(m)
            size = sum(p.size for p in m.parts)
            state = "complete" if not bad else "INCOMPLETE: " + "; ".join(bad)
            mark = "*" if newest is not None and newest.id == i else " "
            print(f" {mark} {i:>10}  tick {m.tick:>10}  {len(m.parts)} parts  {size:>10,} bytes  "
                  f"{m.meta.get('reason', '?'):<9} {state}", file=out)
        except (FormatError, TernsigError) as exc:
            print(f"   {i:>10}  DAMAGED: {exc}", file=out)
    if newest is None:
        print("no complete checkpoint: a restart starts fresh", file=out)
        return 1
    want = args.id if args.id is not None else newest.id
    m = store.read_manifest(want)
    if store.problems(m):
        raise TernsigError(f"checkpoint {want} is not complete")
    print(f"\ncheckpoint {m.id} (tick {m.tick}), what a restart from it restores:", file=out)
    k = decode_part(store.read_part(m, KERNEL_PART), KERNEL_PART)
    sub = k["substrate"]
    print(f"  brain {k['brain']}: tick {k['tick']}, phase {sub.get('phase')}, chemicals {sub.get('chemicals')}",
          file=out)
    from ..safety.journal import Journal
    from ..thermo.format import load_bytes

    jdoc = Journal.parse(k["journal"])
    thermo, _ = load_bytes(k["thermo"])
    print(f"  journal: {len(jdoc['entries'])} entries; weight store: {len(thermo.keys())} key(s) "
          f"{sorted(thermo.keys())[:8]}; banks: "
          + (", ".join(f"{n} ({len(b):,} bytes)" for n, b in k["banks"].items()) or "none"), file=out)
    for p in m.parts:
        if p.name != KERNEL_PART:
            describe_region(decode_part(store.read_part(m, p.name), p.name), out)
    return 0


def cmd_brain_rollback(args: argparse.Namespace, out: Optional[TextIO] = None) -> int:
    out = out or sys.stdout
    from ..host.checkpoint import CheckpointStore

    store = CheckpointStore(_state_dir(args.dir, args.state))
    m, gone = store.rollback(args.to)
    print(f"rolled back to checkpoint {m.id} (tick {m.tick}); deleted newer checkpoint(s): "
          + (", ".join(map(str, gone)) or "none"), file=out)
    print("the next `ternsig brain run` starts from it", file=out)
    return 0


def _nonneg_float(text: str) -> float:
    try:
        v = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of seconds, got {text!r}") from None
    if not 0 <= v < 1e9:
        raise argparse.ArgumentTypeError(f"must be 0 or more, got {text}")
    return v


def _int_at_least(lo: int):
    def parse(text: str) -> int:
        try:
            v = int(text, 0)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}") from None
        if v < lo:
            raise argparse.ArgumentTypeError(f"must be at least {lo}, got {v}")
        return v
    return parse


def add_run_flags(b: argparse.ArgumentParser) -> None:
    """The checkpoint and telemetry flags of ``brain run`` (they override ``.config checkpoint``)."""
    b.add_argument("--checkpoint-every", type=_int_at_least(0), metavar="TICKS",
                   help="checkpoint every TICKS ticks (0 = off; default from ..config, else off)")
    b.add_argument("--checkpoint-seconds", type=_nonneg_float, metavar="S",
                   help="checkpoint every S seconds of running (0 = off; default 1)")
    b.add_argument("--keep-checkpoints", type=_int_at_least(1), metavar="K", help="checkpoints kept (default 3)")
    b.add_argument("--telemetry-max-bytes", type=_int_at_least(1024), metavar="N",
                   help="rotate the telemetry file at N bytes (default 16 MiB, 3 rotated files kept)")
    b.add_argument("--progress", action="store_true", help="print a line for every checkpoint written")


def run_flag_kwargs(args: argparse.Namespace) -> dict[str, Any]:
    return {"checkpoint_every": args.checkpoint_every, "checkpoint_seconds": args.checkpoint_seconds,
            "keep_checkpoints": args.keep_checkpoints, "telemetry_max_bytes": args.telemetry_max_bytes,
            "progress": args.progress}


def register_brain(bsub: Any) -> None:
    """Add ``inspect`` and ``rollback`` to the ``brain`` subcommands."""
    from .common import add_command

    p = add_command(bsub, "inspect", "list a brain's checkpoints and show what the newest (or --id N) holds",
                    "List the checkpoints in a brain's state directory and describe the newest complete "
                    "one (or checkpoint --id N): tick, regions, registers with temperatures, journal.",
                    "ternsig brain inspect mybrain\nternsig brain inspect mybrain --id 1200")
    p.add_argument("dir", help="brain directory (or its state directory)")
    p.add_argument("--state", help="state directory (default DIR/state)")
    p.add_argument("--id", type=_int_at_least(0), help="checkpoint to describe (default: the newest complete)")
    p.set_defaults(fn=cmd_brain_inspect)
    p = add_command(bsub, "rollback", "make an older checkpoint the newest (deletes newer ones)",
                    "Make an older checkpoint the newest, deleting the newer ones; the next "
                    "`brain run` resumes from it.",
                    "ternsig brain rollback mybrain              # back one checkpoint\n"
                    "ternsig brain rollback mybrain --to 1200")
    p.add_argument("dir", help="brain directory (or its state directory)")
    p.add_argument("--state", help="state directory (default DIR/state)")
    p.add_argument("--to", type=_int_at_least(0), metavar="N", help="checkpoint id (default: the one before the newest)")
    p.set_defaults(fn=cmd_brain_rollback)
