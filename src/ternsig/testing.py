"""The test-harness runner behind ``ternsig test FILES...``: programs as their own test suites.

A test program (seed 001, tier 4) brackets each test case with ``test.test_begin N`` …
``test.test_end`` and checks its registers and chemicals with the test extension's assertions.
This runner executes each file and reports every test case by id, pytest-style: a case passes
when execution reaches its ``test.test_end``; it fails when an assertion inside it fails (the
message is the test extension's, e.g. ``[test 2] ASSERT_EQ failed at index 0: H1[0]=3 != H2[0]=4``);
it is an error when some other instruction inside it fails or traps, when the program halts or
ends before ``test.test_end``, when another ``test.test_begin`` starts first, or when the step
budget runs out.

Unlike a plain run, one failing case does not hide the rest: after a failure the runner resumes
after the next ``test.test_end`` — or at the next ``test.test_begin`` if that comes first — in
program order, with the test extension's current case cleared and the core loop and call stacks restored to their depth at the case's
``test.test_begin``. A failure outside any case stops that file and is reported against the file.

Inputs: a sidecar ``NAME.input.json`` next to ``NAME.ternsig`` may give ``input``, ``target``,
``chemical``, ``babble_scale`` and ``cold`` (the conformance corpus' input.json keys). Yields go to
``host(op, machine) -> bool`` when one is given (False stops the file like a halt); without a host
they are skipped, as ``Interpreter.run`` does, and counted in the summary.

Exit codes (pytest's): 0 all cases passed; 1 a case failed or errored; 2 a file could not be loaded
or failed outside a test case; 5 no test cases were found.
"""
from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Optional, TextIO

from .errors import TernsigError
from .inputs import apply_inputs
from .loader import load_program_file as load_program
from .extensions.assertions import TABLE as TEST_TABLE
from .isa.encoding import Instruction, reg_name
from .program import Program
from .vm.interpreter import Interpreter
from .vm.results import Status

#: the test extension's case markers, read from its table
TEST_EXT = TEST_TABLE.ext_id
TEST_BEGIN, TEST_END = TEST_TABLE.by_mnemonic["test_begin"].opcode, TEST_TABLE.by_mnemonic["test_end"].opcode
DEFAULT_FUEL = 1_000_000

PASSED, FAILED, ERROR = "passed", "failed", "error"

Host = Callable[[Any, Any], bool]


@dataclass
class CaseResult:
    """One test case (``test_id`` None: a failure outside any case, reported against the file)."""

    test_id: Optional[int]
    outcome: str                      # passed | failed | error
    message: Optional[str] = None
    pc: Optional[int] = None          # the failing instruction
    line: Optional[int] = None        # its source line, when known
    instruction: Optional[str] = None  # its disassembly
    occurrence: int = 1               # the n-th case with this id in the file

    @property
    def name(self) -> str:
        if self.test_id is None:
            return "<program>"
        return f"test_{self.test_id}" + (f"#{self.occurrence}" if self.occurrence > 1 else "")


@dataclass
class FileReport:
    path: str
    cases: list[CaseResult] = field(default_factory=list)
    load_error: Optional[str] = None  # the file could not be read or assembled
    yields_skipped: int = 0
    steps: int = 0

    @property
    def file_errors(self) -> list[CaseResult]:
        return [c for c in self.cases if c.test_id is None]


# ---- describing instructions -------------------------------------------------------------------------

def describe(ins: Instruction, registry: Any = None) -> str:
    """``test.assert_eq H1, H2``-style text for an instruction (raw words for unknown ones)."""
    from .safety.policy import spec_for

    spec = spec_for(ins, registry)
    table = registry.get(ins.ext_id) if registry is not None else None
    prefix = f"{table.name}." if ins.ext_id and table is not None else ""
    if spec is None:
        return f"<{ins}>"
    ops = ins.operands
    parts = []
    for o in spec.layout:
        if o.kind == "fix" or o.slot == "-":
            continue
        if o.slot == "CD":
            parts.append(str(ins.cd))
            continue
        v = ops["ABCD".index(o.slot)]
        parts.append(reg_name(v) if o.kind == "reg" else str(v))
    return prefix + spec.mnemonic + (" " + ", ".join(parts) if parts else "")


