"""ternsig — the Python engine for TVMR, the Ternsig Virtual Mainframe Runtime."""
from .errors import AssemblyError, FormatError, HostError, TernsigError, Trap, ValidationError
from .isa.encoding import Instruction
from .program import Program, RegisterDef
from .signal import Signal

__version__ = "0.1.0"

__all__ = ["AssemblyError", "FormatError", "HostError", "TernsigError", "Trap", "ValidationError",
           "Instruction", "Program", "RegisterDef", "Signal", "Population", "__version__"]


def __getattr__(name: str):
    # imported on first use: ``import ternsig`` stays light (no NumPy machine, no registry)
    if name == "Population":
        from .group import Population

        return Population
    raise AttributeError(f"module 'ternsig' has no attribute {name!r}")
