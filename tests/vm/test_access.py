"""The interpreter's Python API: arrays in and out, registers, weights, chemicals, repr."""
from __future__ import annotations

import numpy as np
import pytest

from ternsig.asm import assemble
from ternsig.errors import Trap, UsageError
from ternsig.vm.interpreter import Interpreter
from tests.paths import EXAMPLES
from tests.tiers import each_tier

pytestmark = pytest.mark.usefixtures("each_tier")

SRC = """
.meta
    name doubler
    role runtime
.registers
    C0: ternary[2, 3]  key="t.w"
    H0: i32[3]
    H1: i32[2]
    P1: i32[1]
.program
    load_input H0
    ternary_matmul H1, C0, H0
    store_output H1
    halt
"""


@pytest.fixture
def vm() -> Interpreter:
    vm = Interpreter(assemble(SRC))
    vm.set_weights("C0", [[1, 2, 3], [-1, 0, 255]])
    return vm


def test_predict_takes_and_returns_arrays(vm):
    out = vm.predict(np.array([1, 2, 3]))
    assert isinstance(out, np.ndarray) and out.dtype == np.int32
    assert out.tolist() == [14, 764]
    batch = vm.predict(np.array([[1, 2, 3], [0, 0, 1], [2, 0, 0]]))
    assert batch.shape == (3, 2)
    assert batch.tolist() == [[14, 764], [3, 255], [2, -2]]
    assert vm.predict([[0, 0, 1]]).shape == (1, 2)          # a list of one row stays 2-D
    assert vm.outputs.tolist() == [3, 255]                 # the last run's output buffer
    with pytest.raises(UsageError, match="integers"):
        vm.predict([0.5, 1, 2])


def test_predict_raises_a_trap_with_the_pc():
    vm = Interpreter(assemble(".registers\n  H0: i32[2]\n.program\n  load_input H0\n  relu H0, H5\n  halt\n"))
    with pytest.raises(Trap) as exc:
        vm.predict([1, 2])
    assert exc.value.pc == 1


def test_registers_by_name(vm):
    vm.predict([1, 2, 3])
    assert vm.register("H0").tolist() == [1, 2, 3]
    assert vm.register("h1").tolist() == [14, 764]
    assert vm.register("P1") == 0
    vm.set_register("P1", 7)
    assert vm.register("P1") == 7
    vm.set_register("H0", np.array([4, 5, 6]))
    assert vm.registers["H0"].tolist() == [4, 5, 6]
    assert set(vm.registers) == {"H0", "H1", "C0", "P1"}
    snapshot = vm.register("H0")
    snapshot[0] = 99                                       # a copy: the machine is unchanged
    assert vm.register("H0").tolist() == [4, 5, 6]
    for bad, needle in (("X1", "not a register"), ("H9", "not allocated"), ("H64", "not a register")):
        with pytest.raises(UsageError, match=needle):
            vm.register(bad)
    with pytest.raises(UsageError, match="set_weights"):
        vm.set_register("C0", [1])


def test_weights_with_temperatures(vm):
    w = vm.weights("C0")
    assert w.shape == (2, 3) and w.key == "t.w"
    assert w.values.tolist() == [[1, 2, 3], [-1, 0, 255]]
    assert w.polarity.tolist() == [[1, 1, 1], [-1, 0, 1]]
    assert w.magnitude.tolist() == [[1, 2, 3], [1, 0, 255]]
    assert w.temperature_counts() == {"HOT": 6, "WARM": 0, "COOL": 0, "COLD": 0}
    vm.set_weights("C0", np.zeros((2, 3)), temperatures=["COLD", "HOT", 1, 2, 3, "warm"])
    w = vm.weights("C0")
    assert w.temperatures.tolist() == [[3, 0, 1], [2, 3, 1]]
    assert "2 COLD" in repr(w)
    with pytest.raises(UsageError, match="holds 6 weights"):
        vm.set_weights("C0", [1, 2])
    with pytest.raises(UsageError, match="-255..255"):
        vm.set_weights("C0", [256, 0, 0, 0, 0, 0])
    with pytest.raises(UsageError, match="not one of"):
        vm.set_weights("C0", [0] * 6, temperatures="TEPID")
    with pytest.raises(UsageError, match="not a cold"):
        vm.weights("H0")


def test_weights_written_through_the_api_are_what_runs(vm):
    vm.set_weights("C0", [0, 0, 1, 0, 1, 0])
    assert vm.predict([5, 6, 7]).tolist() == [7, 6]


def test_chemicals(vm):
    assert vm.chemicals == {"dopamine": 128, "serotonin": 128, "norepinephrine": 128, "gaba": 128}
    vm.set_chemicals(dopamine=10, gaba=255)
    assert vm.chemicals["dopamine"] == 10 and vm.m.chem.gaba == 255
    with pytest.raises(UsageError, match="unknown chemical"):
        vm.set_chemicals(adrenaline=1)
    with pytest.raises(UsageError, match="0..255"):
        vm.set_chemicals(dopamine=300)


def test_repr_and_html(vm):
    program = vm.program
    assert repr(program).startswith("<Program doubler (runtime): 4 instructions")
    assert 'C0: ternary[2, 3] key="t.w"' in repr(program)
    assert "<table>" in program._repr_html_() and "doubler" in program._repr_html_()
    assert repr(vm).startswith("<Interpreter doubler: 4 instructions, 4 registers")
    html = vm._repr_html_()
    assert "dopamine 128" in html and "<td>C0</td>" in html


def test_the_example_classifier_through_the_api():
    vm = Interpreter(assemble((EXAMPLES / "classifier.ternsig").read_text()))
    x = np.arange(1, 9)
    assert vm.predict(x).tolist() == vm.forward_i32(x.tolist())
