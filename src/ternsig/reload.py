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
  version, which takes effect one debounce later at a tick boundary. A slow in-place write is
  picked up only after it has been quiet for the debounce; a rejected version is reported once
  per distinct failure.
* **Keep learned state.** The reference copies back the *weights* of cold registers 0..15 whose
  keys and shapes match and loses their temperatures (and pressure). :func:`swap_program` keeps
  the whole :class:`~ternsig.vm.state.ColdBuffer` (weights, temperatures, usage) and the learning
  pressure of every matching cold register (all 64), and reports what was kept and what dropped.
"""
from __future__ import annotations

import hashlib
import os
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Optional, TextIO, Union

from .errors import TernsigError
from .isa.encoding import COLD_REGS, HOT_REGS, reg_file, reg_index, reg_name
from .host.tickloop import Tick, run_ticks
from .loader import read_source
from .program import Program
from .vm.interpreter import Interpreter

DEFAULT_DEBOUNCE = 0.050


class ReloadRejected(TernsigError):
    """A new firmware version was not swapped in; ``reason`` says why (the old one keeps running)."""

    def __init__(self, reason: str, path: Optional[Path] = None):
        self.reason = reason
        self.path = path
        super().__init__(f"{path}: {reason}" if path else reason)


# ---- verifying a new version -----------------------------------------------------------------------

def _assemble(source: Union[str, bytes], registry: Any, source_name: Optional[str]) -> Program:
    if isinstance(source, (bytes, bytearray)):          # a file's bytes: source, .tvmr, TERN or .card
        from .loader import load_program_bytes

        return load_program_bytes(bytes(source), source_name or "program", registry=registry,
                                  card=(source_name or "").endswith(".card") or None)
    from .asm import assemble

    return assemble(source, registry=registry, source_name=source_name)


def prepare_program(source: Union[str, bytes], role: Optional[str] = None, *, registry: Any = None,
                    source_name: Optional[str] = None) -> Program:
    """Assemble and verify ``source`` for ``role``; raise :class:`ReloadRejected` when it is not
    a valid program (whether the file is complete is the watcher's business: see the module doc).

    ``role`` is the region's role (None: the role the program declares, if any). A program that
    declares a different role than its region is refused: editing ``role`` in a file must not
    widen a region's privileges.
    """
    from .errors import ValidationError
    from .safety.admission import admit
    from .safety.validator import ERROR, validate_program

    if registry is None:
        from .registry import ExtensionRegistry

        registry = ExtensionRegistry.standard()
    try:
        program = _assemble(source, registry, source_name)
    except TernsigError as exc:
        raise ReloadRejected(f"does not assemble: {exc}") from None
    if not program.instructions:
        raise ReloadRejected("incomplete: the program has no instructions")
    eff_role = role or program.role
    if eff_role:
        try:                                  # the one admission gate (safety/admission.py)
            admit(program, eff_role, source_name or "program", registry=registry)
        except ValidationError as exc:
            if exc.rule == "role-mismatch":
                raise ReloadRejected(f"declares role {program.role!r} but runs as a {eff_role!r} region") from None
            if exc.rule.startswith("layer-") or exc.rule == "chemical-authority" or exc.rule == "role":
                raise ReloadRejected(f"refused by the {eff_role} policy: {exc}") from None
            raise ReloadRejected(f"does not validate: {exc}") from None
    else:
        errors = [d for d in validate_program(program, None, registry) if d.level == ERROR]
        if errors:
            raise ReloadRejected(f"does not validate: {errors[0]}")
    return program


# ---- swapping ------------------------------------------------------------------------------------------

@dataclass
class ReloadReport:
    """What a swap kept and what it dropped (register names, with a reason for each drop)."""

    instructions: int
    registers: int
    kept: list[str] = field(default_factory=list)       # cold registers whose learned state survived
    dropped: list[str] = field(default_factory=list)    # "C2 (shape [4, 16] → [8, 16])", ...
    fresh: list[str] = field(default_factory=list)      # cold registers the new program starts zeroed
    elapsed_s: float = 0.0
    path: Optional[Path] = None

    @property
    def cold_preserved(self) -> bool:
        """The reference's single flag: at least one cold register kept its weights."""
        return bool(self.kept)

    def summary(self) -> str:
        parts = [f"{self.instructions} instructions"]
        if self.kept:
            parts.append("kept " + ", ".join(self.kept))
        if self.dropped:
            parts.append("dropped " + ", ".join(self.dropped))
        if self.fresh:
            parts.append("fresh " + ", ".join(self.fresh))
        return "; ".join(parts)


def _shape_text(shape: Iterable[int]) -> str:
    return "[" + ", ".join(str(int(d)) for d in shape) + "]"


def swap_program(interp: Interpreter, new_program: Program) -> ReloadReport:
    """Replace the interpreter's program at a tick boundary, keeping learned state.

    Call it between runs (the brain calls it between ticks): the new program starts at pc 0 with
    cleared loop and call stacks. A cold register of the new program keeps the old buffer (the
    same object: weights, temperatures, usage, dirty flag) and its learning pressure when

    * it has a thermogram key and the old program had a cold register with the same key (at any
      index), or it has no key and the old register at the same index had none either; and
    * the live buffer's shape equals the new declaration, or the declaration itself did not change
      (so rows grown or pruned by structural plasticity survive an edit elsewhere in the file).

    Hot registers are activations: the new program's are allocated zeroed, old ones it does not
    declare are released, as a fresh load would.
    """
    t0 = time.perf_counter()
    m = interp.m
    old_decl = {d.reg: d for d in interp.program.registers if reg_file(d.reg) == COLD_REGS}
    old_cold = {i: b for i, b in enumerate(m.cold) if b is not None}
    old_pressure = list(m.pressure)
    by_key = {b.key: i for i, b in old_cold.items() if b.key}
    report = ReloadReport(len(new_program.instructions), len(new_program.registers))

    kept_src: dict[int, int] = {}           # new index → old index
    why_dropped: dict[int, str] = {}        # old index → reason
    new_keys = {d.key for d in new_program.registers if d.key}
    for d in new_program.registers:
        if reg_file(d.reg) != COLD_REGS:
            continue
        idx = reg_index(d.reg)
        src = by_key.get(d.key) if d.key else (idx if idx in old_cold and not old_cold[idx].key else None)
        if src is None or src in kept_src.values():
            report.fresh.append(d.name)
            continue
        buf = old_cold[src]
        od = old_decl.get(0x40 | src)
        same_decl = od is not None and tuple(od.shape) == tuple(d.shape) and od.key == d.key
        if tuple(buf.shape) == tuple(d.shape) or same_decl:
            kept_src[idx] = src
        else:
            why_dropped[src] = f"shape {_shape_text(buf.shape)} → {_shape_text(d.shape)}"
            report.fresh.append(d.name)
    for i, b in old_cold.items():
        if i in kept_src.values() or i in why_dropped:
            continue
        if b.key and b.key not in new_keys:
            why_dropped[i] = f"key {b.key!r} no longer declared"
        elif b.key:
            why_dropped[i] = f"key {b.key!r} also held by another kept register"
        else:
            why_dropped[i] = "no unkeyed cold register at this index in the new version"
    report.dropped = [f"{reg_name(0x40 | i)} ({why_dropped[i]})" for i in sorted(why_dropped)]

    # fresh load: declared registers zeroed, undeclared hot/cold registers released
    declared = {d.reg for d in new_program.registers}
    for i in range(len(m.hot)):
        if m.hot[i] is not None and (HOT_REGS << 6 | i) not in declared:
            m.hot[i] = None
    for i in range(len(m.cold)):
        m.cold[i] = None
        m.pressure[i] = None
    interp.load_program(new_program, allocate=True)
    for idx, src in kept_src.items():
        buf = old_cold[src]
        d = next(r for r in new_program.registers if r.reg == (0x40 | idx))
        buf.frozen = d.frozen
        m.cold[idx] = buf
        m.pressure[idx] = old_pressure[src]
        report.kept.append(reg_name(0x40 | idx) if src == idx else f"{reg_name(0x40 | idx)} (from {reg_name(0x40 | src)})")
    report.elapsed_s = time.perf_counter() - t0
    return report


def apply_reload(brain: Any, region_name: str, program: Program) -> ReloadReport:
    """Swap ``program`` into a brain region (call between ticks).

    Refuses (``ReloadRejected``) a program that does not validate for the region's role, and, once
    the brain has booted, one that would register a thermogram key the region did not have: the
    topology is frozen after boot (seed 003, layer 1).
    """
    region = brain.region(region_name)
    try:
        brain.validate_for_role(program, region.role, f"region {region.name}")
    except TernsigError as exc:
        raise ReloadRejected(str(exc), region.firmware) from None
    if getattr(brain, "frozen", False):
        have = {b.key for b in region.machine.cold if b is not None and b.key}
        new = [d.key for d in program.registers if d.key and d.key not in have]
        if new:
            raise ReloadRejected(f"the topology is frozen after boot: the new version would register "
                                 f"thermogram {new[0]!r}", region.firmware)
    report = swap_program(region.interp, program)
    region.program = program
    report.path = region.firmware
    return report


# ---- watching files ------------------------------------------------------------------------------

def _digest(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=16).hexdigest()


@dataclass
class _FileState:
    stat: Optional[tuple[int, int]] = None     # (mtime_ns, size) last seen
    digest: Optional[str] = None               # content hash last seen
    changed_at: float = 0.0                    # when the content last changed
    handled: Optional[str] = None              # digest last swapped in or judged
    data: bytes = b""


class FileWatcher:
    """Reports files whose content changed.

    Uses ``watchfiles`` (inotify and friends, in a background thread that only marks paths dirty)
    when it is importable and ``use_watchfiles`` is not False; otherwise polls (mtime, size) every
    ``poll_interval`` seconds and hashes a file whose stat changed. Either way content is compared
    by hash, so a touch without a change is ignored, and all reading happens in the caller's thread.
    """

    def __init__(self, paths: Iterable[Path], *, poll_interval: float = 0.002,
                 use_watchfiles: Optional[bool] = None, clock: Callable[[], float] = time.monotonic):
        self.clock = clock
        self.paths = [Path(p) for p in paths]
        self.poll_interval = poll_interval
        self.states = {p: _FileState() for p in self.paths}
        self._last_poll = 0.0
        self._last_sweep = 0.0
        self.sweep_interval = 0.25
        self._dirty: set[Path] = set()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: Optional[threading.Thread] = None
        self.backend = "polling"
        for p in self.paths:
            self._scan(p, clock(), initial=True)
        if use_watchfiles is not False:
            try:
                import watchfiles  # noqa: F401
            except ImportError:
                if use_watchfiles:
                    raise
            else:
                self._start_watchfiles()

    def _start_watchfiles(self) -> None:
        import watchfiles

        dirs = sorted({str(p.resolve().parent) for p in self.paths})
        wanted = {str(p.resolve()): p for p in self.paths}
        ready = threading.Event()

        def loop() -> None:
            ready.set()
            for changes in watchfiles.watch(*dirs, debounce=0, step=1, stop_event=self._stop,
                                            yield_on_timeout=False, rust_timeout=100, raise_interrupt=False):
                with self._lock:
                    for _, name in changes:
                        p = wanted.get(str(Path(name).resolve()))
                        if p is not None:
                            self._dirty.add(p)

        self._thread = threading.Thread(target=loop, name="ternsig-watch", daemon=True)
        self._thread.start()
        ready.wait(1.0)
        time.sleep(0.05)          # let the OS watch be registered before the first edit
        self.backend = "watchfiles"

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=1.0)
            self._thread = None

    def _scan(self, p: Path, now: float, initial: bool = False, trust_stat: bool = True) -> bool:
        st = self.states[p]
        try:
            s = os.stat(p)
            stat = (s.st_mtime_ns, s.st_size)
            if not initial and trust_stat and stat == st.stat:
                return False
            data = p.read_bytes()
        except OSError:
            stat, data = None, b""
        st.stat = stat
        digest = _digest(data) if stat is not None else None
        if digest == st.digest:
            return False
        st.digest, st.data, st.changed_at = digest, data, now
        if initial:
            st.handled = digest
        return True

    def confirm(self, p: Path, now: float) -> bool:
        """Re-read ``p``: True when its size and content hash are still what was last seen (the
        version is complete as far as the file can tell); otherwise record the change (restarting
        its quiet period) and return False."""
        return not self._scan(p, now, trust_stat=False)

    def poll(self, force: bool = False) -> list[Path]:
        """Paths whose content changed since the last poll (throttled to ``poll_interval``)."""
        now = self.clock()
        if not force and now - self._last_poll < self.poll_interval:
            return []
        self._last_poll = now
        if self.backend == "watchfiles":
            with self._lock:
                dirty, self._dirty = self._dirty, set()
            # the OS said these changed: read them even when (mtime, size) look the same (a
            # same-size rewrite within the filesystem's timestamp granularity)
            changed = [p for p in self.paths if p in dirty and self._scan(p, now, trust_stat=False)]
            # safety net against a lost event: a cheap stat sweep now and then
            if now - self._last_sweep >= self.sweep_interval:
                self._last_sweep = now
                changed += [p for p in self.paths if p not in dirty and self._scan(p, now)]
            return changed
        return [p for p in self.paths if self._scan(p, now)]


