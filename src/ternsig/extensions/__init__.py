"""Standard extensions: one module per extension, its instruction table and handlers side by side."""
from __future__ import annotations

import importlib

from ..isa.spec import ExtensionTable

#: short name → ext id, as the reference's `.requires` resolves them
STANDARD_IDS: dict[str, int] = {
    "tensor": 0x0001, "ternary": 0x0002, "activation": 0x0003, "learning": 0x0004, "neuro": 0x0005,
    "arch": 0x0006, "orchestration": 0x0007, "lifecycle": 0x0008, "ipc": 0x0009, "test": 0x000A,
    "bank": 0x000B, "pool": 0x000C, "sampling": 0x00C0,
}

_MODULES = {"test": "test_ext"}


def standard_tables() -> list[ExtensionTable]:
    """Every standard extension table that is implemented in this package."""
    tables = []
    for name in STANDARD_IDS:
        modname = _MODULES.get(name, name)
        try:
            mod = importlib.import_module(f"{__name__}.{modname}")
        except ModuleNotFoundError as exc:
            if exc.name == f"{__name__}.{modname}":
                continue
            raise
        tables.append(mod.TABLE)
    return tables
