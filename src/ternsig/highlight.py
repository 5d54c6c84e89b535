"""Editor support for `.ternsig` sources: a Pygments lexer and a TextMate grammar.

Both read the mnemonics from the instruction tables (core mnemonics and their aliases, and
``ext.mnemonic`` for every standard extension), so a new instruction is highlighted as soon as it
has a table row, and nothing here lists opcodes. The lexer is registered with Pygments through the
``pygments.lexers`` entry point (``pygmentize -l ternsig``, and fenced ```` ```ternsig ```` blocks
in the documentation); the TextMate grammar is the committed file
``editors/ternsig.tmLanguage.json``, regenerated with::

    python -m ternsig.highlight -o editors/ternsig.tmLanguage.json

An unknown mnemonic is marked as an error by the lexer (the assembler would refuse it too).
"""
from __future__ import annotations

import argparse
import json
import re
from functools import lru_cache
from pathlib import Path
from typing import Iterator, Optional

from pygments.lexer import RegexLexer, bygroups, include
from pygments.token import (Comment, Error, Keyword, Name, Number, Operator, Punctuation, String,
                            Text, Whitespace)

__all__ = ["TernsigLexer", "mnemonics", "textmate_grammar", "SECTIONS", "DTYPE_WORDS"]

#: section directives the assembler knows (asm/assembler.py ``_SECTIONS``) plus ``.word``
SECTIONS = (".meta", ".requires", ".registers", ".program", ".code", ".projection", ".aliases",
            ".config")


def _dtype_words() -> tuple[str, ...]:
    from .isa.types import DTYPES

    return tuple(sorted({sp for _, sps in DTYPES.values() for sp in sps}))


DTYPE_WORDS = _dtype_words()


@lru_cache(maxsize=1)
def mnemonics() -> frozenset[str]:
    """Every mnemonic a source may write, lower-case: core names and aliases, and
    ``ext.name`` / ``ext.alias`` for each standard extension (the registry's tables)."""
    from .registry import ExtensionRegistry

    out: set[str] = set()
    for table in ExtensionRegistry.standard().all_tables():
        prefix = "" if table.ext_id == 0 else f"{table.name}."
        for spec in table.specs:
            for name in (spec.mnemonic, *spec.aliases):
                out.add(f"{prefix}{name}".lower())
    return frozenset(out)


@lru_cache(maxsize=1)
def _standard_names() -> frozenset[str]:
    from .registry import ExtensionRegistry

    return frozenset(t.name.lower() for t in ExtensionRegistry.standard().all_tables())


_REGISTER = r"(?i:[HTCPS](?:0[xX][0-9A-Fa-f]+|[0-9]+))\b"
_NUMBER = [
    (r"[+-]?0[xX][0-9A-Fa-f]+\b", Number.Hex),
    (r"[+-]?(?:[0-9]+\.[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?\b", Number.Float),
    (r"[+-]?[0-9]+\b", Number.Integer),
]


class TernsigLexer(RegexLexer):
    """Pygments lexer for TVMR assembly (`.ternsig`): sections, labels, mnemonics from the
    instruction tables, registers, dtypes, attributes and numbers."""

    name = "Ternsig"
    aliases = ["ternsig", "tvmr"]
    filenames = ["*.ternsig"]
    mimetypes = ["text/x-ternsig"]

    def mnemonic_callback(lexer, match):  # noqa: N805 - Pygments passes the lexer first
        word = match.group(1)
        low = word.lower()
        if low in mnemonics():
            kind = Keyword
        elif "." in low and low.split(".", 1)[0] not in _standard_names():
            kind = Name.Function     # a user extension's instruction (declared in .requires)
        else:
            kind = Error             # the assembler refuses it too
        yield match.start(1), kind, word

    tokens = {
        "common": [
            (r";.*$", Comment.Single),
            (r"[ \t]+", Whitespace),
            (r"\n", Whitespace),
        ],
        "root": [
            include("common"),
            (r"(?i)(\.program|\.code)\b", Keyword.Namespace, "program"),
            (r"(?i)(\.registers)\b", Keyword.Namespace, "registers"),
            (r"(?i)(\.meta|\.requires|\.projection|\.aliases|\.config)\b", Keyword.Namespace, "keyvalue"),
            (r"\S+", Error),
        ],
        "section": [
            # a new section directive pops back to root, which reads it again
            (r"^[ \t]*(?=(?i:\.(?:meta|requires|registers|program|code|projection|aliases|config))\b)",
             Whitespace, "#pop"),
        ],
        "keyvalue": [
            include("section"),
            (r"^([ \t]*)([A-Za-z_][\w.-]*)", bygroups(Whitespace, Name.Builtin)),
            include("common"),
            (r'"[^"\n]*"', String.Double),
            (r"([\w.-]+)(=)", bygroups(Name.Attribute, Operator)),
            (r"=", Operator),
            (r"@\w+", Name.Constant),
            *_NUMBER,
            (r"[,:]", Punctuation),
            (r"[^\s;=,\"]+", Text),
        ],
        "registers": [
            include("section"),
            include("common"),
            (_REGISTER, Name.Variable),
            (r"(?i)\b(" + "|".join(re.escape(w) for w in DTYPE_WORDS) + r")\b", Keyword.Type),
            (r'(key)(=)("[^"\n]*")', bygroups(Name.Attribute, Operator, String.Double)),
            (r"(frozen|allocated)(=)(true|false)\b", bygroups(Name.Attribute, Operator, Keyword.Constant)),
            *_NUMBER,
            (r"[\[\],:]", Punctuation),
            (r"\S", Error),
        ],
        "program": [
            include("section"),
            (r"(?i)^([ \t]*)(\.word)([ \t]+)((?:0[xX])?[0-9A-Fa-f]{16})\b",
             bygroups(Whitespace, Keyword.Pseudo, Whitespace, Number.Hex)),
            (r"^([ \t]*)(include)\b(.*)$", bygroups(Whitespace, Keyword.Pseudo, String)),
            (r"^([ \t]*)([A-Za-z_$][\w.$]*)(:)", bygroups(Whitespace, Name.Label, Punctuation)),
            (r"^[ \t]*(?=[A-Za-z_])", Whitespace, "instruction"),
            include("common"),
            (r"\S+", Error),
        ],
        "instruction": [
            (r"\n", Whitespace, "#pop"),
            (r"([A-Za-z_][\w]*(?:\.(?:[A-Za-z_]\w*|0[xX][0-9A-Fa-f]+|[0-9]+))?)", mnemonic_callback, "operands"),
            (r"", Text, "#pop"),
        ],
        "operands": [
            (r"(?=\n)", Text, "#pop:2"),
            (r";.*", Comment.Single),
            (r"[ \t]+", Whitespace),
            (_REGISTER, Name.Variable),
            (r"([A-Za-z_]\w*)(=)", bygroups(Name.Attribute, Operator)),
            *_NUMBER,
            (r",", Punctuation),
            (r"[A-Za-z_$][\w.$]*", Name.Label),
            (r"[^\s,;]+", Error),
        ],
    }


