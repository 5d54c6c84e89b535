"""bench/bench_group.py: grouped and one-by-one brains agree (the timing is not tested)."""
from __future__ import annotations

import importlib.util
import sys

from tests.paths import BENCH


def test_bench_group_runs_both_ways_and_the_digests_agree(monkeypatch, capsys) -> None:
    monkeypatch.setenv("TERNSIG_TIER", "compiled")
    sys.path.insert(0, str(BENCH))
    try:
        spec = importlib.util.spec_from_file_location("bench_group", BENCH / "bench_group.py")
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
        rows = mod.main(["--columns", "4", "--ticks", "1", "--warmup", "0", "--repeats", "1",
                         "--example-ticks", "2"])
    finally:
        sys.path.remove(str(BENCH))
    assert [r["same"] for r in rows] == [True, True]
    assert rows[0]["stacked_per_tick"] == 3            # sensory[1..3]: sensory[0] is the probe
    assert "grouped ticks/s" in capsys.readouterr().out
