"""Region arrays: one ``.config`` line declares many instances of a region.

::

    region sensory   firmware=sensory.ternsig role=runtime input=@env
    region column[1024] firmware=column.ternsig role=runtime input=sensory,column[i-1]
    key  column 1=col.{i}.w0              ; every instance, {i} = its index
    bank column[0] 0=first                ; one instance
    region pool firmware=pool.ternsig input=column          ; every instance's output, by index

declares ``column[0]`` … ``column[1023]``: regions in their own right (own machine, region id,
checkpoint part, digest line), numbered consecutively in declaration order. Inside an array
declaration and in firmware thermogram keys, ``{i}`` stands for the instance index, so
``key="col.{i}.w1"`` in ``column.ternsig`` gives every instance its own persisted weights.

References (``input=``, ``target=``, and the region of ``key``/``model``/``bank``/``snn``/``pool``
lines) name ``@env``, a region, a fixed instance ``column[3]``, or — in an array's own line —
``column[i]``, ``column[i-1]``, ``column[i+2]``. A relative instance outside the array is no
input for that instance (``column[0]`` has no ``column[i-1]``); a fixed one is an error. An array
named without an index is every instance, in index order.

Names stay confined: the array name is a plain name (:func:`ternsig.confine.plain_name`) and an
instance name is that plus ``[N]``; values with ``{i}`` substituted are checked as before.
"""
from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from typing import Optional

from ..errors import AssemblyError
from ..program import Program

INDEX = "{i}"
#: instances one array may declare
MAX_INSTANCES = 65_536

_DECL = re.compile(r"(?P<base>[^\[\]]*)\[(?P<n>[0-9]+)\]\Z")
_REF = re.compile(r"(?P<base>[^\[\]]+)(?:\[(?P<idx>[0-9]+|i|i[+-][0-9]+)\])?\Z")


def instance_name(base: str, index: int) -> str:
    return f"{base}[{index}]"


def split_decl(token: str, line: int, col: int) -> tuple[str, Optional[int]]:
    """``column[1024]`` → ("column", 1024); ``learner`` → ("learner", None)."""
    m = _DECL.match(token)
    if m is None:
        if "[" in token or "]" in token:
            raise AssemblyError(f"bad region array {token!r} (expected NAME[COUNT])", line, col)
        return token, None
    n = int(m.group("n"))
    if not 1 <= n <= MAX_INSTANCES:
        raise AssemblyError(f"region array {m.group('base')!r}: {n} instances (1..{MAX_INSTANCES})", line, col)
    return m.group("base"), n


@dataclass(frozen=True)
class Ref:
    """A reference to regions: ``@env``, a name, ``name[K]`` or ``name[i±K]``."""

    base: str
    kind: str = "name"          # "name" | "fixed" | "rel"
    k: int = 0                  # the fixed index, or the offset from i

    @classmethod
    def parse(cls, text: str, line: int, col: int) -> "Ref":
        m = _REF.match(text)
        if m is None:
            raise AssemblyError(f"bad region reference {text!r} (NAME, NAME[N] or NAME[i-1] in an array)", line, col)
        idx = m.group("idx")
        if idx is None:
            return cls(m.group("base"))
        if idx == "i":
            return cls(m.group("base"), "rel", 0)
        if idx.startswith("i"):
            return cls(m.group("base"), "rel", int(idx[1:]))
        return cls(m.group("base"), "fixed", int(idx))


class Topology:
    """The declared names: plain regions and arrays (name → instance count)."""

    def __init__(self) -> None:
        self.plain: set[str] = {"@env"}
        self.arrays: dict[str, int] = {}

    def has(self, base: str) -> bool:
        return base in self.plain or base in self.arrays

    def resolve(self, ref: Ref, index: Optional[int], line: int, what: str, *, many: bool = True) -> list[str]:
        """The region names ``ref`` means for instance ``index`` (None: outside an array)."""
        base = ref.base
        if not self.has(base):
            raise AssemblyError(f"{what} names unknown region {base!r}", line, 1)
        if ref.kind == "rel" and index is None:
            raise AssemblyError(f"{what}: {base}[i...] only inside an array's own declaration", line, 1)
        if base in self.plain:
            if ref.kind != "name":
                raise AssemblyError(f"{what}: region {base!r} is not an array", line, 1)
            return [base]
        n = self.arrays[base]
        if ref.kind == "name":
            if not many:
                raise AssemblyError(f"{what}: {base!r} is an array of {n}; name one instance ({base}[N])", line, 1)
            return [instance_name(base, j) for j in range(n)]
        j = ref.k if ref.kind == "fixed" else index + ref.k        # type: ignore[operator]
        if not 0 <= j < n:
            if ref.kind == "fixed":
                raise AssemblyError(f"{what}: {base}[{j}] is outside the array (0..{n - 1})", line, 1)
            return []                                               # the edge of the array: no input
        return [instance_name(base, j)]

    def instances(self, ref: Ref, line: int, what: str) -> list[tuple[str, Optional[int]]]:
        """(region name, index for ``{i}``) of every region a table line (key/model/bank/...) covers."""
        if not self.has(ref.base) or ref.base == "@env":
            raise AssemblyError(f"{what} declaration for unknown region {ref.base!r}", line, 1)
        if ref.base in self.plain:
            if ref.kind != "name":
                raise AssemblyError(f"{what}: region {ref.base!r} is not an array", line, 1)
            return [(ref.base, None)]
        n = self.arrays[ref.base]
        if ref.kind == "fixed":
            if not 0 <= ref.k < n:
                raise AssemblyError(f"{what}: {ref.base}[{ref.k}] is outside the array (0..{n - 1})", line, 1)
            return [(instance_name(ref.base, ref.k), ref.k)]
        if ref.kind == "rel" and ref.k:
            raise AssemblyError(f"{what}: use {ref.base} or {ref.base}[i] for every instance", line, 1)
        return [(instance_name(ref.base, j), j) for j in range(n)]


def substitute(text: str, index: Optional[int], line: int, what: str) -> str:
    """``{i}`` replaced by the instance index; refused outside an array."""
    if INDEX not in text:
        return text
    if index is None:
        raise AssemblyError(f"{what}: {INDEX} is only meaningful for a region array", line, 1)
    return text.replace(INDEX, str(index))


def uses_index(program: Program) -> bool:
    return any(d.key and INDEX in d.key for d in program.registers)


def instance_program(program: Program, index: int) -> Program:
    """``program`` for instance ``index``: ``{i}`` in its thermogram keys replaced by the index.
    A copy per instance (its own register declarations); the instruction list is shared."""
    regs = [dataclasses.replace(d, key=d.key.replace(INDEX, str(index)) if d.key else d.key)
            for d in program.registers]
    return dataclasses.replace(program, registers=regs)
