"""The admission gate: one function, one Role type, every program source through it."""
from __future__ import annotations

import pytest

from ternsig.asm import assemble
from ternsig.errors import HostError, TernsigError, ValidationError
from ternsig.host import config as host_config
from ternsig.host import region as host_region
from ternsig.safety.admission import admit
from ternsig.safety.policy import ROLE_LAYERS, ROLE_RULES, Role, may

from tests.host.conftest import firmware, hot, make_brain, set_hot
from tests.host.test_fulfil_orchestration import RELOAD, models


def test_one_role_type_everywhere():
    assert set(host_region.ROLES) == {r.value for r in Role}
    assert set(host_config.ROLES) == {r.value for r in Role} - {"boot"}
    assert Role("learning") == "learning" and str(Role.LEARNING) == "learning"
    assert set(ROLE_LAYERS) == {r.value for r in Role}


def test_role_rules_compose_from_the_base():
    base = ROLE_RULES[Role.RUNTIME]
    for role in (Role.BOOT, Role.EVOLUTIONARY, Role.LEARNING, Role.REGULATION):
        assert ROLE_RULES[role][: len(base)] == base
    assert may("regulation", "chemicals") and not may("learning", "chemicals")
    assert may("learning", "weights") and not may("runtime", "weights")


def test_unknown_role_is_a_validation_error():
    with pytest.raises(ValidationError, match="unknown role"):
        admit(assemble(".program\n    halt\n"), "root")


def test_declared_role_must_match_the_role_it_runs_as():
    prog = assemble(".meta\n    name x\n    role learning\n.program\n    halt\n")
    assert admit(prog, "learning") is prog
    with pytest.raises(ValidationError, match="declares role 'learning'") as e:
        admit(prog, "runtime")
    assert e.value.rule == "role-mismatch"


def test_validator_errors_refuse_admission():
    prog = assemble(".program\n    loop 2\n    halt\n")                 # unclosed loop
    with pytest.raises(ValidationError) as e:
        admit(prog, "runtime")
    assert e.value.rule == "loop-balance"


def test_a_meta_role_that_disagrees_with_the_config_role_is_refused_at_load(tmp_path):
    with pytest.raises(TernsigError, match="declares role 'learning'"):
        make_brain(tmp_path, {"r": (firmware("halt", role="learning"), "role=runtime")})


MASTERY = firmware("load_input H0\nstore_output H0\nlearning.mastery_commit H0\nhalt", "H0: i32[1]\nC0: ternary[1]")


def test_model_reload_goes_through_the_gate(tmp_path):
    """A model rewritten to use a learning instruction is refused at reload; the old one keeps running."""
    b = models(tmp_path, RELOAD)
    set_hot(b, "r", 0, [4])
    b.tick()
    (tmp_path / "brain" / "double.ternsig").write_text(MASTERY)
    set_hot(b, "r", 6, [1])
    b.tick()
    assert hot(b, "r", 1) == [8]
    assert any("model reload refused" in e.get("note", "") and "L4 learning" in e.get("note", "") for e in b.events)


def test_model_load_goes_through_the_gate(tmp_path):
    b = make_brain(tmp_path, {"r": (firmware("orchestration.model_load H1, 0\nhalt", "H1: i32[1]"), "role=learning")},
                   config="model r 0=m.ternsig", files={"m.ternsig": MASTERY})
    b.tick()
    assert b.regions[0].traps == 1 and "L4 learning" in b.regions[0].last_trap


def test_duplicate_thermogram_keys_across_regions_are_refused_at_load(tmp_path):
    regs = 'C0: ternary[4] key="shared.w"'
    with pytest.raises(HostError, match="already declared by region 'a'"):
        make_brain(tmp_path, {"a": firmware("halt", regs), "b": firmware("halt", regs)})
