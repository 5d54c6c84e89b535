"""The pool extension (0x000C): a host-side spiking neuron pool driven from a program.

Every instruction yields. POOL_INJECT and POOL_READ_OUTPUT address neuron ranges in steps of 256
(operand byte × 256, so up to neuron 65280); the _DIRECT forms take the bytes as neuron indices
0..255 and yield the same DomainOps. Operand B is unused (the reference skips it).

Layers: ticks, injection, reads and persistence are runtime; three-factor modulation is learning;
pruning dead synapses and synaptogenesis change structure (evolutionary).
"""
from __future__ import annotations

from ..isa.spec import ExtensionTable, Layer
from ._yielding import Row, declare_yields

EXT_ID = 0x000C
E, R, L = Layer.EVOLUTIONARY, Layer.RUNTIME, Layer.LEARNING

TABLE = ExtensionTable(EXT_ID, "pool", doc="Host-side spiking neuron pool: tick, inject, read, plasticity, persistence.")


def _x256(slot: int):
    return lambda a, b, c, d: (a, b, c, d)[slot] * 256


_ROWS: list[Row] = [
    (0x0000, "pool_tick", "reg@A", R, "Step the pool with input currents H[A]; H[A][0] = spike count. Yields PoolTick.",
     "PoolTick", {"source": "A"}),
    (0x0001, "pool_save", "", R, "Persist the pool. Yields PoolSave.", "PoolSave", {}),
    (0x0002, "pool_load", "", R, "Restore the pool. Yields PoolLoad.", "PoolLoad", {}),
    (0x0003, "pool_inject", "reg@A imm8@B imm8@C imm8@D", R,
     "Inject H[A] into neurons [C*256, D*256) (B unused). Yields PoolInject.",
     "PoolInject", {"source": "A", "range_start": _x256(2), "range_end": _x256(3)}),
    (0x0004, "pool_read_output", "reg@A imm8@B imm8@C imm8@D", R,
     "H[A] = output spikes of neurons [C*256, D*256) (B unused). Yields PoolReadOutput.",
     "PoolReadOutput", {"target": "A", "range_start": _x256(2), "range_end": _x256(3)}),
    (0x0005, "pool_read_stats", "reg@A", R, "H[A] = [spikes, synapses, ticks]. Yields PoolReadStats.",
     "PoolReadStats", {"target": "A"}),
    (0x0006, "pool_modulate", "reg@A", L, "Three-factor plasticity; result in H[A]. Yields PoolModulate.",
     "PoolModulate", {"result": "A"}),
    (0x0007, "pool_prune_dead", "reg@A", E, "Prune dead synapses; count in H[A]. Yields PoolPruneDead.",
     "PoolPruneDead", {"result": "A"}),
    (0x0008, "pool_synaptogenesis", "reg@A", E, "Grow synapses (ACh-gated); count in H[A]. Yields PoolSynaptogenesis.",
     "PoolSynaptogenesis", {"result": "A"}),
    (0x0009, "pool_inject_direct", "reg@A imm8@B imm8@C imm8@D", R,
     "Inject H[A] into neurons [C, D] (0..255, B unused). Yields PoolInject.",
     "PoolInject", {"source": "A", "range_start": "C", "range_end": "D"}),
    (0x000A, "pool_read_output_direct", "reg@A imm8@B imm8@C imm8@D", R,
     "H[A] = output spikes of neurons [C, D] (0..255, B unused). Yields PoolReadOutput.",
     "PoolReadOutput", {"target": "A", "range_start": "C", "range_end": "D"}),
]
declare_yields(TABLE, _ROWS)
