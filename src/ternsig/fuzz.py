"""Fuzzing every parser of untrusted input, and instruction streams under fuel.

One entry point per input kind — ``.ternsig`` sources, TVMR binaries, ``.thermo`` files and raw
instruction streams — each taking bytes. :func:`classify` runs one under a per-input time limit and
says what happened: ``ok``, ``project`` (a :class:`~ternsig.errors.TernsigError`: the input was
refused with a message), ``non-project`` (any other exception: a bug) or ``hang`` (over the time
limit, or out of memory under :func:`limit_memory`: a register grown without bound). For instruction streams a trap of kind ``internal`` (a handler raised something that is
neither an ExecFault nor a PanicFault) counts as a non-project exception too: the interpreter
turns it into a result, but it is a bug all the same.

Mutators are structure-aware where it pays: a mutated binary or thermogram gets its checksum and
size fields recomputed half of the time, so mutations reach the decoders behind the integrity
checks instead of all dying at them.

``python -m ternsig.fuzz [--n N] [--seed S] [--atheris TARGET]`` runs a quick campaign (or an
atheris one when atheris is importable).
"""
from __future__ import annotations

import random
import signal
import struct
import sys
import threading
import time
import traceback
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable, Optional

from .errors import TernsigError
from .isa.encoding import Instruction
from .program import Program, RegisterDef

OK, PROJECT, NON_PROJECT, HANG = "ok", "project", "non-project", "hang"
DEFAULT_TIME_LIMIT = 2.0
STREAM_FUEL = 1000


class _Hang(BaseException):
    """Raised by the timer inside a target that ran past its limit (BaseException: a target's
    ``except Exception`` cannot swallow it)."""


@dataclass
class Outcome:
    kind: str              # ok | project | non-project | hang
    detail: str = ""
    elapsed: float = 0.0
    result: Any = None


# ---- targets ------------------------------------------------------------------------------------------

def fuzz_source(data: bytes) -> Any:
    """Assemble bytes as a ``.ternsig`` source (undecodable bytes become U+FFFD, as an editor
    would show them)."""
    from .asm import assemble

    return assemble(data.decode("utf-8", "replace"), source_name="<fuzz>")


def fuzz_binary(data: bytes) -> Any:
    from .binary import deserialize

    return deserialize(data)


def fuzz_thermo(data: bytes) -> Any:
    from .thermo.format import decode

    return decode(data)


#: registers every fuzzed stream runs with, so instructions find operands to work on
STREAM_REGISTERS = (
    [RegisterDef(i, "i32", (8,)) for i in range(4)]
    + [RegisterDef(0x40 | i, "ternary", (4, 8), key=f"fuzz.c{i}") for i in range(2)]
    + [RegisterDef(0x80 | i, "i32", (1,)) for i in range(2)]
)
JUMP_0 = Instruction(0, 0x6008, 0xFF, 0xFF, 0, 0)


def stream_program(data: bytes, loop: bool = True) -> Program:
    """Instruction words from bytes (8 per word, a short tail dropped), plus ``jump 0`` at the end
    when ``loop``, so only a halt, an error, a trap or the fuel budget stops it."""
    n = len(data) // 8
    words = [Instruction.from_bytes(data[8 * i: 8 * i + 8]) for i in range(n)]
    if loop:
        words.append(JUMP_0)
    return Program(instructions=words, registers=list(STREAM_REGISTERS), name="fuzz")


def run_stream(data: bytes, fuel: int = STREAM_FUEL) -> tuple[Any, int]:
    """Run an instruction stream under ``fuel``; return (result, instructions executed)."""
    from .vm.interpreter import Interpreter

    interp = Interpreter(stream_program(data))
    interp.load_input(range(-4, 4))
    interp.load_target([1, -1, 0, 1, 1, -1, 0, 0])
    res = interp.run(fuel=fuel)
    return res, interp.steps


def fuzz_stream(data: bytes) -> Any:
    res, steps = run_stream(data)
    if res.kind == "internal":
        if "MemoryError" in (res.message or "").split(":", 2)[1]:
            raise MemoryError(res.message)
        raise _InternalTrap(f"pc {res.pc} ({res.instruction}): {res.message}")
    return res, steps


class _InternalTrap(Exception):
    """A handler raised an exception of no project family (seen through the trap it became)."""


TARGETS: dict[str, Callable[[bytes], Any]] = {
    "source": fuzz_source, "binary": fuzz_binary, "thermo": fuzz_thermo, "stream": fuzz_stream,
}


# ---- classification -------------------------------------------------------------------------------------

