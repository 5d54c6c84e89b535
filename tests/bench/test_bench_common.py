"""bench/_common.progress: a bar with ETA on stderr for long benchmarks, never on stdout."""
from __future__ import annotations

import sys

from tests.paths import BENCH

sys.path.insert(0, str(BENCH))
import _common  # noqa: E402


def test_progress_counts_on_stderr_and_keeps_stdout_clean(monkeypatch, capsys):
    monkeypatch.setenv("BENCH_PROGRESS", "1")
    bar = _common.progress(3, "trials")
    with bar as advance:
        for _ in range(3):
            advance()
    assert bar.enabled and bar.done == 3
    assert capsys.readouterr().out == ""


def test_progress_is_off_unless_stderr_is_a_terminal(monkeypatch, capsys):
    monkeypatch.setenv("BENCH_PROGRESS", "0")
    bar = _common.progress(3, "trials")
    with bar as advance:
        advance()
    assert not bar.enabled and bar.done == 0
    assert capsys.readouterr() == ("", "")
