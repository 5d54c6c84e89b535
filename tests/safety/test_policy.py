"""Every (role × instruction) verdict against seed 003's privilege matrix, and the validator passes.

Expectations are derived here independently of policy.py: from each instruction's layer column
and the matrix as seed 003 states it (kernel instructions are everyone's; boot programs build the
topology and may run forward computation; the evolutionary layer grows/prunes and reads; runtime
computes; learning computes and writes weights; only the regulation region writes chemicals;
test may do anything).
"""
from __future__ import annotations

import pytest

from ternsig.extensions.core import CORE
from ternsig.isa.encoding import Instruction
from ternsig.isa.spec import Layer
from ternsig.program import Program, RegisterDef, Requirement
from ternsig.registry import ExtensionRegistry
from ternsig.safety.policy import ROLE_LAYERS, check_program, policy_findings, verdict
from ternsig.safety.validator import validate_program
from ternsig.errors import ValidationError

REG = ExtensionRegistry.standard()
ROLES = ("boot", "evolutionary", "runtime", "learning", "regulation", "test")

# seed 003 privilege matrix, as "which layers' instructions may a program of this role contain"
MATRIX = {
    #                 kernel boot  evol   runtime learning test
    "boot":          (True, True, False, True, False, False),
    "evolutionary":  (True, False, True, True, False, False),
    "runtime":       (True, False, False, True, False, False),
    "learning":      (True, False, False, True, True, False),
    "regulation":    (True, False, False, True, False, False),
    "test":          (True, True, True, True, True, True),
}
CHEMICAL_WRITERS = {"regulation", "test"}
CHEMICAL_WRITES = {"chem_set", "chem_inject"}


def all_specs():
    out = [(f"core.{s.mnemonic}", s) for s in CORE.specs]
    for t in REG.tables():
        out += [(f"{t.name}.{s.mnemonic}", s) for s in t.specs]
    return out


SPECS = all_specs()


def expected(name: str, spec, role: str):
    ext, _, mnem = name.partition(".")
    if ext == "neuro" and mnem in CHEMICAL_WRITES:
        return None if role in CHEMICAL_WRITERS else "chemical-authority"
    allowed = MATRIX[role][int(spec.layer)]
    return None if allowed else f"layer-{Layer(spec.layer).name.lower()}"


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("name,spec", SPECS, ids=[n for n, _ in SPECS])
def test_verdict_matches_matrix(name, spec, role):
    assert verdict(spec, role, REG) == expected(name, spec, role)


def test_matrix_covers_every_table_and_role():
    assert set(ROLE_LAYERS) == set(ROLES)
    assert len(SPECS) >= len(CORE.specs) + 10
    # every layer is exercised by at least one instruction somewhere
    assert {int(s.layer) for _, s in SPECS} >= {0, 1, 2, 3, 4}


def _spec(qualified: str):
    ext, _, mnem = qualified.partition(".")
    if ext == "core":
        return CORE.lookup(mnem)
    t = REG.by_name(ext)
    assert t is not None, f"extension {ext} is not in the standard registry"
    return t.lookup(mnem)


@pytest.mark.parametrize("qualified,role,allowed", [
    ("core.mastery_update", "runtime", False),          # runtime may not learn
    ("core.mastery_update", "learning", True),
    ("learning.mastery_update", "runtime", False),
    ("arch.grow_neuron", "learning", False),            # learning may not change structure
    ("core.grow_neuron", "learning", False),
    ("neuro.chem_set", "regulation", True),             # only regulation writes chemicals
    ("neuro.chem_set", "runtime", False),
    ("neuro.chem_set", "learning", False),
    ("neuro.chem_set", "evolutionary", False),
    ("neuro.chem_set", "boot", False),
    ("neuro.chem_read", "runtime", True),
    ("lifecycle.init_thermo", "boot", True),             # boot registers thermograms
    ("lifecycle.init_thermo", "runtime", False),
    ("lifecycle.init_thermo", "evolutionary", False),
    ("arch.prune_neuron", "evolutionary", True),
    ("core.prune_neuron", "evolutionary", True),
    ("core.prune_neuron", "runtime", False),
    ("core.alloc_tensor", "evolutionary", False),        # no new tensors after boot
    ("core.alloc_tensor", "boot", True),
    ("core.halt", "runtime", True),
])
def test_hand_picked(qualified, role, allowed):
    spec = _spec(qualified)
    assert spec is not None, qualified
    assert (verdict(spec, role, REG) is None) is allowed


def test_unknown_role_is_refused():
    with pytest.raises(ValidationError):
        verdict(CORE.lookup("halt"), "superuser", REG)


def _prog(words, regs=(), requires=(), lines=None):
    return Program(instructions=list(words), registers=list(regs), requires=list(requires),
                   lines=list(lines) if lines else [])


