"""Checkpoint parts whose container checksum is valid but whose content is hostile (wrong types,
huge numbers, missing keys, arrays of the wrong kind): restoring a region or the kernel state
raises a TernsigError (FormatError: the part is refused) or drops what does not fit — never a raw
Python exception. Hypothesis replaces one node anywhere in a real brain's state document."""
from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from ternsig.errors import TernsigError
from ternsig.host import brainstate as bs
from ternsig.host.brain import Brain
from ternsig.host.statefile import pack, unpack

from tests.host.conftest import brain_dir, firmware
from tests.host.test_hostile_files import JSON, paths, replaced

REGS = 'H0: i32[4]\nH1: i32[2, 2]\nC0: ternary[2, 2] key="w0"\nC1: ternary[4]'
SRC = firmware("set H0, 3\nipc.send_signal H0, 1\nneuro.coact_record H0, H0\nhalt", REGS)
ARRAYS = st.sampled_from([np.zeros(3, np.int8), np.zeros(4, np.uint8), np.zeros((2, 2), np.int32),
                          np.zeros(10**6, np.int64), np.array([2**62], np.int64), np.zeros(0, np.float64)])


def _brain(tmp_path) -> Brain:
    d = brain_dir(tmp_path, {"a": (SRC, "role=test"), "b": firmware("halt")}, config="bank a 0=mem")
    b = Brain(d)
    b.boot()
    return b


def _docs(tmp_path_factory):
    b = _brain(tmp_path_factory.mktemp("src"))
    b.tick()
    return unpack(bs.encode_region(b, b.regions[0])), unpack(bs.encode_kernel(b))


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                   HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_hostile_region_and_kernel_parts_never_raise_raw_exceptions(tmp_path_factory, data):
    region_doc, kernel_doc = _docs(tmp_path_factory)
    which = data.draw(st.sampled_from(["region", "kernel"]))
    doc = region_doc if which == "region" else kernel_doc
    at = data.draw(st.sampled_from(paths(doc)))
    value = data.draw(JSON | ARRAYS)
    try:
        packed = pack(replaced(doc, at, value))
    except (ValueError, TypeError):                     # the writer refuses it (e.g. an infinity)
        assume(False)
    bad = unpack(packed)                                # through the container, as a restart reads it
    b = _brain(tmp_path_factory.mktemp("dst"))
    dropped: list[str] = []
    try:
        if which == "region":
            bs.restore_region(b, b.regions[0], bad, dropped)
        else:
            bs.restore_kernel(b, bad, dropped)
    except TernsigError:
        pass
