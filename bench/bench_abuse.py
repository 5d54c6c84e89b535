"""Abuse figures (issue 10): what a hostile firmware or file can make a brain spend or write.

    python bench/bench_abuse.py

Prints, for a region with budget B: instructions executed and CPU time in one tick through every
nesting path (plain spin, region_fire loop, model_exec of a spinning model); work units and CPU
time of single instructions on large registers (tensor.attn 2048², embed_lookup, 1,000 adds on a
4M-element register) under the same budget; peak Python memory of
the abusive firmware (co-activation of two large registers, unbounded loop push, IPC flood); files
written outside the brain directory by hostile names; policy escapes through model reload.
"""
from __future__ import annotations

import tempfile
import time
import tracemalloc
from pathlib import Path

from ternsig.errors import TernsigError
from ternsig.host.brain import Brain

B = 20_000
REGS = "\n".join(f"    H{i}: i32[1]" for i in range(10))
EXT = {"orchestration": 7, "neuro": 5, "ipc": 9, "learning": 4, "tensor": 1, "ternary": 2}
# (also used for fw() sources assembled directly, without a brain)


def fw(program: str, regs: str = REGS) -> str:
    used = sorted(e for e in EXT if f"{e}." in program)
    req = ".requires\n" + "".join(f"    {e} 0x{EXT[e]:04X}\n" for e in used) if used else ""
    body = "\n".join("    " + ln for ln in program.strip().splitlines())
    return f"{req}.registers\n{regs}\n.program\n{body}\n"


def brain(root: Path, regions: dict[str, tuple[str, str]], config: str = "", files: dict[str, str] = {}) -> Brain:
    d = root / "brain"
    d.mkdir(parents=True)
    lines = [f"region {n} firmware={n}.ternsig role=test {o}" for n, (_, o) in regions.items()]
    for n, (src, _) in regions.items():
        (d / f"{n}.ternsig").write_text(src)
    for n, src in files.items():
        (d / n).write_text(src)
    cfg = "\n".join("    " + ln for ln in lines + [ln for ln in config.splitlines() if ln.strip()])
    (d / "boot.ternsig").write_text(f".config\n{cfg}\n.program\n    halt\n")
    b = Brain(d)
    b.boot()
    return b


SPIN = fw("spin:\njump spin")


def nesting_paths(root: Path) -> list[tuple[str, int, float]]:
    cases = {
        "spin": ({"a": (SPIN, f"budget={B}")}, "", {}),
        "region_fire x50": ({"a": (fw("loop 50\norchestration.region_fire H1, 1\nend_loop\nhalt"), f"budget={B}"),
                             "s": (SPIN, f"budget={B} ")}, "", {}),
        "model_exec spin": ({"a": (fw("orchestration.model_load H9, 0\norchestration.model_exec H1, 0\nhalt"),
                                   f"budget={B}")}, "model a 0=m.ternsig", {"m.ternsig": SPIN}),
    }
    out = []
    for i, (name, (regions, cfg, files)) in enumerate(cases.items()):
        b = brain(root / f"n{i}", regions, cfg, files)
        t0 = time.process_time()
        b.tick()
        cpu = time.process_time() - t0
        caller = b.regions[0]
        spent = caller.executed + sum(m.executed for m in b.models.regions.values())
        if name.startswith("region_fire"):
            spent += b.regions[1].executed - B        # minus the fired region's own turn
        out.append((name, spent, cpu))
    return out


