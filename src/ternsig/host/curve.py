"""Learning curves and the one-line status of a running brain: recorded per tick, printed as text,
plotted to a PNG (matplotlib, the ``plot`` extra).

A brain scores its task over a sliding window of the last 200 ticks, so the first 200 points of a
run are over fewer ticks: each point keeps its own window size, and the labels say "over the last
N ticks" with that N. Points are recorded for the ticks that actually ran, so a curve printed
after Ctrl-C spreads its rows over those ticks, not over the ticks that were planned.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional, Sequence

from ..errors import UsageError

#: points kept in memory: beyond this, every other point is dropped (a long run stays small)
MAX_POINTS = 4096
ROWS = 12                  # rows of the printed curve
EARLY = (25, 50, 100)      # the start of learning, before the first full window


@dataclass
class LearningCurve:
    """(tick, accuracy, window) points; ``what`` names the metric (``accuracy``)."""

    what: str = "accuracy"
    unit: str = "tick"
    percent: bool = True       # values are fractions 0..1 (plotted as %); else plotted as they are
    ticks: list[int] = field(default_factory=list)
    values: list[float] = field(default_factory=list)
    windows: list[int] = field(default_factory=list)
    stride: int = 1
    _seen: int = 0

    def add(self, tick: int, value: float, window: int) -> None:
        self._seen += 1
        if (self._seen - 1) % self.stride:
            return
        self.ticks.append(int(tick))
        self.values.append(float(value))
        self.windows.append(int(window))
        if len(self.ticks) >= MAX_POINTS:
            self.ticks, self.values, self.windows = self.ticks[::2], self.values[::2], self.windows[::2]
            self.stride *= 2

    def __len__(self) -> int:
        return len(self.ticks)

    def rows(self, n: int = ROWS) -> list[int]:
        """Indices of the points to print: one per round step (1, 2, 5 × 10^k ticks, ~n rows over
        the ticks that ran), the early ones, and the last."""
        if not self.ticks:
            return []
        first = self.ticks[0]
        span = self.ticks[-1] - first + 1
        step = 1
        while step * n < span:
            step = step * 5 // 2 if str(step)[0] == "2" else step * 2     # 1, 2, 5, 10, 20, 50…
        picked = {i for i, t in enumerate(self.ticks) if t - first + 1 in EARLY}
        last_bucket = 0
        for i, t in enumerate(self.ticks):
            bucket = (t - first + 1) // step
            if bucket > last_bucket:
                picked.add(i)
                last_bucket = bucket
        picked.add(len(self.ticks) - 1)
        return sorted(picked)

    def label(self, i: int) -> str:
        return f"last {self.windows[i]} {self.unit}s" if self.windows[i] != 1 else f"last {self.unit}"

    def text(self, n: int = ROWS) -> str:
        if not self.ticks:
            return ""
        full = max(self.windows)
        lines = [f"learning curve ({self.what} over a sliding window of up to {full} {self.unit}s):"]
        for i in self.rows(n):
            v = self.values[i]
            lines.append(f"  {self.unit} {self.ticks[i]:>7}  {v:6.1%}  over the {self.label(i):<16} {'#' * round(v * 40)}")
        return "\n".join(lines)

    def plot(self, path: Path, title: str = "") -> Path:
        """Write the curve as a PNG; a UsageError when matplotlib is not installed."""
        plt = pyplot()
        fig, ax = plt.subplots(figsize=(7, 4), dpi=100)
        try:
            scale = 100 if self.percent else 1
            ax.plot(self.ticks, [v * scale for v in self.values], lw=1.5, marker="o" if len(self.ticks) <= 50 else None)
            full = max(self.windows) if self.windows else 0
            ax.set_xlabel(self.unit)
            pct = " (%)" if self.percent else ""
            ax.set_ylabel(f"{self.what}{pct} over the last ≤{full} {self.unit}s" if self.unit == "tick"
                          else f"{self.what}{pct} during the {self.unit}")
            if self.percent:
                ax.set_ylim(0, 100)
            ax.grid(alpha=0.3)
            if self.unit == "tick" and self.ticks and self.windows and self.windows[0] < full:
                # the window is still filling up here: the first points average fewer ticks
                filled = next((t for t, w in zip(self.ticks, self.windows) if w >= full), None)
                if filled is not None:
                    ax.axvline(filled, color="grey", ls=":", lw=1)
                    ax.annotate(f"window full ({full})", (filled, 2), fontsize=8, color="grey")
            ax.set_title(title or f"learning curve ({len(self.ticks)} points)")
            fig.tight_layout()
            fig.savefig(path)
        finally:
            plt.close(fig)
        return Path(path)


def pyplot() -> Any:
    """matplotlib.pyplot on the file-only Agg backend, or a UsageError saying how to install it."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise UsageError("--plot needs matplotlib: pip install 'ternsig[plot]'") from None
    return plt


def check_plot_target(path: Optional[str]) -> Optional[Path]:
    """Fail before a long run, not after it: matplotlib present, a .png name, a directory that exists."""
    if path is None:
        return None
    p = Path(path)
    if p.suffix.lower() != ".png":
        raise UsageError(f"--plot {path}: the file name must end in .png")
    if not p.parent.is_dir():
        raise UsageError(f"--plot {path}: no such directory {p.parent}")
    pyplot()
    return p


def status_line(brain: Any, res: dict[str, Any]) -> str:
    """One line on a running brain: tick, chemicals, each region's instructions/yields/traps, score."""
    chems = res.get("chemicals") or brain.substrate.chemicals[:4]
    regions = "  ".join(f"{r.name} {r.executed:,}i" + (f" {r.traps}T" if r.traps else "") for r in brain.regions)
    line = (f"tick {res.get('tick', brain.substrate.tick)}: DA {chems[0]} 5HT {chems[1]} NE {chems[2]} "
            f"GABA {chems[3]} | {regions}")
    if "accuracy" in res:
        line += f" | accuracy {res['accuracy']:.1%} (last {window_of(brain)} ticks)"
    return line


def window_of(brain: Any) -> int:
    """How many ticks the brain's accuracy is over right now (its window fills up to 200)."""
    return len(getattr(brain, "accuracy_window", ())) or 1


def progress_columns() -> Sequence[Any]:
    """rich progress columns: what, bar, done/total, elapsed, ETA."""
    from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeElapsedColumn, TimeRemainingColumn

    return (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
            TextColumn("ETA"), TimeRemainingColumn())
