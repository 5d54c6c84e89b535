"""Telemetry files: JSON lines, one file per run, the run id in every line, size-capped rotation.

By default a run writes ``STATE/telemetry/<run id>.jsonl``. When the file reaches ``max_bytes``
it is renamed ``<name>.1`` (older ones shift to ``.2`` … up to ``backups``; the oldest is deleted),
so one run never holds more than ``(backups + 1) × max_bytes`` on disk; only the newest
``keep_runs`` runs' files are kept in the telemetry directory. Every line starts with
``{"run": "<id>", ...`` so lines appended to a shared ``--telemetry`` file stay attributable.

Lines reach the file in blocks (a line-buffered file made one ``write`` system call per tick, ~8 %
of the example brain's tick): when :data:`FLUSH_BYTES` have gathered, at every checkpoint (the
brain's durability events flush) and at close. A kill -9 therefore loses at most the lines written
since the last checkpoint, the ticks a restart replays anyway; whole lines only, never a half line
from this writer.
"""
from __future__ import annotations

import os
import re
import time
from pathlib import Path
from typing import Optional

from ..errors import HostError

DEFAULT_MAX_BYTES = 16 * 1024 * 1024
DEFAULT_BACKUPS = 3
DEFAULT_KEEP_RUNS = 10
#: lines gathered in memory before they are written out
FLUSH_BYTES = 64 * 1024
_RUN_RE = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")


def new_run_id(clock: Optional[float] = None) -> str:
    t = time.time() if clock is None else clock
    return time.strftime("%Y%m%d-%H%M%S", time.gmtime(t)) + f"-{os.getpid()}"


class TelemetryWriter:
    """A line-oriented text sink with size-capped rotation (``write`` takes whole JSON lines)."""

    def __init__(self, path: Path | str, run_id: str, *, max_bytes: int = DEFAULT_MAX_BYTES,
                 backups: int = DEFAULT_BACKUPS):
        if not _RUN_RE.match(run_id):
            raise HostError(f"telemetry run id {run_id!r} is not a plain identifier")
        if max_bytes < 1024 or backups < 0:
            raise HostError(f"telemetry max_bytes must be at least 1024 and backups 0 or more "
                            f"(got {max_bytes}, {backups})")
        self.path = Path(path)
        self.run_id = run_id
        self.max_bytes = max_bytes
        self.backups = backups
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._prefix = '{"run": "' + run_id + '", '
        self._f = open(self.path, "a", encoding="utf-8")
        self._size = self._f.tell()
        self._lines: list[str] = []         # written by the caller, not yet in the file
        self._pending = 0                   # their bytes
        self.rotations = 0

    def write(self, line: str) -> int:
        if line.startswith("{") and not line.startswith("{}"):
            line = self._prefix + line[1:]
        n = len(line.encode("utf-8")) if not line.isascii() else len(line)
        if self._size and self._size + n > self.max_bytes:
            self._rotate()
        self._lines.append(line)
        self._size += n
        self._pending += n
        if self._pending >= FLUSH_BYTES:
            self.flush()
        return n

    def _rotate(self) -> None:
        self.flush()
        self._f.close()
        if self.backups:
            oldest = self.path.with_name(f"{self.path.name}.{self.backups}")
            oldest.unlink(missing_ok=True)
            for i in range(self.backups - 1, 0, -1):
                src = self.path.with_name(f"{self.path.name}.{i}")
                if src.exists():
                    os.replace(src, self.path.with_name(f"{self.path.name}.{i + 1}"))
            os.replace(self.path, self.path.with_name(f"{self.path.name}.1"))
        else:
            self.path.unlink(missing_ok=True)
        self._f = open(self.path, "a", encoding="utf-8")
        self._size = 0
        self.rotations += 1

    def flush(self) -> None:
        """Write the gathered lines to the file (one system call)."""
        if self._lines:
            self._f.write("".join(self._lines))
            self._lines.clear()
            self._pending = 0
        self._f.flush()

    def close(self) -> None:
        if not self._f.closed:
            self.flush()
            self._f.close()

    def __enter__(self) -> "TelemetryWriter":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def prune_runs(directory: Path, keep_runs: int = DEFAULT_KEEP_RUNS, current: Optional[str] = None) -> list[Path]:
    """Delete the files of all but the newest ``keep_runs`` runs in a telemetry directory (run ids
    sort by start time; ``current`` is never deleted). Returns the paths deleted."""
    if not directory.is_dir():
        return []
    runs: dict[str, list[Path]] = {}
    for p in directory.iterdir():
        m = re.match(r"^(.+?)\.jsonl(\.\d+)?$", p.name)
        if m and p.is_file():
            runs.setdefault(m.group(1), []).append(p)
    gone = []
    older = [r for r in sorted(runs) if r != current]
    for run in older[:max(0, len(older) - max(0, keep_runs - (current in runs)))]:
        for p in runs[run]:
            p.unlink(missing_ok=True)
            gone.append(p)
    return gone


def open_run_telemetry(state_dir: Path, explicit: Optional[Path] = None, *, run_id: Optional[str] = None,
                       max_bytes: int = DEFAULT_MAX_BYTES, backups: int = DEFAULT_BACKUPS,
                       keep_runs: int = DEFAULT_KEEP_RUNS) -> TelemetryWriter:
    """The telemetry writer of one run: ``explicit`` (appended, rotated) or a new file per run in
    ``STATE/telemetry`` (older runs beyond ``keep_runs`` deleted)."""
    rid = run_id or new_run_id()
    if explicit is not None:
        return TelemetryWriter(explicit, rid, max_bytes=max_bytes, backups=backups)
    directory = state_dir / "telemetry"
    w = TelemetryWriter(directory / f"{rid}.jsonl", rid, max_bytes=max_bytes, backups=backups)
    prune_runs(directory, keep_runs, current=rid)
    return w