def heavy_work(root: Path) -> list[tuple[str, int, int, float, str]]:
    """Instructions whose one execution can take seconds: what a region with budget B spends."""
    from ternsig.host.regionrun import WORK_PER_INSTRUCTION

    sq = "    H0: i32[2048, 2048]\n    H1: i32[2048, 2048]\n    H2: i32[2048, 2048]"
    emb = "    C0: ternary[1024, 1024]\n    H1: i32[2048]"
    cases = {
        "tensor.attn 2048x2048": (fw("tensor.attn H0, H1, H2, H3\nhalt", sq), ""),
        "1,000 embed_lookup 2048x1024": (fw("loop 1000\nternary.embed_lookup H2, C0, H1\nend_loop\nhalt", emb), ""),
        "1,000 adds on 4M": (fw("loop 1000\nadd H0, H0, H0\nend_loop\nhalt", "    H0: i32[4194304]"), ""),
        "1,000 adds on 256K": (fw("loop 1000\nadd H0, H0, H0\nend_loop\nhalt", "    H0: i32[262144]"), ""),
    }
    out = []
    for i, (name, (src, _)) in enumerate(cases.items()):
        b = brain(root / f"w{i}", {"a": (src, f"budget={B}")})
        t0 = time.process_time()
        b.tick()
        cpu = time.process_time() - t0
        r = b.regions[0]
        work = r.interp.work_left
        spent = B * WORK_PER_INSTRUCTION - work if work >= 0 else -1
        out.append((name, r.executed, spent, cpu, r.last_trap or "no trap"))
    return out


UNIT_CASES = {
    "add 4M": ("    H0: i32[4194304]\n    H1: i32[4194304]", "add H1, H0, H1"),
    "tensor.attn 512x64": ("    H0: i32[512, 64]\n    H1: i32[512, 64]\n    H2: i32[512, 64]", "tensor.attn H0, H1, H2, H3"),
    "softmax 1M": ("    H0: i32[1048576]", "softmax H1, H0"),
    "embed_lookup 2048 of 1024x1024": ("    C0: ternary[1024, 1024]\n    H1: i32[2048]", "ternary.embed_lookup H2, C0, H1"),
    "ternary_matmul 2048x2048": ("    C0: ternary[2048, 2048]\n    H1: i32[2048]", "ternary_matmul H2, C0, H1"),
}


def unit_costs() -> list[tuple[str, str, int, float]]:
    """CPU per work unit of single heavy instructions (best of 3), per tier: what a unit buys."""
    from ternsig.asm import assemble
    from ternsig.vm.compiled import numba_available, warm
    from ternsig.vm.interpreter import Interpreter

    tiers = ["interp"] + (["compiled"] if numba_available() else [])
    if "compiled" in tiers:
        warm.wait()
    out = []
    for name, (regs, ins) in UNIT_CASES.items():
        src = fw(f"{ins}\nhalt", regs)
        for tier in tiers:
            best, units = 1e9, 0
            for _ in range(3):
                it = Interpreter(assemble(src), tier=tier)
                t0 = time.process_time()
                it.run(work=10**13)
                best = min(best, time.process_time() - t0)
                units = 10**13 - it.work_left
            out.append((name, tier, units, best))
    return out


def memory(root: Path) -> list[tuple[str, int, str]]:
    big = "    H0: i32[4096]\n    H1: i32[4096]"
    cases = {
        "coact_record 4096x4096": ({"a": (fw("neuro.coact_record H0, H1\nhalt", big), "")}),
        "loop push forever": ({"a": (fw("top:\nloop 2\njump top\nend_loop"), "budget=1000000")}),
        "ipc flood": ({"a": (fw("top:\nipc.send_signal H0, 1\njump top"), "budget=1000000"),
                       "s": (fw("halt"), "")}),
    }
    out = []
    for i, (name, regions) in enumerate(cases.items()):
        b = brain(root / f"m{i}", regions)
        tracemalloc.start()
        b.tick()
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        out.append((name, peak, b.regions[0].last_trap or "no trap"))
    return out


def hostile_names(root: Path) -> tuple[int, int]:
    names = ["../escape", "/tmp/abs_escape", "a/../../escape", ".hidden", "x/../../../escape"]
    before = set(root.parent.rglob("*escape*"))
    refused = 0
    for i, n in enumerate(names):
        try:
            brain(root / f"h{i}", {"a": (fw("halt"), "")}, f"bank a 0={n}").save()
        except TernsigError:
            refused += 1
    written = len(set(root.parent.rglob("*escape*")) - before)
    return refused, written


