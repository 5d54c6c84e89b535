"""The interpreter tier against the compiled tier, one JSON line per workload and tier::

    {"workload": NAME, "tier": "interp"|"compiled", "per_op_ns": X, "reference_ns": R}

Workloads (the shapes of the side-by-side harness in ../shared/perf): ticks of the three reasoning
corpus programs on their corpus inputs (vd_tick, rule_encoder_tick, state_encoder_tick; input
reloaded each tick); mastery_update + mastery_commit on 64×64 and 256×256 weights; ``nop`` and a
1-element ``add`` per instruction inside a 100×10 loop; the file paths from bench_files.py;
vd_group1024 (per region: 1,024 violation_detector machines, each with its own weights and
input, ticked as one ternsig.Population); example_brain_tick (the bundled brain, per
tick). ``reference_ns`` is the reference's recorded figure (Rust 1.4.0, release, one thread, this
machine type, 2026-12-02). A first line reports the compiled loop's load time in this process
(``first_compile_s``: cold when Numba's cache is empty).

    python bench/bench_tiers.py [--only vd_tick,nop] [--tier compiled]
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Callable

sys.path.insert(0, str(Path(__file__).parent))
import _common  # noqa: E402,F401  (pins BLAS threads)

import numpy as np  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
REASONING = REPO / "tests" / "conformance" / "reasoning"
EXAMPLE = REPO / "src" / "ternsig" / "examples" / "brain"
REFERENCE_NS = {"vd_tick": 3294.7, "rule_encoder_tick": 1759.9, "state_encoder_tick": 2440.8,
                "mastery64": 34151.1, "mastery256": 544705.7, "add1": 91.4, "nop": 10.2,
                "assemble_vd": 11648.1, "serialize_vd": 1596.9, "deserialize_vd": 959.1,
                "vd_group1024": 3294.7}
REPS = 5

LOOP_SRC = """.registers
    H0: i32[1]
    H1: i32[1]
.program
    load_input H1
    loop 100
{body}
    end_loop
    store_output H0
    halt
"""
MASTERY_SRC = """.registers
    C0: ternary[{n}, {n}]
    H0: i32[{nn}]
    H1: i32[1]
.program
    load_input H0
    set H1, 1
    halt
    mastery_update C0, H0, H1
    mastery_commit C0
    halt
