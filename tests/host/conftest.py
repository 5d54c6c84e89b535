"""Helpers that build a tiny brain directory in ``tmp_path`` from inline firmware strings.

Every host test runs real firmware under a real :class:`~ternsig.host.brain.Brain`: the program
yields, the default host fulfils, and the test checks the effect (registers the host wrote,
substrate / IPC / bank / store state). ``brain_dir`` writes the files; ``make_brain`` also builds
the brain (and boots it by default).
"""
from __future__ import annotations

import re
import textwrap
from pathlib import Path
from typing import Optional, Union

import numpy as np
import pytest

from ternsig.extensions import STANDARD_IDS
from ternsig.host.brain import Brain
from ternsig.host.config import ROLES
from ternsig.registry import ExtensionRegistry
from ternsig.safety.policy import ROLE_LAYERS
from ternsig.isa.encoding import HOT_REGS, make_reg

EXT_IDS = STANDARD_IDS   # names and ids come from the extension tables

RegionSpec = Union[str, tuple[str, str], dict]


def firmware(program: str, registers: str = "", *, role: Optional[str] = None) -> str:
    """A firmware file: ``.requires`` is derived from the ``ext.`` names the program uses."""
    used = sorted({m for m in re.findall(r"\b([a-z]+)\.[a-z_0-9]+", program) if m in EXT_IDS})
    out = []
    if role:
        out.append(f".meta\n    name fw\n    role {role}\n")
    if used:
        out.append(".requires\n" + "".join(f"    {n} 0x{EXT_IDS[n]:04X}\n" for n in used))
    if registers.strip():
        out.append(".registers\n" + textwrap.indent(textwrap.dedent(registers).strip() + "\n", "    "))
    out.append(".program\n" + textwrap.indent(textwrap.dedent(program).strip() + "\n", "    "))
    return "\n".join(out)


def role_for(qualified: str) -> str:
    """The first region role (in the policy's order, runtime before test) whose layers include
    the instruction's: the role a test region needs to run it — derived from the tables."""
    spec = ExtensionRegistry.standard().resolve(qualified) if "." in qualified else \
        ExtensionRegistry.standard().core().lookup(qualified)
    if spec is None:
        raise KeyError(qualified)
    order = sorted(ROLES, key=lambda r: (r == "test", len(ROLE_LAYERS[r])))
    return next(r for r in order if spec.layer in ROLE_LAYERS[r])


def brain_dir(root: Path, regions: dict[str, RegionSpec], *, config: str = "", boot_program: str = "halt",
              boot_registers: str = "", files: Optional[dict[str, str]] = None) -> Path:
    """Write ``root/brain`` with ``boot.ternsig`` and one firmware file per region.

    ``regions`` maps a region name to its firmware text, to ``(firmware, options)`` where options
    is the rest of the ``region`` line (``role=test input=@env budget=500``), or to a dict with
    keys ``src`` and ``opts``. The default role is ``runtime``, as in a real brain; a test that needs
    more privilege says so with ``role=...`` in the options (``role_for(mnemonic)`` gives the
    least-privileged role allowed to use an instruction; ``test`` allows every layer).
    """
    d = root / "brain"
    d.mkdir(parents=True, exist_ok=True)
    lines = []
    for name, spec in regions.items():
        if isinstance(spec, str):
            src, opts = spec, ""
        elif isinstance(spec, tuple):
            src, opts = spec
        else:
            src, opts = spec["src"], spec.get("opts", "")
        if "role=" not in opts:
            opts = (opts + " role=runtime").strip()
        (d / f"{name}.ternsig").write_text(src)
        lines.append(f"region {name} firmware={name}.ternsig {opts}")
    for fname, text in (files or {}).items():
        (d / fname).write_text(text)
    cfg = "\n".join(lines + [ln for ln in textwrap.dedent(config).splitlines() if ln.strip()])
    boot = firmware(boot_program, boot_registers)
    (d / "boot.ternsig").write_text(".config\n" + textwrap.indent(cfg + "\n", "    ") + "\n" + boot)
    return d


def make_brain(root: Path, regions: dict[str, RegionSpec], *, boot: bool = True, **kw) -> Brain:
    d = brain_dir(root, regions, **{k: v for k, v in kw.items() if k in ("config", "boot_program",
                                                                         "boot_registers", "files")})
    b = Brain(d, state_dir=root / "state")
    if boot:
        b.boot()
    return b


def reopen(root: Path) -> Brain:
    """A fresh Brain over the same directory and state (a restart)."""
    b = Brain(root / "brain", state_dir=root / "state")
    b.boot()
    return b


def hot(brain: Brain, region: str, index: int) -> list[int]:
    """Contents of H[index] of a region's machine (after a tick)."""
    buf = brain.region(region).machine.hot[index]
    assert buf is not None, f"H{index} of {region} is not allocated"
    return buf.data.tolist()


def set_hot(brain: Brain, region: str, index: int, values) -> None:
    from ternsig.vm.state import HotBuffer

    arr = np.asarray(values, np.int32).ravel()
    brain.region(region).machine.hot[index] = HotBuffer(arr.copy(), (len(arr),))


def H(i: int) -> int:
    return make_reg(HOT_REGS, i)


def assert_clean(brain: Brain, *names: str) -> None:
    """The named regions (all, by default) ran without a trap."""
    for r in brain.regions:
        if not names or r.name in names:
            assert r.traps == 0, f"{r.name} trapped: {r.last_trap}"


def assert_trapped(brain: Brain, region: str, *fragments: str) -> str:
    """``region`` trapped with a message that names it, a pc and every fragment given."""
    r = brain.region(region)
    assert r.traps >= 1, f"{region} did not trap"
    msg = r.last_trap or ""
    assert f"region {region}" in msg and re.search(r"\bpc \d+", msg), msg
    for f in fragments:
        assert f in msg, f"{f!r} not in {msg!r}"
    return msg


@pytest.fixture
def root(tmp_path: Path) -> Path:
    return tmp_path
