"""The region runner: one budget through every nesting path, deadline by an injected clock,
stacks reset and capped, models served by the host, bounded memory, weight writes guarded."""
from __future__ import annotations

import numpy as np
import pytest

from ternsig.asm import assemble
from ternsig.errors import HostError, HostTrap, MemoryTrap, Trap
from ternsig.host.brain import Brain
from ternsig.vm.interpreter import Interpreter

from tests.host.conftest import assert_clean, assert_trapped, brain_dir, firmware, hot, make_brain

REGS = "\n".join(f"H{i}: i32[1]" for i in range(10))
SPIN = firmware("spin:\njump spin")


def test_region_fire_spends_the_callers_budget(root):
    """Before: every fire got a fresh full budget (a budget-1000 region ran 50 x 1000 instructions)."""
    caller = firmware("loop 50\norchestration.region_fire H1, 1\nend_loop\nhalt", REGS)
    b = make_brain(root, {"a": (caller, "budget=1000"), "spin": (SPIN, "budget=1000")})
    b.tick()
    a, spin = b.region("a"), b.region("spin")
    assert a.executed + spin.executed - 1000 <= 1000          # spin also ran its own turn (1000)
    assert_trapped(b, "a", "RegionFire", "caller's remaining budget")


def test_a_fire_cycle_is_refused(root):
    fire1 = firmware("orchestration.region_fire H1, 1\nhalt", REGS)
    fire0 = firmware("orchestration.region_fire H1, 0\nhalt", REGS)
    b = make_brain(root, {"a": fire1, "b": fire0})
    b.tick()
    assert_trapped(b, "a", "already running")


def test_model_domainops_are_served_by_the_host(root):
    """Before: ModelExec ran the model with interp.run and its DomainOps were silently skipped."""
    model = firmware("lifecycle.tick_read H0\nstore_output H0\nhalt", "H0: i32[1]")
    b = make_brain(root, {"r": firmware("orchestration.model_load H9, 0\norchestration.model_exec H1, 0\nhalt", REGS)},
                   config="model r 0=m.ternsig", files={"m.ternsig": model})
    b.tick()
    b.tick()
    assert_clean(b)
    assert hot(b, "r", 1) == [2]


def test_model_runs_on_the_callers_remaining_budget(root):
    b = make_brain(root, {"r": (firmware("orchestration.model_load H9, 0\norchestration.model_exec H1, 0\nhalt", REGS),
                                "budget=500")}, config="model r 0=m.ternsig", files={"m.ternsig": SPIN})
    b.tick()
    assert b.region("r").executed + b.models.regions[(0, 0)].executed == 500


def test_deadline_traps_with_an_injected_clock(tmp_path):
    d = brain_dir(tmp_path, {"spin": (SPIN, "budget=1000000"), "ok": firmware("halt")})
    box: list[Brain] = []

    def clock() -> float:           # time passes with the spinning region's work: 10 us an instruction
        return box[0].region("spin").interp.steps * 1e-5 if box else 0.0

    b = Brain(d, clock=clock, deadline=1.0)
    box.append(b)
    b.tick()
    msg = assert_trapped(b, "spin", "deadline")
    assert "1.0 s per tick" in msg
    assert b.region("spin").executed < 1_000_000
    assert_clean(b, "ok")


def test_loop_stack_is_reset_every_run_and_capped(root):
    b = make_brain(root, {"r": (firmware("top:\nloop 2\njump top\nend_loop"), "budget=1000")})
    for _ in range(3):
        b.tick()
        assert len(b.region("r").machine.loop_stack) == 500          # not 1000, 1500: reset each run
    b2 = make_brain(root / "b", {"r": (firmware("top:\nloop 2\njump top\nend_loop"), "budget=5000")})
    b2.tick()
    assert_trapped(b2, "r", "loop stack full")


def test_call_stack_is_capped_as_a_memory_trap():
    interp = Interpreter(assemble(".program\ntop:\n    call top\n"))
    res = interp.run(fuel=10_000)
    assert res.kind == "memory" and "call stack full" in res.message
    with pytest.raises(MemoryTrap):
        res.raise_for_trap()


def test_a_host_error_from_a_host_callback_is_a_host_trap():
    interp = Interpreter(assemble(".requires\n    lifecycle 0x0008\n.registers\n    H0: i32[1]\n"
                                  ".program\n    lifecycle.tick_read H0\n    halt\n"))

    def host(op, m):
        raise HostError("no clock here")

    res = interp.run_with_host(host)
    assert res.kind == "host" and res.message == "no clock here"
    with pytest.raises(HostTrap) as e:
        res.raise_for_trap()
    assert isinstance(e.value, Trap)


def test_coactivation_matrix_is_bounded(root):
    regs = "H0: i32[4096]\nH1: i32[4096]"
    b = make_brain(root, {"r": firmware("neuro.coact_record H0, H1\nhalt", regs)})
    b.tick()
    assert_trapped(b, "r", "CoActivation", "memory limit")
    assert not b.coactivation


