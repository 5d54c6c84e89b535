"""The core ISA: its table (``table.py``) and handlers (``ops_*.py``)."""
from .table import CORE
from . import ops_control  # noqa: F401  (attach handlers)

__all__ = ["CORE"]
