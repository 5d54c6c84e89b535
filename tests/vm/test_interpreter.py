"""The interpreter loop: decode once, results, fuel, host callbacks, faults."""
import pytest
from hypothesis import given, settings, strategies as st

from ternsig.errors import Trap
from ternsig.vm.domainops import make
from ternsig.isa.encoding import Instruction as I
from ternsig.isa.spec import ExtensionTable, Layer
from ternsig.program import Program, RegisterDef
from ternsig.registry import ExtensionRegistry
from ternsig.vm.interpreter import Interpreter
from ternsig.vm.results import Status

NONE = (0xFF, 0xFF, 0, 0)
HALT = I(0, 0x0001, *NONE)
NOP = I(0, 0x0000, *NONE)


def loop(n):
    return I(0, 0x6000, 0xFF, 0xFF, n >> 8, n & 0xFF)


END = I(0, 0x6001, *NONE)


def test_nested_loops_count_exactly():
    prog = Program([loop(3), loop(4), NOP, END, END, HALT])
    it = Interpreter(prog)
    assert it.run().status is Status.HALT
    assert it.steps == 1 + 3 * (1 + 4 * 2 + 1) + 1


def test_loop_zero_runs_body_once_and_break_skips_next():
    it = Interpreter(Program([loop(0), NOP, END, HALT]))
    it.run()
    assert it.steps == 4
    # break pops the loop AND skips the following instruction
    it = Interpreter(Program([loop(5), I(0, 0x6002, *NONE), HALT, NOP, END, HALT]))
    assert it.run().status is Status.HALT and it.pc == 6


def test_call_return_and_empty_return_halts():
    prog = Program([I(0, 0x6006, 0, 0, 0, 3), HALT, NOP, NOP, I(0, 0x6007, *NONE)])
    it = Interpreter(prog)
    assert it.run().status is Status.HALT and it.pc == 2
    it = Interpreter(Program([I(0, 0x6007, *NONE), NOP]))
    assert it.run().status is Status.HALT and it.pc == 1


def test_ended_when_pc_runs_off_the_end():
    it = Interpreter(Program([NOP]))
    assert it.step().status is Status.CONTINUE
    assert it.step().status is Status.ENDED and it.is_ended()


def test_fuel_stops_after_exactly_that_many_instructions():
    spin = Program([I(0, 0x6008, 0, 0, 0, 0)])
    for budget in (1, 7, 1000):
        it = Interpreter(spin)
        r = it.run(fuel=budget)
        assert r.status is Status.TRAP and r.kind == "fuel" and it.steps == budget
    it = Interpreter(Program([NOP, HALT]))
    assert it.run(fuel=2).status is Status.HALT


def test_unknown_opcode_and_extension_errors_use_reference_text():
    it = Interpreter(Program([I(0, 0x7000)]))
    r = it.step()
    assert r.status is Status.ERROR and r.message == "Unknown opcode: 0x7000" and r.pc == 0
    it = Interpreter(Program([I(0x0100, 0x0003)]), registry=ExtensionRegistry())
    r = it.run()
    assert r.status is Status.ERROR and r.message == "Unknown extension: 0x0100"
    with pytest.raises(Trap) as exc:
        r.raise_for_trap()
    assert exc.value.pc == 0


def _yielding_ext():
    t = ExtensionTable(0x0100, "probe")

    @t.op(0x0000, "ask", "reg@A", Layer.RUNTIME, "yield a TickRead", yields=True)
    def ask(m, a, b, c, d):
        return make("TickRead", target=a)

    @t.op(0x0001, "boom", "", Layer.RUNTIME, "a handler bug")
    def boom(m, a, b, c, d):
        raise ZeroDivisionError("oops")

    return ExtensionRegistry([t])


def test_yield_resume_and_host_callback():
    prog = Program([I(0x0100, 0, 5), I(0x0100, 0, 6), HALT],
                   registers=[RegisterDef(5, "i32", (1,)), RegisterDef(6, "i32", (1,))])
    it = Interpreter(prog, registry=_yielding_ext())
    r = it.run_until_yield()
    assert r.status is Status.YIELD and r.op.fields() == {"target": 5} and it.pc == 1
    seen = []

    def host(op, m):
        seen.append(op)
        m.hot[op.target].data[0] = 42
        return True

    assert it.run_with_host(host).status is Status.HALT
    assert [o.target for o in seen] == [6] and it.m.hot[6].data[0] == 42
    # a host returning False halts
    it = Interpreter(prog, registry=_yielding_ext())
    assert it.run_with_host(lambda op, m: False).status is Status.HALT and it.pc == 1
    # run() skips yields, as the reference's run() does
    it = Interpreter(prog, registry=_yielding_ext())
    assert it.run().status is Status.HALT


def test_handler_bug_becomes_a_trap_not_an_exception():
    it = Interpreter(Program([I(0x0100, 1)]), registry=_yielding_ext())
    r = it.run()
    assert r.status is Status.TRAP and r.kind == "internal" and "ZeroDivisionError" in r.message


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.sampled_from([0, 0, 0, 1, 2, 3, 4, 5, 6, 8, 10, 11, 12, 0xC0, 0x100]),
                          st.integers(0, 0x6FFF), *[st.integers(0, 255)] * 4), max_size=24),
       st.lists(st.integers(-(1 << 31), (1 << 31) - 1), max_size=8))
def test_random_instruction_words_only_produce_results(words, inp):
    """Random words under fuel: a result every time, never a raw exception or a hang."""
    prog = Program([I(*w) for w in words])
    it = Interpreter(prog)
    it.m.set_input(inp)
    r = it.run(fuel=500)
    assert r.status in (Status.HALT, Status.ENDED, Status.ERROR, Status.TRAP, Status.CONTINUE)
    assert r.kind != "internal", r.message


def test_huge_register_declarations_are_refused_before_allocating():
    from ternsig.errors import ValidationError

    prog = Program([HALT], registers=[RegisterDef(0, "i32", (65535, 65535, 65535))])
    with pytest.raises(ValidationError, match="limit"):
        Interpreter(prog)


def test_a_register_doubling_in_a_loop_traps_at_the_size_limit():
    from ternsig.asm import assemble

    prog = assemble(".registers\n    H0: i32[64]\n.program\n    loop 60000\n    concat H0, H0, H0\n    end_loop\n    halt\n")
    r = Interpreter(prog).run(fuel=1_000_000)
    assert r.status is Status.TRAP and r.kind == "panic" and "limit" in r.message
