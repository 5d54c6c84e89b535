"""pytest plugin (entry point ``pytest11``): ``.ternsig`` test programs collected and reported by pytest.

Installed with the package, so ``pytest`` in a project that uses ternsig collects every file named
``test_*.ternsig`` or ``*_test.ternsig`` (the ``ternsig_files`` ini option changes the patterns)
under the paths pytest searches. Each test case of a program (``test.test_begin N`` …
``test.test_end``) becomes one pytest test, ``FILE::test_N``; a failure outside any case (or a
file that does not assemble) is one failing test, ``FILE::<program>``. A failing assertion shows
the program line it comes from::

    [test 3] ASSERT_EQ failed at index 0: H2[0]=3 != H1[0]=4
    tests/test_forward.ternsig:36: pc 11: test.assert_eq H2, H1
    >       test.assert_eq H2, H1           ; relu is idempotent

The rules (what passes, what fails, what is an error, ``NAME.input.json`` sidecars) are the ones of
``ternsig test`` (:mod:`ternsig.testing`): each file is run once, when it is collected; its cases
then report their outcome. ``--ternsig-fuel N`` bounds the instructions of each file.
"""
from __future__ import annotations

import fnmatch
from pathlib import Path
from typing import Any, Iterator, Optional

import pytest

DEFAULT_PATTERNS = ("test_*.ternsig", "*_test.ternsig")


def pytest_addoption(parser: Any) -> None:
    parser.addini("ternsig_files", type="args", default=list(DEFAULT_PATTERNS),
                  help="glob patterns of .ternsig test programs pytest collects (default: test_*.ternsig *_test.ternsig)")
    group = parser.getgroup("ternsig")
    group.addoption("--ternsig-fuel", type=int, default=None, metavar="N",
                    help="instruction budget of each .ternsig test program (default 1,000,000)")


def pytest_collect_file(file_path: Path, parent: Any) -> Optional["TernsigFile"]:
    if file_path.suffix != ".ternsig":
        return None
    patterns = parent.config.getini("ternsig_files")
    if not any(fnmatch.fnmatch(file_path.name, p) for p in patterns):
        return None
    return TernsigFile.from_parent(parent, path=file_path)


class TernsigFailure(Exception):
    """A case that failed or errored: what ``repr_failure`` prints."""

    def __init__(self, case: Any, source_line: Optional[str]):
        super().__init__(case.message if case is not None else "could not load")
        self.case = case
        self.source_line = source_line


class TernsigFile(pytest.File):
    def collect(self) -> Iterator["TernsigCase"]:
        from .testing import DEFAULT_FUEL, run_file

        fuel = self.config.getoption("ternsig_fuel", None) or DEFAULT_FUEL
        report = run_file(Path(self.path), fuel=fuel)
        if report.load_error is not None:
            yield TernsigCase.from_parent(self, name="<program>", case=None, load_error=report.load_error)
            return
        try:
            self.lines = Path(self.path).read_text(errors="replace").splitlines()
        except OSError:
            self.lines = []
        for case in report.cases:
            yield TernsigCase.from_parent(self, name=case.name, case=case, load_error=None)


class TernsigCase(pytest.Item):
    def __init__(self, *, case: Any, load_error: Optional[str], **kw: Any):
        super().__init__(**kw)
        self.case = case
        self.load_error = load_error

    def runtest(self) -> None:
        from .testing import PASSED

        if self.load_error is not None:
            raise TernsigFailure(None, None)
        if self.case.outcome != PASSED:
            line = self.case.line
            lines = getattr(self.parent, "lines", [])
            text = lines[line - 1] if line and 0 < line <= len(lines) else None
            raise TernsigFailure(self.case, text)

    def repr_failure(self, excinfo: Any, style: Any = None) -> str:
        if not isinstance(excinfo.value, TernsigFailure):
            return super().repr_failure(excinfo)
        if self.load_error is not None:
            return f"could not load: {self.load_error}"
        c = excinfo.value.case
        # the first line is what pytest's short summary shows: the message itself
        out = [c.message if c.outcome == "failed" else f"error (not an assertion): {c.message}"]
        if c.pc is not None:
            where = f"{self.path}:{c.line}" if c.line else str(self.path)
            out.append(f"{where}: pc {c.pc}: {c.instruction}")
        if excinfo.value.source_line is not None:
            out.append(f">       {excinfo.value.source_line.strip()}")
        return "\n".join(out)

    def reportinfo(self) -> tuple[Any, Optional[int], str]:
        line = self.case.line if self.case is not None and self.case.line else None
        return self.path, (line - 1 if line else None), self.name
