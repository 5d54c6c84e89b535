"""The temperature lifecycle fed by the forward pass, in the machine and in a brain."""
from __future__ import annotations

import numpy as np

from tests.host.conftest import firmware, make_brain
from ternsig.asm import assemble
from ternsig.plasticity.temperature import enable_usage_tracking, review
from ternsig.vm.interpreter import Interpreter

SRC = """
.requires
    ternary 0x0002
.registers
    C0: ternary[2, 3]
    H0: i32[3]
    H1: i32[2]
.program
    load_input H0
    ternary_matmul H1, C0, H0
    ternary.ternary_matmul H1, C0, H0
    halt
"""


def test_both_matmuls_feed_usage_and_review_promotes_what_is_used():
    it = Interpreter(assemble(SRC))
    c = it.m.cold[0]
    c.pol[:] = [1, 1, 0, -1, 1, 1]                   # weight 2 is zero: never "used"
    c.mag[:] = [10, 10, 0, 10, 10, 10]
    c.touch()
    enable_usage_tracking(c)
    for _ in range(8):
        it.forward_i32([5, 0, 7])                    # input 1 is zero: its weights are not used
    assert c.usage.tolist() == [16, 0, 0, 16, 0, 16]   # two matmuls per run
    rep = review(c)
    assert rep.promoted == 3 and c.temps.tolist() == [1, 0, 0, 1, 0, 1]


def test_brain_lifecycle_option_reviews_learning_regions(tmp_path):
    regs = "C0: ternary[1, 3]\nH0: i32[3]\nH1: i32[1]"
    b = make_brain(tmp_path, {"l": (firmware("load_input H0\nternary_matmul H1, C0, H0\nhalt", regs),
                                    "role=learning input=@env")},
                   config="lifecycle every=5 promote=2,1000")
    c = b.region("l").machine.cold[0]
    c.pol[:] = 1
    c.mag[:] = 50
    c.touch()
    for _ in range(5):
        b.region("l").pending_input = np.array([9, 9, 0], np.int32)
        b.tick()
    assert c.temps.tolist() == [1, 1, 0]             # used weights promoted HOT → WARM at tick 5
    assert any(e.get("note") == "temperature review" for e in b.events)
