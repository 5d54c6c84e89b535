"""Confinement: names from files become file names only when they are plain, and every path a
brain opens stays inside its directory.

- :func:`plain_name` — a name from ``.config`` or a state file (region, bank, key file) that is
  used in a file name: letters, digits, ``_ - .``, not starting with ``.``, at most 128 chars.
- :func:`inside` — ``base / name`` resolved (symlinks followed) and refused unless it stays
  inside ``base``: no absolute names, no ``..``, no symlink that points out.
- :func:`within` — the same check for a path already joined (re-checked when the file is opened,
  since a symlink may appear after the name was accepted).

Both raise :class:`ConfinementError` (a :class:`~ternsig.errors.UsageError`).
"""
from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Union

from .errors import UsageError

_PLAIN = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.\-]{0,127}\Z")


class ConfinementError(UsageError):
    """A name or path would leave the directory it must stay in."""


def plain_name(name: object, what: str = "name") -> str:
    """``name`` if it is a plain identifier usable as (part of) a file name, else refuse."""
    if not isinstance(name, str) or not _PLAIN.match(name) or ".." in name:
        raise ConfinementError(f"{what} {name!r} is not a plain name (letters, digits, '_', '-', '.'; "
                               f"not starting with '.'; at most 128 characters)")
    return name


def inside(base: Union[str, "os.PathLike[str]"], name: Union[str, "os.PathLike[str]"], what: str = "path") -> Path:
    """``base / name``, resolved, refused unless it stays inside ``base`` (symlinks followed)."""
    root = Path(base).resolve()
    rel = Path(name)
    if rel.is_absolute() or ".." in rel.parts or not str(name):
        raise ConfinementError(f"{what} {str(name)!r} must be a relative path inside {root}")
    full = (root / rel).resolve()
    if full != root and root not in full.parents:
        raise ConfinementError(f"{what} {str(name)!r} resolves to {full}, outside {root} (symlink out?)")
    return Path(base) / rel


def within(base: Union[str, "os.PathLike[str]"], path: Union[str, "os.PathLike[str]"], what: str = "path") -> Path:
    """``path`` if, resolved (symlinks followed), it is ``base`` or inside it; else refuse."""
    root = Path(base).resolve()
    full = Path(path).resolve()
    if full != root and root not in full.parents:
        raise ConfinementError(f"{what} {str(path)!r} resolves to {full}, outside {root} (symlink out?)")
    return Path(path)
