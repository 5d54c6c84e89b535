"""Interpreter speed: ns per cheap instruction, ns per tick of the reasoning programs, assemble time.

Reference engine on this 2-core machine: 30 ns per `add`, 1.17 µs per violation_detector tick.
Goals here: < 300 ns per cheap instruction, < 6 µs per violation_detector tick.
Run: python bench/bench_interp.py
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _common import median_time, print_table  # noqa: E402

from ternsig.asm import assemble  # noqa: E402
from ternsig.conformance.runner import _apply_cold  # noqa: E402
from ternsig.vm.interpreter import Interpreter  # noqa: E402

CORPUS = Path(__file__).resolve().parent.parent / "tests" / "conformance" / "reasoning"

LOOPS = {
    "nop": "nop",
    "add (1 element)": "add H0, H0, H1",
    "set": "set H2, 7",
    "add (64 elements)": "add H3, H3, H4",
}


def cheap_loop(body: str, iterations: int = 20000) -> tuple[float, int]:
    src = f"""
.registers
    H0: i32[1]
    H1: i32[1]
    H2: i32[1]
    H3: i32[64]
    H4: i32[64]
.program
    loop {iterations}
        {body}
        {body}
        {body}
        {body}
    end_loop
    halt
"""
    prog = assemble(src)

    def run():
        it = Interpreter(prog)
        it.run()
        return it.steps

    steps = run()
    return median_time(run, repeats=5), steps


def reasoning_tick(name: str) -> tuple[float, float]:
    case = CORPUS / f"reasoning_{name}__random"
    src = (case / "program.ternsig").read_text()
    inp = json.loads((case / "input.json").read_text())
    prog = assemble(src)
    it = Interpreter(prog)
    _apply_cold(it, inp.get("cold", {}))
    x = inp["input"]
    it.forward_i32(x)
    steps_per_tick = it.steps
    t = median_time(lambda: it.forward_i32(x), repeats=7, number=2000)
    return t, t / steps_per_tick


def main() -> None:
    rows = []
    for label, body in LOOPS.items():
        t, steps = cheap_loop(body)
        rows.append([label, f"{t / steps * 1e9:.0f}"])
    print_table("Cheap instruction loop (4 ops + end_loop per iteration)", ["instruction", "ns/instr"], rows)

    rows = []
    for name in ("rule_encoder", "state_encoder", "violation_detector"):
        t, per_ins = reasoning_tick(name)
        rows.append([name, f"{t * 1e6:.2f}", f"{per_ins * 1e9:.0f}"])
    print_table("Reasoning programs (forward_i32 per tick)", ["program", "µs/tick", "ns/instr"], rows)

    src = (CORPUS / "reasoning_violation_detector__random" / "program.ternsig").read_text()
    t = median_time(lambda: assemble(src), repeats=7, number=200)
    print_table("Assembler", ["program", "µs/assemble"], [["violation_detector", f"{t * 1e6:.1f}"]])


if __name__ == "__main__":
    main()
