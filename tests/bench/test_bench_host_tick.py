"""bench/bench_host_tick.py times every part of an example-brain tick (the timing is not tested)."""
from __future__ import annotations

import importlib.util
import sys

from tests.paths import BENCH


def test_bench_host_tick_reports_every_part_and_leaves_the_classes_alone(capsys) -> None:
    sys.path.insert(0, str(BENCH))
    try:
        spec = importlib.util.spec_from_file_location("bench_host_tick", BENCH / "bench_host_tick.py")
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
        from ternsig.host.brain import Brain
        from ternsig.host.regionrun import RegionRunner

        before = (Brain.tick, Brain._prepare, RegionRunner.step, RegionRunner.serve)
        r = mod.measure("interp", 5)
        assert (Brain.tick, Brain._prepare, RegionRunner.step, RegionRunner.serve) == before
        mod.main(["--ticks", "3", "--tier", "interp"])
    finally:
        sys.path.remove(str(BENCH))
    assert set(r["parts_us"]) == set(mod.PARTS) and r["ticks"] == 5
    assert all(v >= 0 for v in r["parts_us"].values())
    assert r["parts_us"]["region runs"] > 0 and r["parts_us"]["task sample"] > 0
    out = capsys.readouterr().out
    assert all(p in out for p in mod.PARTS)
