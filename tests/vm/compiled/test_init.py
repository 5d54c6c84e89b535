"""Tier selection when Numba is missing: the default falls back to the interpreter, an explicit
request for the compiled tier is a clear UsageError (never a raw ModuleNotFoundError)."""
import pytest

from ternsig.errors import UsageError
import ternsig.vm.compiled as compiled


def test_default_tier_falls_back_to_interp_without_numba(monkeypatch):
    monkeypatch.delenv("TERNSIG_TIER", raising=False)
    monkeypatch.setattr(compiled, "numba_available", lambda: False)
    assert compiled.resolve_tier() == "interp"
    assert compiled.resolve_tier("interp") == "interp"


def test_explicit_compiled_without_numba_is_a_usage_error(monkeypatch):
    monkeypatch.setattr(compiled, "numba_available", lambda: False)
    with pytest.raises(UsageError, match="Numba"):
        compiled.resolve_tier("compiled")
    monkeypatch.setenv("TERNSIG_TIER", "compiled")
    with pytest.raises(UsageError, match="Numba"):
        compiled.resolve_tier()


def test_numba_present_keeps_compiled_default(monkeypatch):
    monkeypatch.delenv("TERNSIG_TIER", raising=False)
    assert compiled.numba_available()
    assert compiled.resolve_tier() == "compiled"