# ---- TextMate ---------------------------------------------------------------------------------

def _alternation(words: list[str]) -> str:
    """A regex alternation, longest first so ``ternary_matmul`` wins over ``ternary``."""
    return "|".join(re.escape(w) for w in sorted(words, key=lambda w: (-len(w), w)))


def textmate_grammar() -> dict:
    """The TextMate grammar (VS Code, Sublime, TextMate, GitHub linguist-style editors) as JSON data.

    The ``mnemonic`` pattern is generated from :func:`mnemonics`; tests check that it matches
    every mnemonic of the registry."""
    names = sorted(mnemonics())
    return {
        "$schema": "https://raw.githubusercontent.com/martinring/tmlanguage/master/tmlanguage.json",
        "name": "Ternsig",
        "scopeName": "source.ternsig",
        "fileTypes": ["ternsig"],
        "comment": "Generated by `python -m ternsig.highlight` from the instruction tables; do not edit.",
        "patterns": [
            {"include": "#comment"},
            {"include": "#section"},
            {"include": "#label"},
            {"include": "#mnemonic"},
            {"include": "#register"},
            {"include": "#dtype"},
            {"include": "#attribute"},
            {"include": "#string"},
            {"include": "#number"},
        ],
        "repository": {
            "comment": {"name": "comment.line.semicolon.ternsig", "match": ";.*$"},
            "section": {"name": "keyword.control.directive.ternsig",
                        "match": "(?i)^\\s*(?:" + "|".join(re.escape(s) for s in SECTIONS) + "|\\.word)\\b"},
            "label": {"match": "^\\s*([A-Za-z_$][\\w.$]*)(:)",
                      "captures": {"1": {"name": "entity.name.label.ternsig"},
                                   "2": {"name": "punctuation.separator.ternsig"}}},
            "mnemonic": {"name": "keyword.other.mnemonic.ternsig",
                         "match": "(?i)^\\s*(?:" + _alternation(names) + ")(?=\\s|;|$)"},
            "register": {"name": "variable.other.register.ternsig",
                         "match": "(?i)\\b[HTCPS](?:0x[0-9a-f]+|[0-9]+)\\b"},
            "dtype": {"name": "storage.type.ternsig",
                      "match": "(?i)\\b(?:" + _alternation(list(DTYPE_WORDS)) + ")(?=\\s*\\[)"},
            "attribute": {"match": "\\b([A-Za-z_]\\w*)(=)",
                          "captures": {"1": {"name": "entity.other.attribute-name.ternsig"},
                                       "2": {"name": "keyword.operator.assignment.ternsig"}}},
            "string": {"name": "string.quoted.double.ternsig", "begin": "\"", "end": "\"|$"},
            "number": {"patterns": [
                {"name": "constant.numeric.hex.ternsig", "match": "[+-]?\\b0[xX][0-9A-Fa-f]+\\b"},
                {"name": "constant.numeric.float.ternsig",
                 "match": "[+-]?\\b[0-9]+\\.[0-9]*(?:[eE][+-]?[0-9]+)?\\b"},
                {"name": "constant.numeric.integer.ternsig", "match": "[+-]?\\b[0-9]+\\b"},
            ]},
        },
    }


def textmate_json() -> str:
    return json.dumps(textmate_grammar(), indent=2, ensure_ascii=False) + "\n"


def tokens(source: str) -> Iterator[tuple[object, str]]:
    """(token type, text) pairs of ``source`` (what the documentation highlighter sees)."""
    return TernsigLexer().get_tokens(source)


def main(argv: Optional[list[str]] = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m ternsig.highlight",
                                 description="Write the TextMate grammar for .ternsig, generated from the tables.")
    ap.add_argument("-o", "--output", type=Path, help="file to write (default: print)")
    args = ap.parse_args(argv)
    text = textmate_json()
    if args.output is None:
        print(text, end="")
    else:
        from .atomicio import atomic_write

        atomic_write(args.output, text.encode(), make_parents=True)
    return 0


if __name__ == "__main__":  # pragma: no cover - exercised through main() in tests
    raise SystemExit(main())
