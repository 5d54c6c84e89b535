"""A Population ticked as one group against the same machines ticked one by one: random programs
over the stacked kernels (mixed with instructions that make the group fall back: branches,
yields, faults, fuel), random per-machine registers and weights, several rounds — every result,
register, output, pc and step count must agree, under both tiers."""
from __future__ import annotations

import json
import random

import numpy as np
import pytest

from ternsig import Population
from ternsig.asm import assemble
from ternsig.errors import UsageError
from ternsig.extensions.core import CORE
from ternsig.group import stacked
from ternsig.inputs import apply_inputs
from ternsig.isa.encoding import Instruction
from ternsig.program import Program
from ternsig.vm.interpreter import Interpreter
from ternsig.vm.state import ColdBuffer, HotBuffer
from tests.paths import REPO
from tests.tiers import each_tier  # noqa: F401

pytestmark = pytest.mark.usefixtures("each_tier")

STACKED = [name for name in ("nop", "load_input", "store_output", "copy_reg", "zero_reg", "set", "add",
                             "sub", "mul", "cmp_gt", "relu", "sigmoid", "shift", "clamp", "max_reduce",
                             "ternary_matmul")]
#: instructions the group does not run stacked (it falls back to one machine at a time)
OTHER = ["tanh", "concat", "if_zero", "jump"]
EDGE = [0, 1, -1, 255, -255, 2**31 - 1, -2**31, 65535, 2**20, -2**20]
VD = REPO / "tests" / "conformance" / "reasoning" / "reasoning_violation_detector__random"


def _instruction(rng: random.Random, n: int, clean: bool) -> Instruction:
    """``clean``: only stacked instructions on registers that exist (the group runs them stacked)."""
    name = rng.choice(STACKED if clean else STACKED * 4 + OTHER + ["halt"])
    spec = CORE.by_mnemonic[name]
    reg = lambda: rng.randrange(5) if clean or rng.random() < 0.95 else rng.randrange(256)  # noqa: E731
    a, b = reg(), reg()
    c = rng.randrange(6) | (rng.choice((0, 0, 0, 0x40, 0x80)) if name in ("add", "sub") else 0)
    d = rng.randrange(256)
    if name in ("jump", "if_zero"):
        c, d = 0, rng.randrange(n + 2)
    elif name in ("shift", "clamp"):
        c, d = rng.randrange(40), rng.randrange(256)
    elif name in ("ternary_matmul", "add") and rng.random() < 0.5:
        b = rng.randrange(4)
    return Instruction(0, spec.opcode, a, b, c, d)


def _value(rng: random.Random) -> int:
    return rng.choice(EDGE) if rng.random() < 0.2 else rng.randrange(-300, 300)


def _setup(m, shape_rng: random.Random, rng: random.Random, clean: bool) -> None:
    """Same register layout on every machine (``shape_rng`` replays it), own values (``rng``)."""
    for r in range(5):
        if clean or shape_rng.random() < 0.8:
            n = shape_rng.choice((0, 1, 2, 3, 8, 40))
            shape = (n,) if shape_rng.random() < 0.7 else (1, n)
            vals = [_value(rng) for _ in range(n)]
            if rng.random() < 0.5 and len(shape) == 1:
                m.hot[r] = HotBuffer.of_ints(tuple(vals), shape)
            else:
                m.hot[r] = HotBuffer(np.array(vals, np.int32), shape)
    for r in range(4):
        if shape_rng.random() < 0.8:
            rows, cols = shape_rng.choice(((2, 3), (4, 8), (1, 40), (3, 1))) if shape_rng.random() < 0.9 else (5, 0)
            shape = (rows, cols) if shape_rng.random() < 0.9 else (rows * cols,)
            k = rows * cols - (1 if shape_rng.random() < 0.1 and rows * cols else 0)
            pol = np.array([rng.choice((-1, 0, 1)) for _ in range(k)], np.int8)
            mag = np.array([rng.choice((0, 1, 128, 255)) for _ in range(k)], np.uint8)
            c = ColdBuffer(pol, mag, shape)
            if shape_rng.random() < 0.1:
                c.temps = np.array([rng.randrange(4) for _ in range(k)], np.uint8)
            m.cold[r] = c


def _state(it: Interpreter, res) -> dict:
    m = it.m
    return {"status": res.status, "message": res.message, "pc": res.pc, "kind": res.kind, "op": repr(res.op),
            "steps": it.steps, "m.pc": m.pc, "output": m.output.tolist(), "input": m.input.tolist(),
            "hot": [None if h is None else (h.view().tolist(), tuple(h.shape)) for h in m.hot]}


