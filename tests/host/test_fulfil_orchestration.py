"""orchestration (0x0007) under a brain: the model table (load, bind, exec, chain, status, unload,
reload from disk) and region routing (route input, fire, collect, status, enable/disable)."""
from __future__ import annotations

from ternsig.extensions.orchestration import TABLE

from tests.host.conftest import assert_clean, assert_trapped, firmware, hot, make_brain, set_hot

COVERED = {"model_load", "model_exec", "model_input", "model_output", "model_unload", "model_status",
           "model_reload", "model_chain", "route_input", "region_fire", "collect_outputs", "region_status",
           "region_enable", "region_disable"}

DOUBLE = firmware("load_input H0\nadd H1, H0, H0\nstore_output H1\nhalt", "H0: i32[1]\nH1: i32[1]")
TRIPLE = firmware("load_input H0\nadd H1, H0, H0\nadd H1, H1, H0\nstore_output H1\nhalt", "H0: i32[1]\nH1: i32[1]")
PLUS3 = firmware("load_input H0\nset H1, 3\nadd H2, H0, H1\nstore_output H2\nhalt", "H0: i32[1]\nH1: i32[1]\nH2: i32[1]")
REGS = "\n".join(f"H{i}: i32[1]" for i in range(10))


def test_every_orchestration_opcode_is_covered_here():
    assert {s.mnemonic for s in TABLE.specs} == COVERED


def models(root, program):
    return make_brain(root, {"r": firmware(program, REGS)}, config="model r 0=double.ternsig 1=plus3.ternsig",
                      files={"double.ternsig": DOUBLE, "plus3.ternsig": PLUS3})


def test_load_bind_exec_chain_status_unload(root):
    b = models(root, """
        orchestration.model_load H9, 0
        orchestration.model_load H8, 1
        orchestration.model_input H0, 0
        orchestration.model_output H1, 0
        orchestration.model_exec H1, 0
        orchestration.model_chain 0, 1
        orchestration.model_exec H2, 1
        orchestration.model_status H3, 0
        orchestration.model_unload 1
        orchestration.model_status H4, 1
        halt
    """)
    set_hot(b, "r", 0, [5])
    b.tick()
    assert_clean(b)
    assert hot(b, "r", 9) == [1] and hot(b, "r", 8) == [1]     # host loaded both slots
    assert hot(b, "r", 1) == [10]                              # double(5)
    assert hot(b, "r", 2) == [13]                              # chained: plus3(double(5))
    assert hot(b, "r", 3) == [1] and hot(b, "r", 4) == [0]
    assert set(b.models.loaded) == {(0, 0), (0, 1)}


RELOAD = """
    if_nonzero H6, reload
    if_nonzero H5, run
    orchestration.model_load H9, 0
    jump run
reload:
    orchestration.model_reload 0
run:
    orchestration.model_input H0, 0
    orchestration.model_exec H1, 0
    halt
"""


def test_model_reload_picks_up_the_file_changed_on_disk(root):
    b = models(root, RELOAD)
    set_hot(b, "r", 0, [5])
    b.tick()
    assert hot(b, "r", 1) == [10]
    (root / "brain" / "double.ternsig").write_text(TRIPLE)
    set_hot(b, "r", 5, [1])
    b.tick()
    assert hot(b, "r", 1) == [10]                 # no reload yet: the loaded program runs
    set_hot(b, "r", 6, [1])
    b.tick()
    assert_clean(b)
    assert hot(b, "r", 1) == [15]                 # reloaded


def test_a_reload_that_does_not_assemble_keeps_the_old_model(root):
    b = models(root, RELOAD)
    set_hot(b, "r", 0, [4])
    b.tick()
    (root / "brain" / "double.ternsig").write_text(".program\n    no_such_op H0\n")
    set_hot(b, "r", 6, [1])
    b.tick()
    assert_clean(b)
    assert hot(b, "r", 1) == [8]
    assert any(e["event"] == "error" and "model reload refused" in e.get("note", "") for e in b.events)


