"""The ``ternsig`` command's package: registration tables, --version, help with examples."""
from __future__ import annotations

import argparse

import pytest

import ternsig
from ternsig.cli import BRAIN_COMMANDS, COMMANDS, build_parser, main


def _subcommands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


def test_version(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["--version"])
    assert exc.value.code == 0
    assert capsys.readouterr().out.strip() == f"ternsig {ternsig.__version__}"


def test_every_command_is_registered_from_its_module():
    names = set(_subcommands(build_parser()))
    assert {"asm", "disasm", "inspect", "run", "spec", "test", "validate", "watch", "demo", "card",
            "brain"} <= names
    assert "run" in _subcommands(_subcommands(build_parser())["brain"])
    assert "program" in COMMANDS and "brain" in BRAIN_COMMANDS


def _leaves(parser, path=()):
    subs = _subcommands(parser)
    if not subs:
        yield path, parser
    for name, p in subs.items():
        yield from _leaves(p, path + (name,))


@pytest.mark.parametrize("path,parser", list(_leaves(build_parser())), ids=lambda v: " ".join(v) if isinstance(v, tuple) else "")
def test_every_command_has_a_description_and_examples(path, parser):
    text = parser.format_help()
    assert parser.description, path
    assert "examples:\n  ternsig " in text, path


def test_no_command_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as exc:
        main([])
    assert exc.value.code == 2
    assert "exit codes: 0 ok, 1 error or trap, 2 usage error, 130 interrupted" in build_parser().format_help()


def test_output_closed_early_exits_141_without_a_message(tmp_path):
    """`ternsig disasm BIG | head -1`: the reader exits, the command stops quietly (no "Broken pipe")."""
    import subprocess
    import sys

    src = tmp_path / "big.ternsig"
    src.write_text(".registers\n    H0: i32[4]\n.program\n" + "    nop\n" * 40_000 + "    halt\n")
    import os

    # buffered stdout, as a terminal user has it (PYTHONUNBUFFERED makes a write to a closed pipe a
    # silent short write instead of an error)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}
    p = subprocess.Popen([sys.executable, "-m", "ternsig", "disasm", str(src)], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, env=env)
    assert p.stdout is not None and p.stderr is not None
    first = p.stdout.readline()
    p.stdout.close()                      # the listing is far larger than a pipe's buffer (64 KiB)
    err = p.stderr.read()
    assert p.wait(timeout=120) == 141, err
    assert first and err == b""
