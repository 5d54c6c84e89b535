"""The documentation site builds with warnings as errors, and its generated parts say what the
tables enforce."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.paths import REPO
from ternsig.asm import assemble
from ternsig.docsite import escape_table_brackets, expand, instructions_by_layer, privilege_matrix
from ternsig.errors import ValidationError
from ternsig.registry import ExtensionRegistry
from ternsig.safety.policy import ROLE_LAYERS, Role, check_program, may


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    out = tmp_path_factory.mktemp("site")
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    proc = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "-d", str(out)],
                          cwd=REPO, env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return out


def test_site_builds_strict_with_every_page(site):
    for page in ("index.html", "api/index.html", "language/index.html", "tutorial/index.html", "isa/index.html", "design/index.html", "deviations/index.html"):
        assert (site / page).is_file(), page


def test_api_reference_is_rendered_from_docstrings(site):
    html = (site / "api" / "index.html").read_text()
    for ident in ("ternsig.vm.interpreter.Interpreter", "ternsig.vm.access.MachineAccess.predict",
                  "ternsig.asm.assembler.assemble", "ternsig.host.brain.Brain"):
        assert f'id="{ident}"' in html, ident


def test_ternsig_blocks_are_highlighted_by_the_lexer(site):
    html = (site / "language" / "index.html").read_text()
    assert '<span class="k">ternary_matmul</span>' in html          # a mnemonic, as a keyword
    assert '<span class="err">relux</span>' in html                 # the refused example's typo


def test_isa_page_keeps_register_subscripts(site):
    html = (site / "isa" / "index.html").read_text()
    assert "H[A][0] = level of chemical B" in html
    assert escape_table_brackets("| `x[0]` | H[A][0] |") == "| `x[0]` | H\\[A\\]\\[0\\] |"


def test_privilege_matrix_agrees_with_the_validator():
    """Each ✓ of the generated matrix is a layer the role may use: check it against the validator
    on a real instruction of every layer."""
    table = privilege_matrix()
    reg = ExtensionRegistry.standard()
    by_layer = {}
    for t in reg.all_tables():
        for s in t.specs:
            if not s.writes_chemicals:
                by_layer.setdefault(s.layer, s)
    rows = {line.split("|")[1].strip(" `"): [c.strip() for c in line.split("|")[2:-1]]
            for line in table.splitlines()[2:]}
    assert set(rows) == {r.value for r in Role}
    order = ("KERNEL", "BOOT", "EVOLUTIONARY", "RUNTIME", "LEARNING", "TEST")
    for role in Role:
        for i, name in enumerate(order):
            layer = next(x for x in by_layer if x.name == name)
            allowed = rows[role.value][i] == "✓"
            assert allowed == (layer in ROLE_LAYERS[role.value]), (role, name)
            prog = assemble(".program\n    .word " + _word(by_layer[layer]) + "\n    halt\n")
            if allowed:
                check_program(prog, role.value, registry=reg)
            else:
                with pytest.raises(ValidationError):
                    check_program(prog, role.value, registry=reg)
        assert (rows[role.value][-2] == "✓") == may(role, "chemicals")
        assert (rows[role.value][-1] == "✓") == may(role, "weights")


def _word(spec) -> str:
    return f"{spec.ext_id:04X}{spec.opcode:04X}00000000"


def test_instructions_by_layer_lists_every_instruction_once():
    text = instructions_by_layer()
    reg = ExtensionRegistry.standard()
    for t in reg.all_tables():
        for s in t.specs:
            name = s.mnemonic if t.ext_id == 0 else f"{t.name}.{s.mnemonic}"
            assert text.count(f"`{name}`") == 1, name


def test_unknown_generated_marker_fails():
    with pytest.raises(KeyError):
        expand("<!-- generated: no-such-table -->")
    assert "| `learning` |" in expand("<!-- generated: privilege-matrix -->")
