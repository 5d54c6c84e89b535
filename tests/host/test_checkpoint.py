"""CheckpointStore: parts then one manifest; the newest complete one wins; keep K; rollback."""
from __future__ import annotations

import pytest

from ternsig.errors import FormatError, HostError
from ternsig.host.checkpoint import CheckpointStore, Manifest


def commit(store: CheckpointStore, ckpt: int, parts: dict[str, bytes]) -> Manifest:
    refs = [store.write_part(ckpt, name, data) for name, data in parts.items()]
    return store.publish(ckpt, ckpt, refs, {"note": "t"})


def test_publish_then_latest_reads_back_verified_parts(tmp_path):
    s = CheckpointStore(tmp_path)
    assert s.latest() is None
    commit(s, 10, {"kernel": b"k10", "region.a": b"a10"})
    m = commit(s, 20, {"kernel": b"k20", "region.a": b"a20"})
    got = s.latest()
    assert got is not None and got.id == 20 and got.tick == 20 and got.meta == {"note": "t"}
    assert s.read_part(got, "region.a") == b"a20" and got.names() == m.names()


def test_parts_without_a_manifest_are_not_a_checkpoint(tmp_path):
    s = CheckpointStore(tmp_path)
    commit(s, 10, {"kernel": b"k10"})
    s.write_part(20, "kernel", b"k20")                   # a crash before publish
    assert s.latest().id == 10
    assert s.ids() == [10]


@pytest.mark.parametrize("damage", ["part", "truncate-part", "missing-part", "manifest", "empty-manifest"])
def test_a_damaged_newest_checkpoint_is_skipped_and_reported(tmp_path, damage):
    s = CheckpointStore(tmp_path)
    commit(s, 10, {"kernel": b"k10"})
    commit(s, 20, {"kernel": b"k20-longer"})
    part = s.part_dir(20) / "kernel.part"
    man = s.manifest_path(20)
    if damage == "part":
        part.write_bytes(b"k20-LONGER")
    elif damage == "truncate-part":
        part.write_bytes(b"k20")
    elif damage == "missing-part":
        part.unlink()
    elif damage == "manifest":
        data = bytearray(man.read_bytes())
        data[-3] ^= 1
        man.write_bytes(bytes(data))
    else:
        man.write_bytes(b"")
    m = s.latest()
    assert m is not None and m.id == 10
    assert [name for name, _ in s.skipped] == ["manifest-000000000020"]
    if damage == "part":
        with pytest.raises(FormatError):
            s.read_part(Manifest.from_bytes(man.read_bytes()), "kernel")


def test_keep_bounds_the_checkpoints_and_removes_orphans(tmp_path):
    s = CheckpointStore(tmp_path, keep=2)
    s.write_part(5, "kernel", b"orphan")                 # left by a crash, older than what follows
    for t in (10, 20, 30):
        commit(s, t, {"kernel": str(t).encode()})
    s.write_part(40, "kernel", b"in flight")             # newer than every manifest: left alone
    s.prune()
    assert s.ids() == [20, 30]
    assert not s.part_dir(5).exists() and not s.part_dir(10).exists() and s.part_dir(40).exists()


def test_rollback_makes_an_older_checkpoint_the_newest(tmp_path):
    s = CheckpointStore(tmp_path, keep=5)
    for t in (10, 20, 30):
        commit(s, t, {"kernel": str(t).encode()})
    m, gone = s.rollback()
    assert m.id == 20 and gone == [30] and s.latest().id == 20
    m, gone = s.rollback(to=10)
    assert m.id == 10 and gone == [20] and s.ids() == [10]
    with pytest.raises(HostError, match="no older checkpoint"):
        s.rollback()
    with pytest.raises(HostError, match="no checkpoint 99"):
        s.rollback(to=99)


def test_part_names_must_be_plain_identifiers(tmp_path):
    s = CheckpointStore(tmp_path)
    for bad in ("../x", "a/b", ".hidden", "", "x" * 200):
        with pytest.raises(HostError):
            s.write_part(1, bad, b"")


def test_publish_refuses_parts_that_are_not_on_disk(tmp_path):
    s = CheckpointStore(tmp_path)
    ref = s.write_part(1, "kernel", b"abc")
    (s.part_dir(1) / "kernel.part").write_bytes(b"ab")
    with pytest.raises(HostError, match="wrong size"):
        s.publish(1, 1, [ref])
    assert s.ids() == []
