"""Hot reload: verification before swap, state kept across a swap, the watcher and the dev loop."""
from __future__ import annotations

import io
import os
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from ternsig.reload import (HotReloader, ReloadRejected, ReloadTarget, apply_reload, prepare_program,
                            run_watch, swap_program)
from ternsig.vm.interpreter import Interpreter

SRC = """\
.meta
    name demo
    role runtime

.registers
    C0: ternary[2, 4]  key="demo.w"
    C1: ternary[4]
    H0: i32[4]
    H1: i32[2]

.program
    load_input H0
    ternary_matmul H1, C0, H0
    shift H1, H1, {shift}
    store_output H1
    halt
"""


def src(shift=0, **repl):
    s = SRC.format(shift=shift)
    for a, b in repl.items():
        s = s.replace(a.replace("_", " "), b)
    return s


def make_interp(text=None):
    it = Interpreter(prepare_program(text or src(), "runtime"))
    m = it.m
    c0 = m.cold[0]
    c0.pol[:] = [1, -1, 1, 0, 1, 1, -1, 1]
    c0.mag[:] = [10, 20, 30, 0, 5, 6, 7, 8]
    c0.temps = np.array([3, 3, 3, 3, 0, 0, 1, 2], np.uint8)
    c0.touch()
    m.pressure[0] = np.arange(8, dtype=np.int32)
    m.cold[1].pol[:] = [1, 1, -1, -1]
    m.cold[1].mag[:] = 9
    return it


def run(it, x=(1, 2, 3, 4)):
    it.m.pc = 0
    it.load_input(x)
    res = it.run(fuel=10_000)
    assert res.ok, res
    return it.output()


# ---- verification ---------------------------------------------------------------------------------

def test_a_truncated_source_is_refused_or_is_a_shorter_valid_program():
    """prepare_program judges validity only; that a file is complete is decided by the watcher
    (size and hash stable across the debounce: tests/reload/test_completeness.py)."""
    text = src()
    full = prepare_program(text, "runtime").instructions
    for cut in range(len(text)):
        try:
            p = prepare_program(text[:cut], "runtime")
        except ReloadRejected:
            continue
        assert p.instructions == full[:len(p.instructions)]


def test_a_program_without_a_trailing_halt_is_accepted():
    p = prepare_program(src().replace("halt", ""), "runtime")
    assert len(p.instructions) == len(prepare_program(src(), "runtime").instructions) - 1


@pytest.mark.parametrize("text,why", [
    (src(**{"role_runtime": "role learning"}), "declares role 'learning'"),
    (src().replace("halt", "grow_neuron C0, 1, 3\n    halt"), "policy"),
    (src().replace("load_input H0", "loop 3\n    load_input H0"), "loop"),
    (src().replace("shift H1, H1, 0", "shift H1, H1,"), "does not assemble"),
])
def test_prepare_rejects(text, why):
    with pytest.raises(ReloadRejected) as ei:
        prepare_program(text, "runtime")
    assert why in ei.value.reason


# ---- swapping -------------------------------------------------------------------------------------------

def test_swap_keeps_weights_temperatures_and_pressure():
    it = make_interp()
    before = run(it)
    c0 = it.m.cold[0]
    rep = swap_program(it, prepare_program(src(shift=1), "runtime"))
    assert it.m.cold[0] is c0                     # same buffer: weights, temps, usage survive
    assert it.m.cold[0].temps.tolist() == [3, 3, 3, 3, 0, 0, 1, 2]
    assert it.m.pressure[0].tolist() == list(range(8))
    assert it.m.cold[1].mag.tolist() == [9] * 4   # unkeyed, same index and shape
    assert set(rep.kept) == {"C0", "C1"} and rep.dropped == [] and rep.cold_preserved
    assert it.pc == 0
    assert run(it) == [v >> 1 for v in before]


def test_swap_moves_keyed_register_and_drops_changed_shapes():
    it = make_interp()
    text = src().replace("C0: ternary[2, 4]", "C5: ternary[2, 4]").replace("C1: ternary[4]", "C1: ternary[8]") \
        .replace("H1, C0, H0", "H1, C5, H0")
    rep = swap_program(it, prepare_program(text, "runtime"))
    assert it.m.cold[0] is None and it.m.cold[5].temps is not None
    assert it.m.pressure[5].tolist() == list(range(8))
    assert rep.kept == ["C5 (from C0)"]
    assert rep.dropped == ["C1 (shape [4] → [8])"] and rep.fresh == ["C1"]
    assert it.m.cold[1].mag.tolist() == [0] * 8


