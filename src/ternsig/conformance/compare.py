"""Compare what this engine emits with a golden case, field by field.

Error texts are not compared (they are reported as notes when they differ). Documented deviations
(docs/deviations.md) are applied from :mod:`.deviations`.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Optional

from .deviations import CASE_DEVIATIONS

IGNORED_KEYS = {"error", "debug", "message"}


def first_diff(want: Any, got: Any, path: str = "") -> Optional[str]:
    """Path and values of the first difference, or None when equal (error texts ignored)."""
    if isinstance(want, dict) and isinstance(got, dict):
        for k in want:
            if k in IGNORED_KEYS:
                continue
            if k not in got:
                return f"{path}.{k}: missing (want {_short(want[k])})"
            d = first_diff(want[k], got[k], f"{path}.{k}")
            if d:
                return d
        return None
    if isinstance(want, list) and isinstance(got, list):
        if len(want) != len(got):
            return f"{path}: length {len(got)} != {len(want)} (want {_short(want)}, got {_short(got)})"
        for i, (w, g) in enumerate(zip(want, got)):
            d = first_diff(w, g, f"{path}[{i}]")
            if d:
                return d
        return None
    if isinstance(want, bool) or isinstance(got, bool):
        return None if want is got or want == got and type(want) is type(got) else f"{path}: {got!r} != {want!r}"
    if want != got:
        return f"{path}: got {_short(got)}, want {_short(want)}"
    return None


def _short(v: Any) -> str:
    s = json.dumps(v)
    return s if len(s) <= 120 else s[:117] + "..."


def _error_notes(want: Any, got: Any, path: str = "") -> list[str]:
    notes: list[str] = []
    if isinstance(want, dict) and isinstance(got, dict):
        for k in want:
            if k in ("error", "message") and want[k] != got.get(k) and isinstance(want[k], str):
                notes.append(f"{path}.{k}: {got.get(k)!r} vs reference {want[k]!r}")
            elif k in got:
                notes.extend(_error_notes(want[k], got[k], f"{path}.{k}"))
    return notes


def case_id(case: Path) -> str:
    return f"{case.parent.name}/{case.name}"


def check_case(case: Path, emitted: dict[str, Any]) -> tuple[bool, list[str], list[str]]:
    """(passed, failures, notes) for one case."""
    case = Path(case)
    cid = case_id(case)
    failures: list[str] = []
    notes: list[str] = []
    dev = CASE_DEVIATIONS.get(cid)
    for key in ("expected", "binary", "assembled", "deserialized"):
        fname = "binary.hex" if key == "binary" else f"{key}.json"
        path = case / fname
        if not path.exists() or key == "binary" and not (case / "program.ternsig").exists():
            continue  # binary_deser: binary.hex is the input, not an expected output
        want = path.read_text().strip() if key == "binary" else json.loads(path.read_text())
        if key not in emitted:
            failures.append(f"{key}: not emitted")
            continue
        got = emitted[key]
        if dev is not None and key in dev.keys:
            ok, why = dev.accepts(want, got)
            if ok:
                notes.append(f"{key}: deviation ({dev.doc})")
                continue
            failures.append(f"{key}: deviation {dev.doc!r} not honoured: {why}")
            continue
        if key == "expected" and isinstance(want, dict) and want.get("status") == "panic":
            # the reference panics; this engine traps (docs/deviations.md, "Panics become traps")
            if got.get("status") != "trap":
                failures.append(f"expected.status: got {got.get('status')!r}, want a trap (reference panics)")
                continue
            want = {k: v for k, v in want.items() if k not in ("status", "runs")}
        if key == "binary" or key == "deserialized" and "error" in want:
            if key == "binary":
                if got != want:
                    failures.append(f"binary: got {_short(got)}, want {_short(want)}")
            elif not (isinstance(got, dict) and "error" in got):
                failures.append(f"deserialized: reference refuses this file, we produced {_short(got)}")
            continue
        if key == "expected" and isinstance(want, dict) and "error" in want and len(want) == 1:
            if not (isinstance(got, dict) and "error" in got):
                failures.append(f"expected: reference refuses this file, we produced {_short(got)}")
            continue
        d = first_diff(want, got, key)
        if d:
            failures.append(d)
        else:
            notes.extend(_error_notes(want, got, key))
    return (not failures, failures, notes)
