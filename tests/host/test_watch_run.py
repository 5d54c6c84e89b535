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
    time.sleep(0.5)
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
