"""Telemetry: a file per run, the run id in every line, size-capped rotation, old runs pruned."""
from __future__ import annotations

import json
import shutil

import pytest

from ternsig.errors import HostError
from ternsig.host import telemetry
from ternsig.host.brain import Brain
from ternsig.host.durable import CheckpointPolicy
from ternsig.host.telemetry import TelemetryWriter, open_run_telemetry, prune_runs

from ..paths import EXAMPLES


def test_every_line_carries_the_run_id(tmp_path):
    with TelemetryWriter(tmp_path / "t.jsonl", "run1") as w:
        w.write(json.dumps({"type": "tick", "tick": 1}) + "\n")
    with TelemetryWriter(tmp_path / "t.jsonl", "run2") as w:       # appended: still attributable
        w.write(json.dumps({"type": "tick", "tick": 1}) + "\n")
    lines = [json.loads(x) for x in (tmp_path / "t.jsonl").read_text().splitlines()]
    assert [(d["run"], d["type"], d["tick"]) for d in lines] == [("run1", "tick", 1), ("run2", "tick", 1)]


def test_rotation_caps_the_bytes_on_disk(tmp_path):
    path = tmp_path / "t.jsonl"
    line = json.dumps({"type": "tick", "pad": "x" * 80}) + "\n"
    with TelemetryWriter(path, "r", max_bytes=1024, backups=2) as w:
        for _ in range(200):
            w.write(line)
        assert w.rotations > 2
    files = sorted(p.name for p in tmp_path.iterdir())
    assert files == ["t.jsonl", "t.jsonl.1", "t.jsonl.2"]
    for p in tmp_path.iterdir():
        assert p.stat().st_size <= 1024
        assert all(json.loads(x)["run"] == "r" for x in p.read_text().splitlines())   # whole lines only


def test_a_new_file_per_run_and_only_the_newest_runs_are_kept(tmp_path):
    for i in range(5):
        with open_run_telemetry(tmp_path, run_id=f"2026-{i}", keep_runs=3) as w:
            w.write('{"type": "tick"}\n')
            assert w.path == tmp_path / "telemetry" / f"2026-{i}.jsonl"
    assert sorted(p.name for p in (tmp_path / "telemetry").iterdir()) == ["2026-2.jsonl", "2026-3.jsonl", "2026-4.jsonl"]
    (tmp_path / "telemetry" / "2026-9.jsonl").write_text("")       # a run id sorting after the current one
    with open_run_telemetry(tmp_path, run_id="2026-5", keep_runs=2):
        pass
    assert sorted(p.name for p in (tmp_path / "telemetry").iterdir()) == ["2026-5.jsonl", "2026-9.jsonl"]
    assert prune_runs(tmp_path / "missing") == []


def test_bad_settings_are_host_errors(tmp_path):
    with pytest.raises(HostError):
        TelemetryWriter(tmp_path / "t", "../x")
    with pytest.raises(HostError):
        TelemetryWriter(tmp_path / "t", "r", max_bytes=10)


def test_lines_reach_the_file_in_whole_blocks_at_flush_and_close(tmp_path, monkeypatch):
    monkeypatch.setattr(telemetry, "FLUSH_BYTES", 1024)
    path = tmp_path / "t.jsonl"
    line = json.dumps({"type": "tick", "pad": "x" * 80}) + "\n"
    with TelemetryWriter(path, "r") as w:
        w.write(line)
        w.write(line)
        assert path.read_text() == ""                      # gathered, not yet written
        w.flush()
        assert len(path.read_text().splitlines()) == 2
        for _ in range(20):                                # over FLUSH_BYTES: written without a flush
            w.write(line)
        text = path.read_text()
        assert 2 < len(text.splitlines()) < 22 and text.endswith("\n")
        w.write('{"type": "last"}\n')
    lines = [json.loads(x) for x in path.read_text().splitlines()]
    assert len(lines) == 23 and lines[-1] == {"run": "r", "type": "last"}


def test_every_checkpoint_flushes_the_ticks_before_it(tmp_path):
    brain = tmp_path / "brain"
    shutil.copytree(EXAMPLES / "brain", brain)
    with TelemetryWriter(tmp_path / "t.jsonl", "r") as w:
        b = Brain(brain, telemetry=w, state_dir=tmp_path / "state", checkpoint=CheckpointPolicy(every=5, seconds=0))
        b.run(7)
        lines = [json.loads(x) for x in (tmp_path / "t.jsonl").read_text().splitlines()]
        ticks = [d["tick"] for d in lines if d["type"] == "tick"]
        assert ticks == [1, 2, 3, 4, 5]                    # ticks 6 and 7 still in memory
        assert [d["note"] for d in lines if d.get("event") == "checkpoint"] == ["checkpoint 5 (every)"]
    ticks = [json.loads(x)["tick"] for x in (tmp_path / "t.jsonl").read_text().splitlines()]
    assert ticks[-2:] == [6, 7]
