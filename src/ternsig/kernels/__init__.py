"""Numeric kernels shared by core and extension handlers.

``matmul``: exact ternary matrix-vector / matrix-matrix products (ungated, core-gated and
extension-gated temperature semantics) with per-register caches. ``structure``: the reference's
LCG and the grow / prune / allocate helpers used by core structural ops and the ``arch`` extension.
``pressure``: mastery pressure accumulation and commit, shared by the core ISA and the learning
extension.
"""
