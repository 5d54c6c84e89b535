"""Program → `.ternsig` source that re-assembles to the same words, registers and requires.

Each instruction is rendered in the most readable form that reproduces its 8 bytes exactly, and
every candidate line is checked by assembling it back (with the same requires, registry and
labels): an extension's own disassemble hook, then its mnemonic with operands from the layout,
then an extension opcode by number (``tensor.0x0003 ...``), and finally ``.word 0x...`` — so
any word sequence (nonzero padding bytes, unknown opcodes) round-trips byte for byte.
Jump/call/if targets get labels: the program's own where it has one, else a synthesised ``L12``.
"""
from __future__ import annotations

import re
from typing import Optional

from ..errors import AssemblyError, TernsigError
from ..extensions import STANDARD_IDS
from ..isa.encoding import Instruction
from ..isa.spec import ExtensionTable, InstructionSpec, Operand
from ..isa.types import DTYPES
from ..program import Program, RegisterDef
from ..registry import ExtensionRegistry
from .assembler import Assembler, default_registry
from .operands import LABEL_RE, SLOT_INDEX, plan
from .source import Tok

_STANDARD_NAMES = {v: k for k, v in STANDARD_IDS.items()}
_REQ_NAME_RE = re.compile(r"[^\s;A-Z]+\Z")
_SAFE_TEXT_RE = re.compile(r'[^";\r\n]*\Z')
_INDENT = "    "


class DisassemblyError(TernsigError, ValueError):
    """The program holds something `.ternsig` source cannot express (e.g. a key with a quote)."""


def reg_text(byte: int) -> str:
    """Register byte → name; every byte has one (0xFF, the null register, is ``S63``)."""
    return f"{'HCPS'[byte >> 6]}{byte & 0x3F}"


def disassemble(program: Program, *, registry: Optional[ExtensionRegistry] = None) -> str:
    """Render ``program`` as `.ternsig` source (see the module docstring for the guarantees)."""
    return _Disassembler(program, registry if registry is not None else default_registry()).render()