# ---- running one program ------------------------------------------------------------------------------

@dataclass
class _Open:
    test_id: int
    occurrence: int
    loops: int
    calls: int


def run_test_program(program: Program, path: str = "<program>", *, inputs: Optional[dict[str, Any]] = None,
                     host: Optional[Host] = None, fuel: int = DEFAULT_FUEL, registry: Any = None,
                     inputs_name: str = "inputs") -> FileReport:
    """Run one test program and report its test cases (see the module docstring for the rules).

    ``inputs`` is an ``input.json``-style object (:mod:`ternsig.inputs`); ``inputs_name`` names
    it in error messages."""
    from .extensions.assertions import state_of

    interp = Interpreter(program, registry=registry)
    m = interp.m
    report = FileReport(path)
    if inputs:
        apply_inputs(m, inputs, inputs_name)
    code = program.instructions
    n = len(code)
    seen: dict[int, int] = {}
    current: Optional[_Open] = None

    def where(pc: int) -> dict[str, Any]:
        line = program.lines[pc] if 0 <= pc < len(program.lines) else None
        text = describe(code[pc], interp.registry) if 0 <= pc < n else None
        return {"pc": pc, "line": line, "instruction": text}

    def close(outcome: str, message: Optional[str] = None, at: Optional[int] = None) -> None:
        nonlocal current
        ctx = where(at) if at is not None else {}
        report.cases.append(CaseResult(current.test_id, outcome, message, occurrence=current.occurrence,
                                       **ctx))
        current = None

    def file_error(message: str, at: Optional[int]) -> None:
        report.cases.append(CaseResult(None, ERROR, message, **(where(at) if at is not None else {})))

    steps = 0
    while True:
        if steps >= fuel:
            msg = f"step limit of {fuel} instructions reached"
            if current is not None:
                close(ERROR, msg, m.pc if m.pc < n else None)
            else:
                file_error(msg, m.pc if m.pc < n else None)
            break
        pc = m.pc
        ins = code[pc] if pc < n else None
        if ins is not None and ins.ext_id == TEST_EXT and ins.opcode == TEST_BEGIN:
            if current is not None:
                close(ERROR, f"test {current.test_id} never reached test.test_end (test {ins.a} began)", pc)
            tid = int(ins.a)
            seen[tid] = seen.get(tid, 0) + 1
            current = _Open(tid, seen[tid], len(m.loop_stack), len(m.call_stack))
        res = interp.step()
        steps += 1
        st = res.status
        if st is Status.CONTINUE or st is Status.BREAK:
            if ins is not None and ins.ext_id == TEST_EXT and ins.opcode == TEST_END and current is not None:
                close(PASSED)
            continue
        if st is Status.YIELD:
            if host is None:
                report.yields_skipped += 1
            elif not host(res.op, m):
                if current is not None:
                    close(ERROR, f"the host stopped the program inside test {current.test_id}", pc)
                break
            continue
        if st is Status.HALT or st is Status.ENDED:
            if current is not None:
                what = "halted" if st is Status.HALT else "ran past its last instruction"
                close(ERROR, f"the program {what} before test {current.test_id} reached test.test_end",
                      pc if st is Status.HALT else None)
            break
        # ERROR or TRAP
        msg = res.message or st.value
        if st is Status.TRAP and res.kind:
            msg = f"{res.kind}: {msg}"
        if current is None:
            file_error(msg, pc)
            break
        opened = current
        outcome = FAILED if ins is not None and ins.ext_id == TEST_EXT else ERROR
        close(outcome, msg, pc)
        resume = next((i for i in range(pc + 1, n)
                       if code[i].ext_id == TEST_EXT and code[i].opcode in (TEST_BEGIN, TEST_END)), None)
        if resume is None:
            break
        state_of(m).current = None
        del m.loop_stack[opened.loops:]
        del m.call_stack[opened.calls:]
        # after this case's test.test_end, or at the next case's test.test_begin if that comes first
        m.pc = resume + 1 if code[resume].opcode == TEST_END else resume
    report.steps = steps
    return report