"""


#: 0: wall time; 1: thread-CPU time (--cpu: what the hidden checks compare on a shared machine)
CLOCK = 0


def _time(op: Callable[[], object], div: int = 1) -> float:
    return _common.calibrated_ns(op, div, REPS)[CLOCK]


def _tick(it, x, entry: int = 0, reload: bool = True) -> Callable[[], object]:
    m = it.m

    def op():
        m.pc = entry
        if reload:
            m.set_input(x)
        return it.run()

    return op


def _case(name: str, tier: str):
    from ternsig.asm import assemble
    from ternsig.inputs import apply_inputs
    from ternsig.vm.interpreter import Interpreter

    d = REASONING / f"reasoning_{name}__random"
    inp = json.loads((d / "input.json").read_text())
    it = Interpreter(assemble((d / "program.ternsig").read_text()), tier=tier)
    apply_inputs(it.m, inp)
    return it, np.asarray(inp.get("input", []), np.int32), assemble, apply_inputs, Interpreter, inp, d


def tick_ns(name: str, tier: str) -> float:
    it, x = _case(name, tier)[:2]
    return _time(_tick(it, x))


def loop_ns(body: str, tier: str) -> float:
    from ternsig.asm import assemble
    from ternsig.vm.interpreter import Interpreter

    it = Interpreter(assemble(LOOP_SRC.format(body="\n".join(["        " + body] * 10))), tier=tier)
    x = np.array([1], np.int32)
    op = _tick(it, x)
    s0 = it.steps
    op()
    return _time(op, it.steps - s0)


def mastery_ns(n: int, tier: str) -> float:
    from ternsig.asm import assemble
    from ternsig.vm.interpreter import Interpreter

    rng = np.random.default_rng(5)
    it = Interpreter(assemble(MASTERY_SRC.format(n=n, nn=n * n)), tier=tier)
    w = it.m.cold[0]
    vals = rng.integers(-255, 256, n * n)
    w.pol[:] = np.sign(vals)
    w.mag[:] = np.abs(vals)
    w.touch()
    it.m.chem.dopamine = 200
    it.m.set_input(rng.integers(0, 256, n * n).tolist())
    it.run().raise_for_trap()
    return _time(_tick(it, None, entry=3, reload=False))


def group_ns(tier: str, regions: int = 1024) -> float:
    """Per region: ``regions`` violation_detector machines (each its own weights and input) ticked
    as one :class:`ternsig.Population` (stacked under the compiled tier, one by one under interp)."""
    from ternsig.group import Population

    it0, x, assemble, apply_inputs, Interpreter, inp, d = _case("violation_detector", tier)
    pop = Population(assemble((d / "program.ternsig").read_text()), regions, tier=tier)
    rng = np.random.default_rng(11)
    for it in pop.machines:
        apply_inputs(it.m, inp)
        it.set_weights("C0", rng.integers(-255, 256, (16, 64)))
    xs = np.tile(x, (regions, 1))
    xs[1:] = rng.integers(-255, 256, xs[1:].shape)

    def all_regions():
        pop.set_input(xs)
        return pop.run()

    all_regions()
    ns = _time(all_regions, regions)
    if tier == "compiled" and pop.last_path != "stacked":
        raise SystemExit(f"vd_group1024 did not run stacked ({pop.last_path})")
    return ns


def brain_ns(tier: str) -> float:
    from ternsig.host.brain import Brain

    old = os.environ.get("TERNSIG_TIER")
    os.environ["TERNSIG_TIER"] = tier
    if tier == "compiled":
        from ternsig.vm.compiled import warm

        warm.wait()          # else the timed ticks run in the interpreter while the loop loads
    work = Path(tempfile.mkdtemp(prefix="bench-tiers-"))
    try:
        shutil.copytree(EXAMPLE, work / "brain")
        b = Brain(work / "brain", state_dir=work / "state")
        b.run(100)
        block = 100
        return _time(lambda: b.run(block), block)
    finally:
        shutil.rmtree(work, ignore_errors=True)
        if old is None:
            os.environ.pop("TERNSIG_TIER", None)
        else:
            os.environ["TERNSIG_TIER"] = old


def workloads() -> dict[str, Callable[[str], float]]:
    out: dict[str, Callable[[str], float]] = {
        "vd_tick": lambda t: tick_ns("violation_detector", t),
        "rule_encoder_tick": lambda t: tick_ns("rule_encoder", t),
        "state_encoder_tick": lambda t: tick_ns("state_encoder", t),
        "mastery64": lambda t: mastery_ns(64, t),
        "mastery256": lambda t: mastery_ns(256, t),
        "nop": lambda t: loop_ns("nop", t),
        "add1": lambda t: loop_ns("add H0, H0, H1", t),
    }
    from bench_files import file_ops, measure

    for name, op in file_ops().items():
        out[name] = lambda t, name=name, op=op: measure(name, op, t)["per_op_ns"]
    out["vd_group1024"] = group_ns
    out["example_brain_tick"] = brain_ns
    return out


def first_compile_s() -> float:
    t0 = time.perf_counter()
    from ternsig.asm import assemble
    from ternsig.vm.interpreter import Interpreter

    it = Interpreter(assemble(".registers\n    H0: i32[1]\n.program\n    nop\n    halt\n"), tier="compiled")
    it.run()
    from ternsig.vm.compiled.warm import wait

    wait()       # the loop loads in the background; measure the compiled tier only once it is in
    return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--only", help="comma-separated workload names")
    ap.add_argument("--tier", default="interp,compiled", help="comma-separated tiers")
    ap.add_argument("--cpu", action="store_true", help="thread-CPU time instead of wall time")
    args = ap.parse_args()
    global CLOCK
    CLOCK = 1 if args.cpu else 0
    print(json.dumps({"first_compile_s": round(first_compile_s(), 3)}), flush=True)
    wl = workloads()
    names = args.only.split(",") if args.only else list(wl)
    for name in names:
        for tier in args.tier.split(","):
            ns = wl[name](tier)
            print(json.dumps({"workload": name, "tier": tier, "per_op_ns": round(ns, 1),
                              "reference_ns": REFERENCE_NS.get(name)}), flush=True)


if __name__ == "__main__":
    main()
