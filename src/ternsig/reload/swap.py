"""Swapping a verified program into a running interpreter or brain region at a tick boundary,
keeping learned state (cold buffers with temperatures and usage, and pressure) where keys and
shapes allow; :class:`ReloadReport` says what was kept, dropped and fresh."""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Optional

from ..errors import TernsigError
from ..isa.encoding import COLD_REGS, HOT_REGS, reg_file, reg_index, reg_name
from ..program import Program
from ..vm.interpreter import Interpreter
from .verify import ReloadRejected


@dataclass
class ReloadReport:
    """What a swap kept and what it dropped (register names, with a reason for each drop)."""

    instructions: int
    registers: int
    kept: list[str] = field(default_factory=list)       # cold registers whose learned state survived
    dropped: list[str] = field(default_factory=list)    # "C2 (shape [4, 16] → [8, 16])", ...
    fresh: list[str] = field(default_factory=list)      # cold registers the new program starts zeroed
    elapsed_s: float = 0.0
    path: Optional[Path] = None

    @property
    def cold_preserved(self) -> bool:
        """The reference's single flag: at least one cold register kept its weights."""
        return bool(self.kept)

    def summary(self) -> str:
        parts = [f"{self.instructions} instructions"]
        if self.kept:
            parts.append("kept " + ", ".join(self.kept))
        if self.dropped:
            parts.append("dropped " + ", ".join(self.dropped))
        if self.fresh:
            parts.append("fresh " + ", ".join(self.fresh))
        return "; ".join(parts)


def _shape_text(shape: Iterable[int]) -> str:
    return "[" + ", ".join(str(int(d)) for d in shape) + "]"


def swap_program(interp: Interpreter, new_program: Program) -> ReloadReport:
    """Replace the interpreter's program at a tick boundary, keeping learned state.

    Call it between runs (the brain calls it between ticks): the new program starts at pc 0 with
    cleared loop and call stacks. A cold register of the new program keeps the old buffer (the
    same object: weights, temperatures, usage, dirty flag) and its learning pressure when

    * it has a thermogram key and the old program had a cold register with the same key (at any
      index), or it has no key and the old register at the same index had none either; and
    * the live buffer's shape equals the new declaration, or the declaration itself did not change
      (so rows grown or pruned by structural plasticity survive an edit elsewhere in the file).

    Hot registers are activations: the new program's are allocated zeroed, old ones it does not
    declare are released, as a fresh load would.
    """
    t0 = time.perf_counter()
    m = interp.m
    old_decl = {d.reg: d for d in interp.program.registers if reg_file(d.reg) == COLD_REGS}
    old_cold = {i: b for i, b in enumerate(m.cold) if b is not None}
    old_pressure = list(m.pressure)
    by_key = {b.key: i for i, b in old_cold.items() if b.key}
    report = ReloadReport(len(new_program.instructions), len(new_program.registers))

    kept_src: dict[int, int] = {}           # new index → old index
    why_dropped: dict[int, str] = {}        # old index → reason
    new_keys = {d.key for d in new_program.registers if d.key}
    for d in new_program.registers:
        if reg_file(d.reg) != COLD_REGS:
            continue
        idx = reg_index(d.reg)
        src = by_key.get(d.key) if d.key else (idx if idx in old_cold and not old_cold[idx].key else None)
        if src is None or src in kept_src.values():
            report.fresh.append(d.name)
            continue
        buf = old_cold[src]
        od = old_decl.get(0x40 | src)
        same_decl = od is not None and tuple(od.shape) == tuple(d.shape) and od.key == d.key
        if tuple(buf.shape) == tuple(d.shape) or same_decl:
            kept_src[idx] = src
        else:
            why_dropped[src] = f"shape {_shape_text(buf.shape)} → {_shape_text(d.shape)}"
            report.fresh.append(d.name)
    for i, b in old_cold.items():
        if i in kept_src.values() or i in why_dropped:
            continue
        if b.key and b.key not in new_keys:
            why_dropped[i] = f"key {b.key!r} no longer declared"
        elif b.key:
            why_dropped[i] = f"key {b.key!r} also held by another kept register"
        else:
            why_dropped[i] = "no unkeyed cold register at this index in the new version"
    report.dropped = [f"{reg_name(0x40 | i)} ({why_dropped[i]})" for i in sorted(why_dropped)]

    # fresh load: declared registers zeroed, undeclared hot/cold registers released
    declared = {d.reg for d in new_program.registers}
    for i in range(len(m.hot)):
        if m.hot[i] is not None and (HOT_REGS << 6 | i) not in declared:
            m.hot[i] = None
    for i in range(len(m.cold)):
        m.cold[i] = None
        m.pressure[i] = None
    interp.load_program(new_program, allocate=True)
    for idx, src in kept_src.items():
        buf = old_cold[src]
        d = next(r for r in new_program.registers if r.reg == (0x40 | idx))
        buf.frozen = d.frozen
        m.cold[idx] = buf
        m.pressure[idx] = old_pressure[src]
        report.kept.append(reg_name(0x40 | idx) if src == idx else f"{reg_name(0x40 | idx)} (from {reg_name(0x40 | src)})")
    report.elapsed_s = time.perf_counter() - t0
    return report


def _admit_reload(brain: Any, region_name: str, program: Program) -> tuple[Any, Program]:
    """The region and the program it would run (an array instance's ``{i}`` keys filled in), or
    ``ReloadRejected``: it does not validate for the region's role, or, once the brain has booted,
    it would register a thermogram key the region did not have (the topology is frozen after boot,
    seed 003, layer 1)."""
    region = brain.region(region_name)
    if getattr(region, "index", None) is not None:
        from ..host.arrays import instance_program

        program = instance_program(program, region.index)
    try:
        brain.validate_for_role(program, region.role, f"region {region.name}")
    except TernsigError as exc:
        raise ReloadRejected(str(exc), region.firmware) from None
    if getattr(brain, "frozen", False):
        have = {b.key for b in region.machine.cold if b is not None and b.key}
        new = [d.key for d in program.registers if d.key and d.key not in have]
        if new:
            raise ReloadRejected(f"the topology is frozen after boot: the new version would register "
                                 f"thermogram {new[0]!r}", region.firmware)
    return region, program


def apply_reload(brain: Any, region_name: str, program: Program) -> ReloadReport:
    """Swap ``program`` into a brain region (call between ticks); see :func:`_admit_reload` for
    what is refused."""
    return apply_reload_all(brain, [region_name], program)


def apply_reload_all(brain: Any, region_names: list[str], program: Program) -> ReloadReport:
    """Swap ``program`` into every region that runs the same firmware file (the instances of a
    region array, say): all of them or, when any refuses it, none. Returns the first region's report."""
    admitted = [_admit_reload(brain, name, program) for name in region_names]
    reports = []
    for region, prog in admitted:
        report = swap_program(region.interp, prog)
        region.program = prog
        report.path = region.firmware
        reports.append(report)
    return reports[0]
