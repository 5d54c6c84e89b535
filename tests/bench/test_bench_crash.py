"""A few kill -9 trials of ``ternsig brain run`` (bench/bench_crash.py runs 200+). The kill moment
is decided by the process's own progress lines, never by sleeping, and every assertion holds
whatever that moment turns out to be: nothing torn, every restart boots from a checkpoint, and no
kill loses more than the checkpoint window."""
from __future__ import annotations

import sys

from tests.paths import BENCH

sys.path.insert(0, str(BENCH))
import bench_crash as bc  # noqa: E402


def test_kill_and_restart_loses_at_most_the_window(tmp_path):
    every = 5
    s = bc.run_trials(3, tmp_path, every=every, seconds=0, kill_after_checkpoints=2)
    assert len(s.trials) == 3
    assert s.torn == 0, [t.torn for t in s.trials]
    assert s.failed == 0, [t.failed for t in s.trials]
    assert len(s.lost) == 3 and all(0 <= x <= every for x in s.lost), s.lost
    assert [t.restored > 0 for t in s.trials] == [False, True, True]
    assert all(t.last_done >= t.restored + every for t in s.trials)   # each run checkpointed twice before its kill
