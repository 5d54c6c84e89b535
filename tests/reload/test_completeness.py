"""Hot reload takes only complete files: a version is tried once its size and content hash stayed
the same across the debounce (re-read at that moment), or at once when it arrived as a new inode
nobody holds open for writing (an atomic rename) — never because of how the program ends.
Time is driven by hand (an injected clock) and files are polled explicitly: no sleeps."""
from __future__ import annotations

import os

from ternsig.reload import HotReloader, ReloadTarget, swap_program
from ternsig.reload.filewatch import writers_gone

from tests.reload.test_reloader import make_interp, run, src


class Clock:
    def __init__(self) -> None:
        self.t = 100.0

    def __call__(self) -> float:
        return self.t


def reloader(f, it, clock, debounce=1.0):     # clock units are arbitrary: whole numbers stay exact
    events = []
    r = HotReloader([ReloadTarget(f, "runtime", lambda p: swap_program(it, p))], use_watchfiles=False,
                    debounce=debounce, clock=clock, report=events.append)
    return r, events


def test_a_half_written_file_that_assembles_is_not_picked_up(tmp_path):
    full = src(shift=1).replace("    halt\n", "    halt\n    jump 0\n")     # mid-file halt, final jump
    half = full[:full.index("    jump 0")]                                 # ends after the halt: valid
    f = tmp_path / "demo.ternsig"
    f.write_text(src())
    it = make_interp(f.read_text())
    clock = Clock()
    r, events = reloader(f, it, clock)
    base = run(it)
    f.write_text(half)                       # the editor has written the first part...
    assert r.check(force=True) == []
    clock.t += 0.5
    assert r.check(force=True) == []         # not quiet for the debounce yet
    f.write_text(full)                       # ... and the rest, inside the debounce
    clock.t += 0.5
    assert r.check(force=True) == [] and r.swaps == 0
    clock.t += 1
    (ev,) = r.check(force=True)
    assert ev.ok and r.swaps == 1 and r.rejections == 0
    assert len(it.program.instructions) == 6 and run(it) == [v >> 1 for v in base]


def test_a_program_without_a_trailing_halt_reloads(tmp_path):
    f = tmp_path / "demo.ternsig"
    f.write_text(src())
    it = make_interp(f.read_text())
    clock = Clock()
    r, events = reloader(f, it, clock)
    base = run(it)
    f.write_text(src(shift=2).replace("    halt\n", ""))
    assert r.check(force=True) == []                     # written in place: waits the debounce
    clock.t += 1
    (ev,) = r.check(force=True)
    assert ev.ok and run(it) == [v >> 2 for v in base]


def test_a_change_the_watcher_missed_restarts_the_quiet_period(tmp_path):
    """Same size, same mtime: invisible to a stat poll; the re-read at the end of the debounce
    sees the new content and waits again instead of swapping the stale version."""
    f = tmp_path / "demo.ternsig"
    f.write_text(src())
    it = make_interp(f.read_text())
    clock = Clock()
    r, events = reloader(f, it, clock)
    base = run(it)
    f.write_text(src(shift=1))
    r.check(force=True)
    st = os.stat(f)
    f.write_text(src(shift=3))                           # same length as shift=1
    os.utime(f, ns=(st.st_atime_ns, st.st_mtime_ns))
    clock.t += 1
    assert r.check(force=True) == [] and r.swaps == 0    # re-read: content changed, wait again
    clock.t += 1
    (ev,) = r.check(force=True)
    assert ev.ok and run(it) == [v >> 3 for v in base]


def test_an_atomic_rename_save_takes_effect_at_once(tmp_path):
    """A new inode that nobody holds open for writing is a complete file: no quiet period."""
    f = tmp_path / "demo.ternsig"
    f.write_text(src())
    it = make_interp(f.read_text())
    clock = Clock()
    r, events = reloader(f, it, clock)
    base = run(it)
    tmp = tmp_path / ".demo.ternsig.swp"
    tmp.write_text(src(shift=1))
    assert writers_gone(tmp) is True                     # this system can tell (Linux leases)
    os.replace(tmp, f)                                   # the editor-friendly convention
    (ev,) = r.check(force=True)
    assert ev.ok and ev.latency_s == 0 and run(it) == [v >> 1 for v in base]


def test_a_new_file_still_being_written_waits_for_the_quiet_period(tmp_path):
    """Delete and re-create (a new inode) while the writer still has it open: not complete; the
    rest written in place afterwards is an in-place change, judged by the debounce."""
    f = tmp_path / "demo.ternsig"
    f.write_text(src())
    it = make_interp(f.read_text())
    clock = Clock()
    r, events = reloader(f, it, clock)
    base = run(it)
    full = src(shift=1)
    f.unlink()
    with open(f, "w") as w:
        w.write(full[:40])
        w.flush()
        assert writers_gone(f) is False
        assert r.check(force=True) == []                 # new inode, but a writer holds it
        w.write(full[40:])
    assert r.check(force=True) == [] and r.swaps == 0    # the rest came in place: wait the debounce
    clock.t += 1
    (ev,) = r.check(force=True)
    assert ev.ok and run(it) == [v >> 1 for v in base]


def test_a_bad_complete_version_is_reported_once_and_the_old_one_keeps_running(tmp_path):
    f = tmp_path / "demo.ternsig"
    f.write_text(src())
    it = make_interp(f.read_text())
    clock = Clock()
    r, events = reloader(f, it, clock)
    base = run(it)
    f.write_text(src().replace("shift H1, H1, 0", "shift H1, H1,"))
    r.check(force=True)
    clock.t += 1
    (ev,) = r.check(force=True)
    assert not ev.ok and "does not assemble" in ev.reason
    clock.t += 5
    assert r.check(force=True) == [] and run(it) == base and r.rejections == 1
