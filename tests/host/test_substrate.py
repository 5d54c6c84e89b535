import numpy as np
import pytest

from ternsig.errors import HostError
from ternsig.host.substrate import CHEMICALS, FIELDS, PHASES, Substrate, SubstrateHandle


def test_default_substrate_implements_the_protocol():
    s = Substrate()
    assert isinstance(s, SubstrateHandle)
    assert len(CHEMICALS) == 8 and len(FIELDS) == 12
    assert s.read_chemical(0) == 128 and s.read_chemical(7) == 0


def test_chemicals_clamp_to_a_byte_and_ids_are_checked():
    s = Substrate()
    s.write_chemical(0, 999)
    assert s.read_chemical(0) == 255
    s.write_chemical(0, -5)
    assert s.read_chemical(0) == 0
    with pytest.raises(HostError, match="chemical id 8"):
        s.read_chemical(8)


def test_field_slices_tick_and_decay():
    s = Substrate(field_slices=4, field_width=4)
    s.write_slice(0, 2, np.array([256, -256, 100]))
    assert s.slice(0, 2).tolist() == [256, -256, 100, 0]
    s.tick_field(0)                              # ×230/256, flooring
    assert s.slice(0, 2).tolist() == [230, -230, 89, 0]
    s.decay_field(0, 128, 10)                    # ×128/255, truncating toward zero
    assert s.slice(0, 2).tolist() == [115, -115, 44, 0]
    assert s.read_chemical(7) == 10              # fatigue rose with sustained activity
    with pytest.raises(HostError):
        s.slice(12, 0)
    with pytest.raises(HostError):
        s.slice(0, 4)


def test_phase_and_level_only_advance():
    s = Substrate()
    s.set_phase(2)
    with pytest.raises(HostError, match="may only advance"):
        s.set_phase(1)
    with pytest.raises(HostError):
        s.set_phase(len(PHASES))
    s.set_level(3)
    with pytest.raises(HostError):
        s.set_level(2)
