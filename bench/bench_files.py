"""File paths against the reference: assemble, serialize and deserialize violation_detector.

Prints one JSON line per workload and tier::

    {"workload": "assemble_vd"|"serialize_vd"|"deserialize_vd", "tier": "interp"|"compiled",
     "per_op_ns": X, "per_op_cpu_ns": Y, "reference_ns": R, "ratio": X / R}

The program is the reasoning corpus's violation_detector, as in the reference's workloads
(/work/shared/perf). ``reference_ns`` is the reference's recorded figure (Rust 1.4.0, release,
one thread, a quiet 2-vCPU EPYC VM, 2026-12-02). Timing follows the side-by-side harness: a
repetition is a loop of n ops with n calibrated so it lasts >= 50 ms; median of 9 repetitions of
wall time (and of thread-CPU time). Tier "interp" folds checksums in Python, "compiled" with the
Numba kernel (:mod:`ternsig.binfmt.fold`); the assembler has one implementation, timed under
both labels. ``--flips`` prints instead the outcome counts of every single-bit flip of the
headers of a few small files (refused / same program / different program; the goal is 0
different).

For bench_tiers.py: ``file_ops()`` gives the zero-argument ops, ``measure(name, op)`` one row,
``rows(tiers)`` every row.

    python bench/bench_files.py [--tier interp,compiled] [--flips]
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Callable, Iterable

sys.path.insert(0, str(Path(__file__).parent))
from _common import calibrated_ns  # noqa: E402  (also pins BLAS threads)

from ternsig.asm import assemble  # noqa: E402
from ternsig.binary import deserialize, program_json, serialize  # noqa: E402
from ternsig.errors import FormatError  # noqa: E402
from ternsig.binfmt import fold  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
VD_SOURCE = REPO / "tests" / "conformance" / "reasoning" / "reasoning_violation_detector__random" / "program.ternsig"
#: the reference's recorded ns per op (see the module docstring)
REFERENCE_NS = {"assemble_vd": 11648.1, "serialize_vd": 1596.9, "deserialize_vd": 959.1}


def file_ops(source: str | None = None) -> dict[str, Callable[[], object]]:
    """The three workloads as zero-argument callables (source: violation_detector by default)."""
    src = VD_SOURCE.read_text() if source is None else source
    program = assemble(src)
    data = serialize(program)
    return {"assemble_vd": lambda: assemble(src),
            "serialize_vd": lambda: serialize(program),
            "deserialize_vd": lambda: deserialize(data)}


def measure(name: str, op: Callable[[], object], tier: str = "compiled") -> dict:
    """One JSON row: the op timed with the checksum fold of ``tier`` ("interp" or "compiled")."""
    fold.use_compiled(tier == "compiled")
    try:
        wall, cpu = calibrated_ns(op)
    finally:
        fold.use_compiled(None)
    ref = REFERENCE_NS.get(name)
    return {"workload": name, "tier": tier, "per_op_ns": round(wall, 1), "per_op_cpu_ns": round(cpu, 1),
            "reference_ns": ref, "ratio": round(wall / ref, 2) if ref else None}


def rows(tiers: Iterable[str] = ("interp", "compiled")) -> list[dict]:
    ops = file_ops()
    return [measure(name, op, tier) for tier in tiers for name, op in ops.items()]


# ---- single-bit flips of headers ----------------------------------------------------------------

FLIP_PROGRAMS = {
    "violation_detector": VD_SOURCE,
    "bin_requires_types_keys": REPO / "tests" / "conformance" / "binary" / "bin_requires_types_keys" / "binary.hex",
    "bin_labels_jumps": REPO / "tests" / "conformance" / "binary" / "bin_labels_jumps" / "binary.hex",
}


def flip_counts(data: bytes, header_size: int = 48) -> dict[str, int]:
    """Flip each bit of the header once: refused, same program, or a different program."""
    want = program_json(deserialize(data))
    out = {"refused": 0, "same": 0, "different": 0}
    for bit in range(header_size * 8):
        b = bytearray(data)
        b[bit >> 3] ^= 1 << (bit & 7)
        try:
            got = program_json(deserialize(bytes(b)))
        except FormatError:
            out["refused"] += 1
            continue
        out["same" if got == want else "different"] += 1
    return out


def flip_rows() -> list[dict]:
    res = []
    for name, path in FLIP_PROGRAMS.items():
        data = serialize(assemble(path.read_text())) if path.suffix == ".ternsig" else \
            bytes.fromhex(path.read_text().strip())
        res.append({"file": name, "bytes": len(data), "flips": 48 * 8, **flip_counts(data)})
    return res


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tier", default="interp,compiled", help="comma-separated tiers")
    ap.add_argument("--flips", action="store_true", help="print header bit-flip outcome counts instead")
    args = ap.parse_args(argv)
    if args.flips:
        for row in flip_rows():
            print(json.dumps(row))
        return 0
    for row in rows(t.strip() for t in args.tier.split(",")):
        print(json.dumps(row), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
