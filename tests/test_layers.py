"""The import graph of src/ternsig: layers point one way and there is no cycle.

Every import counts — module level, inside functions and under ``TYPE_CHECKING`` — because each
is a dependency someone has to keep working. A module may import modules of its own layer or of
a lower one, never of a higher one. The table below is the contract drawn in docs/design.md; a
new module must fall under one of its prefixes (the test fails for a module it cannot place).
"""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.paths import REPO

SRC = REPO / "src"

#: (module prefix, layer); the longest matching prefix wins. Lower layers never import higher ones.
LAYERS: list[tuple[str, int]] = [
    # 0 foundations: errors, exact integer helpers, signals, atomic files
    ("ternsig.errors", 0), ("ternsig.intmath", 0), ("ternsig.signal", 0), ("ternsig.atomicio", 0),
    ("ternsig.confine", 0),
    # 1 the instruction word, register bytes, type ids, the InstructionSpec record
    ("ternsig.isa", 1),
    # 2 programs and files: Program, TVMR / TERN codecs, thermograms (no VM types)
    ("ternsig.program", 2), ("ternsig.binfmt", 2), ("ternsig.binary", 2), ("ternsig.card", 2),
    ("ternsig.thermo", 2),
    # 3 machine state and what the machine hands to the host (StepResult, DomainOp)
    ("ternsig.vm.state", 3), ("ternsig.vm.results", 3), ("ternsig.vm.domainops", 3),
    # 4 exact kernels and learning rules over machine state
    ("ternsig.kernels", 4), ("ternsig.plasticity", 4),
    # 5 the instruction tables with their handlers (core = extension 0), 6 the registry of them
    ("ternsig.extensions", 5), ("ternsig.registry", 6),
    # 7 the interpreter: binds a program's instructions through the registry
    ("ternsig.vm", 7),
    # 8 tools over programs and machines: assembler, validator and policy, loaders, harnesses
    ("ternsig.asm", 8), ("ternsig.safety", 8), ("ternsig.loader", 8), ("ternsig.inputs", 8),
    ("ternsig.testing", 8), ("ternsig.docs", 8), ("ternsig.dataset", 8), ("ternsig.conformance", 8), ("ternsig.fuzz", 8),
    ("ternsig.highlight", 8), ("ternsig.group", 8),
    # 9 the host: fulfils DomainOps (substrate, IPC, banks, models, weight store)
    ("ternsig.host", 9),
    # 10 the brain and the loops that run it (tick, reload, watch)
    ("ternsig.host.brain", 10), ("ternsig.host.brainrun", 10), ("ternsig.reload", 10),
    # 11 entry points (the package's own __init__ re-exports the public API) and one brain over
    # many processes (MPI ranks), which only they start
    ("ternsig.cluster", 11), ("ternsig.cli", 11), ("ternsig.__main__", 11), ("ternsig.pytest_plugin", 11),
    # the documentation site's MkDocs hook (reads policy, registry and .config tables)
    ("ternsig.docsite", 11),
]
TOP = 11


def _modules() -> dict[str, Path]:
    mods = {}
    for p in (SRC / "ternsig").rglob("*.py"):
        rel = p.relative_to(SRC).with_suffix("")
        mods[".".join(rel.parts[:-1] if rel.name == "__init__" else rel.parts)] = p
    return mods


MODULES = _modules()


def layer_of(module: str) -> int:
    if module == "ternsig":
        return TOP
    best = max((p for p, _ in LAYERS if module == p or module.startswith(p + ".")), key=len, default=None)
    if best is None:
        raise LookupError(f"{module} is in no layer of tests/test_layers.py: add it to LAYERS")
    return dict(LAYERS)[best]


def imports_of(module: str) -> list[tuple[str, int]]:
    """(imported ternsig module, line) for every import in ``module``, parents excluded."""
    path = MODULES[module]
    is_pkg = path.name == "__init__.py"
    out = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = module if is_pkg else module.rsplit(".", 1)[0]
            if node.level:
                parts = base.split(".")
                base = ".".join(parts[: len(parts) - node.level + 1])
                target = f"{base}.{node.module}" if node.module else base
            else:
                target = node.module or ""
            names = [target] + [f"{target}.{a.name}" for a in node.names]
        for t in names:
            while t and t not in MODULES:
                t = t.rsplit(".", 1)[0] if "." in t else ""
            if t and t != module and not module.startswith(t + ".") and not (is_pkg and t.startswith(module + ".")):
                out.append((t, node.lineno))
    return out


GRAPH = {m: sorted({t for t, _ in imports_of(m)}) for m in MODULES}


def test_every_module_has_a_layer():
    assert len(MODULES) > 50
    for m in MODULES:
        layer_of(m)


@pytest.mark.parametrize("module", sorted(MODULES))
def test_no_upward_import(module):
    mine = layer_of(module)
    upward = [f"line {line}: {t} (layer {layer_of(t)})" for t, line in imports_of(module) if layer_of(t) > mine]
    assert not upward, f"{module} (layer {mine}) imports from above: {upward}"


def test_no_import_cycle():
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    cycles: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in GRAPH[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                cycles.append(sorted(comp))

    for m in sorted(GRAPH):
        if m not in index:
            visit(m)
    assert cycles == []


def test_the_checker_sees_function_level_and_type_checking_imports(tmp_path):
    """The walk covers nested imports: a lazy upward import would not hide from it."""
    src = "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from .brain import Brain\n" \
          "def f():\n    from ..reload import x\n"
    tree = ast.parse(src)
    found = [n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)]
    assert found == ["typing", "brain", "reload"]
    assert layer_of("ternsig.vm.state") < layer_of("ternsig.extensions.core.table") < layer_of("ternsig.registry") \
        < layer_of("ternsig.vm.interpreter") < layer_of("ternsig.host.fulfil") < layer_of("ternsig.host.brain")


def _design_md_layers() -> dict[int, set[str]]:
    """Layer → module prefixes drawn in docs/design.md's "Layers" table (its modules column)."""
    text = (REPO / "docs" / "design.md").read_text()
    section = text[text.index("## Layers"):]
    section = section[: section.index("\n## ", 1)]
    rows: dict[int, set[str]] = {}
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) >= 2 and cells[0].isdigit():
            names = [tok for i, tok in enumerate(cells[1].split("`")) if i % 2 == 1]
            rows[int(cells[0])] = {"ternsig." + n.rstrip("/").replace("/", ".") for n in names}
    return rows


def test_design_md_draws_the_layers_of_the_test():
    """The contract a contributor reads is the one the test enforces: same layers, same modules,
    packages written with a trailing slash."""
    drawn = _design_md_layers()
    expected: dict[int, set[str]] = {}
    for prefix, layer in LAYERS:
        expected.setdefault(layer, set()).add(prefix)
    assert drawn == expected
    text = (REPO / "docs" / "design.md").read_text()
    for prefix, _ in LAYERS:
        rel = prefix.removeprefix("ternsig.").replace(".", "/")
        is_pkg = (SRC / "ternsig" / rel).is_dir()
        assert f"`{rel}/`" in text if is_pkg else f"`{rel}`" in text, prefix
