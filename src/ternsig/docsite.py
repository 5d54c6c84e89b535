"""Generated parts of the documentation site, and the MkDocs hook that puts them in the pages.

A page asks for generated text with a marker line ``<!-- generated: NAME -->``; :data:`GENERATED`
maps each name to a function of the tables (the role rules in :mod:`ternsig.safety.policy`, the
instruction tables in the registry), so what the site says about privileges is what the
validator enforces. ``mkdocs.yml`` loads this file as a hook (``hooks:``); MkDocs imports it by
path, not as part of the package, which is why the imports below are absolute.
"""
from __future__ import annotations

import re
from typing import Any, Callable

from ternsig.isa.spec import Layer

__all__ = ["GENERATED", "privilege_matrix", "instructions_by_layer", "expand", "escape_table_brackets"]

_MARKER = re.compile(r"^<!-- generated: ([\w-]+) -->$", re.M)
_LAYER_ORDER = (Layer.KERNEL, Layer.BOOT, Layer.EVOLUTIONARY, Layer.RUNTIME, Layer.LEARNING, Layer.TEST)


def privilege_matrix() -> str:
    """Roles × (instruction layers, authorities), from :data:`ternsig.safety.policy.ROLE_RULES`."""
    from ternsig.safety.policy import LAYER_NAMES, ROLE_RULES, Role, may

    authorities = sorted({r.authority for rules in ROLE_RULES.values() for r in rules if r.authority})
    head = ["role", *(LAYER_NAMES[x] for x in _LAYER_ORDER), *(f"authority: {a}" for a in authorities)]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for role in Role:
        layers = {r.layer for r in ROLE_RULES[role] if r.layer is not None}
        cells = ["✓" if x in layers else "·" for x in _LAYER_ORDER]
        cells += ["✓" if may(role, a) else "·" for a in authorities]
        lines.append(f"| `{role.value}` | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def instructions_by_layer() -> str:
    """Per extension, its mnemonics grouped by layer, each with the roles that may use it
    (:func:`ternsig.safety.policy.verdict`, the validator's own check)."""
    from ternsig.registry import ExtensionRegistry
    from ternsig.safety.policy import LAYER_NAMES, Role, verdict

    reg = ExtensionRegistry.standard()
    lines = ["| extension | layer | roles allowed | instructions |", "|---|---|---|---|"]
    for table in reg.all_tables():
        prefix = "" if table.ext_id == 0 else f"{table.name}."
        groups: dict[tuple[Layer, tuple[str, ...]], list[str]] = {}
        for spec in sorted(table.specs, key=lambda s: s.opcode):
            roles = tuple(r.value for r in Role if verdict(spec, r, reg) is None)
            groups.setdefault((spec.layer, roles), []).append(f"`{prefix}{spec.mnemonic}`")
        for (layer, roles), names in sorted(groups.items(), key=lambda kv: (_LAYER_ORDER.index(kv[0][0]), kv[0][1])):
            ext = "core" if table.ext_id == 0 else f"`{table.name}` (0x{table.ext_id:04X})"
            lines.append(f"| {ext} | {LAYER_NAMES[layer]} | {', '.join(roles)} | {' '.join(names)} |")
    return "\n".join(lines) + "\n"


def config_roles() -> str:
    """The roles a ``.config`` region line accepts (host/config.py)."""
    from ternsig.host.config import ROLES

    return ", ".join(f"`{r}`" for r in ROLES) + "\n"


def extensions() -> str:
    """The standard extensions a ``.requires`` line may name, from the registry."""
    from ternsig.registry import ExtensionRegistry

    lines = ["| `.requires` name | id | instructions | what it holds |", "|---|---|---|---|"]
    for t in ExtensionRegistry.standard().all_tables():
        if t.ext_id:
            lines.append(f"| `{t.name}` | 0x{t.ext_id:04X} | {len(t.specs)} | {t.doc} |")
    return "\n".join(lines) + "\n"


def dtypes() -> str:
    """Register dtypes and their accepted spellings (:data:`ternsig.isa.types.DTYPES`)."""
    from ternsig.isa.types import DTYPES, TYPE_SIZES

    lines = ["| dtype | spellings | type id | bytes per element |", "|---|---|---|---|"]
    for name, (tid, spellings) in DTYPES.items():
        lines.append(f"| `{name}` | {', '.join(f'`{x}`' for x in spellings)} | 0x{int(tid):04X} | {TYPE_SIZES[tid]} |")
    return "\n".join(lines) + "\n"


GENERATED: dict[str, Callable[[], str]] = {
    "extensions": extensions,
    "dtypes": dtypes,
    "privilege-matrix": privilege_matrix,
    "instructions-by-layer": instructions_by_layer,
    "config-roles": config_roles,
}


def expand(markdown: str) -> str:
    """Replace every ``<!-- generated: NAME -->`` line by its generated text (KeyError for an
    unknown name, so a typo fails the strict build instead of leaving a hole)."""
    return _MARKER.sub(lambda m: GENERATED[m.group(1)]().rstrip("\n"), markdown)


def escape_table_brackets(markdown: str) -> str:
    """Escape ``[`` and ``]`` outside code spans on table lines: the ISA reference writes
    ``H[A][0]``, which Markdown would read as a reference link."""
    out = []
    for line in markdown.split("\n"):
        if line.startswith("|"):
            parts = line.split("`")
            parts[::2] = [p.replace("[", "\\[").replace("]", "\\]") for p in parts[::2]]
            line = "`".join(parts)
        out.append(line)
    return "\n".join(out)


def on_page_markdown(markdown: str, page: Any, **_: Any) -> str:
    """MkDocs hook: generated sections in, ISA table brackets escaped."""
    markdown = expand(markdown)
    if page.file.src_uri == "isa.md":
        markdown = escape_table_brackets(markdown)
    return markdown