def classify(target: Callable[[bytes], Any], data: bytes, time_limit: float = DEFAULT_TIME_LIMIT) -> Outcome:
    """Run ``target(data)`` and classify the outcome. In the main thread a timer interrupts a
    target that runs past ``time_limit`` (a loop that never ends); anywhere, an input that took
    longer than the limit is a hang."""
    use_timer = threading.current_thread() is threading.main_thread() and hasattr(signal, "setitimer")
    old = None
    if use_timer:
        def on_alarm(signum: int, frame: Any) -> None:
            raise _Hang()

        old = signal.signal(signal.SIGALRM, on_alarm)
        signal.setitimer(signal.ITIMER_REAL, time_limit)
    t0 = time.perf_counter()
    try:
        try:
            result = target(data)
            out = Outcome(OK, result=result)
        finally:
            if use_timer:
                signal.setitimer(signal.ITIMER_REAL, 0)
    except _Hang:
        out = Outcome(HANG, f"interrupted after {time_limit} s")
    except MemoryError as exc:   # unbounded growth stopped by the memory limit: a hang in space
        out = Outcome(HANG, f"memory exhausted ({type(exc).__name__})")
    except TernsigError as exc:
        out = Outcome(PROJECT, f"{type(exc).__name__}: {exc}")
    except RecursionError as exc:
        out = Outcome(NON_PROJECT, f"RecursionError: {exc}")
    except Exception as exc:  # the point of fuzzing: anything else is a bug to report
        tb = traceback.extract_tb(exc.__traceback__)
        where = f" at {tb[-1].filename}:{tb[-1].lineno}" if tb else ""
        out = Outcome(NON_PROJECT, f"{type(exc).__name__}: {exc}{where}")
    finally:
        if use_timer and old is not None:
            signal.signal(signal.SIGALRM, old)
    out.elapsed = time.perf_counter() - t0
    if out.kind != HANG and out.elapsed > time_limit:
        out = Outcome(HANG, f"took {out.elapsed:.2f} s (limit {time_limit} s)", out.elapsed)
    return out


# ---- corpus and mutation ------------------------------------------------------------------------------------

@dataclass
class Corpus:
    sources: list[bytes]
    binaries: list[bytes]
    thermos: list[bytes]

    @classmethod
    def load(cls, root: Path) -> "Corpus":
        """Seeds from a conformance-style tree: ``*.ternsig``, ``binary.hex``/``*.tvmr``, ``*.thermo``."""
        root = Path(root)
        sources = sorted({p.read_bytes() for p in root.rglob("*.ternsig")})
        binaries = set()
        for p in root.rglob("binary.hex"):
            try:
                binaries.add(bytes.fromhex("".join(p.read_text().split())))
            except ValueError:
                continue
        binaries |= {p.read_bytes() for p in root.rglob("*.tvmr")}
        thermos = sorted({p.read_bytes() for p in root.rglob("*.thermo")})
        return cls(sources, sorted(binaries), thermos)


_TOKENS = [b"H0", b"H1", b"C0", b"P0", b"S0", b"H63", b"C99", b",", b"\n", b".registers", b".program", b".meta",
           b".requires", b"loop", b"end_loop", b"halt", b"jump", b"0xFFFF", b"-1", b"65536", b"key=", b"[", b"]",
           b"i32[8]", b"ternary[4, 8]", b"label:", b"; c", b"\"", b"=", b"tensor.", b"role learning"]


def mutate(data: bytes, rng: random.Random, pool: list[bytes] = ()) -> bytes:
    """A few random byte-level edits: flips, inserts, deletes, duplications, splices, truncation."""
    b = bytearray(data)
    for _ in range(rng.randint(1, 4)):
        op = rng.randrange(8)
        n = len(b)
        if op == 0 and n:
            i = rng.randrange(n)
            b[i] ^= 1 << rng.randrange(8)
        elif op == 1:
            i = rng.randint(0, n)
            b[i:i] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 8)))
        elif op == 2 and n:
            i = rng.randrange(n)
            del b[i:i + rng.randint(1, 16)]
        elif op == 3 and n:
            i = rng.randrange(n)
            j = min(n, i + rng.randint(1, 64))
            k = rng.randint(0, n)
            b[k:k] = b[i:j]
        elif op == 4 and pool:
            other = rng.choice(pool)
            if other:
                i, j = sorted((rng.randrange(len(other)), rng.randrange(len(other))))
                k = rng.randint(0, n)
                b[k:k] = other[i:j + 1]
        elif op == 5 and n:
            del b[rng.randint(0, n):]
        elif op == 6 and n:
            i = rng.randrange(n)
            b[i] = rng.choice((0, 0xFF, 0x7F, 0x80, 0x01))
        elif op == 7:
            i = rng.randint(0, n)
            b[i:i] = rng.choice(_TOKENS)
    return bytes(b)


