"""Commands over brains: ``brain run`` (and the ``brain`` group others add to), ``watch``, ``demo``."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .common import EXAMPLES, add_command, count


def default_state_dir(brain_dir: Path) -> "Path | None":
    """Where a bundled example brain keeps its state: never inside the installed package (it may
    be read-only, and MBs of telemetry do not belong there) but in the user's state directory
    (``$XDG_STATE_HOME/ternsig/examples/NAME``, default ``~/.local/state/...``). None: the brain's
    own ``DIR/state``."""
    import os

    try:
        rel = brain_dir.resolve().relative_to(EXAMPLES)
    except ValueError:
        return None
    base = Path(os.environ.get("XDG_STATE_HOME") or Path.home() / ".local" / "state")
    return base / "ternsig" / "examples" / "-".join(rel.parts or ("examples",))


def cmd_brain_run(args: argparse.Namespace) -> int:
    from ..host.curve import check_plot_target
    from ..host.brainrun import run_brain
    from .durability import run_flag_kwargs

    from ..cluster.comm import launcher_world

    state = Path(args.state) if args.state else default_state_dir(Path(args.dir))
    if launcher_world() is not None:     # started by mpiexec: one brain over its ranks (mpi4py from here on)
        from ..cluster.launch import refuse_cluster_options, run_cluster

        refuse_cluster_options(args.watch, args.plot)
        return run_cluster(Path(args.dir), args.ticks, state_dir=state, telemetry=args.telemetry,
                           **run_flag_kwargs(args))
    plot = check_plot_target(args.plot)
    return run_brain(Path(args.dir), ticks=args.ticks, telemetry=args.telemetry, watch=args.watch,
                     quiet=args.quiet, state_dir=state, plot=plot, **run_flag_kwargs(args))


def cmd_watch(args: argparse.Namespace) -> int:
    from ..reload import watch_main

    return watch_main(Path(args.dir), sys.stdout, state_dir=default_state_dir(Path(args.dir)))


def cmd_demo(args: argparse.Namespace) -> int:
    """Run the bundled example brain in a scratch directory and show it learning. Without --dir the
    scratch directory is temporary and removed on exit (a Ctrl-C too)."""
    import shutil
    import tempfile

    from ..host.curve import check_plot_target
    from ..host.brainrun import run_brain

    plot = check_plot_target(args.plot)
    with tempfile.TemporaryDirectory(prefix="ternsig-demo-") as scratch:
        work = Path(args.dir) if args.dir else Path(scratch)
        brain_dir = work / "brain"
        if not brain_dir.exists():
            shutil.copytree(EXAMPLES / "brain", brain_dir)
        print(f"example brain: {brain_dir} (4 regions: sensory, memory, learner, regulation)"
              + ("" if args.dir else "; a temporary copy, removed on exit (--dir DIR keeps it)"))
        return run_brain(brain_dir, ticks=args.ticks, quiet=args.quiet, plot=plot)


def register_brain(bsub: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    """``ternsig brain run``."""
    b = add_command(bsub, "run", "boot the brain and run it for N ticks",
                    "Boot the brain in DIR (boot program + region firmware + .config), run it for "
                    "--ticks ticks with a live display and a progress bar with ETA, and print the learning "
                    "curve. State (banks, telemetry, checkpoints) goes to DIR/state unless --state says "
                    "otherwise (a bundled example brain keeps it under ~/.local/state/ternsig). "
                    "Exit 0 ok, 1 error or a region trapped, 130 interrupted.",
                    """
                    ternsig brain run mybrain --ticks 5000
                    ternsig brain run mybrain --ticks 200 -q --state /tmp/mybrain-state
                    ternsig brain run mybrain --ticks 3000 --plot curve.png
                    """)
    b.add_argument("dir", help="brain directory")
    b.add_argument("--ticks", type=count, default=1000, help="ticks to run (default 1000)")
    b.add_argument("--telemetry", help="JSON-lines telemetry file (default: a new DIR/state/telemetry/RUN.jsonl per run)")
    b.add_argument("--state", help="state directory (default DIR/state)")
    b.add_argument("--watch", action="store_true", help="hot-reload firmware files while running")
    b.add_argument("-q", "--quiet", action="store_true", help="no live display")
    b.add_argument("--plot", metavar="FILE.png", help="also plot the learning curve to FILE.png (needs ternsig[plot])")
    b.set_defaults(fn=cmd_brain_run)
    from .durability import add_run_flags

    add_run_flags(b)


def register(sub: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    p = add_command(sub, "watch", "dev loop: run a brain (or a firmware directory) and hot-reload edits",
                    "Run the brain (or firmware directory) in DIR and hot-reload every firmware file "
                    "you save; a brain prints a status line (tick, chemicals, instructions and traps "
                    "per region, accuracy) every 100 ticks. Stop with Ctrl-C (exit 130).",
                    "ternsig watch mybrain")
    p.add_argument("dir", help="brain or firmware directory")
    p.set_defaults(fn=cmd_watch)

    p = add_command(sub, "demo", "run the bundled example brain and show it learning",
                    "Copy the bundled example brain to a work directory and run it, showing the "
                    "learning curve. Without --dir the copy is temporary and removed on exit.",
                    "ternsig demo\nternsig demo --ticks 500 -q --dir /tmp/demo\nternsig demo --plot curve.png")
    p.add_argument("--ticks", type=count, default=3000, help="ticks to run (default 3000)")
    p.add_argument("--dir", help="work directory (default: a new temporary directory)")
    p.add_argument("-q", "--quiet", action="store_true", help="no live display")
    p.add_argument("--plot", metavar="FILE.png", help="also plot the learning curve to FILE.png (needs ternsig[plot])")
    p.set_defaults(fn=cmd_demo)