# ---- the reloader --------------------------------------------------------------------------------

@dataclass
class ReloadEvent:
    path: Path
    ok: bool
    report: Optional[ReloadReport] = None
    reason: Optional[str] = None
    latency_s: float = 0.0       # from the content change being seen to the swap


@dataclass
class ReloadTarget:
    """One watched firmware file: the role it runs as and how to swap a verified program in."""

    path: Path
    role: Optional[str]
    swap: Callable[[Program], ReloadReport]
    name: str = ""


class HotReloader:
    """Watches firmware files and swaps complete versions in; call :meth:`check` between ticks.

    A version is tried once its size and content hash stayed the same for ``debounce`` seconds
    (re-checked against the file when the period ends). ``report(event)`` is called for every swap
    and once per distinct failure of a file. The counters ``swaps``, ``rejections`` and
    ``suppressed`` say how often each happened. ``clock`` is injectable so tests drive time.
    """

    def __init__(self, targets: Iterable[ReloadTarget], *, registry: Any = None,
                 debounce: float = DEFAULT_DEBOUNCE, poll_interval: float = 0.002,
                 use_watchfiles: Optional[bool] = None, report: Optional[Callable[[ReloadEvent], None]] = None,
                 clock: Callable[[], float] = time.monotonic):
        self.targets = {Path(t.path): t for t in targets}
        if registry is None:
            from .registry import ExtensionRegistry

            registry = ExtensionRegistry.standard()
        self.registry = registry
        self.debounce = debounce
        self.report = report
        self.clock = clock
        self.watcher = FileWatcher(self.targets, poll_interval=poll_interval, use_watchfiles=use_watchfiles,
                                   clock=clock)
        self._reported: dict[Path, set[str]] = {p: set() for p in self.targets}
        self._waiting: set[Path] = set()
        self.swaps = 0
        self.rejections = 0
        self.suppressed = 0
        self.events: list[ReloadEvent] = []

    def close(self) -> None:
        self.watcher.close()

    def __enter__(self) -> "HotReloader":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def check(self, force: bool = False) -> list[ReloadEvent]:
        """Poll the files and swap in every complete new version. Must run at a tick boundary."""
        changed = self.watcher.poll(force)
        self._waiting.update(changed)
        out: list[ReloadEvent] = []
        for p in sorted(self._waiting):
            st = self.watcher.states[p]
            if st.digest == st.handled:
                self._waiting.discard(p)
                continue
            now = self.clock()
            if now - st.changed_at < self.debounce:
                continue                          # still changing, or not quiet for long enough
            if not self.watcher.confirm(p, now):
                continue                          # changed after all: a new quiet period starts
            if st.digest == st.handled:           # ... back to the version already running
                self._waiting.discard(p)
                continue
            ev = self._try(p, st)
            if ev is not None:
                out.append(ev)
        return out

    def _try(self, p: Path, st: _FileState) -> Optional[ReloadEvent]:
        target = self.targets[p]
        try:
            if st.digest is None:
                raise ReloadRejected("the file cannot be read (deleted or renamed?)")
            program = prepare_program(st.data, target.role, registry=self.registry, source_name=str(p))
            report = target.swap(program)
        except ReloadRejected as exc:
            st.handled = st.digest
            self._waiting.discard(p)
            self.rejections += 1
            if exc.reason in self._reported[p]:
                self.suppressed += 1
                return None
            self._reported[p].add(exc.reason)
            ev = ReloadEvent(p, False, reason=exc.reason)
            return self._emit(ev)
        st.handled = st.digest
        self._waiting.discard(p)
        self._reported[p].clear()
        self.swaps += 1
        report.path = p
        ev = ReloadEvent(p, True, report=report, latency_s=self.clock() - st.changed_at)
        return self._emit(ev)

    def _emit(self, ev: ReloadEvent) -> ReloadEvent:
        self.events.append(ev)
        if len(self.events) > 1000:
            del self.events[:500]
        if self.report is not None:
            self.report(ev)
        return ev


