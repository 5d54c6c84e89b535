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

from dataclasses import dataclass
from enum import Enum
from typing import TYPE_CHECKING, Any, Optional, Union

from ..errors import ValidationError
from ..isa.spec import InstructionSpec, Layer
from ..program import Program
from ..registry import ExtensionRegistry

if TYPE_CHECKING:
    from ..isa.encoding import Instruction

K, B, E, R, L, T = Layer.KERNEL, Layer.BOOT, Layer.EVOLUTIONARY, Layer.RUNTIME, Layer.LEARNING, Layer.TEST

class Role(str, Enum):
    """The one role type: what a program may do, by the layer it runs as. A ``str`` enum, so
    ``Role.LEARNING == "learning"`` and roles read from files compare as before."""

    BOOT = "boot"
    EVOLUTIONARY = "evolutionary"
    RUNTIME = "runtime"
    LEARNING = "learning"
    REGULATION = "regulation"
    TEST = "test"

    def __str__(self) -> str:
        return self.value

    @classmethod
    def parse(cls, name: Union[str, "Role"], what: str = "role") -> "Role":
        """The role named ``name``; :class:`ValidationError` for an unknown one."""
        try:
            return cls(name)
        except ValueError:
            raise ValidationError(f"{what}: unknown role {name!r} (one of {', '.join(r.value for r in cls)})",
                                  rule="role") from None


@dataclass(frozen=True)
class Rule:
    """One thing a role may do: use the instructions of a layer, or hold an authority
    (``chemicals``: write chemical levels; ``weights``: change weights, dopamine-gated and HOT only).
    The static check (:func:`policy_findings`) and the run-time guards (:func:`may`) read the same rules."""

    layer: Optional[Layer] = None
    authority: Optional[str] = None


def layers(*ls: Layer) -> list[Rule]:
    return [Rule(layer=x) for x in ls]


#: role rules as composable lists: each role is the base plus what its layer adds
BASE = layers(K)
RUNTIME_RULES = BASE + layers(R)
ROLE_RULES: dict[Role, list[Rule]] = {
    Role.RUNTIME: RUNTIME_RULES,
    Role.BOOT: RUNTIME_RULES + layers(B),
    Role.EVOLUTIONARY: RUNTIME_RULES + layers(E),
    Role.LEARNING: RUNTIME_RULES + layers(L) + [Rule(authority="weights")],
    Role.REGULATION: RUNTIME_RULES + [Rule(authority="chemicals")],
    Role.TEST: BASE + layers(B, E, R, L, T) + [Rule(authority="chemicals"), Rule(authority="weights")],
}
#: which roles may use which layers (derived from the rules)
ROLE_LAYERS: dict[str, frozenset[Layer]] = {
    r.value: frozenset(x.layer for x in rules if x.layer is not None) for r, rules in ROLE_RULES.items()}
LAYER_NAMES = {K: "L0 kernel", B: "L1 boot", E: "L2 evolutionary", R: "L3 runtime", L: "L4 learning", T: "test"}


def may(role: Union[str, Role], authority: str) -> bool:
    """Run-time guard: does ``role`` hold ``authority`` ("chemicals", "weights")?"""
    return any(x.authority == authority for x in ROLE_RULES[Role.parse(role)])


CHEMICAL_ROLES = frozenset(r.value for r in Role if may(r, "chemicals"))


_CORE_ONLY = ExtensionRegistry()


def spec_for(ins: Instruction, registry: Optional[ExtensionRegistry]) -> Optional[InstructionSpec]:
    """The instruction's spec (without a registry only the core ISA resolves)."""
    return (registry if registry is not None else _CORE_ONLY).spec(ins.ext_id, ins.opcode)


def _ext_name(spec: InstructionSpec, registry) -> str:
    t = registry.get(spec.ext_id)
    return t.name if t else f"0x{spec.ext_id:04X}"


def verdict(spec: InstructionSpec, role: Union[str, Role],
            registry: Optional[ExtensionRegistry] = None) -> Optional[str]:
    """None when ``role`` may use the instruction, else the rule it breaks (from :data:`ROLE_RULES`)."""
    r = Role.parse(role)
    if spec.writes_chemicals:
        return None if may(r, "chemicals") else "chemical-authority"
    return None if spec.layer in ROLE_LAYERS[r.value] else f"layer-{spec.layer.name.lower()}"


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
