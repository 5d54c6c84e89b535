"""The compiled tier against the interpreter: random programs over the compiled instructions (and a
few that fall back), run under both tiers, must leave identical machines and results."""
from __future__ import annotations

import random

import numpy as np
import pytest

from ternsig.errors import UsageError
from ternsig.extensions.core import CORE
from ternsig.isa.encoding import Instruction
from ternsig.program import Program
from ternsig.vm.compiled import resolve_tier, warm
from ternsig.vm.compiled.kernels import compiled_specs, kernel_of
from ternsig.vm.interpreter import Interpreter
from ternsig.vm.state import ColdBuffer, HotBuffer

COMPILED = [s.mnemonic for s in compiled_specs()]
#: instructions without a kernel, mixed in so fallbacks interleave with compiled runs
FALLBACK = ["tanh", "softmax", "gelu", "argmax", "concat", "slice", "ternary_add_bias"]


@pytest.fixture(autouse=True, scope="module")
def _loaded() -> None:
    warm.wait()                  # every compiled run below goes through the compiled loop


EDGE = [0, 1, -1, 255, -255, 2**31 - 1, -2**31, 65535, 2**20, -2**20]


def _random_instruction(rng: random.Random, n: int) -> Instruction:
    name = rng.choice(COMPILED * 3 + FALLBACK)
    spec = CORE.by_mnemonic[name]
    reg = lambda: rng.randrange(6) if rng.random() < 0.9 else rng.randrange(256)  # noqa: E731
    a, b = reg(), reg()
    c = rng.randrange(6) | (rng.choice((0, 0, 0, 0x40, 0x80)) if name in ("add", "sub") else 0)
    d = rng.randrange(256)
    if name in ("jump", "call", "if_zero", "if_nonzero"):
        c, d = 0, rng.randrange(n + 2)
    elif name == "loop":
        c, d = 0, rng.randrange(4)
    elif name in ("shift", "clamp"):
        c, d = rng.randrange(40), rng.randrange(256)
    elif name in ("ternary_matmul", "add") and rng.random() < 0.5:
        b = rng.randrange(4)
    return Instruction(0, spec.opcode, a, b, c, d)


def _setup(it: Interpreter, rng: random.Random) -> None:
    m = it.m
    for r in range(5):
        if rng.random() < 0.8:
            n = rng.choice((0, 1, 2, 3, 8, 40))
            vals = [rng.choice(EDGE) if rng.random() < 0.3 else rng.randrange(-300, 300) for _ in range(n)]
            if rng.random() < 0.5:
                m.hot[r] = HotBuffer.of_ints(tuple(vals), (n,))
            else:
                m.hot[r] = HotBuffer(np.array(vals, np.int32), (n,) if rng.random() < 0.7 else (1, n))
    for r in range(4):
        if rng.random() < 0.8:
            rows, cols = rng.choice(((2, 3), (4, 8), (1, 40), (3, 1))) if rng.random() < 0.9 else (5, 0)
            shape = (rows, cols) if rng.random() < 0.9 else (rows * cols,)
            k = rows * cols - (1 if rng.random() < 0.1 and rows * cols else 0)
            pol = np.array([rng.choice((-1, 0, 1)) for _ in range(k)], np.int8)
            mag = np.array([rng.choice((0, 1, 128, 255)) for _ in range(k)], np.uint8)
            c = ColdBuffer(pol, mag, shape)
            if rng.random() < 0.15:
                c.temps = np.array([rng.randrange(4) for _ in range(k)], np.uint8)
            m.cold[r] = c
    m.set_input([rng.choice(EDGE) if rng.random() < 0.3 else rng.randrange(-999, 999)
                 for _ in range(rng.choice((0, 1, 5, 40)))])


def _state(it: Interpreter, res) -> dict:
    m = it.m
    return {
        "status": res.status, "message": res.message, "pc": res.pc, "kind": res.kind,
        "op": repr(res.op), "steps": it.steps, "m.pc": m.pc,
        "hot": [None if h is None else (h.view().tolist(), tuple(h.shape)) for h in m.hot],
        "output": m.output.tolist(), "loops": [list(x) for x in m.loop_stack],
        "calls": list(m.call_stack),
    }


def _run(program: Program, tier: str, seed: int, fuel: int, rounds: int) -> list[dict]:
    it = Interpreter(program, tier=tier)
    _setup(it, random.Random(seed))
    out = []
    for _ in range(rounds):          # later rounds start from the state the earlier ones left
        res = it.run(fuel)
        out.append(_state(it, res))
        it.m.pc = 0
    return out


