"""Instruction specs: the one table per extension that everything else reads.

An :class:`ExtensionTable` lists its instructions once — mnemonic, opcode, operand layout, safety
layer, classification flags (:data:`FLAGS`), the DomainOps it yields, a one-line doc and the
handler. The assembler, disassembler, validator, journal, reload, spec generator and interpreter
all read these tables; nothing else lists opcodes.

Operand layouts are written as a compact string of space-separated fields, each
``kind@slot[=default]``:

========== ==============================================================================
kind       meaning
========== ==============================================================================
reg        a register byte (``H3``, ``C0``, ``P1``, ``S2``)
imm8       an integer immediate stored in one byte
imm16      an integer immediate stored big-endian in C:D
label      a label (or absolute instruction index) stored big-endian in C:D
gain       a float ``gain=X`` stored as ``clamp(X*16, 0, 255)`` in one byte
NAME       a named parameter ``NAME=N`` (or plain ``N``) stored in one byte, e.g. ``scale@D=15``
fix        a fixed byte the assembler writes, e.g. ``fix@B=0xFF``; not written in sources
========== ==============================================================================

Slots are ``A``, ``B``, ``C``, ``D``, ``CD`` (the u16 C:D) or ``-`` (parsed, not encoded: the
reference drops it). A ``=default`` makes the operand optional.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum
from typing import Any, Callable, Optional, Union

from ..errors import UsageError

SLOTS = ("A", "B", "C", "D", "CD", "-")
BASIC_KINDS = ("reg", "imm8", "imm16", "label", "gain", "fix")


class Layer(IntEnum):
    """Safety layers of seed 003. TEST marks development-only instructions."""

    KERNEL = 0
    BOOT = 1
    EVOLUTIONARY = 2
    RUNTIME = 3
    LEARNING = 4
    TEST = 5


@dataclass(frozen=True)
class Operand:
    kind: str            # reg | imm8 | imm16 | label | gain | fix | <param name>
    slot: str            # A | B | C | D | CD | -
    default: Optional[float] = None

    @property
    def is_param(self) -> bool:
        return self.kind not in BASIC_KINDS

    @property
    def optional(self) -> bool:
        return self.default is not None

    def __str__(self) -> str:
        d = "" if self.default is None else f"={self.default:g}" if isinstance(self.default, float) else f"={self.default}"
        return f"{self.kind}@{self.slot}{d}"


def parse_layout(text: str) -> tuple[Operand, ...]:
    ops = []
    for tok in text.split():
        kind, _, rest = tok.partition("@")
        slot, _, dflt = rest.partition("=")
        if slot not in SLOTS or not kind:
            raise UsageError(f"bad operand field {tok!r} in layout {text!r}")
        default: Optional[float] = None
        if dflt:
            default = float(dflt) if kind == "gain" else int(dflt, 0)
        ops.append(Operand(kind, slot, default))
    return tuple(ops)


Handler = Callable[..., Any]

#: classification flags an instruction row may carry (``flags="branch terminator"``), and what they mean
FLAGS: dict[str, str] = {
    "branch": "may jump to the instruction index in its C:D operand",
    "terminator": "never falls through to the next instruction",
    "call": "pushes a return address (a subroutine call)",
    "ret": "returns from a subroutine call",
    "structural": "allocates, frees, reshapes or rewires registers",
    "allocates": "allocates its A register itself, so A need not be declared",
    "masks_third": "the reference reads its third register operand as C & 0x0F",
    "writes_weights": "changes a cold register's weights or temperatures, itself or through the DomainOp it yields",
    "writes_chemicals": "changes chemical levels, itself or through the DomainOp it yields",
    "loads_input": "reads the machine's input buffer",
    "stores_output": "writes the machine's output buffer",
    "mastery": "accumulates or commits mastery pressure",
}
#: values of ``loop=``: the loop opener, its closer and the early exit
LOOP_ROLES = ("start", "end", "break")


def parse_flags(text: str) -> dict[str, Any]:
    """``"branch terminator loop=start"`` → keyword values for :class:`InstructionSpec`."""
    out: dict[str, Any] = {}
    for tok in text.split():
        name, eq, value = tok.partition("=")
        if name == "loop" and eq and value in LOOP_ROLES:
            out["loop"] = value
        elif name == "cost" and eq:
            from .cost import parse_cost

            parse_cost(value)                 # a malformed rule fails where the row is declared
            out["cost"] = value
        elif name in FLAGS and not eq:
            out[name] = True
        else:
            raise UsageError(f"unknown instruction flag {tok!r} (known: {', '.join(FLAGS)}, loop=start|end|break, "
                             "cost=RULE)")
    return out


def _yield_names(yields: Union[bool, str, tuple[str, ...]]) -> tuple[str, ...]:
    if isinstance(yields, bool):
        return ()
    return (yields,) if isinstance(yields, str) else tuple(yields)


@dataclass
class InstructionSpec:
    ext_id: int
    opcode: int
    mnemonic: str                      # canonical, lower case
    layout: tuple[Operand, ...]
    layer: Layer
    doc: str
    yields: bool = False
    aliases: tuple[str, ...] = ()
    handler: Optional[Handler] = None  # handler(machine, a, b, c, d) -> None | result
    # classification (see FLAGS); every list of "which opcodes do X" is derived from these
    branch: bool = False
    terminator: bool = False
    loop: Optional[str] = None         # "start" | "end" | "break" (see LOOP_ROLES)
    call: bool = False
    ret: bool = False
    structural: bool = False
    allocates: bool = False
    masks_third: bool = False
    writes_weights: bool = False
    writes_chemicals: bool = False
    loads_input: bool = False
    stores_output: bool = False
    mastery: bool = False
    yields_ops: tuple[str, ...] = ()   # the DomainOp variants it may yield (names in vm/domainops.py)
    #: work beyond the elements of its register operands (isa/cost.py), e.g. "rows(A)*n(B)"
    cost: str = ""

    def __post_init__(self) -> None:
        if self.yields_ops:
            self.yields = True

    @property
    def cost_rule(self) -> Any:
        """:attr:`cost` parsed (isa.cost.Rule); empty when the row has no explicit rule."""
        if not self.cost:
            return ()
        from .cost import parse_cost

        return parse_cost(self.cost)

    @property
    def flags(self) -> tuple[str, ...]:
        """The flags set on this instruction, in :data:`FLAGS` order (``loop=...`` after them)."""
        out = tuple(f for f in FLAGS if getattr(self, f))
        return out + ((f"loop={self.loop}",) if self.loop else ())

    @property
    def qualified(self) -> str:
        return self.mnemonic if self.ext_id == 0 else f"{_EXT_NAMES.get(self.ext_id, hex(self.ext_id))}.{self.mnemonic}"

    @property
    def layout_text(self) -> str:
        return " ".join(str(o) for o in self.layout)


_EXT_NAMES: dict[int, str] = {}


@dataclass
class ExtensionTable:
    """All instructions of one extension, plus optional hooks.

    ``state_factory`` builds the per-machine state of the extension (CHL correlations, model
    table, test snapshots...), reachable from handlers as ``machine.ext_state[ext_id]``.
    ``assemble_hook(mnemonic, tokens) -> None | bytes4`` and ``disassemble_hook(opcode, operands)
    -> None | str`` let an extension own its syntax (seed 004 §1.2.7); None falls back to the
    layout-driven default.
    """

    ext_id: int
    name: str                          # short name used in sources: "tensor"
    version: tuple[int, int, int] = (1, 0, 0)
    doc: str = ""
    specs: list[InstructionSpec] = field(default_factory=list)
    state_factory: Optional[Callable[[], Any]] = None
    assemble_hook: Optional[Callable[[str, list[str]], Optional[bytes]]] = None
    disassemble_hook: Optional[Callable[[int, tuple[int, int, int, int]], Optional[str]]] = None
    #: format of the error for an opcode the extension lacks ({name}, {opcode}); the reference's
    #: sampling extension words it differently from the others
    unknown_opcode_format: str = "{name}: unknown opcode 0x{opcode:04X}"

    def __post_init__(self) -> None:
        self.by_opcode: dict[int, InstructionSpec] = {}
        self.by_mnemonic: dict[str, InstructionSpec] = {}
        specs, self.specs = self.specs, []
        for s in specs:
            self.add(s)
        if self.ext_id:
            _EXT_NAMES.setdefault(self.ext_id, self.name)

    @property
    def qualified_name(self) -> str:
        return f"tvmr.{self.name}"

    def add(self, spec: InstructionSpec) -> None:
        if spec.ext_id != self.ext_id:
            raise UsageError(f"{spec.mnemonic}: ext id {spec.ext_id:#06x} is not {self.ext_id:#06x}")
        if spec.opcode in self.by_opcode:
            raise UsageError(f"{self.name}: opcode {spec.opcode:#06x} declared twice")
        for name in (spec.mnemonic, *spec.aliases):
            key = name.lower()
            if key in self.by_mnemonic:
                raise UsageError(f"{self.name}: mnemonic {name!r} declared twice")
            self.by_mnemonic[key] = spec
        self.by_opcode[spec.opcode] = spec
        self.specs.append(spec)

    def op(self, opcode: int, mnemonic: str, layout: str, layer: Layer, doc: str, *,
           yields: Union[bool, str, tuple[str, ...]] = False, aliases: tuple[str, ...] = (),
           flags: str = "") -> Callable[[Handler], Handler]:
        """Decorator: declare an instruction and attach the decorated function as its handler.

        ``yields`` names the DomainOp variant(s) the handler may return; ``flags`` is a
        space-separated list of :data:`FLAGS` (and ``loop=start|end|break``)."""

        def deco(fn: Handler) -> Handler:
            self.add(self._spec(opcode, mnemonic, layout, layer, doc, yields, aliases, flags, fn))
            return fn

        return deco

    def declare(self, opcode: int, mnemonic: str, layout: str, layer: Layer, doc: str, *,
                yields: Union[bool, str, tuple[str, ...]] = False, aliases: tuple[str, ...] = (),
                flags: str = "") -> InstructionSpec:
        """Declare an instruction whose handler is attached later with :meth:`implements`."""
        spec = self._spec(opcode, mnemonic, layout, layer, doc, yields, aliases, flags, None)
        self.add(spec)
        return spec

    def _spec(self, opcode: int, mnemonic: str, layout: str, layer: Layer, doc: str,
              yields: Union[bool, str, tuple[str, ...]], aliases: tuple[str, ...], flags: str,
              handler: Optional[Handler]) -> InstructionSpec:
        return InstructionSpec(self.ext_id, opcode, mnemonic.lower(), parse_layout(layout), layer, doc,
                               bool(yields), tuple(a.lower() for a in aliases), handler,
                               yields_ops=_yield_names(yields), **parse_flags(flags))

    def implements(self, mnemonic: str) -> Callable[[Handler], Handler]:
        """Decorator: attach the decorated function as the handler of a declared instruction."""

        def deco(fn: Handler) -> Handler:
            spec = self.by_mnemonic[mnemonic.lower()]
            if spec.handler is not None:
                raise UsageError(f"{self.name}.{mnemonic} already has a handler")
            spec.handler = fn
            return fn

        return deco

    def unknown_opcode_message(self, opcode: int) -> str:
        """The reference's error text for an opcode this extension does not have."""
        return self.unknown_opcode_format.format(name=self.qualified_name, opcode=opcode)

    def lookup(self, mnemonic: str) -> Optional[InstructionSpec]:
        return self.by_mnemonic.get(mnemonic.lower())
