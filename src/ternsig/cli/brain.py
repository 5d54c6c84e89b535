"""Commands over brains: ``brain run`` (and the ``brain`` group others add to), ``watch``, ``demo``."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .common import EXAMPLES, add_command, count


def cmd_brain_run(args: argparse.Namespace) -> int:
    from ..host.runner import run_brain
    from .durability import run_flag_kwargs

    return run_brain(Path(args.dir), ticks=args.ticks, telemetry=args.telemetry, watch=args.watch,
                     quiet=args.quiet, state_dir=Path(args.state) if args.state else None,
                     **run_flag_kwargs(args))


def cmd_watch(args: argparse.Namespace) -> int:
    from ..reload import watch_main

    return watch_main(Path(args.dir), sys.stdout)


def cmd_demo(args: argparse.Namespace) -> int:
    """Run the bundled example brain in a scratch directory and show it learning."""
    import shutil
    import tempfile

    from ..host.runner import run_brain

    work = Path(args.dir) if args.dir else Path(tempfile.mkdtemp(prefix="ternsig-demo-"))
    brain_dir = work / "brain"
    if not brain_dir.exists():
        shutil.copytree(EXAMPLES / "brain", brain_dir)
    print(f"example brain: {brain_dir} (4 regions: sensory, memory, learner, regulation)")
    return run_brain(brain_dir, ticks=args.ticks, quiet=args.quiet)


def register_brain(bsub: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    """``ternsig brain run``."""
    b = add_command(bsub, "run", "boot the brain and run it for N ticks",
                    "Boot the brain in DIR (boot program + region firmware + .config), run it for "
                    "--ticks ticks with a live display and print the learning curve. State "
                    "(banks, telemetry, checkpoints) goes to DIR/state unless --state says otherwise. "
                    "Exit 0 ok, 1 error or trap, 130 interrupted.",
                    """
                    ternsig brain run mybrain --ticks 5000
                    ternsig brain run mybrain --ticks 200 -q --state /tmp/mybrain-state
                    """)
    b.add_argument("dir", help="brain directory")
    b.add_argument("--ticks", type=count, default=1000, help="ticks to run (default 1000)")
    b.add_argument("--telemetry", help="JSON-lines telemetry file (default: a new DIR/state/telemetry/RUN.jsonl per run)")
    b.add_argument("--state", help="state directory (default DIR/state)")
    b.add_argument("--watch", action="store_true", help="hot-reload firmware files while running")
    b.add_argument("-q", "--quiet", action="store_true", help="no live display")
    b.set_defaults(fn=cmd_brain_run)
    from .durability import add_run_flags

    add_run_flags(b)


def register(sub: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    p = add_command(sub, "watch", "dev loop: run a brain (or a firmware directory) and hot-reload edits",
                    "Run the brain (or firmware directory) in DIR and hot-reload every firmware file "
                    "you save. Stop with Ctrl-C.",
                    "ternsig watch mybrain")
    p.add_argument("dir", help="brain or firmware directory")
    p.set_defaults(fn=cmd_watch)

    p = add_command(sub, "demo", "run the bundled example brain and show it learning",
                    "Copy the bundled example brain to a work directory and run it, showing the "
                    "learning curve.",
                    "ternsig demo\nternsig demo --ticks 500 -q --dir /tmp/demo")
    p.add_argument("--ticks", type=count, default=3000, help="ticks to run (default 3000)")
    p.add_argument("--dir", help="work directory (default: a new temporary directory)")
    p.add_argument("-q", "--quiet", action="store_true", help="no live display")
    p.set_defaults(fn=cmd_demo)
