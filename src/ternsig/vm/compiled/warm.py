"""Loading the compiled loop without making anyone wait for it.

The first compiled program starts a background thread that imports :mod:`.loop` and runs it once
(Numba compiles it, or loads it from its on-disk cache: ~1 s; a cold compile takes longer). Until
it is ready, programs run in the interpreter tier — results are identical — so a first launch or a
hot reload never waits for a compile. :func:`wait` blocks until it is ready (benchmarks, tests).
"""
from __future__ import annotations

import sys
import threading
from pathlib import Path
from typing import Any, Optional

_lock = threading.Lock()
_thread: Optional[threading.Thread] = None
_loop: Any = None
_error: Optional[BaseException] = None


def _cache_is_warm() -> bool:
    return any((Path(__file__).parent / "__pycache__").glob("loop.run-*.nbi"))


def _entry_point(dispatcher: Any) -> Any:
    """The compiled function of ``dispatcher``'s one signature, called without Numba's type
    dispatch (~0.2 µs a call less). The run entry passes exactly that signature: C-contiguous
    1-D int64/int32 arrays (the heap's own, and the machine's input only after checking its
    dtype and strides) and Python ints."""
    sigs = dispatcher.signatures
    if len(sigs) == 1:
        entry = getattr(dispatcher.overloads.get(sigs[0]), "entry_point", None)
        if entry is not None:
            return entry
    return dispatcher


def _load() -> None:
    global _loop, _error
    try:
        import numpy as np

        from . import loop as L

        tab = np.zeros(L.T_CODE + 10, np.int64)
        tab[L.T_CODE:] = -1
        tab[L.T_CODE] = L.HALT
        L.run_packed(tab, np.zeros(1, np.int32), np.zeros(1, np.int32), np.zeros(0, np.int32),
                     0, 0, 0, -1, -1, 0, 0)
        L.ENTRY = _entry_point(L.run_packed)
        _loop = L
    except BaseException as exc:       # reported by wait(); programs keep the interpreter tier
        _error = exc
        return
    try:
        from ...kernels import pressure_jit

        pressure_jit.warm_up()         # mastery update/commit: compiled once READY is set
    except BaseException as exc:       # reported by wait(); programs keep the interpreter tier
        _error = exc


def start() -> None:
    """Start loading the loop (once per process); say so on a terminal when it has to compile."""
    global _thread
    with _lock:
        if _thread is not None:
            return
        if not _cache_is_warm() and sys.stderr is not None and sys.stderr.isatty():
            print("ternsig: compiling the compiled tier in the background (first run only; "
                  "the interpreter runs meanwhile)", file=sys.stderr, flush=True)
        _thread = threading.Thread(target=_load, name="ternsig-compile", daemon=True)
        _thread.start()


def ready() -> Any:
    """The loop module once it is loaded, else None (and loading is started)."""
    if _loop is None:
        start()
    return _loop


def wait(timeout: Optional[float] = None) -> Any:
    """Block until the loop is loaded; return it (raise what stopped it from loading)."""
    start()
    assert _thread is not None
    _thread.join(timeout)
    if _error is not None:
        raise _error
    return _loop
