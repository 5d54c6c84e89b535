"""Safety: the program validator and the five-layer policy of seed 003."""
from .policy import ROLE_LAYERS, check_program, policy_findings
from .validator import Diagnostic, validate_program

__all__ = ["ROLE_LAYERS", "check_program", "policy_findings", "Diagnostic", "validate_program"]
