"""Editor support: the Pygments lexer (entry point, tokens) and the TextMate grammar, both
derived from the instruction tables."""
from __future__ import annotations

import json
import re

import pytest
from pygments.lexers import get_lexer_by_name, get_lexer_for_filename
from pygments.token import Comment, Error, Keyword, Name

from tests.paths import CORPUS, EXAMPLES, REPO
from ternsig.asm import assemble
from ternsig.errors import TernsigError
from ternsig.highlight import TernsigLexer, main, mnemonics, textmate_grammar, textmate_json
from ternsig.registry import ExtensionRegistry

GRAMMAR = REPO / "editors" / "ternsig.tmLanguage.json"
SOURCES = sorted([*EXAMPLES.rglob("*.ternsig"), *CORPUS.rglob("*.ternsig")])


def _tokens(src: str):
    return list(TernsigLexer().get_tokens(src))


def _registry_mnemonics() -> list[str]:
    out = []
    for t in ExtensionRegistry.standard().all_tables():
        for s in t.specs:
            for name in (s.mnemonic, *s.aliases):
                out.append(name if t.ext_id == 0 else f"{t.name}.{name}")
    return out


def test_lexer_is_registered_with_pygments_by_entry_point():
    assert isinstance(get_lexer_by_name("ternsig"), TernsigLexer)
    assert isinstance(get_lexer_for_filename("region.ternsig"), TernsigLexer)


def test_every_table_mnemonic_is_a_keyword_in_a_program():
    names = _registry_mnemonics()
    assert len(names) >= sum(len(t.specs) for t in ExtensionRegistry.standard().all_tables())
    src = ".program\n" + "".join(f"    {n.upper() if i % 2 else n} H0\n" for i, n in enumerate(names))
    kinds = {text.lower(): kind for kind, text in _tokens(src) if kind in Keyword or kind in Error}
    assert {n.lower() for n in names} == {t for t, k in kinds.items() if k is Keyword}
    assert not [t for t, k in kinds.items() if k in Error]


def test_unknown_mnemonics_are_errors_and_user_extensions_are_functions():
    toks = _tokens(".requires\n    myext 0x0100\n.program\n    frobnicate H0\n    tensor.frobnicate H0\n"
                   "    myext.anything H0, 7\n")
    kind = {text: k for k, text in toks}
    assert kind["frobnicate"] in Error and kind["tensor.frobnicate"] in Error
    assert kind["myext.anything"] is Name.Function


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(REPO)))
def test_lexer_reads_every_source_the_assembler_accepts(path):
    src = path.read_text()
    toks = _tokens(src)
    assert "".join(t for _, t in toks) in (src, src + "\n")      # nothing lost or reordered
    try:
        assemble(src)
    except TernsigError:
        return                                                   # refused sources may hold anything
    assert [t for k, t in toks if k in Error] == []


def test_lexer_token_kinds_on_a_region():
    src = (".meta\n    name demo ; comment\n.registers\n    C0: ternary[4, 8] key=\"w\" frozen=true\n"
           "    H0: i32[8]\n.program\nloop:\n    load_input H0\n    ternary_matmul H0, C0, H0\n"
           "    jump loop\n    .word 0x0000000100000000\n    halt\n")
    pairs = [(k, t) for k, t in _tokens(src) if t.strip()]
    assert (Name.Label, "loop") in pairs and (Keyword, "load_input") in pairs
    assert (Name.Variable, "C0") in pairs and (Keyword.Type, "ternary") in pairs
    assert (Keyword.Namespace, ".registers") in pairs and (Keyword.Pseudo, ".word") in pairs
    assert (Comment.Single, "; comment") in pairs and (Name.Builtin, "name") in pairs
    assert not [t for k, t in pairs if k in Error]


def test_textmate_grammar_file_is_generated_from_the_tables():
    assert GRAMMAR.read_text() == textmate_json(), "run `python -m ternsig.highlight -o editors/ternsig.tmLanguage.json`"
    assert json.loads(GRAMMAR.read_text())["scopeName"] == "source.ternsig"


def test_textmate_mnemonic_pattern_covers_every_registry_mnemonic():
    pattern = re.compile(textmate_grammar()["repository"]["mnemonic"]["match"])
    for name in _registry_mnemonics():
        m = pattern.match(f"    {name} H0, H1")
        assert m is not None and m.group().strip() == name, name
    for not_one in ("frobnicate", "tensor.frobnicate", "halted"):
        assert pattern.match(f"    {not_one} H0") is None
    assert len(mnemonics()) == len({n.lower() for n in _registry_mnemonics()})


def test_main_writes_the_grammar(tmp_path, capsys):
    out = tmp_path / "g.json"
    assert main(["-o", str(out)]) == 0 and out.read_text() == textmate_json()
    assert main([]) == 0 and capsys.readouterr().out == textmate_json()


def test_editors_folder_is_a_vscode_extension_for_the_grammar():
    manifest = json.loads((REPO / "editors" / "package.json").read_text())
    grammar = manifest["contributes"]["grammars"][0]
    assert grammar["scopeName"] == textmate_grammar()["scopeName"]
    assert (REPO / "editors" / grammar["path"]).resolve() == GRAMMAR.resolve()
    lang = manifest["contributes"]["languages"][0]
    config = json.loads((REPO / "editors" / lang["configuration"]).read_text())
    assert ".ternsig" in lang["extensions"] and config["comments"]["lineComment"] == ";"
