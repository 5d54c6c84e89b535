"""Hot reload: edit a firmware file, and the running program is swapped at the next tick boundary.

Why this exists and how it differs from the reference (``vm/hot_reload.rs``):

* **Never run a half-written file.** The reference reassembles whatever it reads once its 100 ms
  debounce expires, so an editor caught mid-write can hand it a truncated program that still
  assembles. Here completeness is decided by the file itself: a new version is tried only once
  its size and content hash have stayed the same for the whole debounce (default 50 ms) — checked
  again by re-reading the file at that moment, so a change the watcher missed restarts the wait —
  and then it must assemble, pass the validator and the layer policy of the region's role.
  Anything else leaves the last good program running. How a program ends does not matter: a
  program without a trailing ``halt`` reloads like any other.
* **Editor-friendly saves.** Editors that save by writing a temporary file and renaming it over
  the firmware (an atomic rename, the default of most editors) present exactly one complete
  version on a new inode; once no process holds it open for writing (the kernel's answer, a
  Linux read lease) it takes effect at the next tick boundary — no quiet period, so
  edit-to-effect is a tick or two (p95 ≤ 20 ms, ``bench/bench_reload.py``). A write in place
  (same inode) is picked up only after it has been quiet for the debounce; a rejected version is
  reported once per distinct failure.
* **Keep learned state.** The reference copies back the *weights* of cold registers 0..15 whose
  keys and shapes match and loses their temperatures (and pressure). :func:`swap_program` keeps
  the whole :class:`~ternsig.vm.state.ColdBuffer` (weights, temperatures, usage) and the learning
  pressure of every matching cold register (all 64), and reports what was kept and what dropped.

Modules: :mod:`.verify` (is a new version a valid program for the role), :mod:`.swap` (state
kept across a swap), :mod:`.filewatch` (which files changed), :mod:`.reloader` (when a version is
complete, and the swap at a tick boundary), :mod:`.watchloop` (``ternsig watch DIR``).
"""
from __future__ import annotations

from .filewatch import FileWatcher
from .reloader import DEFAULT_DEBOUNCE, HotReloader, ReloadEvent, ReloadTarget, brain_reloader, describe
from .swap import ReloadReport, apply_reload, swap_program
from .verify import ReloadRejected, prepare_program
from .watchloop import STATUS_EVERY, ProgramSet, run_watch, watch_main

__all__ = ["DEFAULT_DEBOUNCE", "FileWatcher", "HotReloader", "ProgramSet", "ReloadEvent", "ReloadRejected",
           "ReloadReport", "ReloadTarget", "STATUS_EVERY", "apply_reload", "brain_reloader", "describe",
           "prepare_program", "run_watch", "swap_program", "watch_main"]
