"""Brain directories for the cluster tests: the example brain, and one with region arrays mixing
partitioned regions (sensory and learning columns) with replicated ones (bank, regulation)."""
from __future__ import annotations

import shutil
from pathlib import Path

from tests.paths import EXAMPLES

ARRAY_CONFIG = """.meta
    name arr_boot
    role boot

.config
    brain arr
    task patterns classes=4 width=16 noise=40 seed=11
    bank_width 16
    budget 20000
    region sensory[{n}]  firmware=sensory.ternsig    role=runtime    input=@env
    region memory        firmware=memory.ternsig     role=runtime    input=sensory[0]
    region learner[{n}]  firmware=learner.ternsig    role=learning   input=sensory[i] target=@env
    region regulation    firmware=regulation.ternsig role=regulation
    bank memory 0=episodic

.program
    halt
"""


def example_brain(where: Path) -> Path:
    d = where / "brain"
    shutil.copytree(EXAMPLES / "brain", d)
    return d


def array_brain(where: Path, n: int = 3) -> Path:
    """The example's firmware as arrays: n sensory columns, n learners (own weights each)."""
    d = where / f"array{n}"
    shutil.copytree(EXAMPLES / "brain", d)
    (d / "boot.ternsig").write_text(ARRAY_CONFIG.format(n=n))
    learner = (d / "learner.ternsig").read_text().replace('key="demo.learner.', 'key="arr.{i}.')
    (d / "learner.ternsig").write_text(learner)
    return d


RING = """.requires
    ipc 0x0009

.registers
    H0: i32[16]
    H1: i32[16]
    H2: i32[1]

.program
    load_input H0
    ipc.recv_signal H1, 2
    max_reduce H2, H1
    ipc.send_signal H0, 1
    ipc.send_signal H2, 3
    halt
"""

HUB = """.requires
    ipc 0x0009

.registers
    H1: i32[16]
    H2: i32[1]

.program
    ipc.recv_signal H1, 1
    ipc.recv_signal H2, 2
    halt
"""


def routed_brain(where: Path, n: int = 3) -> Path:
    """``array_brain`` plus a ring of IPC columns wired by ``.config route``: ring[i] sends its
    sensory column's output to id 1 (ring[i+1]) and what it got from id 2 (ring[i-1]) to id 3 (hub)."""
    d = array_brain(where, n)
    (d / "ring.ternsig").write_text(RING)
    (d / "hub.ternsig").write_text(HUB)
    boot = (d / "boot.ternsig").read_text().replace("    bank memory 0=episodic\n", (
        f"    region ring[{n}] firmware=ring.ternsig role=runtime input=sensory[i]\n"
        "    region hub firmware=hub.ternsig role=runtime\n"
        "    route ring 1=ring[i+1] 2=ring[i-1] 3=hub\n"
        f"    route hub 1=ring[0] 2=ring[{n - 1}]\n"
        "    bank memory 0=episodic\n"))
    (d / "boot.ternsig").write_text(boot)
    return d
