"""Run a test module under both execution tiers: ``pytestmark = pytest.mark.usefixtures("each_tier")``
with ``from tests.tiers import each_tier``. Module-scoped (Hypothesis-safe): it sets TERNSIG_TIER,
which every Interpreter built without ``tier=`` reads."""
from __future__ import annotations

import os
from typing import Iterator

import pytest

TIERS = ("interp", "compiled")


@pytest.fixture(scope="module", params=TIERS)
def each_tier(request: pytest.FixtureRequest) -> Iterator[str]:
    old = os.environ.get("TERNSIG_TIER")
    os.environ["TERNSIG_TIER"] = request.param
    if request.param == "compiled":
        from ternsig.vm.compiled import warm

        warm.wait()              # else the first programs would run in the interpreter tier
    try:
        yield request.param
    finally:
        if old is None:
            os.environ.pop("TERNSIG_TIER", None)
        else:
            os.environ["TERNSIG_TIER"] = old
