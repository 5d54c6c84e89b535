"""The extension registry: which extension tables a machine can dispatch to.

Every registry holds the core ISA as extension 0, so one lookup (:meth:`ExtensionRegistry.spec`)
serves core and extension instructions alike.
"""
from __future__ import annotations

from typing import Iterable, Optional

from .errors import TernsigError
from .extensions import CORE, standard_tables
from .isa.spec import ExtensionTable, InstructionSpec

USER_EXT_MIN = 0x0100


class RegistryError(TernsigError):
    """An extension table cannot be registered (reserved id, duplicate id or name)."""


class ExtensionRegistry:
    def __init__(self, tables: Iterable[ExtensionTable] = ()):
        self._by_id: dict[int, ExtensionTable] = {0: CORE}
        self._by_name: dict[str, ExtensionTable] = {}
        self._flagged: dict[str, dict[tuple[int, int], InstructionSpec]] = {}
        for t in tables:
            self.register(t)

    @classmethod
    def standard(cls) -> "ExtensionRegistry":
        """A registry holding every standard extension (and, like every registry, the core ISA)."""
        return cls(standard_tables())

    def register(self, table: ExtensionTable) -> None:
        if table.ext_id == 0:
            raise RegistryError("extension id 0x0000 is reserved for the core ISA")
        if not 0 < table.ext_id <= 0xFFFF:
            raise RegistryError(f"extension id {table.ext_id:#x} is not a u16")
        if table.ext_id in self._by_id:
            raise RegistryError(f"extension id 0x{table.ext_id:04X} is already registered "
                                f"({self._by_id[table.ext_id].name})")
        name = table.name.lower()
        if name in self._by_name or name == "core":
            raise RegistryError(f"extension name {table.name!r} is already registered: its qualified "
                                f"mnemonics would collide")
        self._by_id[table.ext_id] = table
        self._by_name[name] = table
        self._flagged.clear()

    def core(self) -> ExtensionTable:
        """The core ISA's table (extension 0, present in every registry)."""
        return self._by_id[0]

    def get(self, ext_id: int) -> Optional[ExtensionTable]:
        """The table of ``ext_id`` (0 is the core ISA)."""
        return self._by_id.get(ext_id)

    def spec(self, ext_id: int, opcode: int) -> Optional[InstructionSpec]:
        """The one instruction lookup, core and extensions alike."""
        t = self._by_id.get(ext_id)
        return t.by_opcode.get(opcode) if t is not None else None

    def flagged(self, flag: str) -> dict[tuple[int, int], InstructionSpec]:
        """``{(ext_id, opcode): spec}`` of every instruction whose table row sets ``flag`` (a name
        in :data:`ternsig.isa.spec.FLAGS`, or ``loop`` for any loop role); built once per registry."""
        hit = self._flagged.get(flag)
        if hit is None:
            hit = self._flagged[flag] = {(s.ext_id, s.opcode): s for t in self._by_id.values()
                                         for s in t.specs if getattr(s, flag)}
        return hit

    def by_name(self, name: str) -> Optional[ExtensionTable]:
        return self._by_name.get(name.lower())

    def tables(self) -> list[ExtensionTable]:
        """The registered extension tables by id (the core table excluded: see :meth:`all_tables`)."""
        return sorted((t for t in self._by_id.values() if t.ext_id), key=lambda t: t.ext_id)

    def all_tables(self) -> list[ExtensionTable]:
        """Every table this registry dispatches to, core (extension 0) first."""
        return sorted(self._by_id.values(), key=lambda t: t.ext_id)

    def resolve(self, qualified: str) -> Optional[InstructionSpec]:
        """``tensor.add`` (or ``tvmr.tensor.add``) → spec."""
        q = qualified.lower()
        if q.startswith("tvmr."):
            q = q[5:]
        ext, _, mnem = q.partition(".")
        t = self._by_name.get(ext)
        return t.lookup(mnem) if t else None

    def __contains__(self, ext_id: int) -> bool:
        return ext_id != 0 and ext_id in self._by_id

    def __len__(self) -> int:
        return len(self._by_id) - 1
