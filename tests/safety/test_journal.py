"""Structural-change journal: journaling, convergence watchdog rollback, layer-2 bounds, persistence."""
from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from ternsig.asm import assemble
from ternsig.errors import FormatError
from ternsig.safety.journal import (COMMITTED, ROLLED_BACK, VIOLATION, WATCHING, Journal, immune_rows,
                                    layer2_violation, structural_registers)
from ternsig.vm.interpreter import Interpreter
from ternsig.vm.state import COLD, HOT, ColdBuffer

EVO = """\
.meta
    name evo
    role evolutionary
.registers
    C0: ternary[2, 4]  key="demo.c0"
.program
    {body}
    halt
"""


def region(body: str, role: str = "evolutionary", name: str = "evo"):
    prog = assemble(EVO.format(body=body))
    it = Interpreter(prog)
    c0 = it.m.cold[0]
    c0.pol[:] = [1, 1, 0, 0, 0, 0, 1, 1]      # class 0 ↔ x[0:2], class 1 ↔ x[2:4]
    c0.mag[:] = 1
    c0.touch()
    return SimpleNamespace(name=name, role=role, program=prog, interp=it, machine=it.m)


class Brain:
    def __init__(self, *regions):
        self.regions = list(regions)

    def region(self, name):
        return next(r for r in self.regions if r.name == name)


XS = np.array([[9, 9, 0, 0], [0, 0, 9, 9], [5, 7, 0, 1], [1, 0, 6, 8]])
YS = np.array([0, 1, 0, 1])


def accuracy(reg):
    c0 = reg.machine.cold[0]
    w = c0.values().reshape(c0.shape)
    return float((np.argmax(XS @ w.T, axis=1) == YS).mean())


def tick(j, reg, brain, t):
    j.before_run(reg)
    reg.interp.m.pc = 0
    res = reg.interp.run(fuel=1000)
    assert res.ok, res
    new = j.after_run(reg, t)
    rolled = j.on_tick(brain)
    return new, rolled


def test_harmful_grow_is_rolled_back(tmp_path):
    reg = region("grow_neuron C0, 1, 9")
    brain = Brain(reg)
    j = Journal(tmp_path / "journal", coherence=lambda: accuracy(reg), watch_ticks=5)
    j.on_tick(brain)                           # baseline: accuracy before any change
    assert j.last_coherence == 1.0
    before = reg.machine.cold[0].copy()
    j.before_run(reg)
    reg.interp.run(fuel=100).raise_for_trap()
    assert reg.machine.cold[0].shape == (3, 4)
    assert accuracy(reg) < 1.0                  # the new random neuron steals inputs: harmful
    [e] = j.after_run(reg, 1)
    assert (e.kind, e.status, e.baseline) == ("grow", WATCHING, 1.0)
    rolled = j.on_tick(brain)
    assert rolled == [e] and e.status == ROLLED_BACK
    c0 = reg.machine.cold[0]
    assert c0.shape == (2, 4) and np.array_equal(c0.pol, before.pol) and np.array_equal(c0.mag, before.mag)
    assert accuracy(reg) == 1.0
    # the journal on disk agrees, and survives a restart
    j2 = Journal(tmp_path / "journal")
    assert [(x.seq, x.kind, x.status) for x in j2.entries] == [(1, "grow", ROLLED_BACK)]


def test_harmless_change_commits_after_window():
    reg = region("grow_neuron C0, 1, 9")
    brain = Brain(reg)
    j = Journal(coherence=lambda: 0.5, watch_ticks=3)
    j.on_tick(brain)
    new, rolled = tick(j, reg, brain, 1)
    assert [e.kind for e in new] == ["grow"] and not rolled
    # the evolutionary program grows every run: the next runs (up to capacity 16 = 2 × 8) journal too
    for t in range(2, 5):
        tick(j, reg, brain, t)
    assert j.entries[0].status == COMMITTED and reg.machine.cold[0].shape[0] == 4
    # ticks 3 and 4 would pass the default capacity (2 × the size first seen): reverted
    assert [e.status for e in j.entries] == [COMMITTED, COMMITTED, VIOLATION, VIOLATION]


def test_capacity_violation_is_reverted():
    reg = region("grow_neuron C0, 3, 9")
    brain = Brain(reg)
    j = Journal(coherence=lambda: 1.0, watch_ticks=3)
    j.declare_capacity("evo", 0x40, 12)       # 2 rows of 4 + 3 more rows would be 20 elements
    new, _ = tick(j, reg, brain, 1)
    assert [e.status for e in new] == [VIOLATION]
    assert "beyond its capacity of 12" in new[0].note
    assert reg.machine.cold[0].shape == (2, 4)