class _Disassembler:
    def __init__(self, program: Program, registry: ExtensionRegistry):
        self.p = program
        self.registry = registry
        self.checker = Assembler(registry)
        self.checker.prog.requires = list(program.requires)
        self.labels: dict[str, int] = {}
        self.by_index: dict[int, list[str]] = {}

    # ---- sections -------------------------------------------------------------------------------

    def render(self) -> str:
        out = ["; disassembled by ternsig"]
        out += self._meta()
        if self.p.requires:
            out.append(".requires")
            seen: set[int] = set()
            for r in self.p.requires:
                if not _REQ_NAME_RE.match(r.name) or not 0 < r.ext_id <= 0xFFFF or r.ext_id in seen:
                    raise DisassemblyError(f"requirement {r.name!r} 0x{r.ext_id:04X} cannot be written as source")
                seen.add(r.ext_id)
                out.append(f"{_INDENT}{r.name} 0x{r.ext_id:04X}")
        if self.p.registers:
            out.append(".registers")
            out += [_INDENT + _register_line(rd) for rd in self.p.registers]
        for proj in self.p.projections:
            out += self._projection(proj)
        out.append(".program")
        out += self._program()
        return "\n".join(out) + "\n"

    def _meta(self) -> list[str]:
        p = self.p
        rows = []
        if p.name:
            rows.append(("name", _quoted(p.name)))
        if p.version != 1:
            rows.append(("version", str(p.version)))
        if p.domain is not None:
            rows.append(("domain", _quoted(p.domain)))
        if p.role:
            rows.append(("role", _quoted(p.role)))
        if p.input_dim is not None:
            rows.append(("input_dim", str(p.input_dim)))
        if p.output_dim is not None:
            rows.append(("output_dim", str(p.output_dim)))
        if p.skull_origin is not None:
            rows += [(f"skull_{a}", str(v)) for a, v in zip("xyz", p.skull_origin)]
        rows = [(k, v) for k, v in rows if v is not None]
        return [".meta"] + [f"{_INDENT}{k:<11} {v}" for k, v in rows] if rows else []

    def _projection(self, proj) -> list[str]:
        rows = [("target", _quoted(proj.target)), ("bundle", _quoted(proj.bundle)),
                ("weight", str(proj.weight)), ("delay", str(proj.delay)), ("density", repr(float(proj.density))),
                ("mapping", _quoted(proj.mapping)), ("modulator", _quoted(proj.modulator or "none"))]
        return [".projection"] + [f"{_INDENT}{k:<9} {v}" for k, v in rows if v is not None]

    # ---- program --------------------------------------------------------------------------------

    def _program(self) -> list[str]:
        ins = self.p.instructions
        self._place_labels()
        out = []
        depth = 0   # core loop nesting, only for indentation
        for i, word in enumerate(ins):
            out += [f"{name}:" for name in self.by_index.get(i, [])]
            loop = self._loop_role(word)
            if loop == "end":
                depth = max(depth - 1, 0)
            out.append(_INDENT * (1 + min(depth, 8)) + self._instruction(word))
            if loop == "start":
                depth += 1
        out += [f"{name}:" for name in self.by_index.get(len(ins), [])]
        return out

    def _place_labels(self) -> None:
        n = len(self.p.instructions)
        for name, idx in self.p.labels.items():
            if 0 <= idx <= n and _label_ok(name):
                self._add_label(name, idx)
        for word in self.p.instructions:
            spec = self._layout_spec(word)
            if spec is None or not any(op.kind == "label" for op in spec.layout):
                continue
            target = word.cd
            if target <= n and target not in self.by_index:
                name, k = f"L{target}", 0
                while name in self.labels:
                    k += 1
                    name = f"L{target}_{k}"
                self._add_label(name, target)

    def _add_label(self, name: str, idx: int) -> None:
        self.labels[name] = idx
        self.by_index.setdefault(idx, []).append(name)

    def _loop_role(self, word: Instruction) -> Optional[str]:
        """The word's ``loop=`` flag in its table row (start / end / break), for indentation."""
        spec = self.registry.spec(word.ext_id, word.opcode)
        return spec.loop if spec is not None else None

    def _layout_spec(self, word: Instruction) -> Optional[InstructionSpec]:
        """The spec whose layout (not generic bytes) encodes this word: core and user extensions."""
        if word.ext_id == 0:
            return self.registry.spec(0, word.opcode)
        if word.ext_id in _STANDARD_NAMES:
            return None
        table = self.registry.get(word.ext_id)
        return table.by_opcode.get(word.opcode) if table else None

    def _instruction(self, word: Instruction) -> str:
        for text in self._candidates(word):
            if self._reproduces(text, word):
                return text
        return f".word 0x{word.hex()}"

    def _candidates(self, word: Instruction):
        ops = word.operands
        if word.ext_id == 0:
            spec = self.registry.spec(0, word.opcode)
            if spec is not None:
                yield _join(spec.mnemonic, self._layout_operands(spec, ops))
            return
        name = self._ext_name(word.ext_id)
        if name is None:
            return
        table = self.registry.get(word.ext_id)
        spec = table.by_opcode.get(word.opcode) if table else None
        if spec is not None and table is not None:
            qualified = f"{name}.{spec.mnemonic}"
            hooked = _hook_text(table, word)
            if hooked is not None:
                yield _join(qualified, hooked)
            if word.ext_id in _STANDARD_NAMES:
                yield _join(qualified, _generic_operands(ops, spec.layout))
            else:
                yield _join(qualified, self._layout_operands(spec, ops))
        yield _join(f"{name}.0x{word.opcode:04X}", _generic_operands(ops, spec.layout if spec else ()))

    def _ext_name(self, ext_id: int) -> Optional[str]:
        """A name that resolves back to ``ext_id``: the standard name or a declared one."""
        if ext_id in _STANDARD_NAMES:
            return _STANDARD_NAMES[ext_id]
        first: dict[str, int] = {}
        for r in self.p.requires:
            first.setdefault(r.name, r.ext_id)
        for name, rid in first.items():
            if rid == ext_id and name not in STANDARD_IDS and re.fullmatch(r"[a-z_][a-z0-9_]*", name):
                return name
        return None

    def _layout_operands(self, spec: InstructionSpec, ops: tuple[int, int, int, int]) -> list[str]:
        fields = plan(spec.layout).fields
        texts: list[Optional[str]] = []    # None: equal to the field's default
        for op in fields:
            texts.append(self._field_text(op, ops))
        while texts and texts[-1] is None:
            texts.pop()
        return [t if t is not None else _default_text(op) for t, op in zip(texts, fields)]

    def _field_text(self, op: Operand, ops: tuple[int, int, int, int]) -> Optional[str]:
        if op.slot == "-":
            return None
        v = (ops[2] << 8 | ops[3]) if op.slot == "CD" else ops[SLOT_INDEX[op.slot]]
        if op.kind == "reg":
            return reg_text(v)
        if op.kind == "label":
            names = self.by_index.get(v)
            return names[0] if names else str(v)
        if op.kind == "gain":
            if op.default is not None and v == int(min(max(float(op.default) * 16, 0), 255)):
                return None
            return f"gain={v / 16:g}"
        if op.default is not None and v == int(op.default):
            return None
        if op.kind in ("imm8", "imm16"):
            return str(v)
        return f"{op.kind}={v}"

    def _reproduces(self, text: str, word: Instruction) -> bool:
        try:
            got, uses = self.checker.instruction(Tok(text, 1))
        except AssemblyError:
            return False
        for _slot, use in uses:
            target = self.labels.get(use.name)
            if target is None:
                return False
            got = got._replace(c=target >> 8, d=target & 0xFF)
        return got == word


