"""The program validator: the reference validator's passes, the role policy and quirk warnings.

Diagnostics carry a level (error, warning, info), the instruction index and source line, the rule
and, for policy findings, the layer. ``validate_program`` never raises for a bad program: it
reports; :func:`ternsig.safety.policy.check_program` is the raising form used at load time.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from ..isa.encoding import NULL_REG, reg_name
from ..isa.spec import Layer
from ..program import Program
from ..registry import ExtensionRegistry
from .policy import policy_findings, spec_for

ERROR, WARNING, INFO = "error", "warning", "info"


@dataclass(frozen=True)
class Diagnostic:
    level: str
    rule: str
    message: str
    instruction: Optional[int] = None
    line: Optional[int] = None
    layer: Optional[str] = None

    def __str__(self) -> str:
        where = []
        if self.line is not None:
            where.append(f"line {self.line}")
        if self.instruction is not None:
            where.append(f"instruction {self.instruction}")
        loc = f" ({', '.join(where)})" if where else ""
        layer = f" [{self.layer}]" if self.layer else ""
        return f"{self.level.upper()}{loc}: {self.message} [{self.rule}]{layer}"


def validate_program(program: Program, role: Optional[str] = None,
                     registry: Optional[ExtensionRegistry] = None) -> list[Diagnostic]:
    if registry is None:
        registry = ExtensionRegistry.standard()
    out: list[Diagnostic] = []
    ins_list = program.instructions
    n = len(ins_list)

    def line(i: int) -> Optional[int]:
        return program.lines[i] if i < len(program.lines) else None

    def add(level: str, rule: str, msg: str, i: Optional[int] = None, layer: Optional[str] = None) -> None:
        out.append(Diagnostic(level, rule, msg, i, line(i) if i is not None else None, layer))

    declared_ext = {r.ext_id for r in program.requires}
    declared_regs = {d.reg for d in program.registers}
    reported_ext: set[int] = set()
    loop_depth = 0
    # the reference validator checks control flow and semantics of core instructions only
    core = [registry.spec(0, i.opcode) if i.ext_id == 0 else None for i in ins_list]
    has_call = any(s is not None and s.call for s in core)
    label_targets = set(program.labels.values()) | {i.cd for i, s in zip(ins_list, core) if s is not None and s.branch}
    seen_load_input = False
    seen_store_output = False
    compute_reported = False

    for idx, ins in enumerate(ins_list):
        spec = spec_for(ins, registry)
        # 1. extensions
        if ins.ext_id:
            table = registry.get(ins.ext_id)
            if table is None:
                if ins.ext_id not in reported_ext:
                    add(ERROR, "extension-registered", f"extension 0x{ins.ext_id:04X} is not registered", idx)
                    reported_ext.add(ins.ext_id)
            elif spec is None:
                add(WARNING, "opcode-known", f"opcode 0x{ins.opcode:04X} not found in extension {table.name}", idx)
            if ins.ext_id not in declared_ext and ins.ext_id not in reported_ext:
                add(WARNING, "extension-declared", f"extension 0x{ins.ext_id:04X} used but not declared in .requires", idx)
                reported_ext.add(ins.ext_id)
        elif spec is None:
            add(ERROR, "opcode-known", f"unknown core opcode 0x{ins.opcode:04X}", idx)
        # 2. control flow
        cs = core[idx]
        if cs is not None:
            if cs.loop == "start":
                loop_depth += 1
            elif cs.loop == "end":
                if loop_depth == 0:
                    add(ERROR, "loop-balance", "end_loop without a matching loop", idx)
                else:
                    loop_depth -= 1
            elif cs.loop == "break" and loop_depth == 0:
                add(WARNING, "loop-balance", "break outside of a loop", idx)
            elif cs.branch and ins.cd >= n:
                add(ERROR, "jump-target", f"branch target {ins.cd} out of bounds (program has {n} instructions)", idx)
            elif cs.ret and not has_call:
                add(WARNING, "call-balance", "return found but no call in the program", idx)
            if cs.terminator and not cs.ret and idx + 1 < n and idx + 1 not in label_targets:
                add(INFO, "reachability", f"instruction {idx + 1} is unreachable after {cs.mnemonic}", idx + 1)
            # 6. semantics
            if cs.loads_input:
                seen_load_input = True
            elif cs.stores_output:
                seen_store_output = True
            elif cs.mastery and not seen_store_output:
                add(WARNING, "mastery-order", "mastery instruction without a preceding store_output", idx)
            # quirk: the reference reads the third register operand masked to 16 registers
            if cs.masks_third and ins.c != NULL_REG and (ins.c & 0x3F) >= 16:
                add(WARNING, "reference-quirk", f"third operand {reg_name(ins.c)} is read by the reference as "
                    f"{reg_name(ins.c & 0xCF)} (index & 0x0F): use a register below 16", idx)
        if spec is not None and not seen_load_input and not compute_reported and spec.layer == Layer.RUNTIME \
                and not (spec.loads_input or spec.stores_output) and not spec.yields:
            add(INFO, "input-order", "compute instruction before load_input", idx)
            compute_reported = True
        # 4. register bounds
        if spec is not None:
            for o in spec.layout:
                if o.kind != "reg" or o.slot not in "ABCD" or len(o.slot) != 1:
                    continue
                b = ins.operands["ABCD".index(o.slot)]
                if b != NULL_REG and b not in declared_regs and not (spec.ext_id == 0 and spec.allocates):
                    add(WARNING, "register-declared", f"register {reg_name(b)} used but not declared in .registers", idx)
    if loop_depth:
        add(ERROR, "loop-balance", f"{loop_depth} unclosed loop(s) at end of program", n - 1 if n else None)
    if n and not (core[-1] is not None and core[-1].terminator):
        add(WARNING, "ends-with-halt", "program does not end with halt", n - 1)
    # 3. thermogram keys
    keys: dict[str, str] = {}
    for d in program.registers:
        if d.key:
            if d.key in keys:
                add(WARNING, "thermogram-key", f"duplicate thermogram key {d.key!r} on {d.name} (also {keys[d.key]})")
            keys[d.key] = d.name
    # role policy
    role = role or program.role
    if role:
        for f in policy_findings(program, role, registry):
            out.append(Diagnostic(ERROR, f["rule"], f["message"], f["instruction"], f["line"], f["layer"]))
    return out
