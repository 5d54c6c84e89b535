"""Conformance against the reference engine's golden cases.

``python -m ternsig.conformance emit CASE_DIR`` prints what this engine produces for a case;
``python -m ternsig.conformance check DIR...`` compares every case below the directories.
"""
from .runner import emit_case, find_cases
from .compare import check_case

__all__ = ["emit_case", "find_cases", "check_case"]
