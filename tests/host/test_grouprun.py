"""Brain.tick groups regions that share firmware (host/grouprun.py): the same brain ticked grouped
and one by one gives the same digest, traps, events and telemetry, in both tiers."""
from __future__ import annotations

import io
import shutil
from pathlib import Path

import pytest

from ternsig.group import Population
from ternsig.host.brain import Brain
from ternsig.host.digest import brain_digest
from ternsig.host.grouprun import spans
from tests.paths import EXAMPLES


def columns(where: Path, n: int, edit=lambda s: s) -> Path:
    d = where / "columns"
    shutil.copytree(EXAMPLES / "columns", d)
    boot = d / "boot.ternsig"
    boot.write_text(edit(boot.read_text().replace("[512]", f"[{n}]")))
    return d


def run(d: Path, group: bool, ticks: int, where: Path):
    dd = where / ("g" if group else "u")
    shutil.copytree(d, dd)
    tel = io.StringIO()
    b = Brain(dd, group=group, telemetry=tel)
    for _ in range(ticks):
        b.tick()
    traps = [(r.name, r.traps, r.last_trap, r.executed, r.output.tolist()) for r in b.regions]
    b.save()
    return str(brain_digest(dd / "state")), traps, [sorted(e.items()) for e in b.events], tel.getvalue()


def count_stacked(monkeypatch) -> list[int]:
    runs: list[int] = []
    orig = Population.run_stacked

    def counted(self, fuel=None):
        r = orig(self, fuel)
        if r is not None:
            runs.append(self.n)
        return r

    monkeypatch.setattr(Population, "run_stacked", counted)
    return runs


@pytest.mark.parametrize("tier", ["compiled", "interp"])
def test_columns_grouped_and_one_by_one_are_the_same_brain(tmp_path, monkeypatch, tier):
    monkeypatch.setenv("TERNSIG_TIER", tier)
    d = columns(tmp_path, 6)
    runs = count_stacked(monkeypatch)
    grouped = run(d, True, 5, tmp_path)
    assert runs == ([5] * 5 if tier == "compiled" else [])     # sensory[1..5] stacked, [0] the probe
    assert grouped == run(d, False, 5, tmp_path)


def test_a_work_budget_too_small_traps_the_same_way_grouped(tmp_path, monkeypatch):
    d = columns(tmp_path, 5, lambda s: s.replace("budget 20000", "budget 20000\n    work 40"))
    runs = count_stacked(monkeypatch)
    grouped = run(d, True, 3, tmp_path)
    assert runs == []                                         # the probe trapped: everyone alone
    assert any(t[1] for t in grouped[1])
    assert grouped == run(d, False, 3, tmp_path)


def test_a_member_reading_a_member_of_the_same_tick_is_not_grouped_with_it(tmp_path, monkeypatch):
    d = columns(tmp_path, 4, lambda s: s.replace(
        "    region learner[4]", "    region chain[4] firmware=sensory.ternsig role=runtime input=chain[i-1]\n"
                                 "    region learner[4]"))
    b = Brain(d)
    b.boot()
    live = [r for r in b.regions if r.enabled and not r.halted]
    groups = spans(b, live, set())
    names = [[r.name for r in g] for g in groups.values()]
    # chain[0] reads nothing of this tick: it joins the sensory columns (same firmware file);
    # chain[i] reads chain[i-1] of this tick: never in a group with it
    assert ["sensory[0]", "sensory[1]", "sensory[2]", "sensory[3]", "chain[0]"] in names
    for g in names:
        assert not any(f"chain[{i}]" in g and f"chain[{i + 1}]" in g for i in range(3))
    assert run(d, True, 3, tmp_path) == run(d, False, 3, tmp_path)
