"""Host speed: ticks/s of the example brain, µs per DomainOp round trip, bank query time.

* example brain: the bundled four-region brain (sensory, memory, learner, regulation), booted and
  warmed up, then timed over blocks of ticks (median of repeats);
* DomainOp round trip: a region looping ``N`` times over one yielding instruction under a brain
  (yield → host fulfils → resume), minus the same loop over a non-yielding ``set``;
* bank: 4,096 entries of width 64, sparse-cosine top-8 query — the Bank directly, and as a
  BankQuery round trip from firmware.

Run: python bench/bench_host.py
"""
from __future__ import annotations

import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _common import median_time, print_table  # noqa: E402

import numpy as np  # noqa: E402

from ternsig.host.banks import Bank  # noqa: E402
from ternsig.host.brain import Brain  # noqa: E402
from ternsig.vm.state import HotBuffer  # noqa: E402

EXAMPLE = Path(__file__).resolve().parent.parent / "src" / "ternsig" / "examples" / "brain"
N = 2000          # iterations of the round-trip loop per tick


def example_brain(work: Path) -> list[object]:
    d = work / "example"
    shutil.copytree(EXAMPLE, d)
    b = Brain(d, state_dir=work / "example-state")
    b.run(200)                               # warm up: boot, bank fills, learner settles
    block = 200
    per_tick = median_time(lambda: b.run(block), repeats=5) / block
    acc = b.run(1)[-1].get("accuracy", float("nan"))
    return ["example brain (4 regions)", f"{1 / per_tick:,.0f} ticks/s", f"{per_tick * 1e6:,.0f} µs/tick",
            f"accuracy {acc:.2f}"]


def one_region_brain(work: Path, name: str, body: str, regs: str, config: str = "") -> Brain:
    d = work / name
    d.mkdir()
    (d / "r.ternsig").write_text(
        ".requires\n    neuro 0x0005\n    lifecycle 0x0008\n    ipc 0x0009\n    bank 0x000B\n"
        f".registers\n{regs}\n.program\n    loop {N}\n        {body}\n    end_loop\n    halt\n")
    (d / "boot.ternsig").write_text(
        f".config\n    region r firmware=r.ternsig role=test budget=1000000\n{config}\n.program\n    halt\n")
    b = Brain(d, state_dir=work / f"{name}-state")
    b.boot()
    return b


ROUND_TRIPS = [
    ("set (no yield, baseline)", "set H0, 1", ""),
    ("lifecycle.tick_read", "lifecycle.tick_read H0", ""),
    ("neuro.chem_read", "neuro.chem_read H0, 0", ""),
    ("neuro.field_slice_write", "neuro.field_slice_write H1, 2, 3", ""),
    ("ipc.atomic_cas", "ipc.atomic_cas H0, H2, H3", ""),
    ("bank.bank_count", "bank.bank_count H0, 0", "    bank r 0=b\n"),
]


def round_trips(work: Path) -> list[list[object]]:
    regs = "    H0: i32[1]\n    H1: i32[16]\n    H2: i32[1]\n    H3: i32[1]"
    rows, base = [], None
    for label, body, cfg in ROUND_TRIPS:
        b = one_region_brain(work, label.split()[0].replace(".", "_"), body, regs, cfg)
        b.tick()
        assert b.regions[0].traps == 0, b.regions[0].last_trap
        t = median_time(b.tick, repeats=7) / N
        if base is None:
            base = t
            rows.append([label, f"{t * 1e6:.2f}", "—"])
        else:
            rows.append([label, f"{t * 1e6:.2f}", f"{(t - base) * 1e6:.2f}"])
    return rows


def bank_rows(work: Path) -> list[list[object]]:
    rng = np.random.default_rng(1)
    vecs = rng.integers(-255, 256, (4096, 64)) * (rng.random((4096, 64)) < 0.5)
    bank = Bank("bench", width=64, max_entries=4096)
    t0 = time.perf_counter()
    for i, v in enumerate(vecs):
        bank.insert(v, i)
    fill = time.perf_counter() - t0
    q = vecs[17] + rng.integers(-20, 21, 64) * (vecs[17] != 0)
    hits = bank.query(q, 8)
    assert hits[0][0] == int(bank.ids[17]), "the noisy copy should find its source first"
    direct = median_time(lambda: bank.query(q, 8), repeats=9, number=20)
    # the same query as a BankQuery DomainOp round trip from firmware, 100 per tick
    d = work / "bankq"
    d.mkdir()
    (d / "r.ternsig").write_text(".requires\n    bank 0x000B\n.registers\n    H0: i32[64]\n    H1: i32[1]\n"
                                 ".program\n    loop 100\n        bank.bank_query H1, H0, 0, 8\n    end_loop\n    halt\n")
    (d / "boot.ternsig").write_text(".config\n    region r firmware=r.ternsig role=test budget=1000000\n"
                                    "    bank r 0=bench\n.program\n    halt\n")
    b = Brain(d, state_dir=work / "bankq-state")
    b.boot()
    b.banks.banks["bench"] = bank
    b.regions[0].machine.hot[0] = HotBuffer(q.astype(np.int32), (64,))
    b.tick()
    assert b.regions[0].traps == 0 and b.regions[0].machine.hot[1].data[0] == 8
    via_op = median_time(b.tick, repeats=7) / 100
    return [["Bank.query (direct)", f"{direct * 1e6:,.0f}"],
            ["bank.bank_query round trip", f"{via_op * 1e6:,.0f}"],
            ["insert (mean over filling 4,096)", f"{fill / 4096 * 1e6:,.0f}"]]


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        print_table("Example brain (median of 5 blocks of 200 ticks)", ["brain", "speed", "per tick", "learning"],
                    [example_brain(work)])
        print_table(f"DomainOp round trip under a brain ({N} per tick, median of 7 ticks)",
                    ["instruction", "µs per instruction", "µs round trip (minus baseline)"], round_trips(work))
        print_table("Bank: 4,096 entries × width 64, top-8 sparse cosine", ["operation", "µs"], bank_rows(work))


if __name__ == "__main__":
    main()
