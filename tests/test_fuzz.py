"""Fuzzing the parsers of untrusted input (small: a few hundred inputs; bench/bench_fuzz.py runs 100k)."""
from __future__ import annotations

import random
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.paths import CORPUS as CORPUS_DIR
from ternsig import fuzz
from ternsig.errors import FormatError

CORPUS = fuzz.Corpus.load(CORPUS_DIR)
SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
BAD = (fuzz.NON_PROJECT, fuzz.HANG)


def test_classify_outcomes():
    assert fuzz.classify(lambda d: 1, b"").kind == fuzz.OK
    assert fuzz.classify(lambda d: (_ for _ in ()).throw(FormatError("x", 0)), b"").kind == fuzz.PROJECT
    bad = fuzz.classify(lambda d: {}["k"], b"")
    assert bad.kind == fuzz.NON_PROJECT and "KeyError" in bad.detail

    def spin(d):
        while True:
            pass

    hang = fuzz.classify(spin, b"", time_limit=0.2)
    # the timer stopped it (HANG, not a 'took too long' verdict); the bound is a hang guard only:
    # on a loaded 2-core box the alarm's delivery can lag the 0.2 s limit by a lot
    assert hang.kind == fuzz.HANG and hang.detail.startswith("interrupted") and hang.elapsed < 30.0

    def oom(d):
        raise MemoryError()

    assert fuzz.classify(oom, b"").kind == fuzz.HANG


def test_internal_trap_is_a_non_project_exception(monkeypatch):
    from ternsig.extensions.core import CORE

    spec = CORE.lookup("tanh")     # no compiled kernel: its handler runs under every tier

    def broken(m, a, b, c, d):
        raise ZeroDivisionError("boom")

    monkeypatch.setattr(spec, "handler", broken)
    data = fuzz.Instruction(0, spec.opcode, 0, 0, 0, 0).to_bytes()
    out = fuzz.classify(fuzz.fuzz_stream, data)
    assert out.kind == fuzz.NON_PROJECT and "ZeroDivisionError" in out.detail


def test_corpus_is_loaded():
    assert len(CORPUS.sources) > 20 and len(CORPUS.binaries) > 20
    assert CORPUS.thermos


@pytest.mark.parametrize("target", ["source", "binary", "thermo", "stream"])
@SETTINGS
@given(data=st.binary(max_size=300))
def test_random_bytes(target, data):
    out = fuzz.classify(fuzz.TARGETS[target], data, time_limit=5.0)
    assert out.kind not in BAD, out.detail


@SETTINGS
@given(st.text(alphabet=st.sampled_from(list(".:;,=[]\"\n -0123456789xHCPSabcdefghilmnoprstuvwy_")), max_size=200))
def test_source_like_text(text):
    out = fuzz.classify(fuzz.fuzz_source, text.encode(), time_limit=5.0)
    assert out.kind not in BAD, out.detail


@SETTINGS
@given(seed=st.integers(0, 2**32 - 1))
def test_mutated_corpus(seed):
    gen = fuzz.InputGenerator(CORPUS, seed)
    for name, data in (next(gen) for _ in range(4)):
        out = fuzz.classify(fuzz.TARGETS[name], data, time_limit=5.0)
        assert out.kind not in BAD, (name, out.detail, data[:80].hex())


def test_checksum_fixups_reach_past_integrity_checks():
    from ternsig.binary import deserialize
    from ternsig.thermo.format import decode

    rng = random.Random(3)
    binaries = [b for b in CORPUS.binaries if b[:4] == b"TVMR"]
    past = 0
    for _ in range(50):
        data = fuzz.fix_tvmr(fuzz.mutate(rng.choice(binaries), rng))
        try:
            deserialize(data)
            past += 1
        except FormatError as exc:
            past += "Checksum mismatch" not in exc.message
    assert past > 10
    if CORPUS.thermos:
        t = fuzz.fix_thermo(CORPUS.thermos[0][:-1] + b"\x00")
        try:
            decode(t)
        except FormatError as exc:
            assert "checksum" not in exc.message and "size mismatch" not in exc.message


def test_fuel_stops_every_looping_stream_exactly():
    rng = random.Random(11)
    streams = [fuzz.random_stream(rng) for _ in range(80)]
    for budget in (1, 37, 200):
        stopped, exact, earlier = fuzz.fuel_check(streams, budget)
        assert stopped == exact and stopped + earlier == len(streams)
    # a stream with no instruction is just the trailing `jump 0`: the budget alone stops it
    assert fuzz.fuel_check([b""], 25) == (1, 1, 0)
