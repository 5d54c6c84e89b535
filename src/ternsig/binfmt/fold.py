"""The reference's 64-bit content fold (TVMR and legacy TERN checksums), interpreted and compiled.

For each 8-byte little-endian chunk of a byte range (the last one zero-padded),
``h = rotl64(h * 0x85EBCA6B + v, 31)`` from ``h = 0x9E3779B97F4A7C15``. Each step depends on the
previous one and mixes ring arithmetic with a rotation, so it cannot be vectorised: in Python it
costs about 0.5 us per chunk (three-digit integer arithmetic), compiled about 1 ns.

Two implementations of one function: :func:`fold_py` (the reference semantics, always available)
and a Numba kernel. :func:`fold` picks one per call. Importing Numba costs ~0.7 s, which a
one-shot command reading one small file should not pay, so the compiled kernel is used only once
the process is hot: Numba is already loaded (the compiled VM tier loaded it), or this process
has already folded :data:`PROMOTE_AFTER_CALLS` ranges, or one range is at least
:data:`PROMOTE_AT_WORDS` chunks long. The rule counts calls, not time, so it is deterministic.
``TERNSIG_TIER=interp`` keeps the interpreted fold. Both give the same integer (tests check them
against each other on random data).
"""
from __future__ import annotations

import os
import struct
import sys
from typing import Callable, Optional, Union

from .foldconst import MASK64, MULT, SEED

#: calls of the interpreted fold after which a process counts as hot
PROMOTE_AFTER_CALLS = 64
#: a single range this long (in 8-byte chunks, 1 MiB) is worth the compile on its own
PROMOTE_AT_WORDS = 1 << 17

BytesLike = Union[bytes, bytearray, memoryview]
_Kernel = Callable[[bytes, int, int], int]

_state: dict[str, object] = {"calls": 0, "kernel": None, "tried": False}
_forced: dict[str, Optional[bool]] = {"compiled": None}


def fold_py(data: BytesLike, start: int = 0, end: Optional[int] = None) -> int:
    """The fold of ``data[start:end]`` in Python (the reference semantics)."""
    if end is None:
        end = len(data)
    full = (end - start) >> 3
    h = SEED
    if full:
        for v in struct.unpack_from(f"<{full}Q", data, start):
            x = (h * MULT + v) & MASK64
            h = ((x & 0x1_FFFF_FFFF) << 31) | (x >> 33)
    tail = start + 8 * full
    if tail < end:
        x = (h * MULT + int.from_bytes(data[tail:end], "little")) & MASK64
        h = ((x & 0x1_FFFF_FFFF) << 31) | (x >> 33)
    return h


def _compile() -> Optional[_Kernel]:
    """The Numba kernel (compiled on first use, cached on disk), or None without Numba."""
    try:
        from . import fold_jit
    except ImportError:  # pragma: no cover - numba is a dependency; kept for minimal installs
        return None
    return fold_jit.fold


def compiled_kernel() -> Optional[_Kernel]:
    """The compiled fold, compiling (or loading from the disk cache) on the first call."""
    if not _state["tried"]:
        _state["tried"] = True
        _state["kernel"] = _compile()
    return _state["kernel"]  # type: ignore[return-value]


def use_compiled(flag: Optional[bool]) -> None:
    """Force the compiled fold (True, compiling now), the interpreted one (False), or restore the
    automatic choice (None). Benchmarks use it to time both tiers in one process."""
    _forced["compiled"] = flag
    if flag:
        compiled_kernel()


def _numba_loaded() -> bool:
    return "numba" in sys.modules


def _interp_only() -> bool:
    return os.environ.get("TERNSIG_TIER", "").strip().lower() == "interp"


def fold(data: BytesLike, start: int = 0, end: Optional[int] = None) -> int:
    """The fold of ``data[start:end]``, compiled once the process is hot (see the module doc)."""
    if end is None:
        end = len(data)
    kernel = _state["kernel"]
    if kernel is None or _forced["compiled"] is False:
        kernel = compiled_kernel() if _promote(end - start) else None
        if kernel is None:
            return fold_py(data, start, end)
    if not isinstance(data, (bytes, bytearray)):
        data = bytes(data)
    return kernel(data, start, end)  # type: ignore[operator]


def _promote(length: int) -> bool:
    """Whether this call should use (and if need be compile) the kernel."""
    forced = _forced["compiled"]
    if forced is not None:
        return forced
    calls = _state["calls"] = int(_state["calls"]) + 1  # type: ignore[call-overload]
    if _state["tried"] or _interp_only():  # tried: Numba is missing
        return False
    return calls > PROMOTE_AFTER_CALLS or _numba_loaded() or length >= 8 * PROMOTE_AT_WORDS
