"""bench/bench_tiers.py prints the workloads the issue names (the timing itself is not tested)."""
from __future__ import annotations

import importlib.util
import sys

from tests.paths import BENCH


def test_bench_tiers_names_every_workload() -> None:
    sys.path.insert(0, str(BENCH))
    try:
        spec = importlib.util.spec_from_file_location("bench_tiers", BENCH / "bench_tiers.py")
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
        names = set(mod.workloads())
    finally:
        sys.path.remove(str(BENCH))
    assert names == {"vd_tick", "rule_encoder_tick", "state_encoder_tick", "mastery64", "mastery256", "nop",
                     "add1", "assemble_vd", "serialize_vd", "deserialize_vd", "vd_group1024",
                     "example_brain_tick"}