def brain_reloader(brain: Any, **kw: Any) -> HotReloader:
    """A reloader over every region's firmware; call ``.check()`` between ``brain.tick()`` calls."""
    targets = [ReloadTarget(r.firmware, r.role, (lambda prog, n=r.name: apply_reload(brain, n, prog)), r.name)
               for r in brain.regions]
    return HotReloader(targets, registry=brain.registry, **kw)


# ---- the `ternsig watch DIR` dev loop ------------------------------------------------------------

#: ticks between two status lines of ``ternsig watch`` on a brain
STATUS_EVERY = 100


def describe(ev: ReloadEvent, base: Optional[Path] = None) -> str:
    name = ev.path.name if base is None else os.path.relpath(ev.path, base)
    if ev.ok and ev.report is not None:
        return f"reloaded {name} in {ev.latency_s * 1000:.1f} ms: {ev.report.summary()}"
    return f"kept the last good {name}: {ev.reason}"


def run_watch(directory: Path, out: TextIO, *, stop: Optional[Callable[[], bool]] = None,
              tick_interval: float = 0.01, debounce: float = DEFAULT_DEBOUNCE,
              use_watchfiles: Optional[bool] = None, max_ticks: Optional[int] = None,
              state_dir: Optional[Path] = None) -> int:
    """Run every ``*.ternsig`` in ``directory`` (or the brain, when it holds a ``boot.ternsig``
    with regions) and hot-reload edits until ``stop()`` is true, ``max_ticks`` ran or Ctrl-C.

    Each standalone program runs once per tick on its last input (zeros until one is given); a
    changed output is printed. A brain prints a status line every ``STATUS_EVERY`` ticks and keeps
    its state in ``state_dir`` (default ``DIR/state``). Returns a process exit status: 0, 1 when
    the brain cannot boot, 2 for a bad directory, 130 after Ctrl-C.
    """
    directory = Path(directory)
    if not directory.is_dir():
        out.write(f"ternsig watch: {directory}: not a directory\n")
        return 2
    if (directory / "boot.ternsig").exists():
        return _watch_brain(directory, out, stop, tick_interval, debounce, use_watchfiles, max_ticks, state_dir)
    paths = sorted(directory.rglob("*.ternsig"))
    if not paths:
        out.write(f"ternsig watch: no .ternsig files under {directory}\n")
        return 2
    programs = ProgramSet()
    targets = []
    for p in paths:
        interp = Interpreter()
        programs.add(p, interp)
        try:
            prog = prepare_program(read_source(p), None, source_name=str(p))
            interp.load_program(prog)
            out.write(f"loaded {p.relative_to(directory)}: {len(prog.instructions)} instructions\n")
        except TernsigError as exc:
            out.write(f"not loaded {p.relative_to(directory)}: {exc}\n")
        targets.append(ReloadTarget(p, None, (lambda prog, i=interp: swap_program(i, prog)), p.stem))
    reloader = HotReloader(targets, debounce=debounce, use_watchfiles=use_watchfiles,
                           report=lambda ev: (out.write(describe(ev, directory) + "\n"), out.flush()))

    def print_changes(t: Tick) -> None:
        for p, text in t.result["changed"].items():
            out.write(f"{p.relative_to(directory)} → {text}\n")
        if t.result["changed"]:
            out.flush()

    try:
        end = run_ticks(programs, max_ticks, reloader=reloader, observers=[print_changes], stop=stop,
                        pace=tick_interval)
    finally:
        reloader.close()
    return 130 if end.interrupted else 0


