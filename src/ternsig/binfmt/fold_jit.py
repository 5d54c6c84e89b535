"""Numba kernel of the reference's content fold (see :mod:`ternsig.binfmt.fold`).

Imported only when :func:`ternsig.binfmt.fold.fold` decides the process is hot: importing this
module imports Numba. The kernel takes the bytes object itself (no NumPy view to build per call)
and is cached on disk by Numba, so later processes load it instead of compiling it.
"""
from __future__ import annotations

import numba
import numpy as np

from .foldconst import MULT, SEED

_u64 = np.uint64


@numba.njit(cache=True, nogil=True)
def _fold_bytes(buf: bytes, start: int, end: int) -> np.uint64:  # pragma: no cover - compiled
    h = _u64(SEED)  # module constants are frozen into the compiled code
    mult = _u64(MULT)
    i = start
    full_end = start + ((end - start) // 8) * 8
    while i < full_end:
        v = (_u64(buf[i]) | (_u64(buf[i + 1]) << _u64(8)) | (_u64(buf[i + 2]) << _u64(16))
             | (_u64(buf[i + 3]) << _u64(24)) | (_u64(buf[i + 4]) << _u64(32))
             | (_u64(buf[i + 5]) << _u64(40)) | (_u64(buf[i + 6]) << _u64(48))
             | (_u64(buf[i + 7]) << _u64(56)))
        x = h * mult + v
        h = (x << _u64(31)) | (x >> _u64(33))
        i += 8
    if i < end:  # the last chunk, zero-padded
        v = _u64(0)
        for k in range(end - 1, i - 1, -1):
            v = (v << _u64(8)) | _u64(buf[k])
        x = h * mult + v
        h = (x << _u64(31)) | (x >> _u64(33))
    return h


def fold(buf: bytes, start: int, end: int) -> int:
    """The fold of ``buf[start:end]`` (``buf`` a bytes or bytearray)."""
    return int(_fold_bytes(buf, start, end))
