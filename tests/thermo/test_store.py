"""Crash-safe store: atomic replace, damaged files refused with the last good state kept."""
from __future__ import annotations

import os
import struct
import subprocess
import sys
import zlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ternsig.errors import FormatError
from ternsig.signal import Signal
from ternsig.thermo import DeltaType, Signals, Thermogram, Timestamp, decode, encode
from ternsig.thermo import store
from ternsig import atomicio
from ternsig.thermo.store import ThermoFile, atomic_write, load, save, stale_temps


def _thermo(tag: int = 0) -> Thermogram:
    t = Thermogram.new(f"gen{tag}", clock=lambda: Timestamp(1735689600 + tag), id="fixed-id")
    for i in range(3):
        t.apply_delta(t.next_delta(DeltaType.CREATE if i == 0 else DeltaType.UPDATE, "w",
                                   Signals.from_pairs([(1, (tag + i) % 256)] * 8), strength=Signal(1, 100 + i),
                                   id=f"delta-{tag}-{i}"))
    t.metadata.custom = tag.to_bytes(4, "little")
    return t


GOOD = encode(_thermo(1))


def test_save_load_roundtrip_leaves_no_temp(tmp_path):
    p = tmp_path / "sub" / "w.thermo"
    n = save(_thermo(1), p)
    assert n == len(GOOD) and p.read_bytes() == GOOD
    assert os.listdir(p.parent) == ["w.thermo"]
    assert encode(load(p)) == GOOD


def test_failed_replace_keeps_old_file_and_removes_temp(tmp_path, monkeypatch):
    p = tmp_path / "w.thermo"
    save(_thermo(1), p)

    def boom(src, dst):
        raise OSError("disk on fire")

    monkeypatch.setattr(atomicio.os, "replace", boom)   # the atomic writer lives in ternsig.atomicio
    with pytest.raises(OSError):
        save(_thermo(2), p)
    assert p.read_bytes() == GOOD and os.listdir(tmp_path) == ["w.thermo"]


def test_stale_temps_of_dead_savers_are_cleaned(tmp_path):
    p = tmp_path / "w.thermo"
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    pid = int(dead.stdout)
    junk = tmp_path / f".w.thermo.{pid}.0123456789ab.tmp"
    junk.write_bytes(GOOD[:10])
    other = tmp_path / ".unrelated.tmp"
    other.write_bytes(b"x")
    assert stale_temps(p) == [junk]
    save(_thermo(1), p)
    assert not junk.exists() and other.exists()


def _corruptions():
    flip = st.tuples(st.just("flip"), st.integers(0, len(GOOD) * 8 - 1))
    trunc = st.tuples(st.just("trunc"), st.integers(0, len(GOOD) - 1))
    smash = st.tuples(st.just("smash"), st.integers(0, len(GOOD) - 1), st.binary(min_size=1, max_size=8))
    extend = st.tuples(st.just("extend"), st.binary(min_size=1, max_size=8))
    return st.one_of(flip, trunc, smash, extend)


def _apply(kind) -> bytes:
    b = bytearray(GOOD)
    if kind[0] == "flip":
        b[kind[1] // 8] ^= 1 << (kind[1] % 8)
    elif kind[0] == "trunc":
        del b[kind[1]:]
    elif kind[0] == "smash":
        b[kind[1]:kind[1] + len(kind[2])] = kind[2]
        b = b[:len(GOOD)]
    else:
        b += kind[1]
    return bytes(b)


@settings(max_examples=400, deadline=None)
@given(_corruptions())
def test_damaged_file_refused_and_last_good_state_kept(tmp_path_factory, kind):
    d = tmp_path_factory.mktemp("c")
    p = d / "w.thermo"
    save(_thermo(1), p)
    f = ThermoFile(p)
    f.reload()
    good_state = f.thermogram
    bad = _apply(kind)
    p.write_bytes(bad)
    try:
        f.reload()
    except FormatError:
        assert f.thermogram is good_state                   # nothing replaced
        return
    # only the 2 flag bytes (ignored, outside the CRC) may change without being refused,
    # and then the content is exactly the original
    assert bad[:6] == GOOD[:6] and bad[8:] == GOOD[8:]
    assert encode(f.thermogram) == GOOD


def test_tampered_chain_with_fixed_crc_refused_by_store_only(tmp_path):
    """The crate's binary load does not re-verify the chain; our store does (deviation)."""
    b = bytearray(GOOD)
    i = b.index(bytes([1, 1]) * 8)                          # first delta's value bytes
    b[i + 1] = 99
    struct.pack_into("<I", b, 12, zlib.crc32(bytes(b[16:])))
    t, _ = decode(bytes(b))                                 # the reference-faithful reader accepts it
    assert t.dirty_chain.verify_error() == "Hash chain verification failed: Delta 0 hash verification failed"
    p = tmp_path / "w.thermo"
    p.write_bytes(bytes(b))
    with pytest.raises(FormatError, match="Delta 0 hash verification failed"):
        load(p)
    assert encode(load(p, verify_chain=False)) == bytes(b)


def test_thermofile_open_default_and_save(tmp_path):
    p = tmp_path / "w.thermo"
    f = ThermoFile.open(p, default=lambda: _thermo(3))
    assert not p.exists() and f.thermogram.name == "gen3"
    f.save()
    assert p.read_bytes() == encode(_thermo(3))
    assert ThermoFile.open(p, default=lambda: _thermo(9)).thermogram.name == "gen3"
    with pytest.raises(FormatError):
        ThermoFile(tmp_path / "none").save()


def test_atomic_write_is_complete_for_large_payloads(tmp_path):
    data = os.urandom(3 << 20)
    atomic_write(tmp_path / "big", data)
    assert (tmp_path / "big").read_bytes() == data
