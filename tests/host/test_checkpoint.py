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


# ---- files holding many parts (format version 2) --------------------------------------------------------

def bundle(store: CheckpointStore, ckpt: int, files: dict[str, dict[str, bytes]]) -> Manifest:
    refs = [r for f, parts in files.items() for r in store.write_bundle(ckpt, f, parts.items())]
    return store.publish(ckpt, ckpt, refs, {})


def test_one_file_holds_many_parts_each_checked_on_its_own(tmp_path):
    s = CheckpointStore(tmp_path)
    parts = {"kernel": b"kernel bytes", **{f"region.r{i}": bytes([i]) * i for i in range(50)}}
    bundle(s, 7, {"rank0": dict(list(parts.items())[:20]), "rank1": dict(list(parts.items())[20:])})
    assert sorted(p.name for p in s.part_dir(7).iterdir()) == ["rank0.part", "rank1.part"]
    m = s.latest()
    assert m is not None and m.id == 7 and sorted(m.names()) == sorted(parts)
    assert all(s.read_part(m, name) == data for name, data in parts.items())
    assert b'"version":2' in s.manifest_path(7).read_bytes()
    # one damaged byte: that part (and only it) is reported, read_part refuses it, latest passes it over
    ref = m.part("region.r30")
    f = s.part_dir(7) / ref.file
    data = bytearray(f.read_bytes())
    data[ref.offset + 3] ^= 1
    f.write_bytes(bytes(data))
    assert s.problems(m) == ["part region.r30: SHA-256 mismatch (damaged)"]
    assert s.read_part(m, "region.r29") == parts["region.r29"]
    with pytest.raises(FormatError, match="damaged"):
        s.read_part(m, "region.r30")
    assert s.latest() is None and s.skipped[0][1] == "part region.r30: SHA-256 mismatch (damaged)"
    f.write_bytes(bytes(data[:-1]))                      # torn: the file is short
    assert s.problems(m) == [f"rank1.part: {len(data) - 1} bytes, manifest says {len(data)}"]


def test_version_1_checkpoints_one_file_per_part_still_load(tmp_path):
    import hashlib
    import json

    from ternsig.host.checkpoint import MANIFEST_MAGIC

    s = CheckpointStore(tmp_path)
    d = s.part_dir(4)
    d.mkdir(parents=True)
    parts = {"kernel": b"k4", "region.a": b"a4"}
    for name, data in parts.items():
        (d / f"{name}.part").write_bytes(data)
    body = json.dumps({"format": "ternsig-checkpoint", "version": 1, "id": 4, "tick": 4, "meta": {},
                       "parts": [{"name": n, "size": len(b), "sha256": hashlib.sha256(b).hexdigest()}
                                 for n, b in parts.items()]}).encode()
    s.manifest_path(4).write_bytes(MANIFEST_MAGIC + hashlib.sha256(body).hexdigest().encode() + b"\n" + body)
    m = s.latest()
    assert m is not None and m.id == 4 and [s.read_part(m, n) for n in parts] == list(parts.values())
    (d / "region.a.part").write_bytes(b"a5")
    assert s.problems(m) == ["part region.a: SHA-256 mismatch (damaged)"]


@pytest.mark.parametrize("files, why", [
    ([{"file": "f", "size": 3, "parts": [{"name": "a", "size": 2, "sha256": "0" * 64}]}], "add up to 2 bytes"),
    ([{"file": "f", "size": 0, "parts": []}, {"file": "f", "size": 0, "parts": []}], "listed twice"),
    ([{"file": "../f", "size": 0, "parts": []}], "not a plain identifier"),
    ([{"file": "f", "size": 1, "parts": [{"name": "a", "size": 1, "sha256": "0" * 64, "offset": 9}]}], "bad part"),
    ([{"file": "f", "size": 2, "parts": [{"name": "a", "size": 1, "sha256": "0" * 64}] * 2}], "listed twice"),
])
def test_hostile_file_lists_are_format_errors(tmp_path, files, why):
    import hashlib
    import json

    from ternsig.host.checkpoint import MANIFEST_MAGIC

    body = json.dumps({"format": "ternsig-checkpoint", "version": 2, "id": 1, "tick": 1, "meta": {},
                       "files": files}).encode()
    with pytest.raises(FormatError, match=why):
        Manifest.from_bytes(MANIFEST_MAGIC + hashlib.sha256(body).hexdigest().encode() + b"\n" + body)


def test_publish_refuses_parts_that_do_not_fill_their_file_in_order(tmp_path):
    s = CheckpointStore(tmp_path)
    a, b = s.write_bundle(1, "f", [("a", b"aa"), ("b", b"bb")])
    with pytest.raises(HostError, match="do not follow each other"):
        s.publish(1, 1, [b], {})                          # a's bytes would be in the file unaccounted for
    with pytest.raises(HostError, match="missing or has the wrong size"):
        s.publish(1, 1, [a], {})                          # b's bytes would be
    assert s.ids() == []
    s.publish(1, 1, [b, a], {})
    assert s.latest().names() == ["a", "b"]                # read back in file order
