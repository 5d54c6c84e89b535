"""The generated ISA reference is current, and every documentation link resolves."""
from __future__ import annotations

import re
from pathlib import Path

from tests.paths import REPO
from ternsig.docs import isa_reference

ROOT = REPO


def test_isa_reference_is_generated_from_the_current_tables():
    assert (ROOT / "docs" / "isa.md").read_text() == isa_reference(), "run `ternsig spec -o docs/isa.md`"


def test_isa_reference_lists_every_instruction():
    from ternsig.extensions import STANDARD
    from ternsig.registry import ExtensionRegistry

    text = isa_reference()
    tables = ExtensionRegistry.standard().all_tables()
    assert [t.ext_id for t in tables] == [t.ext_id for t in STANDARD] and tables[0].ext_id == 0
    assert len(re.findall(r"^\| 0x", text, re.M)) == sum(len(t.specs) for t in tables)
    for t in tables:
        for s in t.specs:
            assert f"| 0x{s.opcode:04X} | `{s.qualified}`" in text


def test_readme_and_docs_links_resolve():
    for doc in [ROOT / "README.md", *(ROOT / "docs").glob("*.md")]:
        for target in re.findall(r"\]\(([^)#:]+)\)", doc.read_text()):
            assert (doc.parent / target).exists(), f"{doc.name} links to missing {target}"


_TEST_REF = re.compile(r"((?:[\w.-]+/)*test_\w+\.py)(?:::(test_\w+))?")
_BARE_TEST = re.compile(r"`(test_\w+)`")


def _test_sources() -> dict[str, str]:
    return {p.relative_to(ROOT).as_posix(): p.read_text() for p in (ROOT / "tests").rglob("test_*.py")}


def test_tests_named_by_the_docs_exist():
    """A deviation is only as good as the test that pins it: every test file and test function
    the docs name (``tests/x/test_y.py::test_z``, ``test_y.py::test_z`` or a bare `test_z`) exists."""
    sources = _test_sources()
    by_base: dict[str, list[str]] = {}
    for rel in sources:
        by_base.setdefault(rel.rsplit("/", 1)[-1], []).append(rel)
    missing = []
    for doc in [ROOT / "README.md", *(ROOT / "docs").glob("*.md")]:
        text = doc.read_text()
        for path, func in _TEST_REF.findall(text):
            files = [path] if "/" in path else by_base.get(path, [])
            files = [f for f in files if f in sources]
            if not files:
                missing.append(f"{doc.name}: {path}")
            elif func and not any(re.search(rf"def {func}\b", sources[f]) for f in files):
                missing.append(f"{doc.name}: {path}::{func}")
        for func in _BARE_TEST.findall(text):
            if f"{func}.py" not in by_base and not any(re.search(rf"def {func}\b", s) for s in sources.values()):
                missing.append(f"{doc.name}: {func}")
    assert not missing, "docs name tests that do not exist:\n" + "\n".join(missing)
