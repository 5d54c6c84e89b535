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


@dataclass
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
