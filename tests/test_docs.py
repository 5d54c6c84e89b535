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
