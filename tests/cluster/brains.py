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