def hostile_model_paths(root: Path) -> tuple[int, int]:
    """Model slots naming files outside the brain ('..', absolute, a symlink that appears later):
    how many are refused, and how many outside files were read (as a model that ran)."""
    caller = fw("orchestration.model_load H9, 0\norchestration.model_exec H1, 0\nhalt")
    model = fw("set H0, 5\nstore_output H0\nhalt", "    H0: i32[1]")
    (root / "outside.ternsig").parent.mkdir(parents=True, exist_ok=True)
    (root / "outside.ternsig").write_text(model)
    refused = ran = 0
    for i, name in enumerate(["../../outside.ternsig", str(root / "outside.ternsig"), "link.ternsig"]):
        try:
            b = brain(root / f"mp{i}", {"a": (caller, "")}, f"model a 0={name}",
                      {"m.ternsig": model} if name == "link.ternsig" else {})
            if name == "link.ternsig":
                (root / f"mp{i}" / "brain" / "link.ternsig").symlink_to(root / "outside.ternsig")
            b.tick()
            if b.regions[0].last_trap and "outside" in b.regions[0].last_trap:
                refused += 1
            elif b.regions[0].machine.hot[1] is not None and b.regions[0].machine.hot[1].data.tolist() == [5]:
                ran += 1
        except TernsigError:
            refused += 1
    return refused, ran


def policy_escapes(root: Path) -> int:
    """A runtime model rewritten to use a learning instruction, then reloaded: does it run?"""
    model_ok = fw("load_input H0\nstore_output H0\nhalt")
    model_bad = fw("load_input H0\nstore_output H0\nlearning.mastery_commit H0\nhalt", REGS + "\n    C0: ternary[1]")
    src = fw("if_nonzero H6, reload\norchestration.model_load H9, 0\njump run\nreload:\n"
             "orchestration.model_reload 0\nrun:\norchestration.model_exec H1, 0\nhalt")
    b = brain(root / "p", {"a": (src, "role=runtime")}, "model a 0=m.ternsig", {"m.ternsig": model_ok})
    b.tick()
    (root / "p" / "brain" / "m.ternsig").write_text(model_bad)
    b.regions[0].machine.hot[6].data[0] = 1
    b.tick()
    return int(any(ins.ext_id == 4 for ins in b.models.loaded[(0, 0)].program.instructions))


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "abuse"
        print(f"budget B = {B:,} instructions per region per tick")
        for name, spent, cpu in nesting_paths(root):
            print(f"  {name:<20} {spent:>10,} instructions  {cpu * 1e3:8.1f} ms CPU  (goal <= B: {spent <= B})")
        from ternsig.host.regionrun import WORK_PER_INSTRUCTION

        print(f"heavy instructions, same budget ({B * WORK_PER_INSTRUCTION:,} work units = B x {WORK_PER_INSTRUCTION})")
        for name, executed, spent, cpu, trap in heavy_work(root):
            print(f"  {name:<26} {executed:>6,} instructions {spent:>14,} units {cpu * 1e3:8.1f} ms CPU  {trap[-70:]}")
        print("CPU per work unit (one instruction, best of 3)")
        for name, tier, units, cpu in unit_costs():
            print(f"  {name:<32} {tier:<9} {units:>12,} units {cpu * 1e3:8.1f} ms  {cpu / units * 1e9:6.2f} ns/unit")
        print("abusive firmware: peak traced memory and outcome")
        for name, peak, trap in memory(root):
            print(f"  {name:<24} {peak / 2**20:8.2f} MiB  {trap[:90]}")
        refused, written = hostile_names(root)
        print(f"hostile bank names: {refused} of 5 refused, {written} files written outside (goal 0)")
        refused, ran = hostile_model_paths(root)
        print(f"hostile model paths: {refused} of 3 refused, {ran} outside files run as models (goal 0)")
        print(f"policy escapes through model reload: {policy_escapes(root)} (goal 0)")


if __name__ == "__main__":
    main()
