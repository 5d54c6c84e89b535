"""Hostile input: random text and mutated corpus programs. The assembler may refuse them, but only
with an AssemblyError that has a line and column — never another exception, never a hang."""
from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.paths import CORPUS
from ternsig.asm import assemble
from ternsig.errors import AssemblyError


SOURCES = [p.read_text() for p in sorted(CORPUS.rglob("program.ternsig"))]
VOCAB = [".meta", ".requires", ".registers", ".program", ".code", ".projection", ".aliases", ".config",
         ".word", "include", ":", ";", ",", "[", "]", "=", '"', "key=", "frozen=true", "gain=", "scale=",
         "layer=", "H0", "T63", "C1", "P2", "S63", "H64", "0x", "0xFFFF", "-1", "300", "1e39", "nan",
         "tensor.", "myext.0x0003", "jump", "loop", "set", "sigmoid", "add", "L1", "\n", "\r\n", " ", "\t",
         "\x0c", "\u2028", "é", "9" * 5000, "H" + "0" * 4400 + "1"]


def check(source: str) -> None:
    """Any text assembles or fails with an AssemblyError carrying line and column. (How long the
    assembler takes is bench_files.py's business: tests do not time anything.)"""
    try:
        assemble(source)
    except AssemblyError as exc:
        assert isinstance(exc.line, int) and exc.line >= 0 and exc.column >= 1
        assert exc.message


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=400))
def test_random_text(source: str) -> None:
    check(source)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(VOCAB), max_size=60).map("".join))
def test_random_token_soup(source: str) -> None:
    check(source)


@st.composite
def mutated(draw) -> str:
    text = draw(st.sampled_from(SOURCES))
    for _ in range(draw(st.integers(1, 6))):
        kind = draw(st.sampled_from(["insert", "delete", "replace", "dup_line", "swap_lines", "token"]))
        if not text:
            text = draw(st.sampled_from(VOCAB))
            continue
        i = draw(st.integers(0, len(text) - 1))
        if kind == "insert":
            text = text[:i] + draw(st.text(min_size=1, max_size=3)) + text[i:]
        elif kind == "delete":
            text = text[:i] + text[i + draw(st.integers(1, 8)):]
        elif kind == "replace":
            text = text[:i] + draw(st.characters()) + text[i + 1:]
        elif kind == "token":
            text = text[:i] + draw(st.sampled_from(VOCAB)) + text[i:]
        else:
            lines = text.split("\n")
            a, b = draw(st.integers(0, len(lines) - 1)), draw(st.integers(0, len(lines) - 1))
            if kind == "dup_line":
                lines.insert(b, lines[a])
            else:
                lines[a], lines[b] = lines[b], lines[a]
            text = "\n".join(lines)
    return text


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated())
def test_mutated_corpus_programs(source: str) -> None:
    check(source)


def test_corpus_is_loaded() -> None:
    assert len(SOURCES) >= 150


def test_hostile_digit_strings() -> None:
    huge = "9" * 5000
    for src in (f".program\n relu H{huge}, H0\n", f".registers\n H{huge}: i32\n", f".program\n tensor.negate H{huge}\n",
                f".program\n set H0, {huge}\n", f".registers\n H0: i32[{huge}]\n", f".meta\n version {huge}\n",
                f".program\n sigmoid H0, H0, gain={huge}\n", f".projection\n weight {huge}\n",
                f".requires\n x {huge}\n", f".program\n x.{huge}\n", f".program\n jump {huge}\n"):
        check(src)