def test_swap_keeps_grown_register_when_declaration_unchanged():
    it = make_interp()
    c0 = it.m.cold[0]           # structural plasticity grew C0 by one row
    c0.pol = np.concatenate((c0.pol, np.ones(4, np.int8)))
    c0.mag = np.concatenate((c0.mag, np.ones(4, np.uint8)))
    c0.temps = np.concatenate((c0.temps, np.zeros(4, np.uint8)))
    c0.shape = (3, 4)
    c0.touch()
    rep = swap_program(it, prepare_program(src(shift=2), "runtime"))
    assert it.m.cold[0] is c0 and it.m.cold[0].shape == (3, 4) and "C0" in rep.kept
    # but a changed declaration with another shape starts fresh
    rep = swap_program(it, prepare_program(src().replace("ternary[2, 4]", "ternary[2, 2]"), "runtime"))
    assert rep.dropped == ["C0 (shape [3, 4] → [2, 2])"]


def test_reference_would_lose_temperatures():
    """Deviation pin (docs/deviations.md): the reference re-creates cold buffers on
    reload and copies back only weights; here the temperatures of a kept register survive."""
    it = make_interp()
    swap_program(it, prepare_program(src(shift=3), "runtime"))
    assert it.m.cold[0].temps is not None and int(it.m.cold[0].temps.max()) == 3


def test_apply_reload_refuses_new_thermogram_after_boot():
    it = make_interp()
    region = SimpleNamespace(name="r", role="runtime", interp=it, program=it.program, machine=it.m,
                             firmware=Path("r.ternsig"))
    from ternsig.safety.policy import check_program

    brain = SimpleNamespace(frozen=True, region=lambda n: region,
                            validate_for_role=lambda p, role, what: check_program(p, role, what))
    with pytest.raises(ReloadRejected, match="frozen"):
        apply_reload(brain, "r", prepare_program(src().replace('key="demo.w"', 'key="demo.new"'), "runtime"))
    rep = apply_reload(brain, "r", prepare_program(src(shift=1), "runtime"))
    assert region.program is it.program and "C0" in rep.kept


# ---- the watcher -----------------------------------------------------------------------------------------------
# Deterministic: time is an injected clock, polls are forced, and every save gets a strictly later
# mtime (two real writes within the kernel's timestamp granularity could share one). With the OS
# watcher the test waits for its report (wait_for_change) before polling, so nothing races.

class Clock:
    def __init__(self) -> None:
        self.t = 100.0

    def __call__(self) -> float:
        return self.t


def save(f: Path, text: str) -> None:
    """Write ``text`` in place, as an editor does, with an mtime later than any before."""
    old = f.stat().st_mtime_ns if f.exists() else 0
    f.write_text(text)
    st = f.stat()
    os.utime(f, ns=(st.st_atime_ns, max(st.st_mtime_ns, old + 1_000_000)))


def settle(r: HotReloader, clock: Clock, debounce: float = 1.0) -> list:
    """The change is seen, then stays quiet for the debounce: what the reloader does then."""
    if r.watcher.backend == "watchfiles":
        assert r.watcher.wait_for_change(30), "the OS watcher never reported the save"
    first = r.check(force=True)
    clock.t += debounce
    return first + r.check(force=True)


@pytest.mark.parametrize("backend", [False, True])
def test_reloader_swaps_and_keeps_last_good(tmp_path, backend):
    f = tmp_path / "demo.ternsig"
    f.write_text(src())
    it = make_interp(f.read_text())
    events = []
    clock = Clock()
    r = HotReloader([ReloadTarget(f, "runtime", lambda p: swap_program(it, p))], use_watchfiles=backend,
                    debounce=1.0, clock=clock, report=events.append)
    try:
        assert r.watcher.backend == ("watchfiles" if backend else "polling")
        base = run(it)
        save(f, src(shift=1))
        settle(r, clock)
        assert r.swaps == 1 and run(it) == [v >> 1 for v in base]
        # a half-written version: the old program keeps running, the failure is reported once
        save(f, src(shift=2)[:-12])
        settle(r, clock)
        assert r.rejections == 1 and run(it) == [v >> 1 for v in base]
        save(f, src(shift=2)[:-13])     # same failure (same line), different bytes
        settle(r, clock)
        assert r.rejections == 2
        assert [e.ok for e in events] == [True, False] and r.suppressed == 1
        assert "does not assemble" in events[1].reason and ":15:" in events[1].reason
        save(f, src(shift=2))
        settle(r, clock)
        assert r.swaps == 2 and run(it) == [v >> 2 for v in base]
        assert it.m.cold[0].temps.tolist() == [3, 3, 3, 3, 0, 0, 1, 2]
    finally:
        r.close()


