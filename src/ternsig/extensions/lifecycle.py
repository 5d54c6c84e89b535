"""The lifecycle extension (0x0008): boot phase, ticks, levels, persistence, transactions, coherence.

Every instruction yields: the phase, the tick, thermograms and the event log belong to the host.
LOAD_WEIGHTS/STORE_WEIGHTS read their key from a param register the way the reference does —
``key_id = P[operand B]`` with operand B taken as a RAW index, so a register token ``P3`` (byte
0x83 = 131) is out of range and gives key 0; write the plain index (``3``) to address P3.

Layers (seed 003): boot-time topology and thermogram registration (INIT_THERMO, LOAD_THERMO,
LOAD_WEIGHTS, PHASE_WRITE, LEVEL_WRITE, HALT_REGION) are boot; reads, saves, transactions, the
event log, rest/consolidation requests and coherence are runtime.
"""
from __future__ import annotations

from ..vm.domainops import OPS
from ..isa.spec import ExtensionTable, Layer
from ..vm.state import Machine
from ._yielding import Row, declare_yields

EXT_ID = 0x0008
B, R = Layer.BOOT, Layer.RUNTIME

TABLE = ExtensionTable(EXT_ID, "lifecycle", doc="Boot phase, ticks, levels, thermogram persistence, transactions, coherence.")


_ROWS: list[Row] = [
    (0x0000, "phase_read", "reg@A", R, "H[A][0] = boot phase ordinal. Yields PhaseRead.", "PhaseRead", {"target": "A"}),
    (0x0001, "tick_read", "reg@A", R, "H[A][0] = tick count. Yields TickRead.", "TickRead", {"target": "A"}),
    (0x0002, "level_read", "reg@A", R, "H[A][0] = neuronal level ordinal. Yields LevelRead.", "LevelRead", {"target": "A"}),
    (0x0003, "init_thermo", "reg@A", B, "Register a thermogram for cold A. Yields InitThermo.", "InitThermo", {"register": "A"}),
    (0x0004, "save_thermo", "reg@A", R, "Persist cold A to its thermogram. Yields SaveThermo.", "SaveThermo", {"register": "A"}),
    (0x0005, "load_thermo", "reg@A", B, "Load cold A from its thermogram. Yields LoadThermo.", "LoadThermo", {"register": "A"}),
    (0x0006, "log_event", "reg@A imm8@B", R,
     "Log event type B (0 boot, 1 phase_change, 2 error, 3 warning, 4 metric, 5 checkpoint, 6 recovery, 7 shutdown) "
     "with data H[A]. Yields LogEvent.", "LogEvent", {"source": "A", "event_type": "B"}),
    (0x0007, "halt_region", "imm8@A", B, "Halt region A. Yields HaltRegion.", "HaltRegion", {"region_id": "A"}),
    (0x0008, "txn_begin", "imm8@A", R, "Begin persistence transaction A. Yields TxnBegin.", "TxnBegin", {"txn_id": "A"}),
    (0x0009, "txn_commit", "imm8@A", R, "Commit transaction A atomically. Yields TxnCommit.", "TxnCommit", {"txn_id": "A"}),
    (0x000A, "txn_rollback", "imm8@A", R, "Discard transaction A. Yields TxnRollback.", "TxnRollback", {"txn_id": "A"}),
    (0x000D, "level_write", "reg@A", B, "Set the neuronal level from H[A][0] (forward only). Yields LevelWrite.",
     "LevelWrite", {"source": "A"}),
    (0x000E, "phase_write", "reg@A", B, "Set the boot phase from H[A][0] (valid transitions only). Yields PhaseWrite.",
     "PhaseWrite", {"source": "A"}),
    (0x000F, "rest_write", "reg@A", R, "Rest mode from H[A][0] (0 wake, 1 rest). Yields RestWrite.",
     "RestWrite", {"source": "A"}),
    (0x0010, "consolidation_req", "reg@A", R, "Request consolidation, urgency H[A][0] (rest only). Yields ConsolidationRequest.",
     "ConsolidationRequest", {"source": "A"}),
    (0x0011, "coherence_singular_write", "reg@A", R, "Singular coherence [division, value] from H[A]. Yields CoherenceSingularWrite.",
     "CoherenceSingularWrite", {"source": "A"}),
    (0x0012, "coherence_multimodal_write", "reg@A", R,
     "Multimodal coherence [div_a, div_b, value] from H[A]. Yields CoherenceMultimodalWrite.",
     "CoherenceMultimodalWrite", {"source": "A"}),
    (0x0013, "coherence_singular_read", "reg@A", R, "H[A] = the 7 singular coherence values. Yields CoherenceSingularRead.",
     "CoherenceSingularRead", {"target": "A"}),
]
declare_yields(TABLE, _ROWS)


def _key_id(m: Machine, b: int) -> int:
    # raw operand byte as the index: P0..P63 by plain number; anything >= 64 reads as 0
    return int(m.param[b]) if b < len(m.param) else 0


@TABLE.op(0x000B, "load_weights", "reg@A imm8@B", B, "Load cold A from storage under key P[B] (B a raw index). Yields LoadWeights.",
          yields="LoadWeights", flags="writes_weights")
def load_weights(m: Machine, a: int, b: int, c: int, d: int) -> object:
    return OPS["LoadWeights"](register=a, key_id=_key_id(m, b))


@TABLE.op(0x000C, "store_weights", "reg@A imm8@B", R, "Store cold A under key P[B] (B a raw index). Yields StoreWeights.",
          yields="StoreWeights")
def store_weights(m: Machine, a: int, b: int, c: int, d: int) -> object:
    return OPS["StoreWeights"](register=a, key_id=_key_id(m, b))


TABLE.specs.sort(key=lambda s: s.opcode)