def _default_text(op: Operand) -> str:
    if op.kind == "gain":
        return f"gain={float(op.default or 0):g}"
    if op.kind in ("imm8", "imm16", "label"):
        return str(int(op.default or 0))
    return f"{op.kind}={int(op.default or 0)}"


def _generic_operands(ops: tuple[int, int, int, int], layout: tuple[Operand, ...]) -> list[str]:
    reg_slots = {SLOT_INDEX[op.slot] for op in layout if op.kind == "reg" and op.slot in SLOT_INDEX}
    last_field = max((SLOT_INDEX[op.slot] if op.slot in SLOT_INDEX else 3 if op.slot == "CD" else -1
                      for op in layout if op.kind != "fix"), default=-1)
    last_nonzero = max((i for i, v in enumerate(ops) if v), default=-1)
    n = max(last_field, last_nonzero) + 1
    return [reg_text(ops[i]) if i in reg_slots else str(ops[i]) for i in range(n)]


def _hook_text(table: ExtensionTable, word: Instruction) -> Optional[str]:
    if table.disassemble_hook is None:
        return None
    try:
        text = table.disassemble_hook(word.opcode, word.operands)
    except ValueError:
        return None
    if not isinstance(text, str) or "\n" in text or ";" in text:
        return None
    return text.strip()


def _join(mnemonic: str, operands) -> str:
    if isinstance(operands, str):
        return f"{mnemonic} {operands}" if operands else mnemonic
    return f"{mnemonic} {', '.join(operands)}" if operands else mnemonic


def _label_ok(name: str) -> bool:
    return bool(LABEL_RE.match(name)) and not name.startswith("include")


def _quoted(text: str) -> Optional[str]:
    """``"text"`` when the assembler reads it back unchanged, else None (the field is left out)."""
    if _SAFE_TEXT_RE.match(text) and not text.startswith('"') and not text.endswith('"'):
        return f'"{text}"'
    return None


def _register_line(rd: RegisterDef) -> str:
    if rd.dtype not in DTYPES:
        raise DisassemblyError(f"register {reg_text(rd.reg)} has dtype {rd.dtype!r}, which sources cannot spell")
    line = f"{reg_text(rd.reg)}: {rd.dtype}[{', '.join(str(int(d)) for d in rd.shape)}]"
    if rd.key is not None:
        if not _SAFE_TEXT_RE.match(rd.key):
            raise DisassemblyError(f"register {reg_text(rd.reg)} key {rd.key!r} holds a quote, ';' or newline, "
                                   f"which a source cannot express")
        line += f'  key="{rd.key}"'
    if rd.frozen:
        line += "  frozen=true"
    if not rd.allocated:
        line += "  allocated=false"
    return line
