"""A program: what the assembler produces, the binary format stores and the machine loads."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

from .isa.encoding import Instruction, reg_name


@dataclass
class RegisterDef:
    """One `.registers` declaration."""

    reg: int                          # register byte
    dtype: str                        # canonical dtype name (see isa.types.DTYPES)
    shape: tuple[int, ...]
    key: Optional[str] = None         # thermogram key
    frozen: bool = False
    allocated: bool = True

    @property
    def name(self) -> str:
        return reg_name(self.reg)

    @property
    def numel(self) -> int:
        n = 1
        for d in self.shape:
            n *= d
        return n


@dataclass
class Projection:
    target: str
    bundle: str
    weight: int = 50
    delay: int = 1
    density: float = 0.30000001192092896   # f32 0.3 widened, as the reference stores it
    mapping: str = "topographic"
    modulator: Optional[str] = None


@dataclass
class Requirement:
    name: str
    ext_id: int


@dataclass(repr=False)
class Program:
    instructions: list[Instruction] = field(default_factory=list)
    registers: list[RegisterDef] = field(default_factory=list)
    requires: list[Requirement] = field(default_factory=list)
    labels: dict[str, int] = field(default_factory=dict)
    name: str = ""
    version: int = 1
    domain: Optional[str] = None
    input_shape: list[int] = field(default_factory=list)
    output_shape: list[int] = field(default_factory=list)
    input_dim: Optional[int] = None
    output_dim: Optional[int] = None
    projections: list[Projection] = field(default_factory=list)
    skull_origin: Optional[tuple[int, int, int]] = None
    role: Optional[str] = None
    #: source line of each instruction (1-based), when assembled from source
    lines: list[int] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.instructions)

    # ---- display (the dataclass repr would print every instruction) ------------------------------
    def _register_lines(self) -> list[str]:
        return [f"{r.name}: {r.dtype}{list(r.shape)}" + (f' key="{r.key}"' if r.key else "")
                + (" frozen" if r.frozen else "") for r in self.registers]

    def __repr__(self) -> str:
        head = f"{self.name or '<unnamed>'}" + (f" ({self.role})" if self.role else "")
        regs = ", ".join(self._register_lines())
        exts = ", ".join(r.name for r in self.requires)
        return (f"<Program {head}: {len(self.instructions)} instructions"
                + (f", requires {exts}" if exts else "") + (f"; registers {regs}" if regs else "") + ">")

    def _repr_html_(self) -> str:
        import html

        head = html.escape(f"{self.name or '<unnamed>'}" + (f" — role {self.role}" if self.role else ""))
        rows = "".join(f"<tr><td><code>{html.escape(line)}</code></td></tr>" for line in self._register_lines())
        exts = html.escape(", ".join(f"{r.name} 0x{r.ext_id:04X}" for r in self.requires) or "core only")
        return (f"<div><b>Program {head}</b><br>{len(self.instructions)} instructions; extensions: {exts}"
                f"<table>{rows}</table></div>")