HALT = Instruction(0, 0x0001, 0xFF, 0xFF, 0, 0)
H0 = RegisterDef(0x00, "i32", (4,))
H1 = RegisterDef(0x01, "i32", (4,))
C0 = RegisterDef(0x40, "ternary", (2, 4), key="k")


def test_check_program_names_line_and_rule():
    grow = Instruction(0, 0x2008, 0x40, 0, 1, 7)
    p = _prog([grow, HALT], [C0], lines=[12, 13])
    found = policy_findings(p, "runtime", REG)
    assert [(f["instruction"], f["line"], f["rule"], f["mnemonic"]) for f in found] == \
        [(0, 12, "layer-evolutionary", "grow_neuron")]
    assert "L2 evolutionary" in found[0]["message"]
    with pytest.raises(ValidationError) as ei:
        check_program(p, "runtime", "region x", REG)
    assert ei.value.rule == "layer-evolutionary" and ei.value.line == 12
    check_program(p, "evolutionary", "region x", REG)


def rules(diags, level=None):
    return [d.rule for d in diags if level is None or d.level == level]


def test_validator_loop_balance():
    loop = Instruction(0, 0x6000, 0xFF, 0xFF, 0, 3)
    end = Instruction(0, 0x6001, 0xFF, 0xFF, 0, 0)
    assert "loop-balance" in rules(validate_program(_prog([loop, HALT], [H0])), "error")
    assert "loop-balance" in rules(validate_program(_prog([end, HALT], [H0])), "error")
    assert "loop-balance" not in rules(validate_program(_prog([loop, end, HALT], [H0])))
    brk = Instruction(0, 0x6002, 0xFF, 0xFF, 0, 0)
    assert "loop-balance" in rules(validate_program(_prog([brk, HALT])), "warning")


def test_validator_jump_targets():
    jump_far = Instruction(0, 0x6008, 0xFF, 0xFF, 0, 9)
    diags = validate_program(_prog([jump_far, HALT]))
    assert "jump-target" in rules(diags, "error")
    jump_ok = Instruction(0, 0x6008, 0xFF, 0xFF, 0, 1)
    assert "jump-target" not in rules(validate_program(_prog([jump_ok, HALT])))


def test_validator_duplicate_thermogram_keys():
    c1 = RegisterDef(0x41, "ternary", (2, 4), key="k")
    assert "thermogram-key" in rules(validate_program(_prog([HALT], [C0, c1])), "warning")
    assert "thermogram-key" not in rules(validate_program(_prog([HALT], [C0])))


def test_validator_undeclared_registers():
    relu = Instruction(0, 0x3003, 0x01, 0x00, 0, 0)       # relu H1, H0
    assert "register-declared" in rules(validate_program(_prog([relu, HALT], [H0])), "warning")
    assert "register-declared" not in rules(validate_program(_prog([relu, HALT], [H0, H1])))


def test_validator_masked_third_operand_quirk():
    add_hi = Instruction(0, 0x3001, 0x00, 0x01, 0x12, 0)   # add H0, H1, H18: read as H2
    d = [x for x in validate_program(_prog([add_hi, HALT], [H0, H1])) if x.rule == "reference-quirk"]
    assert len(d) == 1 and d[0].level == "warning" and "H18" in d[0].message and "H2" in d[0].message
    add_lo = Instruction(0, 0x3001, 0x00, 0x01, 0x0F, 0)
    assert "reference-quirk" not in rules(validate_program(_prog([add_lo, HALT], [H0, H1])))


def test_validator_extensions_declared_and_registered():
    unknown = Instruction(0x0777, 0x0001, 0, 0, 0, 0)
    assert "extension-registered" in rules(validate_program(_prog([unknown, HALT])), "error")
    relu = Instruction(0x0003, 0x0000, 0x00, 0x00, 0, 0)
    d = validate_program(_prog([relu, HALT], [H0]))
    assert "extension-declared" in rules(d, "warning")
    d2 = validate_program(_prog([relu, HALT], [H0], [Requirement("activation", 3)]))
    assert "extension-declared" not in rules(d2)


def test_validator_role_policy_reports_layer():
    grow = Instruction(0, 0x2008, 0x40, 0, 1, 7)
    d = [x for x in validate_program(_prog([grow, HALT], [C0]), role="learning") if x.level == "error"]
    assert [(x.rule, x.layer, x.instruction) for x in d] == [("layer-evolutionary", "L2 evolutionary", 0)]


def test_validator_ends_with_halt():
    relu = Instruction(0, 0x3003, 0x01, 0x00, 0, 0)
    assert "ends-with-halt" in rules(validate_program(_prog([relu], [H0, H1])), "warning")
