"""Which watched files changed: an OS watcher thread (``watchfiles``) that only marks paths dirty,
or (mtime, size, inode) polling; contents compared by hash, all reading in the caller's thread.

It also records *how* the content changed — in place (same inode: an editor writing over the file,
maybe piece by piece) or by replacement (a new inode: an atomic rename, or a new file) — and can
ask the kernel whether anyone still holds a file open for writing (:func:`writers_gone`): the two
facts that let the reloader take a replaced file at once instead of after a quiet period.
"""
from __future__ import annotations

import errno
import hashlib
import os
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable, Optional


def _digest(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=16).hexdigest()


#: fcntl(F_SETLEASE) (Linux): a read lease is refused (EAGAIN) while any process has the file open
#: for writing — the kernel's own answer to "is someone still writing this file?"
_F_SETLEASE = 1024 if sys.platform.startswith("linux") else None


def writers_gone(path: Path) -> Optional[bool]:
    """True when no process holds ``path`` open for writing, False when one does, None when the
    system cannot tell (no leases here: not Linux, not the file's owner, a filesystem without them)."""
    if _F_SETLEASE is None:
        return None
    import fcntl

    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except OSError:
        return None
    try:
        try:
            fcntl.fcntl(fd, _F_SETLEASE, fcntl.F_RDLCK)
        except OSError as exc:
            return False if exc.errno in (errno.EAGAIN, errno.EBUSY) else None
        fcntl.fcntl(fd, _F_SETLEASE, fcntl.F_UNLCK)
        return True
    finally:
        os.close(fd)


@dataclass
class _FileState:
    stat: Optional[tuple[int, int, int, int]] = None     # (mtime_ns, size, dev, inode) last seen
    digest: Optional[str] = None               # content hash last seen
    changed_at: float = 0.0                    # when the content last changed
    handled: Optional[str] = None              # digest last swapped in or judged
    data: bytes = b""
    replaced: bool = False                     # the last change came with a new inode (rename / new file)


class FileWatcher:
    """Reports files whose content changed.

    Uses ``watchfiles`` (inotify and friends, in a background thread that only marks paths dirty)
    when it is importable and ``use_watchfiles`` is not False; otherwise polls (mtime, size, inode) every
    ``poll_interval`` seconds and hashes a file whose stat changed. Either way content is compared
    by hash, so a touch without a change is ignored, and all reading happens in the caller's thread.
    """

    def __init__(self, paths: Iterable[Path], *, poll_interval: float = 0.002,
                 use_watchfiles: Optional[bool] = None, clock: Callable[[], float] = time.monotonic):
        self.clock = clock
        self.paths = [Path(p) for p in paths]
        self.poll_interval = poll_interval
        self.states = {p: _FileState() for p in self.paths}
        self._last_poll = 0.0
        self._last_sweep = 0.0
        self.sweep_interval = 0.01     # a lost OS event costs at most this (a stat per file: microseconds)
        self._dirty: set[Path] = set()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._marked = threading.Event()       # set when the OS watcher marks a path dirty
        self._thread: Optional[threading.Thread] = None
        self.backend = "polling"
        for p in self.paths:
            self._scan(p, clock(), initial=True)
        if use_watchfiles is not False:
            try:
                import watchfiles  # noqa: F401
            except ImportError:
                if use_watchfiles:
                    raise
            else:
                self._start_watchfiles()

    def _start_watchfiles(self) -> None:
        import watchfiles

        dirs = sorted({str(p.resolve().parent) for p in self.paths})
        wanted = {str(p.resolve()): p for p in self.paths}
        ready = threading.Event()

        def loop() -> None:
            ready.set()
            for changes in watchfiles.watch(*dirs, debounce=0, step=1, stop_event=self._stop,
                                            yield_on_timeout=False, rust_timeout=100, raise_interrupt=False):
                with self._lock:
                    for _, name in changes:
                        p = wanted.get(str(Path(name).resolve()))
                        if p is not None:
                            self._dirty.add(p)
                            self._marked.set()

        self._thread = threading.Thread(target=loop, name="ternsig-watch", daemon=True)
        self._thread.start()
        ready.wait(1.0)
        time.sleep(0.05)          # let the OS watch be registered before the first edit
        self.backend = "watchfiles"

    def wait_for_change(self, timeout: float) -> bool:
        """Block until the OS watcher reports a change of a watched file not yet polled (True), or
        ``timeout`` seconds pass (False); always False when polling. A loop with nothing else to
        do can wait here instead of sleeping; tests use it to poll only after the OS has spoken."""
        return self.backend == "watchfiles" and self._marked.wait(timeout)

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=1.0)
            self._thread = None

    def _scan(self, p: Path, now: float, initial: bool = False, trust_stat: bool = True) -> bool:
        st = self.states[p]
        try:
            s = os.stat(p)
            stat = (s.st_mtime_ns, s.st_size, s.st_dev, s.st_ino)
            if not initial and trust_stat and stat == st.stat:
                return False
            data = p.read_bytes()
        except OSError:
            stat, data = None, b""
        inode_before = st.stat[2:] if st.stat is not None else None
        st.stat = stat
        digest = _digest(data) if stat is not None else None
        if digest == st.digest:
            return False
        st.digest, st.data, st.changed_at = digest, data, now
        st.replaced = stat is not None and stat[2:] != inode_before
        if initial:
            st.handled = digest
        return True

    def confirm(self, p: Path, now: float) -> bool:
        """Re-read ``p``: True when its size and content hash are still what was last seen (the
        version is complete as far as the file can tell); otherwise record the change (restarting
        its quiet period) and return False."""
        return not self._scan(p, now, trust_stat=False)

    def poll(self, force: bool = False) -> list[Path]:
        """Paths whose content changed since the last poll (throttled to ``poll_interval``)."""
        now = self.clock()
        if not force and now - self._last_poll < self.poll_interval:
            return []
        self._last_poll = now
        if self.backend == "watchfiles":
            with self._lock:
                dirty, self._dirty = self._dirty, set()
                self._marked.clear()
            # the OS said these changed: read them even when (mtime, size) look the same (a
            # same-size rewrite within the filesystem's timestamp granularity)
            changed = [p for p in self.paths if p in dirty and self._scan(p, now, trust_stat=False)]
            # safety net against a lost event: a cheap stat sweep now and then
            if now - self._last_sweep >= self.sweep_interval:
                self._last_sweep = now
                changed += [p for p in self.paths if p not in dirty and self._scan(p, now)]
            return changed
        return [p for p in self.paths if self._scan(p, now)]
