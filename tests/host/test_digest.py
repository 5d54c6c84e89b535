"""``ternsig brain digest``: one SHA-256 over a brain's saved state — equal for equal brains,
different when any state differs, blind to how the state was written."""
from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from tests.paths import EXAMPLES
from ternsig.cli import main
from ternsig.errors import FormatError, HostError
from ternsig.host.brain import Brain
from ternsig.host.checkpoint import CheckpointStore
from ternsig.host.digest import brain_digest, canonical_sha256

EXAMPLE = EXAMPLES / "brain"


def run_example(root: Path, ticks: int, edit=None) -> Path:
    """Copy the example brain to ``root``, run it ``ticks`` ticks, save; the state directory."""
    d = root / "brain"
    shutil.copytree(EXAMPLE, d)
    b = Brain(d, state_dir=root / "state")
    b.boot()
    for _ in range(ticks):
        b.tick()
    if edit is not None:
        edit(b)
    b.save()
    return root / "state"


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> dict[str, Path]:
    base = tmp_path_factory.mktemp("digest")
    return {"a": run_example(base / "a", 40), "b": run_example(base / "b", 40), "c": run_example(base / "c", 41)}


def test_equal_runs_have_equal_digests_and_different_runs_do_not(runs):
    a, b, c = (brain_digest(runs[k]) for k in "abc")
    # the two runs wrote their weight store at different wall-clock times with different random ids
    assert a.total == b.total and a.per_region == b.per_region and a.kernel == b.kernel
    assert a.tick == 40 and c.tick == 41
    assert c.total != a.total
    assert set(a.per_region) == {"sensory", "memory", "learner", "regulation"}
    assert len(a.total) == 64 and int(a.total, 16) >= 0


def test_one_changed_weight_changes_that_region_and_the_total_only(tmp_path, runs):
    def flip(b):
        c = b.region("learner").machine.cold[0]
        c.mag[0] = 255 - int(c.mag[0])
        c.pol[0] = 1
        c.touch()

    d = brain_digest(run_example(tmp_path, 40, flip))
    a = brain_digest(runs["a"])
    assert d.per_region["learner"] != a.per_region["learner"]
    assert {k: v for k, v in d.per_region.items() if k != "learner"} == \
           {k: v for k, v in a.per_region.items() if k != "learner"}
    assert d.total != a.total


def test_how_the_state_was_written_does_not_matter(tmp_path, runs):
    """Parts listed in another order, under another manifest with other metadata (as several
    writers would publish them): the same digest."""
    state = tmp_path / "state"
    shutil.copytree(runs["a"], state)
    store = CheckpointStore(state)
    m = store.latest()
    before = brain_digest(state)
    new_id = m.id + 1          # one file per part this time (as version-1 checkpoints were written)
    refs = [store.write_part(new_id, ref.name, store.read_part(m, ref.name)) for ref in reversed(m.parts)]
    store.publish(new_id, m.tick, refs, {"reason": "rewritten", "writers": 3})
    after = brain_digest(state)
    assert after.checkpoint == new_id and after.total == before.total


def test_canonical_encoding_distinguishes_types_and_orders():
    assert canonical_sha256([1, 2]) != canonical_sha256("12")
    assert canonical_sha256({"a": 1, "b": 2}) == canonical_sha256({"b": 2, "a": 1})
    assert canonical_sha256([1, 2]) != canonical_sha256([2, 1])
    assert canonical_sha256(np.array([1, 2], np.int32)) != canonical_sha256(np.array([1, 2], np.int64))
    assert canonical_sha256(np.zeros((2, 3), np.int8)) != canonical_sha256(np.zeros((3, 2), np.int8))
    assert canonical_sha256(b"x") != canonical_sha256("x")
    assert canonical_sha256(True) != canonical_sha256(1)
    with pytest.raises(FormatError):
        canonical_sha256({"x": object()})


def test_no_checkpoint_is_a_clear_error(tmp_path, capsys):
    with pytest.raises(HostError, match="no complete checkpoint"):
        brain_digest(tmp_path / "state")
    (tmp_path / "b").mkdir()
    assert main(["brain", "digest", str(tmp_path / "b")]) == 1
    assert "no complete checkpoint" in capsys.readouterr().err


def test_cli_prints_the_digest_and_per_region_lines(runs, capsys):
    d = brain_digest(runs["a"])
    assert main(["brain", "digest", str(runs["a"])]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out == [f"{d.total}  brain (checkpoint {d.checkpoint}, tick 40)"]
    assert main(["brain", "digest", str(runs["a"]), "--per-region"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[:4] == [f"{d.per_region[n]}  region {n}" for n in sorted(d.per_region)]
    assert out[4:] == [f"{d.kernel}  kernel", f"{d.total}  brain (checkpoint {d.checkpoint}, tick 40)"]
    assert main(["brain", "digest", str(runs["a"]), "--id", str(d.checkpoint)]) == 0
    assert main(["brain", "digest", str(runs["a"]), "--id", "7"]) == 1
    assert "no checkpoint 7" in capsys.readouterr().err


def test_a_damaged_part_is_never_digested(tmp_path, runs):
    state = tmp_path / "state"
    shutil.copytree(runs["a"], state)
    store = CheckpointStore(state)
    m = store.latest()
    part = store.part_dir(m.id) / m.parts[0].file
    data = bytearray(part.read_bytes())
    data[-1] ^= 1
    part.write_bytes(bytes(data))
    with pytest.raises(HostError, match="incomplete"):
        brain_digest(state, m.id)
    older = [i for i in store.ids() if i < m.id]
    if older:                                    # the newest complete one is an older checkpoint
        assert brain_digest(state).checkpoint == older[-1]
    else:
        with pytest.raises(HostError, match="no complete checkpoint"):
            brain_digest(state)
