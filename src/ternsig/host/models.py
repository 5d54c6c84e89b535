"""The orchestration model table: programs that load, run and chain other programs.

Each region has up to 256 model slots. MODEL_LOAD assembles the firmware the brain configuration
maps to that slot (``model REGION SLOT=FILE``); MODEL_EXEC runs it on the calling region's bound
input register (``orchestration.model_input``) and returns its output; MODEL_RELOAD re-reads the
file from disk (keeping the old program when the new one does not assemble).
"""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ..errors import HostError, TernsigError
from ..vm.interpreter import Interpreter
from .regio import read_hot

from ..extensions.orchestration import TABLE as ORCHESTRATION
from .handlers import BrainView

if TYPE_CHECKING:
    from .region import Region

#: models run as runtime programs: admitted (load and reload) and served under this role
MODEL_ROLE = "runtime"


class ModelTable:
    def __init__(self, brain: BrainView):
        self.brain = brain
        self.loaded: dict[tuple[int, int], Interpreter] = {}
        #: the run-time view of each loaded model (a Region under MODEL_ROLE) for the region runner
        self.regions: dict[tuple[int, int], Any] = {}

    def _path(self, region: "Region", slot: int) -> Path:
        path = region.models.get(slot)
        if path is None:
            raise HostError(f"model slot {slot} of region {region.name!r} has no firmware configured")
        return path

    def _assemble(self, path: Path):
        from ..confine import ConfinementError, within
        from ..loader import find_program, load_program_file      # source, .tvmr, TERN or .card

        try:     # re-checked at every load: a symlink may have appeared since boot
            within(self.brain.dir, find_program(path), "model firmware")
        except ConfinementError as exc:
            raise HostError(f"ModelLoad: {exc}") from None
        return load_program_file(path, "model firmware")

    def load(self, region: "Region", slot: int) -> None:
        program = self._assemble(self._path(region, slot))
        self.brain.validate_for_role(program, MODEL_ROLE, f"model slot {slot} of {region.name}")
        self.loaded[(region.id, slot)] = Interpreter(program, registry=self.brain.registry)

    def reload(self, region: "Region", slot: int) -> None:
        if (region.id, slot) not in self.loaded:
            raise HostError(f"ModelReload: slot {slot} of region {region.name!r} is not loaded")
        try:
            program = self._assemble(self._path(region, slot))
            self.brain.validate_for_role(program, MODEL_ROLE, f"model slot {slot} of {region.name}")
        except TernsigError as exc:
            self.brain.log_event(region, 2, [slot], note=f"model reload refused: {exc}")
            return
        interp = self.loaded[(region.id, slot)]
        interp.load_program(program)

    def _bound_input(self, region: "Region", slot: int) -> np.ndarray:
        state: Any = region.machine.ext_state.get(ORCHESTRATION.ext_id)
        reg = None
        if state is not None:
            reg = state.input_register(slot)
        if reg is None:
            return np.zeros(0, np.int32)
        return read_hot(region.machine, "ModelExec", reg, "bound input")

    def execute(self, region: "Region", slot: int) -> np.ndarray:
        interp = self.loaded.get((region.id, slot))
        if interp is None:
            raise HostError(f"ModelExec: slot {slot} of region {region.name!r} is not loaded")
        x = self._bound_input(region, slot)
        interp.m.set_input(x)
        model = self.regions.get((region.id, slot))
        if model is None or model.interp is not interp:
            from .region import Region

            model = self.regions[(region.id, slot)] = Region(
                region.id, f"{region.name}.model{slot}", self._path(region, slot), interp.program, interp,
                MODEL_ROLE, budget=region.budget)
        model.program = interp.program
        # the region runner: the caller's remaining budget, DomainOps served under the model's role
        self.brain.runner.run_model(model)
        return interp.m.output.copy()