def mutate_lines(src: bytes, rng: random.Random, pool: list[bytes]) -> bytes:
    """Line-level edits of a source: drop, duplicate, swap or borrow lines; then maybe bytes."""
    lines = src.split(b"\n")
    for _ in range(rng.randint(1, 3)):
        op = rng.randrange(4)
        if op == 0 and len(lines) > 1:
            del lines[rng.randrange(len(lines))]
        elif op == 1 and lines:
            i = rng.randrange(len(lines))
            lines.insert(rng.randrange(len(lines) + 1), lines[i])
        elif op == 2 and len(lines) > 1:
            i, j = rng.randrange(len(lines)), rng.randrange(len(lines))
            lines[i], lines[j] = lines[j], lines[i]
        elif op == 3 and pool:
            other = rng.choice(pool).split(b"\n")
            lines.insert(rng.randrange(len(lines) + 1), rng.choice(other))
    out = b"\n".join(lines)
    return mutate(out, rng, pool) if rng.random() < 0.3 else out


def fix_tvmr(data: bytes) -> bytes:
    """Recompute a TVMR v1 checksum after a mutation (when the offsets still make sense)."""
    if len(data) < 48 or data[:4] != b"TVMR":
        return data
    ext_off, = struct.unpack_from("<I", data, 8)
    instr_off, instr_n = struct.unpack_from("<II", data, 24)
    end = instr_off + instr_n * 8
    if ext_off > end or end > len(data):
        return data
    from .binfmt.layout import reference_checksum

    b = bytearray(data)
    struct.pack_into("<Q", b, 32, reference_checksum(bytes(data[ext_off:end])))
    return bytes(b)


def fix_thermo(data: bytes) -> bytes:
    """Recompute a .thermo header's size and CRC-32 after a mutation."""
    if len(data) < 16 or data[:4] != b"THRM":
        return data
    b = bytearray(data)
    struct.pack_into("<I", b, 8, len(b))
    struct.pack_into("<I", b, 12, zlib.crc32(bytes(b[16:])) & 0xFFFFFFFF)
    return bytes(b)


def random_stream(rng: random.Random, registry: Any = None) -> bytes:
    """Mostly well-formed instruction words (known opcodes, operands among the allocated
    registers, small immediates), with raw random words mixed in."""
    if registry is None:
        from .registry import ExtensionRegistry

        registry = ExtensionRegistry.standard()
    specs = [s for t in registry.all_tables() for s in t.specs]
    regs = [r.reg for r in STREAM_REGISTERS] + [0xFF]
    out = bytearray()
    for _ in range(rng.randint(1, 24)):
        if rng.random() < 0.1:
            out += bytes(rng.randrange(256) for _ in range(8))
            continue
        s = rng.choice(specs)
        ops = [0, 0, 0, 0]
        for o in s.layout:
            slots = {"A": (0,), "B": (1,), "C": (2,), "D": (3,), "CD": (2, 3)}.get(o.slot, ())
            if o.kind == "reg":
                v = [rng.choice(regs)]
            elif o.kind == "fix" and o.default is not None:
                v = [int(o.default)]
            elif o.kind in ("imm16", "label"):
                x = rng.choice((0, 1, 2, 3, rng.randrange(65536)))
                v = [x >> 8, x & 0xFF]
            else:
                v = [rng.choice((0, 1, 2, 3, 4, 8, rng.randrange(256)))]
            for slot, val in zip(slots, v if len(slots) > 1 else v[:1]):
                ops[slot] = val & 0xFF
        out += Instruction(s.ext_id, s.opcode, *ops).to_bytes()
    return bytes(out)


class InputGenerator:
    """Deterministic stream of (target name, bytes) over the four targets."""

    def __init__(self, corpus: Corpus, seed: int = 0, targets: Iterable[str] = ("source", "binary", "thermo", "stream")):
        self.corpus = corpus
        self.rng = random.Random(seed)
        self.targets = list(targets)

    def __iter__(self):
        return self

    def __next__(self) -> tuple[str, bytes]:
        rng = self.rng
        t = rng.choice(self.targets)
        c = self.corpus
        if rng.random() < 0.1:       # plain random data
            return t, bytes(rng.randrange(256) for _ in range(rng.randint(0, 200)))
        if t == "source" and c.sources:
            seed = rng.choice(c.sources)
            return t, (mutate_lines(seed, rng, c.sources) if rng.random() < 0.5 else mutate(seed, rng, c.sources))
        if t == "binary" and c.binaries:
            data = mutate(rng.choice(c.binaries), rng, c.binaries)
            return t, fix_tvmr(data) if rng.random() < 0.5 else data
        if t == "thermo" and c.thermos:
            data = mutate(rng.choice(c.thermos), rng, c.thermos)
            return t, fix_thermo(data) if rng.random() < 0.5 else data
        if t == "stream":
            data = random_stream(rng)
            return t, mutate(data, rng) if rng.random() < 0.2 else data
        return t, bytes(rng.randrange(256) for _ in range(rng.randint(0, 64)))


