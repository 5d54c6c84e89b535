"""`.ternsig` source → :class:`~ternsig.program.Program`.

The language is the reference assembler's (sections ``.meta``, ``.requires``, ``.registers``,
``.program``/``.code``, ``.projection``, ignored ``.aliases``/``.config``; labels; ``;``
comments), driven by the instruction tables: core mnemonics and their operand layouts come from
the core table, qualified ``ext.mnemonic`` names from the registry's extension tables. Where the
reference silently assembles garbage (truncated or zeroed operands, opcode 0 for an unknown
mnemonic, an empty label...) this assembler refuses with an :class:`AssemblyError` that carries
line and column; docs/deviations.md lists each case.

Two additions make every instruction word expressible (the disassembler relies on them):
``.word 0x<16 hex digits>`` in the program section is one raw instruction, and
``ext.0x0003 ...`` names an extension opcode by number (``ext`` a standard name or one declared
in ``.requires``), with operands encoded positionally like any standard-extension instruction.
"""
from __future__ import annotations

import re
from typing import Optional

from ..errors import AssemblyError
from ..extensions import STANDARD_IDS
from ..isa.encoding import Instruction
from ..isa.spec import ExtensionTable, InstructionSpec
from ..isa.types import parse_dtype
from ..program import Program, Projection, RegisterDef, Requirement
from ..registry import ExtensionRegistry
from .operands import LABEL_RE, LabelUse, encode_generic, encode_layout, parse_register, plan
from .source import (Tok, content_of, fail, first_word, parse_f32, parse_int, parse_udec, parse_uint,
                     split_commas, split_lines, words)

_SECTIONS = {".meta": "meta", ".requires": "requires", ".registers": "registers", ".program": "program",
             ".code": "program", ".projection": "projection", ".aliases": "skip", ".config": "skip"}
_WORD_RE = re.compile(r"(?:0[xX])?([0-9A-Fa-f]{16})\Z")
_KEY_RE = re.compile(r'key="([^"]*)"')
_FLAG_RE = re.compile(r"(frozen|allocated)=(true|false)(?=\s|\Z)")
_WORD_TOKEN_RE = re.compile(r"\S+")
_SPACE = re.compile(r"\s")
#: ``NAME: dtype[d, ...]`` with an optional ``key="..."``: what :meth:`Assembler._register`
#: reads the long way, for the lines where that way cannot fail (ASCII digits as parse_udec wants,
#: no '=' in the dtype so "key=" cannot come before the bracket)
_REG_LINE = re.compile(r'([^:]*):\s*([^\s\[\]=]+)\s*\[\s*([0-9]{1,40}(?:\s*,\s*[0-9]{1,40})*)\s*\]'
                       r'\s*(?:key="([^"]*)")?\s*\Z')
_USIZE_MAX = 0xFFFFFFFFFFFFFFFF

_default_registry: Optional[ExtensionRegistry] = None


def default_registry() -> ExtensionRegistry:
    """The standard registry, built once (the tables are module singletons)."""
    global _default_registry
    if _default_registry is None:
        _default_registry = ExtensionRegistry.standard()
    return _default_registry


def assemble(source: str, *, registry: Optional[ExtensionRegistry] = None,
             source_name: Optional[str] = None) -> Program:
    """Assemble ``.ternsig`` source. Raises :class:`AssemblyError` (line, column) on bad input."""
    asm = Assembler(registry, source_name)
    try:
        return asm.run(source)
    except AssemblyError as exc:
        if source_name and exc.source_name is None:
            raise AssemblyError(exc.message, exc.line, exc.column, source_name) from None
        raise


