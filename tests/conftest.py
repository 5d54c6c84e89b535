"""Suite-wide settings: property tests are deterministic.

Hypothesis draws its examples from a fixed seed (``derandomize``), keeps no example database
between runs and has no per-example deadline, so a run never depends on an earlier run, on
randomness or on how loaded the machine is: CI sees the same examples every time. To explore new
examples locally: ``HYPOTHESIS_PROFILE=explore python -m pytest``.
"""
from __future__ import annotations

import os

from hypothesis import settings

#: the ``pytester`` fixture: tests/test_pytest_plugin.py runs pytest on .ternsig test programs
pytest_plugins = ("pytester",)

settings.register_profile("ci", derandomize=True, database=None, deadline=None, print_blob=True)
settings.register_profile("explore", deadline=None, print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


def pytest_sessionstart(session) -> None:
    """Load the compiled tier's loop before any test runs. Loading it on first use starts a
    background thread whose Numba compile (~15-20 s on a cold cache, e.g. a clean CI clone) holds
    the GIL for long stretches: a test that ran meanwhile against a wall-clock limit (fuzz hang
    classification, watch loops) failed on a cold cache only. Waiting here makes the suite the
    same on a cold and a warm cache."""
    from ternsig.vm.compiled import warm

    try:
        warm.wait()
    except Exception:       # no Numba / failed compile: the tests that need the tier say so
        pass