class ProgramSet:
    """The standalone programs of ``ternsig watch DIR``: a tick runs each once from pc 0 (on its
    last input) and reports the outputs that changed (a trap's message in place of an output)."""

    def __init__(self) -> None:
        self.interps: dict[Path, Interpreter] = {}
        self.last: dict[Path, Any] = {}
        self.ticks = 0

    def add(self, path: Path, interp: Interpreter) -> None:
        self.interps[path] = interp

    def tick(self) -> dict[str, Any]:
        changed: dict[Path, Any] = {}
        for p, interp in self.interps.items():
            if not interp.program.instructions:
                continue
            interp.m.pc = 0
            res = interp.run(fuel=1_000_000)
            o = interp.output() if res.ok else None
            if o != self.last.get(p):
                self.last[p] = o
                changed[p] = o if o is not None else f"trap: {res.message}"
        self.ticks += 1
        return {"tick": self.ticks, "changed": changed}


def _watch_brain(directory: Path, out: TextIO, stop, tick_interval, debounce, use_watchfiles, max_ticks,
                 state_dir: Optional[Path] = None, status_every: int = STATUS_EVERY) -> int:
    from .host.brain import Brain
    from .host.curve import status_line

    try:
        brain = Brain(directory, state_dir=state_dir)
        brain.boot()
    except TernsigError as exc:
        out.write(f"ternsig watch: {exc}\n")
        return 1
    reloader = brain_reloader(brain, debounce=debounce, use_watchfiles=use_watchfiles,
                              report=lambda ev: (out.write(describe(ev, directory) + "\n"), out.flush()))
    out.write(f"brain {brain.config.name if hasattr(brain.config, 'name') else directory.name}: "
              f"{len(brain.regions)} regions, watching their firmware; state in {brain.state_dir}; "
              f"a status line every {status_every} ticks; Ctrl-C stops\n")
    out.flush()

    def status(t: Tick) -> None:                # what the running brain is doing, not only reloads
        if (t.index + 1) % status_every == 0:
            out.write(status_line(brain, t.result) + "\n")
            out.flush()

    end = None
    try:
        end = run_ticks(brain, max_ticks, reloader=reloader, observers=[status], stop=stop, pace=tick_interval)
    finally:
        reloader.close()
        brain.save()                      # like `brain run`: learned state persists on exit
        if end is not None:
            if end.last:
                out.write(status_line(brain, end.last) + "\n")
            out.write(f"{'interrupted after' if end.interrupted else 'ran'} {end.ticks} ticks; "
                      f"state saved under {brain.state_dir}\n")
    return 130 if end.interrupted else 0


def watch_main(directory: Any, out: TextIO, state_dir: Optional[Path] = None) -> int:
    """Entry point for ``ternsig watch DIR`` (runs until Ctrl-C)."""
    return run_watch(Path(directory), out, state_dir=state_dir)