def test_model_errors_trap_with_region_pc_and_op(root):
    b = models(root, "orchestration.model_exec H1, 3\nhalt")
    b.tick()
    assert_trapped(b, "r", "pc 0", "MODEL_EXEC: slot 3 not loaded")
    b2 = models(root / "b", "orchestration.model_load H1, 7\nhalt")
    b2.tick()
    assert_trapped(b2, "r", "ModelLoad", "slot 7", "no firmware configured")
    b3 = models(root / "c", "orchestration.model_reload 1\nhalt")
    b3.tick()
    assert_trapped(b3, "r", "ModelReload", "not loaded")


def test_a_model_stuck_in_a_loop_traps_its_caller(root):
    b = make_brain(root, {"r": (firmware("orchestration.model_load H9, 0\norchestration.model_exec H1, 0\nhalt", REGS),
                                "budget=500"),
                          "ok": firmware("lifecycle.tick_read H0\nstore_output H0\nhalt")},
                   config="model r 0=m.ternsig", files={"m.ternsig": firmware("spin:\njump spin")})
    b.tick()
    assert_trapped(b, "r", "ModelExec", "trapped", "fuel exhausted")
    assert_clean(b, "ok")


# ---- region routing ------------------------------------------------------------------------------------

ECHO = firmware("load_input H0\nstore_output H0\nhalt", "H0: i32[1]")


def test_route_input_and_region_fire(root):
    ctl = firmware("orchestration.route_input H0, 1\norchestration.region_fire H1, 1\nhalt", "H0: i32[3]\nH1: i32[1]")
    b = make_brain(root, {"ctl": ctl, "echo": ECHO})
    set_hot(b, "ctl", 0, [4, 5, 6])
    b.tick()
    assert_clean(b)
    assert hot(b, "ctl", 1) == [4, 5, 6]          # fired now, on the routed input
    echo = b.region("echo")
    assert echo.executed == 6                     # fired once, then ran its own turn


def test_route_input_reaches_a_region_in_its_normal_turn(root):
    b = make_brain(root, {"ctl": firmware("orchestration.route_input H0, 1\nhalt", "H0: i32[2]"), "echo": ECHO})
    set_hot(b, "ctl", 0, [8, 9])
    b.tick()
    assert_clean(b)
    assert b.region("echo").output.tolist() == [8, 9]


def test_collect_outputs_concatenates_the_other_regions(root):
    src = lambda v: firmware(f"set H0, {v}\nstore_output H0\nhalt")   # noqa: E731
    b = make_brain(root, {"a": src(3), "ctl": firmware("orchestration.collect_outputs H0\nstore_output H0\nhalt"),
                          "b": src(4)})
    b.tick()
    assert hot(b, "ctl", 0) == [3]                # b has not run yet this tick
    b.tick()
    assert_clean(b)
    assert hot(b, "ctl", 0) == [3, 4]             # its own output is left out


def test_region_disable_enable_and_status(root):
    ctl = firmware("""
        if_nonzero H2, enable
        orchestration.region_disable 1
        orchestration.region_status H0, 1
        halt
    enable:
        orchestration.region_enable 1
        orchestration.region_status H0, 1
        halt
    """, "H0: i32[1]\nH2: i32[1]")
    b = make_brain(root, {"ctl": ctl, "w": firmware("lifecycle.tick_read H0\nstore_output H0\nhalt")})
    b.tick()
    assert hot(b, "ctl", 0) == [0] and not b.region("w").enabled
    ran = b.region("w").executed
    b.tick()
    assert b.region("w").executed == ran          # disabled: skipped
    set_hot(b, "ctl", 2, [1])
    b.tick()
    assert_clean(b)
    assert hot(b, "ctl", 0) == [1]                # enabled, active
    assert b.region("w").output.tolist() == [1]   # the tick's line-up was fixed when it began ...
    b.tick()
    assert b.region("w").output.tolist() == [4]   # ... it runs again from the next one


def test_routing_bad_region_ids_trap(root):
    for i, ins in enumerate(["route_input H0, 5", "region_fire H0, 5", "region_status H0, 200",
                             "region_enable 9", "region_disable 9", "region_fire H0, 0"]):
        b = make_brain(root / str(i), {"ctl": firmware(f"orchestration.{ins}\nhalt", "H0: i32[1]"), "echo": ECHO})
        b.tick()
        msg = assert_trapped(b, "ctl", "pc 0")
        assert ("out of range" in msg) or ("cannot fire itself" in msg), msg
        assert_clean(b, "echo")
