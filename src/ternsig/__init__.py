"""ternsig — the Python engine for TVMR, the Ternsig Virtual Mainframe Runtime."""
from .errors import AssemblyError, FormatError, HostError, TernsigError, Trap, ValidationError
from .isa.encoding import Instruction
from .program import Program, RegisterDef
from .signal import Signal

__version__ = "0.1.0"

__all__ = ["AssemblyError", "FormatError", "HostError", "TernsigError", "Trap", "ValidationError",
           "Instruction", "Program", "RegisterDef", "Signal", "__version__"]
