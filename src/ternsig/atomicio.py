"""Atomic file replacement: after a crash at any moment a path holds the old or the new complete
file, never a torn mix.

The bytes go to a temp file in the target's directory (named with the writer's pid, created with
O_EXCL), which is fsynced and renamed over the target with ``os.replace``; then the directory is
fsynced so the rename itself is durable. Temp files left behind by writers that died are removed
by the next write. An existing file's permission bits are kept; a new file gets 0o644.
"""
from __future__ import annotations

import os
import re
import secrets
from pathlib import Path

TMP_SUFFIX = ".tmp"


def tmp_name(target: Path) -> Path:
    return target.with_name(f".{target.name}.{os.getpid()}.{secrets.token_hex(6)}{TMP_SUFFIX}")


def _tmp_pattern(target: Path) -> re.Pattern[str]:
    return re.compile(rf"^\.{re.escape(target.name)}\.(\d+)\.[0-9a-f]{{12}}{re.escape(TMP_SUFFIX)}$")


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True
    return True


def stale_temps(target: Path | str) -> list[Path]:
    """Temp files left next to ``target`` by writers that died (their pid no longer exists)."""
    target = Path(target)
    pat = _tmp_pattern(target)
    out = []
    if target.parent.is_dir():
        for p in target.parent.iterdir():
            m = pat.match(p.name)
            if m and int(m.group(1)) != os.getpid() and not _pid_alive(int(m.group(1))):
                out.append(p)
    return sorted(out)


def fsync_dir(directory: Path) -> None:
    """Make a rename durable; platforms that cannot open a directory (Windows) skip it."""
    try:
        fd = os.open(directory, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def atomic_write(target: Path | str, data: bytes, make_parents: bool = False) -> int:
    """Atomically replace ``target`` with ``data``; returns the number of bytes written.
    A missing directory is an error unless ``make_parents``."""
    target = Path(target)
    directory = target.parent if str(target.parent) else Path(".")
    if make_parents:
        directory.mkdir(parents=True, exist_ok=True)
    for p in stale_temps(target):
        p.unlink(missing_ok=True)
    try:
        mode = target.stat().st_mode & 0o7777
    except FileNotFoundError:
        mode = 0o644
    tmp = tmp_name(target)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        try:
            view = memoryview(data)
            while view:
                n = os.write(fd, view)
                view = view[n:]
            os.fsync(fd)
        finally:
            os.close(fd)
        os.chmod(tmp, mode)
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    fsync_dir(directory)
    return len(data)
