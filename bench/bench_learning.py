"""Integer-only learning benchmark: a region firmware learns real data through the VM.

Two tasks, both learned by the firmware in ``bench/firmware/`` (the firmware is the model *and* its
learning rule; this driver only feeds inputs and targets and sets dopamine):

* ``digits`` — scikit-learn's bundled 8×8 handwritten digits (10 classes), fixed stratified split
  (``test_size=0.25, random_state=0``). Pixels (0..16) are fed as ON/OFF channels ``[x, 16 − x]``
  (128 non-negative integers) so that "no ink here" is evidence too.
* ``onset`` — a synthetic rising-edge detector: windows of a noisy integer signal (levels 0..16),
  label 1 when the signal steps *up* inside the window; flat windows and falling edges are 0.

Learning is integer-only end to end: ternary weights, int32 activity, mastery pressure, integer
commits. Dopamine is the switch: 128 (learning, dopamine scale 1) while training, 0 (mastery
updates disabled) while evaluating, and evaluation also passes an all-zero target, which the
firmware treats as "inference only". Floats appear only in the driver's reporting (accuracy, time).

Reported per task: test accuracy (last evaluation), training time and samples to reach 90% of the
final accuracy and to reach 90% absolute accuracy, training time (evaluations excluded) and wall
time (everything). Run:

    python bench/bench_learning.py                     # both tasks
    python bench/bench_learning.py --task digits --epochs 15 --plot curve.png --json out.json
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable, Optional

sys.path.insert(0, str(Path(__file__).parent))
import _common  # noqa: E402  (pins BLAS threads before NumPy loads; progress bars)

import numpy as np  # noqa: E402

from ternsig.asm import assemble  # noqa: E402
from ternsig.vm.interpreter import Interpreter  # noqa: E402
from ternsig.vm.results import Status  # noqa: E402

FIRMWARE = Path(__file__).resolve().parent / "firmware"
LEVELS = 16                 # input activity range 0..16: the firmware's score bound assumes it
LEARN_DA = 128              # dopamine while training (≥ 76: learning on, scale 1)
INFER_DA = 0                # dopamine while evaluating (< 76: mastery updates are no-ops)


# ---- data -----------------------------------------------------------------------------------------

@dataclass
class Dataset:
    name: str
    x_train: np.ndarray     # int32 [n, d], values 0..LEVELS
    y_train: np.ndarray     # int64 [n]
    x_test: np.ndarray
    y_test: np.ndarray
    n_classes: int


def on_off(x: np.ndarray, top: int = LEVELS) -> np.ndarray:
    """ON/OFF channels ``[x, top − x]``: every input position contributes evidence either way."""
    x = np.asarray(x, np.int64)
    return np.hstack([x, top - x]).astype(np.int32)


def load_digits_split(test_size: float = 0.25, random_state: int = 0, limit: Optional[int] = None) -> Dataset:
    """sklearn digits, stratified fixed split; ``limit`` keeps the first n training samples."""
    try:
        from sklearn.datasets import load_digits
        from sklearn.model_selection import train_test_split
    except ImportError as exc:  # a bench dependency, not a runtime one
        raise SystemExit("the digits task needs scikit-learn: pip install -e '.[bench]'") from exc
    d = load_digits()
    x = d.data.astype(np.int64)                   # already integers 0..16
    xtr, xte, ytr, yte = train_test_split(x, d.target.astype(np.int64), test_size=test_size,
                                          random_state=random_state, stratify=d.target)
    if limit is not None:
        xtr, ytr = xtr[:limit], ytr[:limit]
    return Dataset("digits", on_off(xtr), ytr, on_off(xte), yte, 10)


def make_onset(n: int, window: int = 16, noise: int = 2, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """``n`` windows of a noisy step signal (integers 0..LEVELS) and their labels.

    Half the windows hold a rising edge at a random position 1..window−1 (label 1); a quarter a
    falling edge, a quarter a flat low or high level (label 0). Step heights 5..10, base levels so
    the step fits, uniform integer noise in [−noise, noise], clipped to 0..LEVELS.
    """
    rng = np.random.default_rng(seed)
    kind = rng.integers(0, 4, n)                  # 0, 1: rise; 2: fall; 3: flat
    amp = rng.integers(5, 11, n)
    base = rng.integers(0, LEVELS - amp + 1)
    t = rng.integers(1, window, n)
    pos = np.arange(window)
    after = pos[None, :] >= t[:, None]
    high = np.where((kind < 2)[:, None], after,
                    np.where((kind == 2)[:, None], ~after, (rng.integers(0, 2, n) == 1)[:, None]))
    sig = base[:, None] + amp[:, None] * high + rng.integers(-noise, noise + 1, (n, window))
    return np.clip(sig, 0, LEVELS).astype(np.int64), (kind < 2).astype(np.int64)


def load_onset(n_train: int = 2000, n_test: int = 1000, window: int = 16, noise: int = 2, seed: int = 0) -> Dataset:
    xtr, ytr = make_onset(n_train, window, noise, seed)
    xte, yte = make_onset(n_test, window, noise, seed + 1)
    return Dataset("onset", on_off(xtr), ytr, on_off(xte), yte, 2)


# ---- the learner: firmware + machine ------------------------------------------------------------

class FirmwareLearner:
    """Runs a classifier firmware on one VM: a training step is one program run with a target
    (learning on), a prediction one run with a zero target (learning off)."""

    def __init__(self, source: str, n_classes: int):
        self.interp = Interpreter(assemble(source))
        self.m = self.interp.m
        self.n_classes = n_classes
        self._targets = np.eye(n_classes, dtype=np.int32) * 255
        self._none = np.zeros(n_classes, np.int32)

    def _run(self, x: np.ndarray, target: np.ndarray) -> np.ndarray:
        m = self.m
        m.set_input(x)
        m.set_target(target)
        m.pc = 0
        r = self.interp.run()
        if r.status is not Status.HALT:
            raise RuntimeError(f"firmware stopped with {r!r}")
        return m.output

    @staticmethod
    def _argmax(scores: np.ndarray) -> int:
        return int(np.argmax(scores))             # first index on ties: ties count against us

    def train_step(self, x: np.ndarray, label: int) -> bool:
        """One sample with learning on; returns whether the prediction before learning was right."""
        self.m.chem.dopamine = LEARN_DA
        return self._argmax(self._run(x, self._targets[label])) == label

    def predict(self, xs: np.ndarray) -> np.ndarray:
        self.m.chem.dopamine = INFER_DA
        return np.array([self._argmax(self._run(x, self._none)) for x in xs], np.int64)

    def accuracy(self, xs: np.ndarray, ys: np.ndarray) -> float:
        return float(np.mean(self.predict(xs) == ys))

    def weights(self) -> np.ndarray:
        """Signed weights p·m, one row per class (C0 .. C{n−1})."""
        return np.stack([self.m.cold[k].values() for k in range(self.n_classes)])


# ---- training loop and figures ------------------------------------------------------------------

@dataclass
class CurvePoint:
    samples: int            # training samples seen
    train_s: float          # training time so far (evaluations excluded)
    test_acc: float


@dataclass
class Result:
    task: str
    epochs: int
    train_samples: int
    test_samples: int
    final_acc: float = 0.0
    best_acc: float = 0.0
    train_s: float = 0.0
    wall_s: float = 0.0
    instructions: int = 0
    t90_final: Optional[tuple[float, int]] = None     # (train seconds, samples) to 0.9 × final
    t90_abs: Optional[tuple[float, int]] = None       # (train seconds, samples) to 90 % accuracy
    curve: list[CurvePoint] = field(default_factory=list)

    def first_reaching(self, acc: float) -> Optional[tuple[float, int]]:
        for p in self.curve:
            if p.test_acc >= acc:
                return (p.train_s, p.samples)
        return None


def eval_schedule(total: int, fine: int, fine_until: int, coarse: int) -> list[int]:
    """Sample counts at which to evaluate: every ``fine`` samples up to ``fine_until`` (the early
    curve decides time-to-90%), then every ``coarse``, and always at ``total``."""
    pts = set(range(fine, min(fine_until, total) + 1, fine)) | set(range(coarse, total + 1, coarse))
    pts.add(total)
    return sorted(pts)


def train(learner: FirmwareLearner, data: Dataset, epochs: int, schedule: list[int], seed: int = 0,
          on_eval: Optional[Callable[[CurvePoint, int], None]] = None) -> Result:
    """Shuffled online training (fixed seed, reshuffled each epoch); test accuracy at the sample
    counts in ``schedule``. Only the training steps are timed into ``train_s``."""
    wall0 = time.perf_counter()
    n = len(data.y_train)
    res = Result(data.name, epochs, n, len(data.y_test))
    rng = np.random.default_rng(seed)
    order = np.concatenate([rng.permutation(n) for _ in range(epochs)])
    seen, train_s, steps = 0, 0.0, 0
    res.curve.append(CurvePoint(0, 0.0, learner.accuracy(data.x_test, data.y_test)))
    for stop in schedule:
        stop = min(stop, len(order))
        if stop <= seen:
            continue
        steps0, t0 = learner.interp.steps, time.perf_counter()
        with _common.progress(stop - seen, f"{data.name}: samples {seen}..{stop} of {len(order)}") as advance:
            for i in order[seen:stop]:
                learner.train_step(data.x_train[i], int(data.y_train[i]))
                advance()
        train_s += time.perf_counter() - t0
        steps += learner.interp.steps - steps0
        seen = stop
        point = CurvePoint(seen, train_s, learner.accuracy(data.x_test, data.y_test))
        res.curve.append(point)
        if on_eval is not None:
            on_eval(point, (seen - 1) // n)
    res.train_s = train_s
    res.final_acc = res.curve[-1].test_acc
    res.best_acc = max(p.test_acc for p in res.curve)
    res.t90_final = res.first_reaching(0.9 * res.final_acc)
    res.t90_abs = res.first_reaching(0.9)
    res.instructions = steps             # VM instructions executed while training
    res.wall_s = time.perf_counter() - wall0
    return res


def run_task(task: str, epochs: int, limit: Optional[int] = None, test_limit: Optional[int] = None,
             on_eval: Optional[Callable[[CurvePoint, int], None]] = None) -> tuple[Result, FirmwareLearner]:
    """Build the task's data and learner and train; ``limit`` caps the training samples."""
    if task == "digits":
        data = load_digits_split(limit=limit)
        fine, fine_until, coarse = 50, 1000, max(1, len(data.y_train) // 4)
    elif task == "onset":
        data = load_onset(n_train=limit or 2000, n_test=test_limit or 500)
        fine, fine_until, coarse = 25, 500, 250
    else:
        raise ValueError(f"unknown task {task!r}")
    if test_limit is not None:
        data.x_test, data.y_test = data.x_test[:test_limit], data.y_test[:test_limit]
    learner = FirmwareLearner((FIRMWARE / f"{task}.ternsig").read_text(), data.n_classes)
    schedule = eval_schedule(epochs * len(data.y_train), fine, fine_until, coarse)
    return train(learner, data, epochs, schedule, on_eval=on_eval), learner


# ---- reporting --------------------------------------------------------------------------------------

def _fmt_t(t: Optional[tuple[float, int]]) -> str:
    return "not reached" if t is None else f"{t[0] * 1e3:.0f} ms / {t[1]} samples"


def _summary_rows(results: list[Result]) -> list[list[str]]:
    rows = []
    for r in results:
        rows.append([r.task, f"{r.epochs}", f"{r.train_samples}/{r.test_samples}", f"{r.final_acc:.2%}",
                     f"{r.best_acc:.2%}", _fmt_t(r.t90_final), _fmt_t(r.t90_abs), f"{r.train_s:.2f} s",
                     f"{r.wall_s:.2f} s", f"{r.instructions / max(r.train_s, 1e-9) / 1e6:.2f}"])
    return rows


SUMMARY_HEADER = ["task", "epochs", "train/test", "test acc", "best", "to 90% of final", "to 90% acc",
                  "train", "wall", "Minstr/s"]


def _plot(results: list[Result], path: str) -> None:
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print(f"matplotlib is not installed: skipping the plot {path} (pip install -e '.[plot]')")
        return
    fig, axes = plt.subplots(1, len(results), figsize=(5 * len(results), 3.6), squeeze=False)
    for ax, r in zip(axes[0], results):
        ax.plot([p.samples for p in r.curve], [100 * p.test_acc for p in r.curve], marker=".")
        ax.axhline(90, color="grey", lw=0.8, ls="--")
        ax.set_title(f"{r.task}: {r.final_acc:.1%} test accuracy")
        ax.set_xlabel("training samples")
        ax.set_ylabel("test accuracy (%)")
        ax.set_ylim(0, 100)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    print(f"plot saved to {path}")


def main(argv: Optional[list[str]] = None) -> int:
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
    from rich.table import Table

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--task", choices=["digits", "onset", "all"], default="all")
    ap.add_argument("--epochs", type=int, default=None, help="digits: 15, onset: 1")
    ap.add_argument("--plot", metavar="PNG", help="save the learning curves (needs matplotlib)")
    ap.add_argument("--json", metavar="FILE", help="write the figures and curves as JSON")
    args = ap.parse_args(argv)

    console = Console()
    tasks = ["digits", "onset"] if args.task == "all" else [args.task]
    results: list[Result] = []
    for task in tasks:
        epochs = args.epochs or (15 if task == "digits" else 1)
        with Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                      TextColumn("{task.fields[acc]}"), TimeElapsedColumn(), console=console) as prog:
            bar = prog.add_task(task, total=None, acc="")
            n_evals = [0]

            def on_eval(p: CurvePoint, epoch: int, bar=bar, prog=prog, n_evals=n_evals) -> None:
                prog.update(bar, completed=p.samples, acc=f"test {p.test_acc:6.2%}  epoch {epoch + 1}")
                n_evals[0] += 1
                if n_evals[0] <= 12 or n_evals[0] % 8 == 0:      # the early curve, then a sample
                    prog.console.print(f"  {task:6s} epoch {epoch + 1:2d}  samples {p.samples:6d}  "
                                       f"train {p.train_s * 1e3:8.1f} ms  test acc {p.test_acc:6.2%}  "
                                       f"{'#' * int(20 * p.test_acc)}")

            res, _ = run_task(task, epochs, on_eval=on_eval)
        results.append(res)

    table = Table(title="Integer-only mastery learning through the VM", expand=False)
    for h in SUMMARY_HEADER:
        table.add_column(h)
    for row in _summary_rows(results):
        table.add_row(*row)
    console.print(table)
    if args.plot:
        _plot(results, args.plot)
    if args.json:
        Path(args.json).write_text(json.dumps([asdict(r) for r in results], indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
