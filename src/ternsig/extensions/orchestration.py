"""The orchestration extension (0x0007): programs that load, run and chain other programs, and route regions.

The extension keeps a 256-slot model table per machine (``machine.ext_state[0x0007]``): whether a
slot is loaded, whether it runs, and which hot registers are bound as its input and output.
MODEL_LOAD marks the slot loaded and yields so the host can load the firmware; MODEL_EXEC refuses an
unloaded slot and otherwise yields; binding, unloading, status and chaining are local. Region
routing always yields. All instructions are runtime (seed 003). As in the reference, nothing ever
sets ``running`` (MODEL_STATUS reports 2 only if a host sets it).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import numpy as np

from ..errors import ExecFault
from ..vm.domainops import OPS
from ..isa.spec import ExtensionTable, Layer
from ..vm.state import HotBuffer, Machine
from ._yielding import Row, declare_yields

EXT_ID = 0x0007
SLOTS = 256
R = Layer.RUNTIME


@dataclass
class ModelSlot:
    loaded: bool = False
    running: bool = False
    input_reg: Optional[int] = None   # hot register index
    output_reg: Optional[int] = None  # hot register index


class ModelTableState:
    """The in-extension model table: 256 slots, addressed by an operand byte."""

    def __init__(self) -> None:
        self.slots = [ModelSlot() for _ in range(SLOTS)]

    def input_register(self, slot: int) -> Optional[int]:
        """The hot register index bound as ``slot``'s input (None when unbound); read by hosts."""
        return self.slots[slot].input_reg

    def output_register(self, slot: int) -> Optional[int]:
        return self.slots[slot].output_reg

    def status(self, slot: int) -> int:
        s = self.slots[slot]
        return 2 if s.running else 1 if s.loaded else 0


TABLE = ExtensionTable(EXT_ID, "orchestration", doc="Model table (load, exec, bind, chain) and region routing.",
                       state_factory=ModelTableState)


def table_of(m: Machine) -> ModelTableState:
    st = m.ext_state.get(EXT_ID)
    if st is None:
        st = m.ext_state[EXT_ID] = ModelTableState()
    return st


_ModelLoad, _ModelExec = OPS["ModelLoad"], OPS["ModelExec"]


@TABLE.op(0x0000, "model_load", "reg@A imm8@B", R, "Mark slot B loaded and ask the host to load it. Yields ModelLoad.",
          yields="ModelLoad")
def model_load(m: Machine, a: int, b: int, c: int, d: int) -> object:
    table_of(m).slots[b].loaded = True
    return _ModelLoad(target=a, slot=b)


@TABLE.op(0x0001, "model_exec", "reg@A imm8@B", R, "Run the model in slot B (must be loaded), output into H[A]. Yields ModelExec.",
          yields="ModelExec")
def model_exec(m: Machine, a: int, b: int, c: int, d: int) -> object:
    if not table_of(m).slots[b].loaded:
        raise ExecFault(f"MODEL_EXEC: slot {b} not loaded")
    return _ModelExec(target=a, slot=b)


@TABLE.op(0x0002, "model_input", "reg@A imm8@B", R, "Bind hot A as the input register of slot B.")
def model_input(m: Machine, a: int, b: int, c: int, d: int) -> None:
    table_of(m).slots[b].input_reg = a & 0x3F


@TABLE.op(0x0003, "model_output", "reg@A imm8@B", R, "Bind hot A as the output register of slot B.")
def model_output(m: Machine, a: int, b: int, c: int, d: int) -> None:
    table_of(m).slots[b].output_reg = a & 0x3F


@TABLE.op(0x0004, "model_unload", "imm8@A", R, "Clear slot A (loaded flag and bindings).")
def model_unload(m: Machine, a: int, b: int, c: int, d: int) -> None:
    table_of(m).slots[a] = ModelSlot()


@TABLE.op(0x0005, "model_status", "reg@A imm8@B", R, "H[A] = [status of slot B]: 2 running, 1 loaded, 0 empty.")
def model_status(m: Machine, a: int, b: int, c: int, d: int) -> None:
    m.hot[a & 0x3F] = HotBuffer(np.array([table_of(m).status(b)], np.int32), (1,))


@TABLE.op(0x0007, "model_chain", "imm8@A imm8@B", R, "Bind slot A's output register as slot B's input.")
def model_chain(m: Machine, a: int, b: int, c: int, d: int) -> None:
    slots = table_of(m).slots
    out = slots[a].output_reg
    if out is None:
        raise ExecFault(f"MODEL_CHAIN: slot {a} has no output register bound")
    slots[b].input_reg = out


_ROWS: list[Row] = [
    (0x0006, "model_reload", "imm8@A", R, "Hot-reload the model in slot A. Yields ModelReload.",
     "ModelReload", {"slot": "A"}),
    (0x0008, "route_input", "reg@A imm8@B", R, "Route H[A] to region B. Yields RouteInput.",
     "RouteInput", {"source": "A", "region_id": "B"}),
    (0x0009, "region_fire", "reg@A imm8@B", R, "Fire region B, output into H[A]. Yields RegionFire.",
     "RegionFire", {"target": "A", "region_id": "B"}),
    (0x000A, "collect_outputs", "reg@A", R, "Aggregate region outputs into H[A]. Yields CollectOutputs.",
     "CollectOutputs", {"target": "A"}),
    (0x000B, "region_status", "reg@A imm8@B", R, "H[A][0] = status of region B (0 idle, 1 active, 2 firing). Yields RegionStatus.",
     "RegionStatus", {"target": "A", "region_id": "B"}),
    (0x000C, "region_enable", "imm8@A", R, "Enable region A for routing. Yields RegionEnable.",
     "RegionEnable", {"region_id": "A"}),
    (0x000D, "region_disable", "imm8@A", R, "Disable region A. Yields RegionDisable.",
     "RegionDisable", {"region_id": "A"}),
]
declare_yields(TABLE, _ROWS)
TABLE.specs.sort(key=lambda s: s.opcode)
