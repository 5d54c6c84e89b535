"""`ternsig brain run --watch` picks up an edit of the example brain's firmware while it runs."""
from __future__ import annotations

import io
import shutil
import threading
import time
from pathlib import Path

from tests.paths import EXAMPLES
from ternsig.host.runner import run_brain

EXAMPLE = EXAMPLES / "brain"


def test_brain_run_watch_reloads_an_edited_firmware(tmp_path):
    brain_dir = tmp_path / "brain"
    shutil.copytree(EXAMPLE, brain_dir)
    out = io.StringIO()
    done = threading.Event()

    def run():
        run_brain(brain_dir, ticks=20000, watch=True, quiet=True, out=out)
        done.set()

    t = threading.Thread(target=run, daemon=True)
    t.start()
    # edit only once the brain ticks: the watcher takes its baseline before the first tick, and
    # loading the brain can take over a second on a loaded machine
    deadline = time.monotonic() + 30
    while not _ticked(brain_dir) and time.monotonic() < deadline and not done.is_set():
        time.sleep(0.05)
    fw = brain_dir / "sensory.ternsig"
    fw.write_text(fw.read_text().replace("shift H1, H0, 3", "shift H1, H0, 2"))
    deadline = time.monotonic() + 20
    while "reloaded sensory.ternsig" not in out.getvalue() and time.monotonic() < deadline and not done.is_set():
        time.sleep(0.05)
    assert "reloaded sensory.ternsig" in out.getvalue(), out.getvalue()
    # a broken edit is refused once and the last good program keeps running
    fw.write_text("; half written\n.program\n    load_input H0\n    shift H1,")
    deadline = time.monotonic() + 20
    while "kept the last good sensory.ternsig" not in out.getvalue() and time.monotonic() < deadline \
            and not done.is_set():
        time.sleep(0.05)
    assert "kept the last good sensory.ternsig" in out.getvalue(), out.getvalue()
    t.join(timeout=60)
    assert done.is_set()
    assert "ran 20000 ticks" in out.getvalue()


def _ticked(brain_dir: Path) -> bool:
    """A tick line reached the telemetry (state/telemetry*.jsonl)."""
    for p in (brain_dir / "state").glob("telemetry*.jsonl"):
        try:
            if '"type": "tick"' in p.read_text():
                return True
        except OSError:
            pass
    return False
