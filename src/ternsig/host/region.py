"""A region: one firmware program running on its own machine inside a brain."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

import numpy as np

from ..program import Program
from ..vm.interpreter import Interpreter
from ..vm.state import Machine

from ..safety.policy import Role

ROLES = tuple(r.value for r in Role)

STATUS_IDLE, STATUS_ACTIVE, STATUS_FIRING = 0, 1, 2


@dataclass
class Region:
    id: int
    name: str
    firmware: Path
    program: Program
    interp: Interpreter
    role: str = "runtime"
    #: regions whose previous-tick output feeds this region's input ("@env" = the environment)
    inputs: list[str] = field(default_factory=list)
    budget: int = 100_000                 # instructions per tick
    work: Optional[int] = None            # work units per tick (None: budget x WORK_PER_INSTRUCTION)
    enabled: bool = True
    halted: bool = False                  # HALT_REGION: stays off until re-enabled
    #: key table: key id → thermogram key (LoadWeights / StoreWeights)
    keys: dict[int, str] = field(default_factory=dict)
    #: model table slots → firmware paths (orchestration MODEL_LOAD)
    models: dict[int, Path] = field(default_factory=dict)
    bank_slots: dict[int, str] = field(default_factory=dict)   # bank slot → bank name
    dyn_pool: int = 8                     # dynamic registers this region may hold at once
    dyn_allocated: set[int] = field(default_factory=set)
    pending_input: Optional[np.ndarray] = None
    output: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int32))
    status: int = STATUS_IDLE
    last_trap: Optional[str] = None
    traps: int = 0
    executed: int = 0                     # instructions executed in total
    yields: int = 0
    waiting_barrier: Optional[int] = None
    array: Optional[str] = None           # the region array this is an instance of (host/arrays.py)
    index: Optional[int] = None           # its index there
    #: firmware region id -> region id (``.config route``); None: routed outside its array (no target)
    routes: dict[int, Optional[int]] = field(default_factory=dict)
    route_refs: dict[int, str] = field(default_factory=dict)   # id -> the route's text, for errors

    @property
    def machine(self) -> Machine:
        return self.interp.m

    def summary(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "role": self.role, "enabled": self.enabled and not self.halted,
                "executed": self.executed, "yields": self.yields, "traps": self.traps,
                "last_trap": self.last_trap, "output": self.output.tolist()[:16]}
