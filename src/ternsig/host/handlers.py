"""The DomainOp handler table and what a handler sees of the brain.

Modules that fulfil DomainOps (``fulfil``, ``banks``) each fill their own :class:`HandlerTable`;
``fulfil`` merges them explicitly, so importing a module never registers anything elsewhere.
Handlers receive the brain as a :class:`BrainView`: a Protocol the brain satisfies, declared here
so that the modules below the brain never import it (no import cycle through ``host/brain.py``).
"""
from __future__ import annotations

from typing import Any, Callable, Protocol

from ..errors import UsageError


class BrainView(Protocol):
    """The parts of :class:`ternsig.host.brain.Brain` that fulfilment and the model table use."""

    regions: list[Any]
    substrate: Any
    ipc: Any
    models: Any
    banks: Any
    store: Any
    registry: Any
    coactivation: dict[Any, Any]
    spiking: Any            # host/spiking_ops.SpikingSubstrate
    dir: Any                # the brain directory (firmware and models stay inside it)
    state_dir: Any
    runner: Any             # host/regionrun.RegionRunner
    journal: Any

    def region_by_id(self, region_id: int, op: str, via: Any = None) -> Any: ...

    def log_event(self, *args: Any, **kwargs: Any) -> Any: ...

    def validate_for_role(self, *args: Any, **kwargs: Any) -> Any: ...


#: handler(brain, region, op): performs the op's side effect or raises HostError
Fulfil = Callable[[BrainView, Any, Any], None]


class HandlerTable(dict[str, Fulfil]):
    """DomainOp variant name → handler."""

    def handles(self, *names: str) -> Callable[[Fulfil], Fulfil]:
        """Decorator: the decorated function fulfils every variant named."""

        def deco(fn: Fulfil) -> Fulfil:
            for n in names:
                if n in self:
                    raise UsageError(f"DomainOp {n} has two handlers")
                self[n] = fn
            return fn

        return deco

    def include(self, other: "HandlerTable") -> None:
        """Add another module's handlers; a variant handled twice is a programming error."""
        for n, fn in other.items():
            if n in self:
                raise UsageError(f"DomainOp {n} has two handlers")
            self[n] = fn
