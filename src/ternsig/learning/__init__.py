"""Learning as a library: mastery learning, the VM's learning kernels, babble and the weight
temperature lifecycle.

- :mod:`.mastery` — the reference's ``src/learning.rs`` (MasteryConfig, MasteryState,
  mastery_update, structured initialisation) on NumPy arrays.
- :mod:`.vm_mastery` — pressure/commit/update kernels behind the core ISA and extension 0x0004.
- :mod:`.babble` — deterministic exploration noise.
- :mod:`.temperature` — HOT → WARM → COOL → COLD: gating rules, usage tracking, promotion,
  demotion and one-way consolidation.
"""
from .mastery import (MasteryConfig, MasteryState, compute_participation_mask, count_active, init_positive_bias,
                      init_random_structure, mastery_update, sparsity)
from .temperature import LifecyclePolicy, ReviewReport, consolidate, record_forward_usage, record_usage, review

__all__ = ["MasteryConfig", "MasteryState", "mastery_update", "init_random_structure", "init_positive_bias",
           "compute_participation_mask", "count_active", "sparsity", "LifecyclePolicy", "ReviewReport",
           "review", "consolidate", "record_usage", "record_forward_usage"]