@pytest.mark.parametrize("seed", range(120))
def test_group_agrees_with_machines_one_by_one(seed: int) -> None:
    rng = random.Random(seed)
    n_ins = rng.randrange(1, 12)
    clean = rng.random() < 0.6
    program = Program(instructions=[_instruction(rng, n_ins, clean) for _ in range(n_ins)], registers=[])
    n = rng.choice((1, 2, 5, 17))
    fuel = rng.choice((None, None, None, 1, 3, 50) if clean else (1, 3, 50, 200))   # jumps may loop
    differ = rng.random() < 0.05          # one machine with another register layout: no stacking
    machines, refs = [], []
    for i in range(n):
        for group in (machines, refs):
            it = Interpreter(program)
            _setup(it.m, random.Random(seed * 1000 + (i if differ and i == n - 1 else 0)),
                   random.Random(seed * 1000 + 7 * i + 1), clean)
            group.append(it)
    pop = Population(program, n, machines=machines)
    in_len = rng.choice((0, 1, 5, 40))
    for _ in range(3):                     # later rounds start from what the earlier ones left
        x = np.array([[_value(rng) for _ in range(in_len)] for _ in range(n)], np.int32).reshape(n, in_len)
        pop.set_input(x)
        got = pop.run(fuel)
        want = []
        for i, it in enumerate(refs):
            it.m.set_input(x[i])
            it.m.pc = 0
            want.append(it.run(fuel))
        assert [(r.status, r.message, r.pc, r.kind) for r in got] == \
               [(r.status, r.message, r.pc, r.kind) for r in want], program.instructions
        if all(len(it.m.output) == len(refs[0].m.output) for it in refs):
            assert pop.outputs.tolist() == [it.m.output.tolist() for it in refs]
    assert [_state(pop.machine(i), got[i]) for i in range(n)] == [_state(it, want[i]) for i, it in enumerate(refs)]


def _vd_population(n: int, seed: int) -> tuple[Population, list[Interpreter], np.ndarray]:
    inp = json.loads((VD / "input.json").read_text())
    program = assemble((VD / "program.ternsig").read_text())
    rng = np.random.default_rng(seed)
    pop = Population(program, n)
    refs = []
    for i, it in enumerate(pop.machines):
        apply_inputs(it.m, inp)
        w = rng.integers(-255, 256, (16, 64))
        it.set_weights("C0", w)
        ref = Interpreter(program)
        apply_inputs(ref.m, inp)
        ref.set_weights("C0", w)
        refs.append(ref)
    x = rng.integers(-2**31, 2**31, (n, 64)) >> rng.integers(0, 32, (n, 1))    # all magnitudes
    return pop, refs, x.astype(np.int32)


def test_violation_detector_population_is_stacked_and_exact(each_tier: str) -> None:
    pop, refs, x = _vd_population(64, 3)
    for round_ in range(3):
        xr = x if round_ != 1 else (x % 256).astype(np.int32)      # small inputs: the float32 product
        out = pop.forward(xr)
        assert pop.last_path == ("stacked" if each_tier == "compiled" else "one by one")
        assert out.tolist() == [r.forward_i32(xr[i]) for i, r in enumerate(refs)]
    m = pop.machine(5)
    assert m.steps == refs[5].steps and m.m.hot[4].view().tolist() == refs[5].m.hot[4].view().tolist()


def test_population_of_a_yielding_program_falls_back() -> None:
    program = assemble(".requires\n    lifecycle 0x0008\n.registers\n    H0: i32[1]\n.program\n"
                       "    load_input H0\n    lifecycle.tick_read H0\n    store_output H0\n    halt\n")
    pop = Population(program, 3)
    res = pop.run()
    assert pop.last_path == "one by one"
    assert [r.status for r in res] == [Interpreter(program).run().status] * 3


def test_usage_errors() -> None:
    program = assemble((VD / "program.ternsig").read_text())
    pop = Population(program, 2)
    with pytest.raises(UsageError):
        pop.set_input(np.zeros((3, 64), np.int32))
    with pytest.raises(UsageError):
        pop.set_input([[2**40] * 64] * 2)
    with pytest.raises(UsageError):
        pop.set_weights("C0", np.zeros((1, 16, 64)))
    with pytest.raises(UsageError):
        Population(program, 1, machines=[Interpreter(program), Interpreter(assemble(".program\n    halt\n"))])


def test_every_stacked_kernel_is_a_core_row() -> None:
    for spec in (CORE.by_mnemonic[name] for name in STACKED):
        assert id(spec) in stacked.KERNELS
    assert stacked.plan([CORE.by_mnemonic["tanh"], CORE.by_mnemonic["halt"], None]) == [None, "halt", None]
