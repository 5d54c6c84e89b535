"""Every code example of the guide pages runs, and shows what it prints.

How a page is read, block by block in page order, in a fresh temporary directory:

- ```` ```ternsig title="NAME" ```` / ```` ```json title="NAME" ```` / ```` ```csv title="NAME" ````:
  the file NAME is written there (later blocks may use it). Every ``ternsig`` block — titled or
  not — must assemble (one with a ``.config`` section must also be a valid boot program), except
  a block whose first line starts with ``; refused``: that one must be refused by the assembler.
- ```` ```console ````: each ``$ ternsig ...`` line is run (in-process, ``ternsig.cli.main``) and
  the lines after it, up to the next ``$`` line, are what it must print (stdout, then stderr;
  trailing spaces ignored). A last line ``[exit N]`` states a non-zero exit status.
- ```` ```python ````: run in one namespace per page; if the very next block is ```` ```text ````,
  that is exactly what the block must print.

Blocks in other languages (``bash`` install lines, ``text`` diagrams) are not run.
"""
from __future__ import annotations

import contextlib
import io
import re
import shlex
from pathlib import Path

import pytest

from tests.paths import REPO
from ternsig.asm import assemble
from ternsig.errors import AssemblyError
from ternsig.host.config import parse_config

DOCS = REPO / "docs"
#: the guide pages whose examples are run (the engine pages describe internals and figures)
GUIDE = ["language.md", "roles.md", "schemas.md", "learning.md", "tutorial.md", "editors.md"]

_FENCE = re.compile(r"^```([\w-]*)([^\n]*)\n(.*?)^```\s*$", re.M | re.S)
_TITLE = re.compile(r'title="([^"]+)"')


def blocks(page: str) -> list[tuple[str, str, str, int]]:
    """(language, title, body, line) of every fenced block of a page."""
    text = (DOCS / page).read_text()
    out = []
    for m in _FENCE.finditer(text):
        title = _TITLE.search(m.group(2))
        out.append((m.group(1), title.group(1) if title else "", m.group(3), text.count("\n", 0, m.start()) + 1))
    return out


def _run_cli(argv: list[str]) -> tuple[int, str]:
    from ternsig.cli import main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(argv)
        except SystemExit as exc:          # argparse usage errors and --help
            code = int(exc.code or 0)
    return code, out.getvalue() + err.getvalue()


def _console(body: str, where: str) -> None:
    cmds: list[tuple[str, list[str]]] = []
    for line in body.splitlines():
        if line.startswith("$ "):
            cmds.append((line[2:], []))
        else:
            assert cmds, f"{where}: console output before any command"
            cmds[-1][1].append(line)
    for cmd, expected in cmds:
        argv = shlex.split(cmd)
        assert argv[0] == "ternsig", f"{where}: only ternsig commands are run: {cmd}"
        want_code = 0
        if expected and re.fullmatch(r"\[exit \d+\]", expected[-1]):
            want_code = int(expected.pop()[6:-1])
        code, printed = _run_cli(argv[1:])
        got = [ln.rstrip() for ln in printed.rstrip("\n").splitlines()]
        assert (code, got) == (want_code, [ln.rstrip() for ln in expected]), f"{where}: $ {cmd}\n{printed}"


@pytest.mark.parametrize("page", GUIDE)
def test_guide_examples_run_as_shown(page, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "xdg"))
    bs = blocks(page)
    namespace: dict = {"__name__": "__doc_example__"}
    ran = 0
    for i, (lang, title, body, line) in enumerate(bs):
        where = f"{page}:{line}"
        if title and lang in ("ternsig", "json", "csv", "text"):
            (tmp_path / title).parent.mkdir(parents=True, exist_ok=True)
            (tmp_path / title).write_text(body)
        if lang == "ternsig" and body.startswith("; refused"):
            with pytest.raises(AssemblyError):
                assemble(body, source_name=where)
            ran += 1
        elif lang == "ternsig":
            assemble(body, source_name=where)
            if re.search(r"^\s*\.config\b", body, re.M | re.I):
                parse_config(body, where)
            ran += 1
        elif lang == "console":
            _console(body, where)
            ran += 1
        elif lang == "python":
            out = io.StringIO()
            with contextlib.redirect_stdout(out):
                exec(compile(body, where, "exec"), namespace)      # the page's own example code
            nxt = bs[i + 1] if i + 1 < len(bs) else None
            if nxt is not None and nxt[0] == "text" and not nxt[1]:
                assert out.getvalue() == nxt[2], f"{where}: printed\n{out.getvalue()}"
            ran += 1
    assert ran, f"{page} has no runnable example"


def test_every_guide_page_is_in_the_site_nav():
    nav = (REPO / "mkdocs.yml").read_text()
    for page in GUIDE:
        assert f" {page}" in nav, page
