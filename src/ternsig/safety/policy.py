"""The layer policy: which instructions a program of each role may contain.

Derived from the instruction tables' layer column and seed 003's privilege matrix:

=============  ===========================================================================
role           may use
=============  ===========================================================================
boot           kernel (L0), boot (L1) and runtime (L3) instructions: topology, thermogram
               registration, wiring, phase/level writes
evolutionary   kernel, evolutionary (L2: grow/prune/temperature) and runtime reads (L3)
runtime        kernel and runtime (L3): forward passes, reads, routing
learning       kernel, runtime and learning (L4): weight updates under dopamine gating
regulation     runtime, plus the chemical writes (``neuro.chem_set``, ``neuro.chem_inject``)
test           everything (development only)
=============  ===========================================================================

Chemical writes are runtime instructions by layer, but only the regulation role holds chemical
authority; they are refused for every other role except ``test``.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Optional

from ..errors import ValidationError
from ..isa.spec import InstructionSpec, Layer
from ..program import Program
from ..registry import ExtensionRegistry

if TYPE_CHECKING:
    from ..isa.encoding import Instruction

K, B, E, R, L, T = Layer.KERNEL, Layer.BOOT, Layer.EVOLUTIONARY, Layer.RUNTIME, Layer.LEARNING, Layer.TEST

ROLE_LAYERS: dict[str, frozenset[Layer]] = {
    "boot": frozenset({K, B, R}),
    "evolutionary": frozenset({K, E, R}),
    "runtime": frozenset({K, R}),
    "learning": frozenset({K, R, L}),
    "regulation": frozenset({K, R}),
    "test": frozenset({K, B, E, R, L, T}),
}
CHEMICAL_ROLES = frozenset({"regulation", "test"})
LAYER_NAMES = {K: "L0 kernel", B: "L1 boot", E: "L2 evolutionary", R: "L3 runtime", L: "L4 learning", T: "test"}


_CORE_ONLY = ExtensionRegistry()


def spec_for(ins: Instruction, registry: Optional[ExtensionRegistry]) -> Optional[InstructionSpec]:
    """The instruction's spec (without a registry only the core ISA resolves)."""
    return (registry if registry is not None else _CORE_ONLY).spec(ins.ext_id, ins.opcode)


def _ext_name(spec: InstructionSpec, registry) -> str:
    t = registry.get(spec.ext_id)
    return t.name if t else f"0x{spec.ext_id:04X}"


def verdict(spec: InstructionSpec, role: str, registry: Optional[ExtensionRegistry] = None) -> Optional[str]:
    """None when ``role`` may use the instruction, else the rule it breaks."""
    if role not in ROLE_LAYERS:
        raise ValidationError(f"unknown role {role!r} (one of {', '.join(ROLE_LAYERS)})", rule="role")
    if spec.writes_chemicals:
        return None if role in CHEMICAL_ROLES else "chemical-authority"
    return None if spec.layer in ROLE_LAYERS[role] else f"layer-{spec.layer.name.lower()}"


def policy_findings(program: Program, role: str, registry: Optional[ExtensionRegistry] = None) -> list[dict[str, Any]]:
    """Every instruction the role may not use: index, line, mnemonic, layer, rule."""
    if registry is None:
        registry = ExtensionRegistry.standard()
    out = []
    for i, ins in enumerate(program.instructions):
        spec = spec_for(ins, registry)
        if spec is None:
            continue
        rule = verdict(spec, role, registry)
        if rule:
            name = spec.mnemonic if spec.ext_id == 0 else f"{_ext_name(spec, registry)}.{spec.mnemonic}"
            line = program.lines[i] if i < len(program.lines) else None
            if rule == "chemical-authority":
                msg = f"{name} writes chemicals: only a regulation program may ({role} may not)"
            else:
                msg = f"{name} is a {LAYER_NAMES[spec.layer]} instruction; a {role} program may not use it"
            out.append({"instruction": i, "line": line, "mnemonic": name, "layer": LAYER_NAMES[spec.layer],
                        "rule": rule, "message": msg})
    return out


def check_program(program: Program, role: str, what: str = "program",
                  registry: Optional[ExtensionRegistry] = None) -> None:
    """Raise :class:`ValidationError` at the first instruction ``role`` may not use."""
    found = policy_findings(program, role, registry)
    if found:
        f = found[0]
        where = f" (line {f['line']})" if f["line"] else ""
        raise ValidationError(f"{what}: {f['message']}{where}", f["instruction"], f["rule"], f["line"])
