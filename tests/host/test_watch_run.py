"""`ternsig brain run --watch` picks up an edit of the example brain's firmware while it runs.

Deterministic: the edits happen at chosen ticks (``before_tick``) and the reloader polls the files
at every tick boundary with no debounce and no watcher thread, so the outcome does not depend on
how fast the machine is.
"""
from __future__ import annotations

import io
import shutil

from tests.paths import EXAMPLES
from ternsig.host.brainrun import run_brain

EXAMPLE = EXAMPLES / "brain"
SYNC = {"debounce": 0.0, "use_watchfiles": False, "poll_interval": 0.0}


def test_brain_run_watch_reloads_an_edited_firmware(tmp_path):
    brain_dir = tmp_path / "brain"
    shutil.copytree(EXAMPLE, brain_dir)
    fw = brain_dir / "sensory.ternsig"
    out = io.StringIO()
    seen: dict[int, str] = {}

    def before_tick(i: int) -> None:
        if i == 5:
            assert "reloaded" not in out.getvalue()
            fw.write_text(fw.read_text().replace("shift H1, H0, 3", "shift H1, H0, 2"))
        elif i == 6:
            seen[6] = out.getvalue()
        elif i == 10:
            # a broken edit is refused once and the last good program keeps running
            fw.write_text("; half written\n.program\n    load_input H0\n    shift H1,")
        elif i == 12:
            seen[12] = out.getvalue()

    assert run_brain(brain_dir, ticks=40, watch=True, quiet=True, out=out, reload_options=SYNC,
                     before_tick=before_tick) == 0
    assert "reloaded sensory.ternsig" in seen[6], seen[6]           # swapped at the next tick boundary
    # a failing version is judged once it has been seen unchanged at the next boundary too
    assert "kept the last good sensory.ternsig" in seen[12], seen[12]
    text = out.getvalue()
    assert text.count("reloaded sensory.ternsig") == 1 and text.count("kept the last good") == 1
    assert "ran 40 ticks" in text
