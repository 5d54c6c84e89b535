"""The content fold behind TVMR / TERN checksums: interpreted and compiled agree with a direct
transcription of the reference loop, on every range; the promotion rule is deterministic."""
from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ternsig.binfmt import fold as F


def _transcription(content: bytes) -> int:
    """The reference loop as written there: zero-pad, then per 8-byte little-endian chunk."""
    content = content + b"\0" * ((-len(content)) % 8)
    h = 0x9E3779B97F4A7C15
    for i in range(0, len(content), 8):
        v = int.from_bytes(content[i:i + 8], "little")
        h = (h * 0x85EBCA6B + v) % (1 << 64)
        h = ((h << 31) | (h >> 33)) % (1 << 64)
    return h


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=200), st.data())
def test_interpreted_and_compiled_folds_agree_with_the_reference_loop(data: bytes, draw: st.DataObject) -> None:
    start = draw.draw(st.integers(0, len(data)))
    end = draw.draw(st.integers(start, len(data)))
    want = _transcription(data[start:end])
    assert F.fold_py(data, start, end) == want
    kernel = F.compiled_kernel()
    assert kernel is not None  # numba is a dependency
    assert kernel(data, start, end) == want
    assert kernel(bytearray(data), start, end) == want


def test_known_values() -> None:
    assert F.fold_py(b"") == 0x9E3779B97F4A7C15  # no chunk: the seed
    assert F.fold_py(b"\x01") == _transcription(b"\x01")
    big = bytes(range(256)) * 5000  # 160,000 chunks: compiled whatever the call count
    assert F.fold(big) == F.fold_py(big)


def test_promotion_counts_calls(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(F, "_state", {"calls": 0, "kernel": None, "tried": False})
    monkeypatch.delenv("TERNSIG_TIER", raising=False)
    monkeypatch.setattr(F, "_numba_loaded", lambda: False)  # as in a fresh one-shot process
    data = bytes(range(40))
    for _ in range(F.PROMOTE_AFTER_CALLS):
        assert F.fold(data) == F.fold_py(data)
    assert F._state["kernel"] is None and not F._state["tried"]
    assert F.fold(data) == F.fold_py(data)  # the call after the threshold promotes
    assert F._state["kernel"] is not None


def test_interp_tier_never_compiles(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(F, "_state", {"calls": 0, "kernel": None, "tried": False})
    monkeypatch.setenv("TERNSIG_TIER", "interp")
    for _ in range(F.PROMOTE_AFTER_CALLS * 2):
        F.fold(b"abcdefghij")
    assert F._state["kernel"] is None and not F._state["tried"]


def test_a_long_range_promotes_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(F, "_state", {"calls": 0, "kernel": None, "tried": False})
    monkeypatch.delenv("TERNSIG_TIER", raising=False)
    monkeypatch.setattr(F, "_numba_loaded", lambda: False)
    big = bytes(8 * F.PROMOTE_AT_WORDS)
    assert F.fold(big, 0, len(big)) == _transcription(big)
    assert F._state["kernel"] is not None
