"""Public API misuse gets the project's own exceptions, never a raw Python one.

UsageError is also a ValueError and IntegerRangeError also an OverflowError, so code written
against the older raw exceptions keeps working; these tests pin both halves.
"""
from __future__ import annotations

import numpy as np
import pytest

from ternsig.errors import IntegerRangeError, TernsigError, UsageError
from ternsig.intmath import I32_MAX, I32_MIN, int_array
from ternsig.isa.encoding import Instruction, decode_words
from ternsig.plasticity import mastery as M
from ternsig.plasticity import temperature as T
from ternsig.signal import Signal
from ternsig.thermo import Signals, Timestamp
from ternsig.vm.interpreter import Interpreter
from ternsig.vm.state import ColdBuffer, Machine


def test_family_is_also_the_builtin_kinds():
    assert issubclass(UsageError, TernsigError) and issubclass(UsageError, ValueError)
    assert issubclass(IntegerRangeError, UsageError) and issubclass(IntegerRangeError, OverflowError)


@pytest.mark.parametrize("values, expect", [
    ([1, 2], [1, 2]), ([1.0, -3.0], [1, -3]), ([True, False], [1, 0]), (5, [5]), ([], []),
    (np.array([[1, 2], [3, 4]], np.int8), [1, 2, 3, 4]),
])
def test_int_array_accepts_integers(values, expect):
    assert int_array(values, "x").tolist() == expect


@pytest.mark.parametrize("values, err", [
    ([1.5], UsageError), (["a"], UsageError), ([[1, 2], [3]], UsageError), ([1, None], UsageError),
    ([float("nan")], UsageError), ([2 ** 70], IntegerRangeError), ([2 ** 63], IntegerRangeError),
    ([-4], IntegerRangeError), ([101], IntegerRangeError),
])
def test_int_array_refuses_what_is_not_an_integer_in_range(values, err):
    with pytest.raises(err, match="x must"):
        int_array(values, "x", -3, 100)


def _w(n=1):
    return np.zeros(n, np.int8), np.zeros(n, np.uint8)


@pytest.mark.parametrize("call, err", [
    (lambda: M.MasteryConfig(magnitude_step=256), UsageError),
    (lambda: M.MasteryConfig(participation_divisor=0), UsageError),
    (lambda: M.MasteryConfig(pressure_decay_den=0), UsageError),
    (lambda: M.MasteryConfig(pressure_scale=2 ** 40), UsageError),
    (lambda: M.MasteryState.new(-1), UsageError),
    (lambda: M.mastery_update([1], [1], M.MasteryState.new(1), [5], 1), UsageError),
    (lambda: M.mastery_update(np.zeros(1, np.int64), np.zeros(1, np.uint8), M.MasteryState.new(1), [5], 1),
     UsageError),
    (lambda: M.mastery_update(*_w(), M.MasteryState.new(1), ["a"], 1), UsageError),
    (lambda: M.mastery_update(*_w(), M.MasteryState.new(1), [2 ** 40], 1), IntegerRangeError),
    (lambda: M.mastery_update(*_w(), M.MasteryState.new(1), [5], 2 ** 40), IntegerRangeError),
    (lambda: M.mastery_update(*_w(), M.MasteryState.new(1), [5], [1, 1]), UsageError),
    (lambda: M.compute_participation_mask([1, 2], 0), UsageError),
])
def test_mastery_misuse(call, err):
    with pytest.raises(err):
        call()


def test_temperature_misuse():
    b = ColdBuffer.zeros((2, 3))
    T.enable_usage_tracking(b)
    with pytest.raises(UsageError, match="6 weights"):
        T.record_usage(b, np.zeros(5, bool))
    with pytest.raises(UsageError, match="integers"):
        T.record_usage(b, ["x"])
    with pytest.raises(UsageError, match="u8"):
        T.decay_usage(b, 300)
    with pytest.raises(UsageError):
        T.LifecyclePolicy(promote_at=(1,))
    with pytest.raises(IntegerRangeError):
        T.learning_thresholds(2 ** 70, np.zeros(2, np.uint8))
    with pytest.raises(IntegerRangeError, match="temperatures"):
        T.threshold_multipliers(np.array([-1]))
    with pytest.raises(UsageError, match="2-D"):
        c = ColdBuffer.zeros((3,))
        T.enable_usage_tracking(c)
        T.record_forward_usage(c, [1])
    # in-range user input still works, from any integer dtype
    assert T.learning_thresholds(50, [0, 1, 2, 3]).tolist() == [25, 50, 100, I32_MAX]


def test_signals_timestamps_and_instruction_words():
    with pytest.raises(UsageError):
        Signal(300, 1)
    with pytest.raises(UsageError):
        Signals(b"abc")
    with pytest.raises(UsageError):
        Signals.from_pairs([(500, 1)])
    with pytest.raises(UsageError):
        Timestamp(-1, 5 * 10 ** 9)
    with pytest.raises(UsageError, match="8 bytes"):
        Instruction.from_bytes(b"abc")
    with pytest.raises(UsageError, match="hex"):
        Instruction.from_hex("zz")
    with pytest.raises(UsageError, match="multiple of 8"):
        decode_words(b"1234567")
    with pytest.raises(UsageError, match="out of range"):
        Instruction(0x10000, 0, 0, 0, 0, 0).to_bytes()
    assert Instruction.from_hex("0000000100000000") == Instruction(0, 1, 0, 0, 0, 0)


def test_machine_buffers_refuse_bad_values():
    m = Machine()
    with pytest.raises(UsageError):
        m.set_input(["a"])
    with pytest.raises(UsageError):
        m.set_input([1.5])                       # was silently truncated to 1
    with pytest.raises(IntegerRangeError):
        m.set_input([I32_MAX + 1])
    with pytest.raises(UsageError):
        m.set_target(["a"])
    with pytest.raises(IntegerRangeError):
        m.set_target([2 ** 70])
    with pytest.raises(TypeError):
        m.set_babble_scale("x")
    m.set_target([I32_MIN, -3, 900])
    assert m.target.tolist() == [-255, -3, 255]
    m.set_input(np.array([7, 8], np.int64))
    assert m.input.dtype == np.int32 and m.input.tolist() == [7, 8]


def test_negative_fuel_is_refused():
    from ternsig.asm import assemble

    it = Interpreter(assemble(".registers\n H0: i32[2]\n.program\n halt\n"))
    with pytest.raises(UsageError, match="fuel"):
        it.run(fuel=-1)
    assert it.run(fuel=5).status.value == "halt"