class Assembler:
    """One assembly run. :meth:`instruction` is also used by the disassembler to verify lines."""

    def __init__(self, registry: Optional[ExtensionRegistry] = None, source_name: Optional[str] = None):
        self.registry = registry if registry is not None else default_registry()
        #: lower-case core mnemonic -> spec: the registry's extension 0 (its lookup without lower())
        self.core_mnemonics = self.registry.core().by_mnemonic
        self.source_name = source_name
        self.prog = Program()
        self.line = 0
        self.fixups: list[tuple[int, str, LabelUse, int]] = []   # (instr index, slot, use, line)
        self._projection: Optional[Projection] = None
        self._projection_line = 0
        self._skull: dict[str, int] = {}

    # ---- driver ---------------------------------------------------------------------------------

    def run(self, source: str) -> Program:
        section: Optional[str] = None
        lines = split_lines(source)
        for number, raw in enumerate(lines, start=1):
            self.line = number
            c = content_of(raw)
            if c is None:
                continue
            if c.text.startswith("."):
                head, rest = first_word(c)
                if section == "program" and head.text.lower() == ".word":
                    self._word(rest, head)
                    continue
                if section == "projection":
                    self._finish_projection()
                key = c.text.lower()
                if key not in _SECTIONS:
                    raise fail(f"Unknown directive: {c.text}", number, c.col)
                section = _SECTIONS[key]
                if section == "projection":
                    self._projection = Projection(target="", bundle="")
                continue
            if section is None:
                raise fail("Code outside of section", number, c.col)
            if section == "skip":
                continue
            if section == "meta":
                self._meta(c)
            elif section == "requires":
                self._requires(c)
            elif section == "registers":
                self._register(c)
            elif section == "projection":
                self._projection_field(c)
            elif c.text.startswith("include"):
                continue   # the reference skips include lines (firmware is embedded)
            elif c.text.endswith(":"):
                self._label(c)
            else:
                ins = _register_only_core(c.text, self.core_mnemonics)
                if ins is not None:
                    self.prog.instructions.append(ins)
                    self.prog.lines.append(number)
                    continue
                ins, uses = self.instruction(c)
                if uses:
                    idx = len(self.prog.instructions)
                    self.fixups.extend((idx, slot, use, number) for slot, use in uses)
                self.prog.instructions.append(ins)
                self.prog.lines.append(number)
        self.line = len(lines)
        if section == "projection":
            self._finish_projection()
        self._resolve_labels()
        self._finish_meta()
        p = self.prog
        p.input_shape, p.output_shape = self._io_shapes()
        return p

    def _err(self, message: str, col: int) -> AssemblyError:
        return fail(message, self.line, col)

    # ---- .meta ----------------------------------------------------------------------------------

    def _meta(self, c: Tok) -> None:
        key_tok, value_tok = first_word(c)
        key = key_tok.text.lower()
        value = value_tok.text if value_tok else ""
        vcol = value_tok.col if value_tok else key_tok.end + 1
        p = self.prog
        if key == "name":
            p.name = value.strip('"')
        elif key == "domain":
            p.domain = value.strip('"')
        elif key == "role":
            p.role = value.strip('"') or None
        elif key == "version":
            v = parse_udec(value)
            if v is None or v > 0xFFFFFFFF:
                raise self._err(f"Invalid version: {value}", vcol)
            p.version = v
        elif key in ("input_dim", "output_dim"):
            v = parse_udec(value)
            if v is None or v > _USIZE_MAX:
                raise self._err(f"Invalid {key}: {value}", vcol)
            setattr(p, key, v)
        elif key in ("skull_x", "skull_y", "skull_z"):
            v = parse_udec(value)
            if v is None or v > 0xFFFF:
                raise self._err(f"Invalid {key}: {value}", vcol)
            self._skull[key] = v
        # other keys are ignored, as the reference does (forward compatibility)

    def _finish_meta(self) -> None:
        s = self._skull
        if len(s) == 3:
            self.prog.skull_origin = (s["skull_x"], s["skull_y"], s["skull_z"])
        elif s:
            raise self._err("Partial skull placement: skull_x, skull_y, skull_z must all be present or all absent", 1)

    # ---- .requires ------------------------------------------------------------------------------

    def _requires(self, c: Tok) -> None:
        parts = words(c)
        name = parts[0].text.lower()
        if len(parts) > 2:
            raise self._err(f"Unexpected text after extension requirement: {parts[2].text}", parts[2].col)
        if len(parts) == 2:
            ext_id = parse_uint(parts[1].text)
            if ext_id is None or ext_id > 0xFFFF:
                raise self._err(f"Invalid extension ID: {parts[1].text}", parts[1].col)
            if ext_id == 0:
                raise self._err("Invalid extension ID: 0 is the core ISA, not an extension", parts[1].col)
        else:
            ext_id = STANDARD_IDS.get(name)
            if ext_id is None:
                table = self.registry.by_name(name)
                if table is None:
                    raise self._err(f"Unknown extension: {name}", parts[0].col)
                ext_id = table.ext_id
        if any(r.ext_id == ext_id for r in self.prog.requires):
            raise self._err(f"Duplicate extension requirement: {name}", parts[0].col)
        self.prog.requires.append(Requirement(name, ext_id))

    # ---- .registers -----------------------------------------------------------------------------

    def _register(self, c: Tok) -> None:
        m = _REG_LINE.match(c.text)
        if m is not None:  # the common form in one match; anything else (or wrong) takes the long way
            reg = parse_register(m.group(1))
            dtype = parse_dtype(m.group(2))
            if reg is not None and dtype is not None:
                shape = tuple(map(int, m.group(3).split(",")))
                if max(shape) <= _USIZE_MAX:
                    rd = RegisterDef(reg, dtype, shape)
                    if m.group(4) is not None:
                        rd.key = m.group(4)
                    self.prog.registers.append(rd)
                    return
        text = c.text
        colon = text.find(":")
        if colon < 0:
            raise self._err("Missing ':' in register definition", c.col)
        name = text[:colon].strip()
        reg = parse_register(name)
        if reg is None:
            raise self._err(f"Invalid register: {name}", c.col)
        rest_raw = text[colon + 1:]
        rest = rest_raw.lstrip()
        rcol = c.col + colon + 1 + (len(rest_raw) - len(rest))
        rest = rest.rstrip()
        open_b = rest.find("[")
        key_at = rest.find("key=")
        if open_b >= 0 and (key_at < 0 or open_b < key_at):
            close_b = rest.find("]", open_b)
            if close_b < 0:
                raise self._err("Missing ']' in type definition", rcol + open_b)
            dtype_text = rest[:open_b].strip()
            shape = self._dims(rest[open_b + 1:close_b], rcol + open_b + 1)
            attrs_at = close_b + 1
        else:
            m = re.match(r"\S*", rest)
            dtype_text = m.group() if m else ""
            shape = (1,)
            attrs_at = len(dtype_text)
        dtype = parse_dtype(dtype_text) if dtype_text else None
        if dtype is None:
            raise self._err(f"Unknown dtype: {dtype_text}", rcol)
        rd = RegisterDef(reg, dtype, shape)
        self._attributes(rd, rest[attrs_at:], rcol + attrs_at)
        self.prog.registers.append(rd)

    def _dims(self, text: str, col: int) -> tuple[int, ...]:
        if not text.strip():
            return ()   # `i32[]`: an empty shape (the reference refuses it; binaries can hold it)
        dims = []
        pos = 0
        for piece in text.split(","):
            d = parse_udec(piece.strip())
            if d is None or d > _USIZE_MAX:
                lead = len(piece) - len(piece.lstrip())
                raise self._err(f"Invalid dimension: {piece.strip()}", col + pos + lead)
            dims.append(d)
            pos += len(piece) + 1
        return tuple(dims)

    def _attributes(self, rd: RegisterDef, text: str, col: int) -> None:
        """``key="..."``, ``frozen=true|false`` and ``allocated=true|false`` after the type."""
        pos = 0
        seen: set[str] = set()
        while True:
            while pos < len(text) and text[pos].isspace():
                pos += 1
            if pos >= len(text):
                return
            m = _KEY_RE.match(text, pos)
            if m:
                attr, rd.key, pos = "key", m.group(1), m.end()
            else:
                m = _FLAG_RE.match(text, pos)
                if not m:
                    bad = _WORD_TOKEN_RE.match(text, pos)
                    word = bad.group() if bad else text[pos:]
                    hint = ' (a key is written key="name")' if word.startswith("key=") else ""
                    raise self._err(f"Unexpected text in register definition: {word}{hint}", col + pos)
                attr, pos = m.group(1), m.end()
                setattr(rd, attr, m.group(2) == "true")
            if attr in seen:
                raise self._err(f"Register attribute {attr} given twice", col + m.start())
            seen.add(attr)

    # ---- .projection ----------------------------------------------------------------------------

    def _projection_field(self, c: Tok) -> None:
        key_tok, value_tok = first_word(c)
        key = key_tok.text.lower()
        value = value_tok.text if value_tok else ""
        vcol = value_tok.col if value_tok else key_tok.end + 1
        proj = self._projection
        if proj is None:   # cannot happen: the .projection directive always opens one
            raise self._err(".projection field outside projection section", c.col)
        if key == "target":
            proj.target = value.strip('"')
        elif key == "bundle":
            proj.bundle = value.strip('"')
        elif key == "weight":
            v = parse_int(value) if re.fullmatch(r"[+-]?[0-9]+", value) else None
            if v is None or not -128 <= v <= 127:
                raise self._err(f"Invalid projection weight: {value}", vcol)
            proj.weight = v
        elif key == "delay":
            v = parse_udec(value)
            if v is None or v > 255:
                raise self._err(f"Invalid projection delay: {value}", vcol)
            proj.delay = v
        elif key == "density":
            v = parse_f32(value)
            if v is None:
                raise self._err(f"Invalid projection density: {value}", vcol)
            proj.density = v
        elif key == "mapping":
            proj.mapping = value.strip('"').lower()
        elif key == "modulator":
            mod = value.strip('"').lower()
            proj.modulator = None if mod in ("", "none") else mod

    def _finish_projection(self) -> None:
        proj, self._projection = self._projection, None
        if proj is None:
            return
        if not proj.target:
            raise self._err(".projection section missing 'target' field", 1)
        if not proj.bundle:
            raise self._err(".projection section missing 'bundle' field", 1)
        self.prog.projections.append(proj)

    # ---- .program -------------------------------------------------------------------------------

    def _label(self, c: Tok) -> None:
        name = c.text[:-1].strip()
        if not name:
            raise self._err("Empty label: a label needs a name before ':'", c.col)
        if not LABEL_RE.match(name):
            raise self._err(f"Invalid label name: {name} (use letters, digits, '_', '.', '$'; "
                            f"not starting with a digit)", c.col)
        if name in self.prog.labels:
            raise self._err(f"Duplicate label: {name}", c.col)
        self.prog.labels[name] = len(self.prog.instructions)

    def _word(self, rest: Optional[Tok], head: Tok) -> None:
        m = _WORD_RE.match(rest.text) if rest else None
        if m is None:
            raise self._err(".word wants one instruction word: 16 hex digits, e.g. .word 0x0000300100010200",
                            rest.col if rest else head.end + 1)
        self.prog.instructions.append(Instruction.from_hex(m.group(1)))
        self.prog.lines.append(self.line)

    def instruction(self, c: Tok) -> tuple[Instruction, list[tuple[str, LabelUse]]]:
        """One instruction line → its word and the label operands still to patch."""
        mnem, rest = first_word(c)
        toks = split_commas(rest)
        name = mnem.text.lower()
        uses: list[tuple[str, LabelUse]] = []
        spec = self.core_mnemonics.get(name)
        if spec is not None:
            ops = encode_layout(spec.layout, toks, mnem, self.line, uses)
            return Instruction(0, spec.opcode, *ops), uses
        if "." not in name:
            raise self._err(f"Unknown mnemonic: {name}", mnem.col)
        ext_name, _, op_name = name.partition(".")
        ext_id, table, declared = self._resolve_ext(ext_name)
        opcode = _raw_opcode(op_name)
        if ext_id is not None and opcode is not None:
            if opcode > 0xFFFF:
                raise self._err(f"Opcode {op_name} does not fit 16 bits", mnem.col + len(ext_name) + 1)
            spec = table.by_opcode.get(opcode) if table else None
            return Instruction(ext_id, opcode, *encode_generic(toks, mnem, self.line,
                                                               spec.layout if spec else None)), uses
        spec = table.lookup(op_name) if table is not None else None
        if spec is None or table is None or ext_id is None:
            raise self._err(self._unknown_ext(ext_name, op_name, ext_id, table, declared), mnem.col)
        ops = self._hooked(table, spec, toks, mnem)
        if ops is None:
            if ext_id in _STANDARD_ID_SET:
                ops = encode_generic(toks, mnem, self.line, spec.layout)
            else:
                ops = encode_layout(spec.layout, toks, mnem, self.line, uses)
        return Instruction(ext_id, spec.opcode, *ops), uses

    def _resolve_ext(self, ext_name: str) -> tuple[Optional[int], Optional[ExtensionTable], bool]:
        """(ext id, its table, declared in .requires) — standard names first, as the reference."""
        declared = next((r.ext_id for r in self.prog.requires if r.name == ext_name), None)
        if ext_name in STANDARD_IDS:
            ext_id = STANDARD_IDS[ext_name]
            return ext_id, self.registry.get(ext_id), declared is not None
        if declared is not None:
            return declared, self.registry.get(declared), True
        return None, None, False

    def _unknown_ext(self, ext_name: str, op_name: str, ext_id: Optional[int],
                     table: Optional[ExtensionTable], declared: bool) -> str:
        if ext_id is None:
            hint = ""
            t = self.registry.by_name(ext_name)
            if t is not None:
                hint = f" (declare it first: .requires {ext_name} 0x{t.ext_id:04X})"
            return f"Unknown extension mnemonic: {ext_name}.{op_name}{hint}"
        if table is None:
            return (f"Extension '{ext_name}' (0x{ext_id:04X}) is not registered with the assembler, so "
                    f"'{op_name}' cannot be resolved; write its opcode as a number, e.g. {ext_name}.0x0000")
        if declared or ext_id not in _STANDARD_ID_SET:
            return f"Unknown mnemonic '{op_name}' in extension '{ext_name}' (0x{ext_id:04X})"
        return f"Unknown extension mnemonic: {ext_name}.{op_name}"

    def _hooked(self, table: ExtensionTable, spec: InstructionSpec, toks: list[Tok],
                mnem: Tok) -> Optional[list[int]]:
        """The extension's own operand syntax (seed 004 §1.2.7), when it has an assemble hook."""
        if table.assemble_hook is None:
            return None
        try:
            out = table.assemble_hook(spec.mnemonic, [t.text for t in toks])
        except AssemblyError:
            raise
        except ValueError as exc:
            raise self._err(str(exc), toks[0].col if toks else mnem.col) from None
        if out is None:
            return None
        data = bytes(out)
        if len(data) != 4:
            raise self._err(f"{table.name} assemble hook returned {len(data)} operand bytes, not 4", mnem.col)
        return list(data)

    # ---- after parsing --------------------------------------------------------------------------

    def _resolve_labels(self) -> None:
        ins = self.prog.instructions
        for idx, slot, use, line in self.fixups:
            target = self.prog.labels.get(use.name)
            if target is None:
                raise fail(f"Undefined label: {use.name}", line, use.tok.col)
            if target > 0xFFFF:
                raise fail(f"Label {use.name} is at instruction {target}, beyond the 16-bit jump range",
                           line, use.tok.col)
            i = ins[idx]
            ins[idx] = i._replace(c=target >> 8, d=target & 0xFF)

    def _io_shapes(self) -> tuple[list[int], list[int]]:
        """(input shape, output shape): the shape of the register named by the first instruction
        flagged ``loads_input`` / ``stores_output`` in the table (its register operand), or [1]."""
        out = []
        for flag in ("loads_input", "stores_output"):
            specs = self.registry.flagged(flag)
            shape: list[int] = [1]
            for i in self.prog.instructions:
                spec = specs.get(i[:2]) if specs else None
                if spec is None:
                    continue
                slots = plan(spec.layout).reg_slots
                rd = next((rd for rd in self.prog.registers if rd.reg == i[2 + slots[0]]), None) \
                    if slots else None
                if rd is not None:
                    shape = list(rd.shape)
                    break
            out.append(shape)
        return out[0], out[1]


