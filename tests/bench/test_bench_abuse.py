"""The goals bench/bench_abuse.py prints, held by a test (no timing is asserted): every nesting
path spends at most B instructions, heavy instructions stop at the work budget before they run,
abusive firmware traps instead of allocating, and hostile names, paths and reloads escape nothing."""
from __future__ import annotations

import sys

from tests.paths import BENCH

sys.path.insert(0, str(BENCH))
import bench_abuse as ba  # noqa: E402


def test_every_nesting_path_spends_at_most_the_budget(tmp_path):
    for name, spent, _cpu in ba.nesting_paths(tmp_path):
        assert spent <= ba.B, name


def test_heavy_instructions_stop_at_the_work_budget(tmp_path):
    from ternsig.host.regionrun import WORK_PER_INSTRUCTION

    for name, _executed, spent, _cpu, trap in ba.heavy_work(tmp_path):
        assert "work budget exhausted" in trap, (name, trap)
        assert 0 <= spent <= ba.B * WORK_PER_INSTRUCTION, name


def test_abusive_firmware_traps_instead_of_allocating(tmp_path):
    for name, peak, trap in ba.memory(tmp_path):
        assert "full" in trap or "memory limit" in trap, (name, trap)
        assert peak < 64 * 2**20, (name, peak)


def test_hostile_names_paths_and_reloads_escape_nothing(tmp_path):
    assert ba.hostile_names(tmp_path / "n") == (5, 0)
    assert ba.hostile_model_paths(tmp_path / "m") == (3, 0)
    assert ba.policy_escapes(tmp_path / "p") == 0