def test_unchanged_content_is_not_reloaded(tmp_path):
    f = tmp_path / "demo.ternsig"
    f.write_text(src())
    it = make_interp(f.read_text())
    clock = Clock()
    r = HotReloader([ReloadTarget(f, "runtime", lambda p: swap_program(it, p))], use_watchfiles=False,
                    clock=clock)
    save(f, src())            # same bytes, new mtime
    assert settle(r, clock) == [] and r.swaps == 0


def test_a_version_waits_the_whole_debounce(tmp_path):
    f = tmp_path / "demo.ternsig"
    f.write_text(src())
    it = make_interp(f.read_text())
    clock = Clock()
    r = HotReloader([ReloadTarget(f, "runtime", lambda p: swap_program(it, p))], use_watchfiles=False,
                    debounce=8, clock=clock)
    save(f, src(shift=1))
    assert r.check(force=True) == []
    clock.t += 7
    assert r.check(force=True) == [] and r.swaps == 0
    clock.t += 1
    (ev,) = r.check(force=True)
    assert ev.ok and ev.latency_s == 8


def test_run_watch_dev_loop(tmp_path):
    """Edits happen at chosen ticks (``stop`` is asked before every tick); the reloader polls at
    every tick boundary (no throttle, no debounce), so the outcome does not depend on speed."""
    f = tmp_path / "demo.ternsig"
    f.write_text(src())
    out = io.StringIO()
    calls = []

    def stop() -> bool:
        calls.append(1)
        if len(calls) == 3:
            save(f, src(shift=1)[:-20])        # half-written: refused, once
        elif len(calls) == 6:
            save(f, src(shift=1))
        return len(calls) > 9

    rc = run_watch(tmp_path, out, stop=stop, tick_interval=0, debounce=0, use_watchfiles=False,
                   reload_options={"poll_interval": 0})
    text = out.getvalue()
    assert rc == 0
    assert "loaded demo.ternsig" in text and "reloaded demo.ternsig" in text
    assert text.count("kept the last good demo.ternsig") == 1
    assert text.index("kept the last good") < text.index("reloaded demo.ternsig")
    assert run_watch(tmp_path / "nope", io.StringIO()) == 2


def test_a_region_array_reloads_every_instance_keeping_each_ones_weights(tmp_path):
    """One firmware file, three instances: an edit swaps into all of them, each keeps its own
    {i}-keyed weights; a version one instance would refuse is swapped into none."""
    from ternsig.host.brain import Brain
    from ternsig.host.durable import CheckpointPolicy
    from ternsig.reload import brain_reloader

    d = tmp_path / "b"
    d.mkdir()
    fw = ('.registers\n    C0: ternary[1, 2] key="col.{i}.w"\n    H0: i32[1]\n'
          '.program\n    load_input H0\n    store_output H0\n    halt\n')
    (d / "col.ternsig").write_text(fw)
    (d / "boot.ternsig").write_text(".config\n    region col[3] firmware=col.ternsig role=test\n.program\n    halt\n")
    b = Brain(d, checkpoint=CheckpointPolicy(every=0, seconds=0))
    b.boot()
    for i in range(3):
        b.region(f"col[{i}]").machine.cold[0].mag[:] = [i + 1, i + 2]
    rl = brain_reloader(b, debounce=0.0, use_watchfiles=False)
    assert [t.name for t in rl.targets.values()] == ["col[0] and 2 more"]
    (d / "col.ternsig").write_text(fw.replace("store_output H0\n", "add H0, H0, H0\n    store_output H0\n"))
    events = rl.check(force=True)
    assert [ev.ok for ev in events] == [True], events
    for i in range(3):
        r = b.region(f"col[{i}]")
        assert len(r.program.instructions) == 4 and r.machine.cold[0].key == f"col.{i}.w"
        assert r.machine.cold[0].mag.tolist() == [i + 1, i + 2]
    (d / "col.ternsig").write_text(fw.replace('key="col.{i}.w"', 'key="col.{i}.v"'))
    events = rl.check(force=True)
    assert [ev.ok for ev in events] == [False] and "frozen" in events[0].reason
    assert all(len(b.region(f"col[{i}]").program.instructions) == 4 for i in range(3))
    rl.close()