# ---- campaigns -----------------------------------------------------------------------------------------

@dataclass
class CampaignResult:
    inputs: int = 0
    by_kind: dict[str, int] = None            # type: ignore[assignment]
    failures: list[tuple[str, str, bytes]] = None   # type: ignore[assignment]

    def __post_init__(self) -> None:
        self.by_kind = self.by_kind or {OK: 0, PROJECT: 0, NON_PROJECT: 0, HANG: 0}
        self.failures = self.failures or []


def limit_memory(extra_bytes: int = 3 << 30) -> Optional[int]:
    """Cap this process's address space at its current size plus ``extra_bytes`` (Linux), so an
    input that grows a register without bound fails with MemoryError instead of exhausting the
    machine. Returns the limit set, or None where it cannot be set."""
    try:
        import resource

        with open("/proc/self/statm") as f:
            vm = int(f.read().split()[0]) * resource.getpagesize()
        limit = vm + extra_bytes
        soft, hard = resource.getrlimit(resource.RLIMIT_AS)
        if hard != resource.RLIM_INFINITY:
            limit = min(limit, hard)
        resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
        return limit
    except (ImportError, OSError, ValueError):
        return None


def campaign(gen: Iterable[tuple[str, bytes]], n: int, time_limit: float = DEFAULT_TIME_LIMIT,
             keep: int = 20) -> CampaignResult:
    res = CampaignResult()
    for (name, data), _ in zip(gen, range(n)):
        out = classify(TARGETS[name], data, time_limit)
        res.inputs += 1
        res.by_kind[out.kind] += 1
        if out.kind in (NON_PROJECT, HANG) and len(res.failures) < keep:
            res.failures.append((name, out.detail, data))
    return res


def fuel_check(datas: Iterable[bytes], budget: int) -> tuple[int, int, int]:
    """Run each stream with ``budget``. Returns (streams the budget stopped, those of them that
    executed exactly ``budget`` instructions, streams that stopped earlier on their own — halt,
    error or trap — having executed fewer)."""
    stopped = exact = earlier = 0
    for data in datas:
        res, steps = run_stream(data, fuel=budget)
        if res.kind == "fuel":
            stopped += 1
            exact += steps == budget
        elif steps < budget:
            earlier += 1
    return stopped, exact, earlier


def _default_corpus() -> Corpus:
    here = Path(__file__).resolve()
    for root in (here.parents[2] / "tests" / "conformance", Path.cwd() / "tests" / "conformance"):
        if root.is_dir():
            return Corpus.load(root)
    return Corpus([], [], [])


def _atheris(target: str) -> int:
    try:
        import atheris  # type: ignore[import-not-found]
    except ImportError:
        print("atheris is not installed (pip install atheris); use the built-in campaign instead", file=sys.stderr)
        return 2
    fn = TARGETS[target]

    def one(data: bytes) -> None:
        out = classify(fn, data)
        if out.kind in (NON_PROJECT, HANG):
            raise RuntimeError(f"{target}: {out.kind}: {out.detail}")

    atheris.Setup([a for a in sys.argv if not a.startswith("--atheris")], one)
    atheris.Fuzz()
    return 0


def main(argv: Optional[list[str]] = None) -> int:
    import argparse

    ap = argparse.ArgumentParser(prog="python -m ternsig.fuzz", description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=2000, help="inputs to run (default 2000)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--time-limit", type=float, default=DEFAULT_TIME_LIMIT)
    ap.add_argument("--target", choices=sorted(TARGETS), action="append")
    ap.add_argument("--atheris", metavar="TARGET", choices=sorted(TARGETS))
    args, _ = ap.parse_known_args(argv)
    if args.atheris:
        return _atheris(args.atheris)
    limit_memory()
    gen = InputGenerator(_default_corpus(), args.seed, args.target or TARGETS)
    res = campaign(gen, args.n, args.time_limit)
    print(f"{res.inputs} inputs, {res.by_kind[NON_PROJECT]} non-project exceptions, {res.by_kind[HANG]} hangs "
          f"({res.by_kind[OK]} ok, {res.by_kind[PROJECT]} refused with a project error)")
    for name, detail, data in res.failures:
        print(f"  {name}: {detail}\n    input: {data[:120].hex()}")
    return 1 if res.failures else 0


if __name__ == "__main__":
    sys.exit(main())
