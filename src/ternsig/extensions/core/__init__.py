"""The core ISA: its table (``table.py``) and handlers (``ops_*.py``)."""
from .table import CORE
from . import ops_control, ops_system, ops_forward, ops_ternary, ops_mastery, ops_structure  # noqa: F401

__all__ = ["CORE"]