def test_cold_neurons_are_immune_to_pruning():
    reg = region("prune_neuron C0, 0")
    c0 = reg.machine.cold[0]
    c0.temps = np.array([COLD] * 4 + [HOT] * 4, np.uint8)     # row 0 proven, row 1 HOT
    c0.touch()
    brain = Brain(reg)
    j = Journal(coherence=lambda: 1.0)
    new, _ = tick(j, reg, brain, 1)
    assert [e.status for e in new] == [VIOLATION] and "only HOT neurons may be pruned" in new[0].note
    assert reg.machine.cold[0].shape == (2, 4) and reg.machine.cold[0].temps[0] == COLD
    # pruning the HOT row is allowed and journaled
    reg2 = region("prune_neuron C0, 1", name="evo2")
    reg2.machine.cold[0].temps = np.array([COLD] * 4 + [HOT] * 4, np.uint8)
    new, _ = tick(j, reg2, Brain(reg2), 2)
    assert [(e.kind, e.status) for e in new] == [("prune", WATCHING)]
    assert reg2.machine.cold[0].shape == (1, 4)


def test_rewriting_cold_weights_is_a_violation():
    reg = region("init_random C0, 5")
    reg.machine.cold[0].temps = np.array([HOT] * 4 + [COLD] * 4, np.uint8)
    j = Journal()
    new, _ = tick(j, reg, Brain(reg), 1)
    assert [e.status for e in new] == [VIOLATION] and "COLD structure is immune" in new[0].note
    assert reg.machine.cold[0].pol.tolist() == [1, 1, 0, 0, 0, 0, 1, 1]


def test_layer2_rules_directly():
    b = ColdBuffer(np.ones(6, np.int8), np.ones(6, np.uint8), (3, 2), temps=np.array([0, 0, 0, 2, 0, 0], np.uint8))
    assert immune_rows(b).tolist() == [False, True, False]
    grown = b.copy()
    grown.pol = np.concatenate((b.pol, [1, 1])).astype(np.int8)
    grown.mag = np.concatenate((b.mag, [3, 3])).astype(np.uint8)
    grown.temps = np.concatenate((b.temps, [0, 0])).astype(np.uint8)
    grown.shape = (4, 2)
    assert layer2_violation(b, grown, 100) is None
    assert "capacity" in layer2_violation(b, grown, 6)
    cooled = b.copy()
    cooled.temps = np.array([0, 0, 3, 3, 1, 0], np.uint8)      # cooling is the lifecycle: allowed
    assert layer2_violation(b, cooled, None) is None
    warmed = b.copy()
    warmed.temps = np.array([0, 0, 0, 1, 0, 0], np.uint8)
    assert "warms" in layer2_violation(b, warmed, None)
    assert "frees" in layer2_violation(b, None, None)


def test_runtime_program_costs_nothing():
    prog = assemble(".registers\n    H0: i32[4]\n.program\n    load_input H0\n    store_output H0\n    halt\n")
    it = Interpreter(prog)
    reg = SimpleNamespace(name="rt", role="runtime", program=prog, interp=it, machine=it.m)
    j = Journal()
    assert structural_registers(prog) == ()
    j.before_run(reg)
    assert j._pending == {}
    assert j.after_run(reg, 1) == []


def test_journal_survives_restart_and_rolls_back_after_it(tmp_path):
    path = tmp_path / "state" / "journal"
    reg = region("grow_neuron C0, 1, 3")
    brain = Brain(reg)
    j = Journal(path, coherence=lambda: 1.0, watch_ticks=50)
    j.on_tick(brain)
    reg.machine.cold[0].temps = np.array([COLD] * 8, np.uint8)
    reg.machine.pressure[0] = np.arange(8, dtype=np.int32)
    tick(j, reg, brain, 1)
    assert reg.machine.cold[0].shape == (3, 4)
    assert sorted(p.name for p in path.parent.iterdir()) == ["journal"]      # no temp file left
    # restart: a new machine with the grown state, a journal loaded from disk
    j2 = Journal(path)
    [e] = j2.entries
    assert (e.status, e.baseline) == (WATCHING, 1.0)     # watch progress is saved on status changes
    assert j2.capacity == {"evo/C0": 16}
    j2.rollback_seq(brain, e.seq)
    c0 = reg.machine.cold[0]
    assert c0.shape == (2, 4) and c0.temps.tolist() == [COLD] * 8 and c0.key == "demo.c0"
    assert reg.machine.pressure[0].tolist() == list(range(8))
    assert Journal(path).entries[0].status == ROLLED_BACK


def test_torn_or_edited_journal_is_refused(tmp_path):
    path = tmp_path / "journal"
    reg = region("grow_neuron C0, 1, 3")
    j = Journal(path, coherence=lambda: 1.0)
    tick(j, reg, Brain(reg), 1)
    data = path.read_bytes()
    path.write_bytes(data[:-5])
    with pytest.raises(FormatError, match="checksum"):
        Journal(path)
    path.write_bytes(data.replace(b'"grow"', b'"prun"'))
    with pytest.raises(FormatError, match="checksum"):
        Journal(path)
    path.write_bytes(b"garbage")
    with pytest.raises(FormatError, match="magic"):
        Journal(path)
