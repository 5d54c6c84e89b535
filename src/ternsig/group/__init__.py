"""Groups of machines sharing one program, ticked in one call over stacked registers."""
from .population import Population

__all__ = ["Population"]
