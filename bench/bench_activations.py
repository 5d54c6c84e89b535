"""Activation speed: ns per executed instruction for every activation (core and the activation
extension) on 64 and 4096 elements, plus a few tensor/sampling ops for scale.

Each op is timed through its bound handler (what the interpreter's run loop calls), so the figure
includes register lookup, the NumPy work and the result allocation, but not loop dispatch
(see bench_interp.py for that). Median of repeats, BLAS threads pinned to 1.
Run: python bench/bench_activations.py

Measured on the shared 2-vCPU box (quiet moments; noisy under load), ns at n=64 / n=4096:
relu 1.4k / 3.4k; core sigmoid 2.4k / 7.1k, tanh 1.3k / 6.1k, gelu 4.1k / 9.6k, softmax 9.5k / 18k;
activation.sigmoid/tanh 2.4k / 7.0k, gelu 4.2k / 9.4k, softmax 9.3k / 21k; core add 4.4k / 12.6k.
Table-driven activations cost two NumPy calls; softmax needs a reduction, a sum and a division.
"""
from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _common import median_time, print_table  # noqa: E402

import numpy as np  # noqa: E402

from ternsig.isa.encoding import Instruction  # noqa: E402
from ternsig.program import Program  # noqa: E402
from ternsig.vm.interpreter import Interpreter  # noqa: E402
from ternsig.vm.state import HotBuffer  # noqa: E402

SIZES = (64, 4096)

OPS = [
    ("core relu", Instruction(0x0000, 0x3003, 1, 0, 0, 0)),
    ("core sigmoid", Instruction(0x0000, 0x3004, 1, 0, 0, 64)),
    ("core tanh", Instruction(0x0000, 0x3005, 1, 0, 0, 0)),
    ("core softmax", Instruction(0x0000, 0x3006, 1, 0, 0, 0)),
    ("core gelu", Instruction(0x0000, 0x3007, 1, 0, 0, 0)),
    ("activation.relu", Instruction(0x0003, 0x0000, 1, 0, 0, 0)),
    ("activation.sigmoid", Instruction(0x0003, 0x0001, 1, 0, 0, 0)),
    ("activation.tanh", Instruction(0x0003, 0x0002, 1, 0, 0, 0)),
    ("activation.softmax", Instruction(0x0003, 0x0003, 1, 0, 0, 0)),
    ("activation.gelu", Instruction(0x0003, 0x0004, 1, 0, 0, 0)),
    ("core add (hot)", Instruction(0x0000, 0x3001, 1, 0, 2, 0)),
    ("tensor.add", Instruction(0x0001, 0x0001, 1, 0, 2, 0)),
    ("tensor.layernorm [n/64, 64]", Instruction(0x0001, 0x0014, 3, 1, 2, 2)),
    ("sampling.top_k (k=8)", Instruction(0x00C0, 0x0001, 1, 0, 4, 0)),
]


def bench(ins: Instruction, n: int) -> float:
    it = Interpreter(Program(instructions=[ins]))
    rng = np.random.default_rng(0)
    m = it.m
    m.hot[0] = HotBuffer(rng.integers(-3000, 3000, n).astype(np.int32), (n,))
    m.hot[2] = HotBuffer(rng.integers(-3000, 3000, n).astype(np.int32), (n,))
    m.hot[3] = HotBuffer(rng.integers(-3000, 3000, n).astype(np.int32), (n // 64, 64))
    m.hot[4] = HotBuffer(np.array([8], np.int32), (1,))
    fn = it.bind(ins)
    number = 2000 if n <= 64 else 200
    fn()
    return median_time(fn, repeats=7, number=number) * 1e9


def main() -> None:
    rows = []
    for name, ins in OPS:
        rows.append([name, *(f"{bench(ins, n):,.0f}" for n in SIZES)])
    print_table("ns per instruction (handler call, median of 7)", ["op", *(f"n={n}" for n in SIZES)], rows)


if __name__ == "__main__":
    main()
