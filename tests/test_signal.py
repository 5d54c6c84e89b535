import numpy as np
import pytest

from ternsig.signal import Signal, signal_values, signals_from_ints, signals_from_pairs


def test_from_signed_saturates_at_255():
    assert Signal.from_signed(1000) == Signal(1, 255)
    assert Signal.from_signed(-256) == Signal(-1, 255)
    assert Signal.from_signed(0) == Signal(0, 0)
    assert Signal.from_signed(-7).value == -7


def test_non_canonical_signals_are_kept():
    s = Signal(0, 200)
    assert s.value == 0 and s.magnitude == 200
    pol, mag = signals_from_pairs([[0, 200], [1, 0], [-1, 255]])
    assert pol.tolist() == [0, 1, -1] and mag.tolist() == [200, 0, 255]
    assert signal_values(pol, mag).tolist() == [0, 0, -255]


def test_array_conversion_saturates():
    pol, mag = signals_from_ints([300, -300, 5, 0, -1])
    assert pol.dtype == np.int8 and mag.dtype == np.uint8
    assert signal_values(pol, mag).tolist() == [255, -255, 5, 0, -1]


def test_out_of_range_components_are_refused():
    with pytest.raises(ValueError):
        Signal(0, 256)
    with pytest.raises(ValueError):
        signals_from_pairs([[0, 300]])
