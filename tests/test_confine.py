"""Confinement: plain names, paths kept inside their directory, symlinks out refused."""
from __future__ import annotations

import os

import pytest

from ternsig.confine import ConfinementError, inside, plain_name
from ternsig.errors import AssemblyError, UsageError


@pytest.mark.parametrize("name", ["../x", "/etc/passwd", ".hidden", "a/b", "", "a..b", "x" * 200, "a\x00b", 7])
def test_plain_name_refuses(name):
    with pytest.raises(ConfinementError):
        plain_name(name, "bank name")


@pytest.mark.parametrize("name", ["episodic", "learner.w0", "r-1_x"])
def test_plain_name_accepts(name):
    assert plain_name(name) == name


def test_inside_refuses_escapes_and_symlinks_out(tmp_path):
    base = tmp_path / "brain"
    base.mkdir()
    (tmp_path / "outside").mkdir()
    os.symlink(tmp_path / "outside", base / "link")
    assert inside(base, "fw.ternsig") == base / "fw.ternsig"
    for bad in ("../x", str(tmp_path / "x"), "link/fw.ternsig", "a/../../x"):
        with pytest.raises(ConfinementError):
            inside(base, bad)
    assert issubclass(ConfinementError, UsageError)


def test_config_names_must_be_plain():
    from ternsig.host.config import parse_config

    with pytest.raises(AssemblyError, match="not a plain name"):
        parse_config(".config\n    region ../evil firmware=a.ternsig\n")
    with pytest.raises(AssemblyError, match="not a plain name") as e:
        parse_config(".config\n    region r firmware=a.ternsig\n    bank r 0=../../evil\n")
    assert e.value.line == 3
