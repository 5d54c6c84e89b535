"""``ternsig train``: train a learning program on a dataset (.npz or CSV) and print its learning curve."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any, Union

from ..errors import UsageError
from .common import add_command, count, load_program


def _dopamine(text: str) -> Union[str, int]:
    if text == "on-error":
        return text
    try:
        v = int(text, 10)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'on-error' or an integer 0..255, got {text!r}") from None
    if not 0 <= v <= 255:
        raise argparse.ArgumentTypeError(f"dopamine must be 0..255, got {v}")
    return v


def check_widths(program: Any, inputs: int, targets: int, source: str) -> None:
    """The dataset's columns must fit the registers ``load_input`` / ``load_target`` fill."""
    from .program import _declared_len

    for mnemonic, have, what in (("load_input", inputs, "input"), ("load_target", targets, "target")):
        want = _declared_len(program, mnemonic)
        if want is not None and have != want[1]:
            raise UsageError(f"{source} has {have} {what} value(s) per sample but {want[0]}, loaded by "
                             f"{want[2]}, takes {want[1]}")
    from ..extensions.core.table import CORE

    spec = next(s for s in CORE.specs if s.mnemonic == "load_target")
    if not any(i.ext_id == 0 and i.opcode == spec.opcode for i in program.instructions):
        raise UsageError("the program never runs load_target: it cannot learn from targets")


def cmd_train(args: argparse.Namespace) -> int:
    from ..dataset import load_dataset
    from ..host.curve import LearningCurve, check_plot_target
    from ..vm.interpreter import Interpreter

    plot = check_plot_target(args.plot)
    program = load_program(Path(args.program))
    data = load_dataset(Path(args.data), args.classes)
    check_widths(program, data.inputs.shape[1], data.targets.shape[1], args.data)
    vm = Interpreter(program)
    if args.load:
        vm.load(args.load)
    out = sys.stdout
    print(f"training {args.program} on {data.source}: {len(data)} samples × {args.epochs} epoch(s), "
          f"{data.inputs.shape[1]} inputs, {data.targets.shape[1]} targets; dopamine {args.dopamine}", file=out)
    curve = LearningCurve(unit="epoch")
    interrupted = False
    scores: list[Any] = []

    def report(score: Any) -> None:
        scores.append(score)
        if score.accuracy is not None:
            curve.add(score.epoch, score.accuracy, score.samples)
        else:
            curve.what, curve.percent = "mean |output − target|", False
            curve.add(score.epoch, score.mae, score.samples)
        line = str(score)
        if bar is not None:
            bar.console.print(line)
        else:
            print(line, file=out, flush=True)

    bar = None
    try:
        if args.quiet:
            vm.fit(data.inputs, data.targets, args.epochs, args.fuel, args.dopamine, on_epoch=report)
        else:
            from rich.console import Console
            from rich.progress import Progress

            from ..host.curve import progress_columns

            total = len(data) * args.epochs
            with Progress(*progress_columns(), console=Console(file=out), transient=True) as bar:
                job = bar.add_task("samples", total=total)
                step = max(1, total // 200)

                def tick(epoch: int, i: int) -> None:
                    done = (epoch - 1) * len(data) + i + 1
                    if done % step == 0 or done == total:
                        bar.update(job, completed=done)

                vm.fit(data.inputs, data.targets, args.epochs, args.fuel, args.dopamine,
                       on_sample=tick, on_epoch=report)
    except KeyboardInterrupt:
        interrupted = True
    if scores:
        last = scores[-1]
        summary = (f"accuracy {last.accuracy:.1%}, " if last.accuracy is not None else "") + f"mean |output − target| {last.mae:.2f}"
        best = max(scores, key=lambda s: s.accuracy if s.accuracy is not None else -s.mae)
        print(f"{'interrupted after' if interrupted else 'trained'} {len(scores)} epoch(s); last epoch: {summary}; "
              f"best epoch: {best.epoch}", file=out)
    elif interrupted:
        print("interrupted before the first epoch ended", file=out)
    if args.save and (scores or args.load):
        print(f"saved the trained state to {vm.save(args.save)} (ternsig run {args.program} --state {args.save} ...)",
              file=out)
    if plot is not None and len(curve):
        print(f"learning curve plotted to {curve.plot(plot, f'train {Path(args.program).name} on {Path(args.data).name}')}",
              file=out)
    return 130 if interrupted else 0


def register(sub: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    p = add_command(sub, "train", "train a learning program on a dataset (.npz or CSV), print its learning curve",
                    "Run PROGRAM once per sample of DATA (load_input gets the inputs, load_target the "
                    "targets), EPOCHS times over the dataset, and print the accuracy and mean error of "
                    "each epoch. DATA: a .npz with 'inputs' and 'targets' (or 'labels', one class "
                    "index per sample), or a CSV whose header names 'label' or 'target…' columns "
                    "(the other columns are inputs); integers only. Dopamine 'on-error' (default) "
                    "lets the program learn only from samples after a wrong answer, as the example "
                    "brain's regulation region does. Exit 0 ok, 1 error or trap, 130 interrupted.",
                    """
                    ternsig train learner.ternsig data.npz --epochs 5
                    ternsig train learner.ternsig data.csv --epochs 20 --save trained.npz --plot curve.png
                    ternsig run learner.ternsig --state trained.npz --input 3,0,29,...
                    """)
    p.add_argument("program", help="a learning program (.ternsig, .tvmr or .card)")
    p.add_argument("data", help="dataset: .npz (inputs + targets|labels) or .csv (header with label or target… columns)")
    p.add_argument("--epochs", type=count, default=1, help="passes over the dataset (default 1)")
    p.add_argument("--dopamine", type=_dopamine, default="on-error",
                   help="'on-error' (default: learn after a wrong answer) or a fixed level 0..255 (≥ 76 learns)")
    p.add_argument("--classes", type=count, help="one-hot width for labels (default: largest label + 1)")
    p.add_argument("--load", help="start from a state saved by --save (or Interpreter.save)")
    p.add_argument("--save", help="write the trained state (.npz) for `ternsig run --state` or Interpreter.load")
    p.add_argument("--plot", metavar="FILE.png", help="also plot the learning curve to FILE.png (needs ternsig[plot])")
    p.add_argument("--fuel", type=count, default=10_000_000, help="instruction budget per sample (default 10M)")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    p.set_defaults(fn=cmd_train)
