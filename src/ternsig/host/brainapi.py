"""The brain's public face for Python users (mixed into :class:`~ternsig.host.brain.Brain`):
regions by name, their registers and weights as arrays, chemicals by name, a useful ``repr`` and
an HTML table for notebooks. Each region's :class:`~ternsig.vm.interpreter.Interpreter` carries
the full per-program API (``brain.interpreter("learner").weights("C0")``)."""
from __future__ import annotations

import html
from typing import Any, Optional

import numpy as np

from ..errors import UsageError
from .substrate import CHEMICALS


class BrainAccess:
    regions: list[Any]
    substrate: Any
    config: Any

    @property
    def region_names(self) -> list[str]:
        return [r.name for r in self.regions]

    def interpreter(self, region: str) -> Any:
        """The region's interpreter: ``register``, ``weights``, ``predict``, ``save``… by name."""
        return self.region(region).interp        # type: ignore[attr-defined]

    def weights(self, region: str, register: str) -> Any:
        """A region's cold register as :class:`~ternsig.vm.access.Weights` (values, temperatures…)."""
        return self.interpreter(region).weights(register)

    def register(self, region: str, register: str) -> Any:
        return self.interpreter(region).register(register)

    @property
    def outputs(self) -> dict[str, np.ndarray]:
        """Each region's last output (int32 arrays, copies)."""
        return {r.name: np.array(r.output, np.int32) for r in self.regions}

    @property
    def chemicals(self) -> dict[str, int]:
        """The substrate's chemicals by name (dopamine, serotonin, … fatigue), 0..255."""
        return {name: int(self.substrate.read_chemical(i)) for i, name in enumerate(CHEMICALS)}

    def set_chemicals(self, **levels: int) -> None:
        """Write chemicals by name (0..255), as the regulation region would."""
        for name, value in levels.items():
            if name not in CHEMICALS:
                raise UsageError(f"unknown chemical {name!r} (known: {', '.join(CHEMICALS)})")
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or not 0 <= int(value) <= 255:
                raise UsageError(f"{name} must be an integer 0..255, got {value!r}")
            self.substrate.write_chemical(CHEMICALS.index(name), int(value))

    @property
    def accuracy(self) -> Optional[float]:
        """The task accuracy over the brain's window (up to 200 ticks); None without a task or before a tick."""
        window = getattr(self, "accuracy_window", [])
        return sum(window) / len(window) if window and getattr(self, "task", None) is not None else None

    @property
    def tick_count(self) -> int:
        return int(self.substrate.tick)

    def __repr__(self) -> str:
        regions = ", ".join(f"{r.name} ({r.role})" for r in self.regions)
        acc = self.accuracy
        return (f"<Brain {self.config.name}: {len(self.regions)} regions [{regions}], tick {self.tick_count}"
                + (f", accuracy {acc:.1%} over the last {len(getattr(self, 'accuracy_window', []))} ticks"
                   if acc is not None else "") + ">")

    def _repr_html_(self) -> str:
        rows = "".join(
            "<tr>" + "".join(f"<td>{html.escape(str(v))}</td>" for v in (
                r.name, r.role, f"{r.executed:,}", r.traps, r.output.tolist()[:8])) + "</tr>"
            for r in self.regions)
        chems = ", ".join(f"{k} {v}" for k, v in list(self.chemicals.items())[:4])
        return (f"<div><b>{html.escape(repr(self))}</b><br>chemicals: {html.escape(chems)}<table>"
                "<tr><th>region</th><th>role</th><th>instructions</th><th>traps</th><th>output</th></tr>"
                f"{rows}</table></div>")
