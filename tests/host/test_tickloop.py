"""The one tick loop: order of a pass, observers, stopping, Ctrl-C and pacing (no clock involved)."""
from __future__ import annotations

import shutil

from tests.paths import EXAMPLES
from ternsig.host.brain import Brain
from ternsig.host.tickloop import Tick, run_ticks


class Recorder:
    """A tickable and a reloader that log the order in which the loop calls them."""

    def __init__(self, interrupt_at=None):
        self.log: list[str] = []
        self.n = 0
        self.interrupt_at = interrupt_at

    def tick(self):
        if self.n == self.interrupt_at:
            raise KeyboardInterrupt
        self.n += 1
        self.log.append(f"tick{self.n}")
        return {"tick": self.n}

    def check(self, force=False):
        self.log.append("check")
        return [f"event{self.n}"]


def test_a_pass_is_before_tick_then_reload_then_tick_then_observers():
    r = Recorder()
    seen: list[Tick] = []
    end = run_ticks(r, 3, reloader=r, before_tick=lambda i: r.log.append(f"before{i}"),
                    observers=[seen.append, lambda t: r.log.append(f"obs{t.index}")])
    assert r.log == ["before0", "check", "tick1", "obs0", "before1", "check", "tick2", "obs1",
                     "before2", "check", "tick3", "obs2"]
    assert [(t.index, t.result["tick"], t.reloads) for t in seen] == [(0, 1, ["event0"]), (1, 2, ["event1"]),
                                                                      (2, 3, ["event2"])]
    assert (end.ticks, end.last, end.interrupted) == (3, {"tick": 3}, False)


def test_stop_is_asked_before_every_tick_and_zero_ticks_run_none():
    r = Recorder()
    end = run_ticks(r, None, stop=lambda: r.n >= 4)
    assert (end.ticks, r.n) == (4, 4)
    end = run_ticks(Recorder(), 0)
    assert (end.ticks, end.last) == (0, None)


def test_ctrl_c_ends_the_loop_as_interrupted_after_the_ticks_that_ran():
    r = Recorder(interrupt_at=2)
    seen: list[int] = []
    end = run_ticks(r, 10, observers=[lambda t: seen.append(t.index)])
    assert end.interrupted and end.ticks == 2 and end.last == {"tick": 2} and seen == [0, 1]


def test_pace_sleeps_between_ticks_through_the_injected_sleep():
    slept: list[float] = []
    run_ticks(Recorder(), 3, pace=0.25, sleep=slept.append)
    assert slept == [0.25, 0.25, 0.25]
    run_ticks(Recorder(), 3, sleep=slept.append)
    assert len(slept) == 3                # pace 0: no sleep at all


def test_a_brain_ticks_through_the_loop(tmp_path):
    d = tmp_path / "brain"
    shutil.copytree(EXAMPLES / "brain", d)
    brain = Brain(d, state_dir=tmp_path / "state")
    brain.boot()
    ticks: list[int] = []
    end = run_ticks(brain, 5, observers=[lambda t: ticks.append(t.result["tick"])])
    assert ticks == [1, 2, 3, 4, 5] and end.ticks == 5 and brain.substrate.tick == 5