_STANDARD_ID_SET = frozenset(STANDARD_IDS.values())


def _register_only_core(text: str, core_mnemonics: dict[str, InstructionSpec]) -> Optional[Instruction]:
    """The word of a core instruction whose operands are all registers (most forward-op lines),
    or None for any other line or any doubt: :meth:`Assembler.instruction` then reads it (and
    reports what is wrong). No token objects are built on this path."""
    m = _SPACE.search(text)
    head, rest = (text, "") if m is None else (text[:m.start()], text[m.start() + 1:].strip())
    spec = core_mnemonics.get(head.lower())
    if spec is None:
        return None
    p = plan(spec.layout)
    slots = p.reg_slots
    if slots is None:
        return None
    texts = [t.strip() for t in rest.split(",")] if rest else []
    if len(texts) != len(slots):
        return None
    out = list(p.base)
    for slot, t in zip(slots, texts):
        r = parse_register(t) if t else None
        if r is None:
            return None
        out[slot] = r
    return Instruction(0, spec.opcode, *out)


def _raw_opcode(text: str) -> Optional[int]:
    """``0x0003`` or ``3`` after the dot: an opcode given as a number."""
    if text[:1].isdigit():
        return parse_int(text) if re.fullmatch(r"0[xX][0-9A-Fa-f]{1,8}|[0-9]{1,8}", text) else None
    return None
