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