# ---- files and the report ----------------------------------------------------------------------------------

def sidecar_path(path: Path) -> Path:
    """``NAME.input.json`` next to ``NAME.ternsig``."""
    return path.with_name(path.stem + ".input.json")


def _sidecar(side: Path) -> Optional[dict[str, Any]]:
    if not side.exists():
        return None
    try:
        spec = json.loads(side.read_bytes())
    except ValueError as exc:
        raise TernsigError(f"{side}: not valid JSON: {exc}") from None
    if not isinstance(spec, dict):
        raise TernsigError(f"{side}: must be a JSON object")
    return spec


def run_file(path: Path, *, host: Optional[Host] = None, fuel: int = DEFAULT_FUEL) -> FileReport:
    try:
        program = load_program(path)
        side = sidecar_path(path)
        inputs = _sidecar(side)
        return run_test_program(program, str(path), inputs=inputs, host=host, fuel=fuel, inputs_name=str(side))
    except OSError as exc:
        return FileReport(str(path), load_error=f"cannot read: {exc.strerror or exc}")
    except TernsigError as exc:
        return FileReport(str(path), load_error=str(exc))


_WORD = {PASSED: "PASSED", FAILED: "FAILED", ERROR: "ERROR"}


def _rule(out: TextIO, title: str, ch: str = "=", width: int = 72) -> None:
    title = f" {title} "
    left = max(3, (width - len(title)) // 2)
    out.write(ch * left + title + ch * max(3, width - left - len(title)) + "\n")


def write_report(reports: Iterable[FileReport], out: TextIO, seconds: float = 0.0) -> int:
    """Print every case, then the failure details and a summary line; return the exit code."""
    reports = list(reports)
    counts = {PASSED: 0, FAILED: 0, ERROR: 0}
    bad: list[tuple[str, CaseResult]] = []
    load_errors = 0
    file_errors = 0
    for r in reports:
        if r.load_error is not None:
            load_errors += 1
            out.write(f"{r.path} ERROR\n")
            continue
        if not r.cases:
            out.write(f"{r.path} (no test cases)\n")
        for c in r.cases:
            out.write(f"{r.path}::{c.name} {_WORD[c.outcome]}\n")
            if c.test_id is None:
                file_errors += 1
            else:
                counts[c.outcome] += 1
            if c.outcome != PASSED:
                bad.append((r.path, c))
    if bad or load_errors:
        _rule(out, "FAILURES")
        for r in reports:
            if r.load_error is not None:
                _rule(out, f"{r.path}", "_")
                out.write(f"could not load: {r.load_error}\n")
        for path, c in bad:
            _rule(out, f"{path}::{c.name}", "_")
            if c.pc is not None:
                loc = f"pc {c.pc}" + (f" (line {c.line})" if c.line else "")
                out.write(f"{loc}: {c.instruction}\n")
            out.write(f"{'E' if c.outcome == FAILED else '!'}   {c.message}\n")
    parts = [f"{counts[k]} {k}" for k in (FAILED, PASSED) if counts[k]]
    errs = counts[ERROR] + load_errors + file_errors
    if errs:
        parts.append(f"{errs} error" + ("s" if errs > 1 else ""))
    skipped = sum(r.yields_skipped for r in reports)
    if skipped:
        parts.append(f"{skipped} yield" + ("s" if skipped > 1 else "") + " skipped (no host)")
    total = sum(counts.values())
    _rule(out, (", ".join(parts) or "no test cases ran") + f" in {seconds:.2f}s")
    if load_errors or file_errors:
        return 2
    if counts[FAILED] or counts[ERROR]:
        return 1
    return 0 if total else 5


def run_test_files(paths: Iterable[Path], out: TextIO, *, host: Optional[Host] = None,
                   fuel: int = DEFAULT_FUEL) -> int:
    """Run each test program, report every case pytest-style on ``out``; return the exit code."""
    t0 = time.perf_counter()
    reports = [run_file(Path(p), host=host, fuel=fuel) for p in paths]
    return write_report(reports, out, time.perf_counter() - t0)
