"""Crash-safe persistence of thermograms.

The crate's ``save`` is ``fs::write``: a crash mid-write leaves a torn file and the previous
state is gone. Here a save writes a temp file in the same directory, fsyncs it, ``os.replace``s
it over the target (atomic on POSIX) and fsyncs the directory, so after a crash the path holds
either the old or the new complete file. A load checks size, CRC-32 and (unlike the crate's
binary path) the SHA-256 hash chain; anything damaged raises :class:`FormatError` and
:class:`ThermoFile` keeps its last good state.
"""
from __future__ import annotations

from pathlib import Path
from typing import Callable, Optional

from ..atomicio import TMP_SUFFIX, atomic_write, stale_temps  # noqa: F401  (re-exported)
from ..errors import FormatError
from .format import encode, load_bytes
from .model import Thermogram
from .timestamp import Timestamp

def save(t: Thermogram, path: Path | str) -> int:
    """Encode and atomically write; returns the file size."""
    data = encode(t)
    atomic_write(path, data, make_parents=True)
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
