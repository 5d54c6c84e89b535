"""Reproduce a golden case: follows the corpus README's harness procedure exactly."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import AssemblyError, FormatError, TernsigError
from ..inputs import apply_cold, apply_inputs
from ..isa.encoding import Instruction
from ..vm.interpreter import Interpreter
from ..vm.results import Status
from ..vm.state import ColdBuffer

CASE_MARKERS = ("program.ternsig", "binary.hex", "input.thermo")


def find_cases(root: Path) -> list[Path]:
    """Every case directory at or below ``root`` (sorted)."""
    root = Path(root)
    if any((root / m).exists() for m in CASE_MARKERS):
        return [root]
    out = []
    for p in sorted(root.rglob("*")):
        if p.is_dir() and any((p / m).exists() for m in CASE_MARKERS):
            out.append(p)
    return out


def _load_json(path: Path) -> Any:
    return json.loads(path.read_text())


# ---- execution ---------------------------------------------------------------------------------

def _apply_cold(interp: Interpreter, spec: dict[str, Any]) -> None:
    """A case's ``cold`` key (kept for the benchmarks that replay cases)."""
    apply_cold(interp.m, spec)


def _cold_json(buf: ColdBuffer) -> dict[str, Any]:
    return {
        "shape": list(buf.shape),
        "weights": buf.values().tolist(),
        "polarity": buf.pol.tolist(),
        "magnitude": buf.mag.tolist(),
        "temperatures": None if buf.temps is None else buf.temps.tolist(),
        "frozen": buf.frozen,
        "dirty": buf.dirty,
        "thermogram_key": buf.key,
    }


def dump_machine(interp: Interpreter) -> dict[str, Any]:
    m = interp.m
    return {
        "output": m.output.tolist(),
        "pc": m.pc,
        "hot": {f"H{i}": {"data": h.data.tolist(), "shape": list(h.shape)}
                for i, h in enumerate(m.hot) if h is not None},
        "cold": {f"C{i}": _cold_json(c) for i, c in enumerate(m.cold) if c is not None},
        "pressure": {str(i): p.tolist() for i, p in enumerate(m.pressure) if p is not None},
        "param_nonzero": {f"P{i}": v for i, v in enumerate(m.param) if v},
        "shape_regs": {f"S{i}": list(s) for i, s in enumerate(m.shape_regs) if s},
        "chemical": m.chem.as_dict(),
        "current_error": int(m.current_error),
        "babble_scale": int(m.babble_scale),
        "babble_phase": int(m.babble_phase),
    }


def run_execution(source: str, inp: dict[str, Any]) -> dict[str, Any]:
    from ..asm import assemble

    try:
        program = assemble(source)
    except AssemblyError as exc:
        return {"status": "asm_error", "error": str(exc), "line": exc.line}
    for patch in inp.get("patch_instructions", []):
        program.instructions[patch["index"]] = Instruction.from_hex(patch["hex"])
    interp = Interpreter(program)
    m = interp.m
    apply_inputs(m, inp)

    max_steps = int(inp.get("max_steps", 100000))
    traces: list[list[int]] = []
    runs: list[dict[str, Any]] = []
    ops: list[dict[str, Any]] = []
    total = 0
    status, error = "step_limit", None
    for r in range(int(inp.get("runs", 1))):
        if r > 0:
            m.pc = 0
        trace: list[int] = []
        traces.append(trace)
        steps = 0
        status, error = "step_limit", None
        stop_all = False
        while steps < max_steps:
            trace.append(m.pc)
            res = interp.step()
            steps += 1
            st = res.status
            if st is Status.HALT:
                status = "halt"
                break
            if st is Status.ENDED:
                status = "ended"
                break
            if st is Status.ERROR:
                status, error = "error", res.message
                break
            if st is Status.TRAP:
                status, error = "trap", res.message
                stop_all = True
                break
            if st is Status.YIELD:
                ops.append({**res.op.to_json(), "run": r, "step": steps, "pc_after": m.pc})
        total += steps
        runs.append({"status": status, "error": error, "steps": steps, "output": m.output.tolist()})
        if stop_all:
            break
    out = {"status": status, "error": error, "steps": total, "trace": traces, "runs": runs}
    out.update(dump_machine(interp))
    out["domain_ops"] = ops
    return out


# ---- assembler / binary --------------------------------------------------------------------------

def run_asm_case(source: str) -> dict[str, Any]:
    from ..asm import assemble

    try:
        assemble(source)
    except AssemblyError as exc:
        return {"assemble_ok": False, "error": str(exc), "line": exc.line, "message": exc.message}
    return {"assemble_ok": True, "error": None, "line": None, "message": None}


def emit_case(case: Path) -> dict[str, Any]:
    """Everything this engine reproduces for one case directory, keyed by golden file stem."""
    case = Path(case)
    out: dict[str, Any] = {}
    if (case / "input.thermo").exists():
        from ..thermo.conformance import emit_thermo_case

        return emit_thermo_case(case)
    src_path = case / "program.ternsig"
    source = src_path.read_text() if src_path.exists() else None
    program = None
    if source is not None and ((case / "assembled.json").exists() or (case / "binary.hex").exists()):
        from ..asm import assemble

        try:
            program = assemble(source)
        except AssemblyError as exc:
            out["assembled"] = {"error": str(exc)}
            if (case / "binary.hex").exists():
                out["binary"] = {"error": str(exc)}   # refused: no bytes (a documented deviation)
    if (case / "expected.json").exists():
        if (case / "input.json").exists() and source is not None:
            out["expected"] = run_execution(source, _load_json(case / "input.json"))
        elif source is not None:
            out["expected"] = run_asm_case(source)
        else:  # binary_deser: deserialize binary.hex
            out["expected"] = _deserialize_json((case / "binary.hex").read_text().strip())
    if program is not None:
        from ..binary import program_json, serialize

        if (case / "assembled.json").exists():
            out["assembled"] = program_json(program)
        if (case / "binary.hex").exists():
            try:
                out["binary"] = serialize(program).hex()
            except TernsigError as exc:
                out["binary"] = {"error": str(exc)}
    if (case / "deserialized.json").exists():
        out["deserialized"] = _deserialize_json((case / "binary.hex").read_text().strip())
    return out


def _deserialize_json(hex_text: str) -> dict[str, Any]:
    from ..binary import header_json, program_json, read_tvmr

    try:
        program, header = read_tvmr(bytes.fromhex(hex_text))
    except FormatError as exc:
        return {"error": str(exc)}
    d = program_json(program)
    if header is not None:
        d["header"] = header_json(header)
    return d
