"""Crash-safe persistence of thermograms.

The crate's ``save`` is ``fs::write``: a crash mid-write leaves a torn file and the previous
state is gone. Here a save writes a temp file in the same directory, fsyncs it, ``os.replace``s
it over the target (atomic on POSIX) and fsyncs the directory, so after a crash the path holds
either the old or the new complete file. A load checks size, CRC-32 and (unlike the crate's
binary path) the SHA-256 hash chain; anything damaged raises :class:`FormatError` and
:class:`ThermoFile` keeps its last good state.
"""
from __future__ import annotations

import os
import re
import secrets
from pathlib import Path
from typing import Callable, Optional

from ..errors import FormatError
from .format import encode, load_bytes
from .model import Thermogram
from .timestamp import Timestamp

TMP_SUFFIX = ".tmp"


def _tmp_name(target: Path) -> Path:
    return target.with_name(f".{target.name}.{os.getpid()}.{secrets.token_hex(6)}{TMP_SUFFIX}")


def _tmp_pattern(target: Path) -> re.Pattern[str]:
    return re.compile(rf"^\.{re.escape(target.name)}\.(\d+)\.[0-9a-f]{{12}}{re.escape(TMP_SUFFIX)}$")


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def stale_temps(target: Path | str) -> list[Path]:
    """Temp files left next to ``target`` by savers that died (their pid no longer exists)."""
    target = Path(target)
    pat = _tmp_pattern(target)
    out = []
    if target.parent.is_dir():
        for p in target.parent.iterdir():
            m = pat.match(p.name)
            if m and int(m.group(1)) != os.getpid() and not _pid_alive(int(m.group(1))):
                out.append(p)
    return sorted(out)


def _fsync_dir(d: Path) -> None:
    fd = os.open(d, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def atomic_write(target: Path | str, data: bytes) -> None:
    """Write ``data`` to ``target`` so that a crash at any moment leaves old or new, never torn."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    for p in stale_temps(target):
        p.unlink(missing_ok=True)
    tmp = _tmp_name(target)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        try:
            view = memoryview(data)
            while view:
                n = os.write(fd, view)
                view = view[n:]
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _fsync_dir(target.parent)


def save(t: Thermogram, path: Path | str) -> int:
    """Encode and atomically write; returns the file size."""
    data = encode(t)
    atomic_write(path, data)
    return len(data)


def load(path: Path | str, *, verify_chain: bool = True,
         clock: Callable[[], Timestamp] = Timestamp.now) -> Thermogram:
    """Read a `.thermo` file: size and CRC always checked; the hash chain too unless told not to."""
    data = Path(path).read_bytes()
    t, _ = load_bytes(data, clock=clock)
    if verify_chain:
        err = t.dirty_chain.verify_error()
        if err is not None:
            raise FormatError(err, len(data))
    return t


class ThermoFile:
    """A thermogram bound to a path: load/save with last-good-state semantics.

    ``reload()`` on a damaged file raises :class:`FormatError` and leaves ``thermogram`` as it
    was; ``save()`` never leaves a torn file behind.
    """

    def __init__(self, path: Path | str, thermogram: Optional[Thermogram] = None):
        self.path = Path(path)
        self.thermogram = thermogram

    @classmethod
    def open(cls, path: Path | str, default: Callable[[], Thermogram],
             clock: Callable[[], Timestamp] = Timestamp.now) -> "ThermoFile":
        """Load ``path`` if it exists, else start from ``default()`` (nothing written yet)."""
        f = cls(path)
        if f.path.exists():
            f.reload(clock=clock)
        else:
            f.thermogram = default()
        return f

    def reload(self, clock: Callable[[], Timestamp] = Timestamp.now) -> Thermogram:
        t = load(self.path, clock=clock)     # raises before anything is replaced
        self.thermogram = t
        return t

    def save(self) -> int:
        if self.thermogram is None:
            raise FormatError("nothing to save: no thermogram loaded", 0)
        return save(self.thermogram, self.path)