def test_ipc_send_queue_is_bounded(root):
    b = make_brain(root, {"r": (firmware("loop 5000\nipc.send_signal H0, 1\nend_loop\nhalt", "H0: i32[1]"),
                                "budget=100000"), "s": firmware("halt")})
    b.tick()
    assert_trapped(b, "r", "memory limit")
    assert len(b.ipc._pending) <= 4096


def test_quantize_keeps_key_and_temperatures_and_is_guarded(root):
    """Before: ternary.quantize replaced the cold buffer without key or temperatures, so a learning
    region overwrote COLD weights past the guard (and the store lost the key)."""
    regs = 'H0: i32[4]\nC0: ternary[4] key="learner.w0"'
    src = "load_input H0\nternary.quantize C0, H0\nhalt"
    b = make_brain(root, {"l": (firmware(src, regs), "role=learning input=@env")})
    m = b.region("l").machine
    m.cold[0].temps = np.full(4, 3, np.uint8)                  # all COLD
    m.chem.dopamine = 255
    b.substrate.chemicals[0] = 255
    b.region("l").pending_input = np.array([1000, -1000, 2000, 0], np.int32)
    b.tick()
    c = m.cold[0]
    assert c.key == "learner.w0" and c.temps is not None
    assert c.pol.tolist() == [0, 0, 0, 0]                      # reverted
    r = b.region("l")
    assert r.traps == 1 and "policy" in r.last_trap and "weight write" in r.last_trap


# ---- work: a budget bounds CPU time, not only the instruction count ----------------------------

BIG = "H0: i32[4194304]"


def test_adds_on_a_4m_register_stop_at_the_work_budget(root):
    """Before: 1,000 adds on a 4M-element register ran for minutes inside a budget of 20,000
    instructions. Each add is charged 3 x 4M units; the budget holds 20,000 x 256."""
    b = make_brain(root, {"a": (firmware("loop 1000\nadd H0, H0, H0\nend_loop\nhalt", BIG), "budget=20000")})
    b.tick()
    assert_trapped(b, "a", "pc 1 (", "work budget exhausted: add needs 12,582,912 units, 5,120,000 left")
    assert b.region("a").executed == 1          # the loop; the first add is refused before it runs


def test_a_fired_region_spends_the_callers_work(root):
    caller = firmware("orchestration.region_fire H1, 1\nhalt", REGS)
    adder = firmware("loop 100\nadd H0, H0, H0\nend_loop\nhalt", "H0: i32[1000]")
    b = make_brain(root, {"a": (caller, "budget=100"), "s": (adder, "budget=1000000")})
    b.tick()
    # the caller's 100 x 256 units pay for 8 adds of 3,000; the ninth is refused
    assert_trapped(b, "a", "RegionFire", "caller's remaining budget")
    assert_trapped(b, "s", "work budget exhausted", "shared with a")


def test_a_model_spends_the_callers_work(root):
    src = firmware("orchestration.model_load H9, 0\norchestration.model_exec H1, 0\nhalt", REGS)
    model = firmware("loop 100\nadd H0, H0, H0\nend_loop\nhalt", "H0: i32[1000]")
    b = make_brain(root, {"r": (src, "budget=100")}, config="model r 0=m.ternsig", files={"m.ternsig": model})
    b.tick()
    assert_trapped(b, "r", "ModelExec", "work budget exhausted")


def test_work_is_configurable_per_region_and_per_brain(root):
    adds = firmware("loop 1000\nadd H0, H0, H0\nend_loop\nhalt", BIG)
    b = make_brain(root / "r", {"a": (adds, "budget=20000 work=30000000")})
    b.tick()
    assert_trapped(b, "a", "add needs 12,582,912 units, 4,834,176 left")     # two adds fit, the third does not
    b = make_brain(root / "b", {"a": (adds, "budget=20000")}, config="work 13000000")
    b.tick()
    assert_trapped(b, "a", "add needs 12,582,912 units, 417,088 left")


def test_bank_scans_are_charged_to_the_work_budget(root):
    """Before: a bank query scans every entry on the host, free of charge: a loop of queries on a
    large bank ran for seconds within any budget. Each query now costs the bank's values."""
    regs = "H0: i32[64]\nH1: i32[1]\nH4: i32[1]"
    prog = "loop 100\nbank.bank_write H1, H0, 0\nend_loop\nloop 1000\nbank.bank_query H4, H0, 0, 1\nend_loop\nhalt"
    b = make_brain(root, {"r": (firmware(prog, regs), "budget=2000")}, config="bank r 0=mem")
    b.tick()
    msg = assert_trapped(b, "r", "BankQuery: work budget exhausted: scanning bank 'mem' needs 6,400 units")
    assert len(b.banks.banks["mem"]) == 100 and "pc 4 (" in msg
