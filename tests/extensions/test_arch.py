"""The arch extension (0x0006): golden cases and edge rules (all 64 slots, raw input indices,
define/freeze/unfreeze, set_activation, AllocRegister/FreeRegister yields, panics → traps)."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tests.extensions.core.test_ops_forward import C, H, assert_golden, cases, hot, run, run_golden, machine_with as machine
from ternsig.extensions import arch
from ternsig.isa.encoding import Instruction
from ternsig.isa.spec import Layer
from ternsig.kernels.structure import lcg_signals
from ternsig.vm.results import Status
from ternsig.vm.state import ColdBuffer


def a(op: str, x=0, b=0, c=0, d=0) -> Instruction:
    return Instruction(0x0006, arch.TABLE.lookup(op).opcode, x, b, c, d)


@pytest.mark.parametrize("case", cases("ext_arch", ""), ids=lambda p: p.name)
def test_golden_ext_arch(case: Path, monkeypatch) -> None:
    if case.name.endswith("__panic"):                    # reference panics; we trap (deviation)
        want, got = run_golden(case, monkeypatch)
        assert want["status"] == "panic" and got["status"] == "trap"
        assert "remainder with a divisor of zero" in got["error"]
        assert got["hot"] == want["hot"] and got["trace"] == want["trace"]
        return
    assert_golden(case, monkeypatch)


def test_table_opcodes_and_layers() -> None:
    assert sorted(s.opcode for s in arch.TABLE.specs) == list(range(13))
    layer = {s.mnemonic: s.layer for s in arch.TABLE.specs}
    assert layer["grow_neuron"] is Layer.EVOLUTIONARY and layer["freeze_layer"] is Layer.EVOLUTIONARY
    assert layer["alloc_tensor"] is Layer.BOOT and layer["define_layer"] is Layer.BOOT
    assert {s.mnemonic for s in arch.TABLE.specs if s.yields} == {"alloc_dynamic", "free_dynamic"}


def test_wiring_reaches_all_64_slots() -> None:
    w = ColdBuffer(np.array([1, 1], np.int8), np.array([3, 4], np.uint8), (1, 2))
    it = machine([a("wire_forward", H(40), C(50), 33), a("wire_skip", H(41), H(40), 33)], {33: [10, 100]}, {50: w})
    assert it.run().status is Status.ENDED
    assert hot(it, 40) == [430] and hot(it, 41) == [440, 530] and it.m.hot[41].shape == (1,)


def test_raw_input_index_beyond_64_traps() -> None:
    """Reference: `hot_regs[64+]` index out of bounds panic; here a trap (docs/deviations.md)."""
    w = ColdBuffer.zeros((1, 1))
    for instr in (a("wire_forward", H(1), C(0), 0x41), a("wire_skip", H(1), H(0), 0x80)):
        r = machine([instr], {0: [1]}, {0: w}).run()
        assert r.status is Status.TRAP and r.kind == "panic" and "index out of bounds" in r.message


def test_wire_skip_empty_input_traps() -> None:
    r = machine([a("wire_skip", H(2), H(1), 0)], {0: [1, 2], 1: []}).run()
    assert r.status is Status.TRAP and r.kind == "panic" and "remainder with a divisor of zero" in r.message
    it = machine([a("wire_skip", H(2), H(1), 0)], {0: [], 1: []})
    assert it.run().status is Status.ENDED and hot(it, 2) == []


def test_define_freeze_unfreeze_activation() -> None:
    it = machine([a("define_layer", C(3) | 0x40, 4, 1, 2), a("freeze_layer", C(3)), a("set_activation", C(3), 5),
                  a("init_random", C(3), d=7), a("unfreeze_layer", C(3))])
    assert it.run().status is Status.ENDED
    c3 = it.m.cold[3]
    assert c3.shape == (258, 4) and c3.temps.tolist() == [0] * 1032
    p, m = lcg_signals(7, 1032)
    assert c3.pol.tolist() == p.tolist() and c3.mag.tolist() == m.tolist()
    assert it.m.shape_regs[3] == [5]
    it = machine([a("define_layer", C(3), 4, 0, 2), a("freeze_layer", C(3))])
    it.run()
    assert it.m.cold[3].temps.tolist() == [3] * 8
    for instrs, msg in [([a("define_layer", C(0), 0, 0, 1)], "Layer dimensions must be > 0"),
                        ([a("define_layer", C(0), 1, 0, 1), a("define_layer", C(0), 1, 0, 1)], "C0 already allocated"),
                        ([a("freeze_layer", C(9))], "C9 not allocated"),
                        ([a("grow_neuron", C(9), 0, 0)], "Cannot grow by 0 neurons"),
                        ([a("grow_neuron", C(9), 0, 1)], "C9 not allocated"),
                        ([a("wire_skip", H(0), H(4), 0)], "H4 not allocated")]:
        r = machine(instrs).run()
        assert r.status is Status.ERROR and r.message == msg


def test_dynamic_registers_yield() -> None:
    it = machine([a("alloc_dynamic", H(9), 1, 1, 2), a("free_dynamic", C(2))])
    r = it.run_until_yield()
    assert r.status is Status.YIELD and r.op.to_json()["fields"] == {"target": 9, "bank": 1, "size": 258}
    r = it.run_until_yield()
    assert r.op.to_json()["op"] == "FreeRegister" and r.op.to_json()["fields"] == {"register": C(2)}


def test_grow_uses_weight_count_offset_seed() -> None:
    w = ColdBuffer.zeros((3,))
    it = machine([a("grow_neuron", C(0), 0, 4, 200)], colds={0: w})
    it.run()
    p, m = lcg_signals(203, 4)
    assert w.shape == (7,) and w.pol[3:].tolist() == p.tolist() and w.mag[3:].tolist() == m.tolist()
