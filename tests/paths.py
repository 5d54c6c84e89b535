"""Where the test data lives, for every test module whatever its depth under tests/."""
from __future__ import annotations

from pathlib import Path

TESTS = Path(__file__).resolve().parent
REPO = TESTS.parent
CORPUS = TESTS / "conformance"          # the reference's golden cases (see its README.md)
EXAMPLES = REPO / "src" / "ternsig" / "examples"
BENCH = REPO / "bench"
