"""ternsig brain run (checkpoint flags, where it writes), brain inspect, brain rollback."""
from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from ternsig.host.checkpoint import CheckpointStore
from tests.paths import EXAMPLES
from tests.test_cli import one_error_line, run


#: checkpoints only where the test says (the default 1 s timer would add some under load)
NO_TIMER = ("--checkpoint-seconds", "0")


@pytest.fixture
def brain(tmp_path: Path) -> Path:
    d = tmp_path / "brain"
    shutil.copytree(EXAMPLES / "brain", d)
    return d


def test_run_says_where_it_writes_and_checkpoints_on_the_flags(capsys, brain):
    code, out, _ = run(capsys, "brain", "run", str(brain), "-q", "--ticks", "30", "--checkpoint-every", "10",
                       "--checkpoint-seconds", "0", "--keep-checkpoints", "2", "--progress")
    assert code == 0
    first = out.splitlines()[0]
    m = re.search(r"telemetry in (\S+) \(run (\S+)\)", first)
    assert m and f"state in {brain / 'state'}" in first and "every 10 ticks" in first and "keeping 2" in first
    assert Path(m.group(1)).parent == brain / "state" / "telemetry" and Path(m.group(1)).is_file()
    assert [ln for ln in out.splitlines() if ln.startswith("checkpoint ")] == \
        ["checkpoint 10 tick 10 every", "checkpoint 20 tick 20 every", "checkpoint 30 tick 30 every"]
    assert sorted(p.name for p in (brain / "state" / "checkpoints").iterdir()) == \
        ["000000000020", "000000000030", "manifest-000000000020", "manifest-000000000030"]
    code, out, _ = run(capsys, "brain", "run", str(brain), "-q", "--ticks", "5", "--checkpoint-every", "10", *NO_TIMER)
    assert "restored checkpoint 30 (tick 30)" in out and "state saved under" in out and "(checkpoint 35)" in out


def test_inspect_lists_checkpoints_and_describes_the_newest(capsys, brain):
    run(capsys, "brain", "run", str(brain), "-q", "--ticks", "20", "--checkpoint-every", "10", *NO_TIMER)
    code, out, _ = run(capsys, "brain", "inspect", str(brain))
    assert code == 0
    assert re.search(r"\*\s+20\s+tick\s+20\s+5 parts .* exit\s+complete", out) is None   # tick 20 was periodic
    assert re.search(r"\*\s+20\s+tick\s+20\s+5 parts .* every\s+complete", out), out
    assert "checkpoint 20 (tick 20), what a restart from it restores" in out
    assert "C0: ternary[1, 16] key=demo.learner.class0" in out and "region regulation (regulation)" in out
    code, out2, _ = run(capsys, "brain", "inspect", str(brain / "state"), "--id", "10")
    assert code == 0 and "checkpoint 10 (tick 10)" in out2


def test_rollback_then_run_resumes_from_the_older_checkpoint(capsys, brain):
    run(capsys, "brain", "run", str(brain), "-q", "--ticks", "30", "--checkpoint-every", "10",
        "--keep-checkpoints", "5", *NO_TIMER)
    code, out, _ = run(capsys, "brain", "rollback", str(brain), "--to", "10")
    assert code == 0 and "rolled back to checkpoint 10 (tick 10); deleted newer checkpoint(s): 20, 30" in out
    code, out, _ = run(capsys, "brain", "rollback", str(brain))
    assert code == 1
    code, out, _ = run(capsys, "brain", "run", str(brain), "-q", "--ticks", "1")
    assert "restored checkpoint 10 (tick 10)" in out and "ran 1 ticks" in out and "ticks 10 → 11" in out


def test_damage_is_reported_and_the_previous_checkpoint_used(capsys, brain):
    run(capsys, "brain", "run", str(brain), "-q", "--ticks", "20", "--checkpoint-every", "10", *NO_TIMER)
    ref = CheckpointStore(brain / "state").read_manifest(20).part("region.learner")
    part = brain / "state" / "checkpoints" / "000000000020" / ref.file       # one file holds every part
    data = bytearray(part.read_bytes())
    data[ref.offset + ref.size // 2] ^= 0xFF                                # damage the learner's bytes only
    part.write_bytes(bytes(data))
    code, out, _ = run(capsys, "brain", "inspect", str(brain))
    assert code == 0 and "INCOMPLETE: part region.learner: SHA-256 mismatch" in out and "checkpoint 10 (tick 10)" in out
    code, out, _ = run(capsys, "brain", "run", str(brain), "-q", "--ticks", "1")
    assert code == 0
    assert "skipped checkpoint manifest-000000000020: part region.learner: SHA-256 mismatch (damaged)" in out
    assert "restored checkpoint 10 (tick 10)" in out


def test_errors_are_one_line(capsys, tmp_path, brain):
    code, _, err = run(capsys, "brain", "rollback", str(tmp_path / "nope"))
    assert code == 1
    one_error_line(err, "nope")
    code, out, _ = run(capsys, "brain", "inspect", str(brain))
    assert code == 1 and "no checkpoints under" in out
    code, _, err = run(capsys, "brain", "rollback", str(brain))
    assert code == 1
    one_error_line(err, "no checkpoints under")
    with pytest.raises(SystemExit):
        run(capsys, "brain", "run", str(brain), "--keep-checkpoints", "0")
