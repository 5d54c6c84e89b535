"""The test extension (0x000A): assertions that turn a program into its own test harness.

A failing assertion stops the program with an error (the reference's ``StepResult::Error``) whose
text names the register, index and values; while ``test.test_begin N`` is active the text starts
with ``"[test N] "`` so a runner can tell which test case failed (see :mod:`ternsig.testing`).
Texts are the reference's, byte for byte: conformance compares them.

The extension keeps per-machine state (the current test id and the snapshots), which — like the
reference's extension object — survives ``pc = 0`` restarts.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

import numpy as np

from ..errors import ExecFault
from ..isa.spec import ExtensionTable, Layer
from ..vm.state import HotBuffer, Machine

EXT_ID = 0x000A
T = Layer.TEST

#: EXPECT_CHEM chemical ids, in the reference's order
CHEMICALS = ("dopamine", "serotonin", "norepinephrine", "gaba")


@dataclass
class TestState:
    """What the extension remembers between instructions (and between runs)."""

    __test__ = False  # not a pytest class

    #: the id given to the active ``test.test_begin``, None outside a test case
    current: Optional[int] = None
    #: ``test.snapshot`` copies, by hot register index (stored, never read back — as the reference)
    snapshots: list[Optional[np.ndarray]] = field(default_factory=lambda: [None] * 64)

    def prefix(self) -> str:
        return "" if self.current is None else f"[test {self.current}] "


TABLE = ExtensionTable(EXT_ID, "test", doc="Assertions and test-case markers for test programs (development only).",
                       state_factory=TestState)


def state_of(m: Machine) -> TestState:
    """The test extension's state on ``m`` (created on first use when the machine lacks it)."""
    st = m.ext_state.get(EXT_ID)
    if st is None:
        st = m.ext_state[EXT_ID] = TestState()
    return st


def _hot(m: Machine, byte: int, what: str, prefix: str) -> HotBuffer:
    idx = byte & 0x3F
    buf = m.hot[idx]
    if buf is None:
        raise ExecFault(f"{prefix}{what}: H{idx} not allocated")
    return buf


@TABLE.op(0x0000, "assert_eq", "reg@A reg@B", T, "Fail unless hot A and hot B have the same length and elements.")
def assert_eq(m: Machine, a: int, b: int, c: int, d: int) -> None:
    pre = state_of(m).prefix()
    ai, bi = a & 0x3F, b & 0x3F
    x = _hot(m, a, "ASSERT_EQ", pre).data
    y = _hot(m, b, "ASSERT_EQ", pre).data
    if len(x) != len(y):
        raise ExecFault(f"{pre}ASSERT_EQ failed: H{ai} has {len(x)} elements, H{bi} has {len(y)} elements")
    diff = np.flatnonzero(x != y)
    if len(diff):
        i = int(diff[0])
        raise ExecFault(f"{pre}ASSERT_EQ failed at index {i}: H{ai}[{i}]={int(x[i])} != H{bi}[{i}]={int(y[i])}")


@TABLE.op(0x0001, "assert_gt", "reg@A reg@B", T, "Fail unless sum(hot A) > sum(hot B) (sums in i64).")
def assert_gt(m: Machine, a: int, b: int, c: int, d: int) -> None:
    pre = state_of(m).prefix()
    x = _hot(m, a, "ASSERT_GT", pre).data
    y = _hot(m, b, "ASSERT_GT", pre).data
    # i32 elements: an int64 sum cannot overflow below 2**32 elements
    sx, sy = int(x.sum(dtype=np.int64)), int(y.sum(dtype=np.int64))
    if sx <= sy:
        raise ExecFault(f"{pre}ASSERT_GT failed: sum(H{a & 0x3F})={sx} <= sum(H{b & 0x3F})={sy}")


@TABLE.op(0x0002, "assert_active", "reg@A", T, "Fail when hot A is entirely zero.")
def assert_active(m: Machine, a: int, b: int, c: int, d: int) -> None:
    pre = state_of(m).prefix()
    x = _hot(m, a, "ASSERT_ACTIVE", pre).data
    if not x.any():
        raise ExecFault(f"{pre}ASSERT_ACTIVE failed: H{a & 0x3F} is entirely zero ({len(x)} elements)")


@TABLE.op(0x0003, "assert_range", "reg@A imm8@B imm8@C", T, "Fail unless every element of hot A is in [B, C] (bytes 0..255).")
def assert_range(m: Machine, a: int, b: int, c: int, d: int) -> None:
    pre = state_of(m).prefix()
    x = _hot(m, a, "ASSERT_RANGE", pre).data
    bad = np.flatnonzero((x < b) | (x > c))
    if len(bad):
        i = int(bad[0])
        raise ExecFault(f"{pre}ASSERT_RANGE failed: H{a & 0x3F}[{i}]={int(x[i])} not in [{b}, {c}]")


@TABLE.op(0x0004, "test_begin", "imm8@A", T, "Start test case A: failures are prefixed \"[test A] \".")
def test_begin(m: Machine, a: int, b: int, c: int, d: int) -> None:
    state_of(m).current = a


@TABLE.op(0x0005, "test_end", "", T, "End the current test case.")
def test_end(m: Machine, a: int, b: int, c: int, d: int) -> None:
    state_of(m).current = None


@TABLE.op(0x0006, "expect_chem", "imm8@A imm8@B imm8@C", T,
          "Fail unless chemical A (0 DA, 1 5HT, 2 NE, 3 GABA) is in [B, C].")
def expect_chem(m: Machine, a: int, b: int, c: int, d: int) -> None:
    pre = state_of(m).prefix()
    if a >= len(CHEMICALS):
        raise ExecFault(f"{pre}EXPECT_CHEM: unknown chemical {a}")
    name = CHEMICALS[a]
    value = getattr(m.chem, name)
    if value < b or value > c:
        raise ExecFault(f"{pre}EXPECT_CHEM failed: {name}={value} not in [{b}, {c}]")


@TABLE.op(0x0007, "snapshot", "reg@A", T, "Keep a copy of hot A (the reference never reads it back).")
def snapshot(m: Machine, a: int, b: int, c: int, d: int) -> None:
    idx = a & 0x3F
    buf = m.hot[idx]
    if buf is None:  # the reference gives this one no "[test N] " prefix
        raise ExecFault(f"SNAPSHOT: H{idx} not allocated")
    state_of(m).snapshots[idx] = buf.data.copy()
