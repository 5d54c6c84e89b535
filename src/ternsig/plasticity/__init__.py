"""Plasticity as a library: how weights change — mastery learning, babble and the weight
temperature lifecycle. (The VM's pressure/commit kernels are :mod:`ternsig.kernels.pressure`; the
learning extension 0x0004 is :mod:`ternsig.extensions.learning`.)

- :mod:`.mastery` — the reference's ``src/learning.rs`` (MasteryConfig, MasteryState,
  mastery_update, structured initialisation) on NumPy arrays.
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