@pytest.mark.parametrize("seed", range(300))
def test_random_programs_agree(seed: int, monkeypatch: pytest.MonkeyPatch) -> None:
    import ternsig.vm.compiled as C

    # every kernel enters the loop, however short its run (where a run enters is a cost choice
    # with the same results; here the kernels themselves are what is compared)
    monkeypatch.setattr(C, "MIN_RUN", 1)
    monkeypatch.setattr(C, "MIN_RUN_MIXED", 1)
    rng = random.Random(seed)
    n = rng.randrange(1, 16)
    program = Program(instructions=[_random_instruction(rng, n) for _ in range(n)], registers=[])
    fuel = rng.choice((1, 2, 7, 50, 300))
    ref = _run(program, "interp", seed, fuel, 3)
    got = _run(program, "compiled", seed, fuel, 3)
    assert got == ref, program.instructions


def test_every_compiled_spec_is_a_core_row_with_a_handler() -> None:
    for spec in compiled_specs():
        assert CORE.by_opcode[spec.opcode] is spec and spec.handler is not None
        assert kernel_of(spec) != 0
    assert kernel_of(CORE.by_mnemonic["tanh"]) == 0


def test_tier_selection(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TERNSIG_TIER", raising=False)
    assert resolve_tier() == "compiled"
    monkeypatch.setenv("TERNSIG_TIER", "interp")
    assert resolve_tier() == "interp" and Interpreter().tier == "interp"
    assert Interpreter(tier="compiled").tier == "compiled"
    with pytest.raises(UsageError):
        resolve_tier("fast")


def test_registers_are_views_of_the_heap_and_handlers_see_them() -> None:
    from ternsig.vm.compiled import MIN_RUN_MIXED, warm

    warm.wait()
    add = CORE.by_mnemonic["add"].opcode
    tanh = CORE.by_mnemonic["tanh"].opcode
    # a run of kernels long enough to enter the loop (CompiledCode.kinds), then a fallback
    run = [Instruction(0, add, 3 + k, 0, 0, 0) for k in range(MIN_RUN_MIXED - 1)]
    prog = Program(instructions=run + [Instruction(0, add, 1, 0, 0, 0), Instruction(0, tanh, 2, 1, 0, 0)],
                   registers=[])
    ref, it = Interpreter(prog, tier="interp"), Interpreter(prog, tier="compiled")
    for x in (ref, it):
        x.m.hot[0] = HotBuffer(np.arange(40, dtype=np.int32), (40,))
        x.run().raise_for_trap()
    h1 = it.m.hot[1]
    assert h1.view().base is it._cx.heap.heap          # a view of the compiled loop's memory
    assert h1.view().tolist() == [2 * v for v in range(40)]
    assert it.m.hot[2].view().tolist() == ref.m.hot[2].view().tolist()   # tanh (Python) read the view


def test_heap_grows_and_old_views_keep_their_values() -> None:
    load = CORE.by_mnemonic["load_input"].opcode
    prog = Program(instructions=[Instruction(0, load, r, 0xFF, 0, 0) for r in range(8)], registers=[])
    it = Interpreter(prog, tier="compiled")
    seen = []
    for k in range(6):
        it.m.pc = 0
        it.m.set_input(list(range(k, k + 3000)))
        it.run().raise_for_trap()
        seen.append(it.m.hot[7].data)
    assert [s.tolist()[:2] for s in seen] == [[k, k + 1] for k in range(6)]


def test_short_runs_between_fallbacks_run_in_their_handlers_long_runs_enter_the_loop() -> None:
    from ternsig.vm.compiled import MIN_RUN, MIN_RUN_MIXED, CompiledCode

    op = {n: CORE.by_mnemonic[n].opcode for n in ("add", "tanh", "halt", "loop", "end_loop", "jump")}
    ins = lambda n, a=1, b=0, c=0, d=0: Instruction(0, op[n], a, b, c, d)   # noqa: E731
    spec_of = Interpreter(Program(instructions=[], registers=[]), tier="interp")._spec_of
    n = MIN_RUN_MIXED
    code = [ins("tanh", 2, 1), ins("add"), ins("tanh", 2, 1)] + [ins("add")] * n \
        + [ins("tanh", 2, 1), ins("loop", 0, 0, 0, 2), ins("end_loop"), ins("halt"), ins("tanh", 2, 1),
           ins("add"), ins("jump", 0, 0, 0, 0), ins("tanh", 2, 1), ins("add"), ins("jump", 0, 0, 0, 99)]
    cx = CompiledCode(code, spec_of)
    kinds = cx.kinds
    assert cx.min_run == MIN_RUN_MIXED and cx.enters
    assert kinds[:3] == [False, False, False]            # a lone add between fallbacks
    assert kinds[3:3 + n] == [True] + [False] * (n - 1)  # from each pc: what is left of the run
    assert kinds[3 + n:3 + n + 4] == [False, True, True, False]   # a loop is worth an entry, a lone halt not
    assert kinds[3 + n + 4:] == [False, True, True, False, False, False]   # a jump back is, one forward not
    short = CompiledCode([ins("add")] * MIN_RUN + [ins("halt")], spec_of)   # no fallbacks: MIN_RUN
    assert short.min_run == MIN_RUN and short.kinds == [True, True, False, False]
    assert not CompiledCode([ins("tanh", 2, 1), ins("add"), ins("halt")], spec_of).enters
