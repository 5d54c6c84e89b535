"""The neuro extension (0x0005): the substrate a region lives in — chemicals, fields, SNN, coactivation.

Everything outside the machine is the host's, so all instructions but two yield a DomainOp. The
two exceptions, TEMP_READ and TEMP_WRITE, touch only the machine's own cold-register temperatures
and run locally (error texts are the reference's).

Layers (seed 003): substrate reads and writes are runtime; CHEM_SET/CHEM_INJECT are runtime
instructions whose chemical authority the layer policy restricts to the regulation role;
temperature reads/writes and SNN growth/pruning are structural (evolutionary); thermogram pruning
is evolutionary and valence credit (weight change by reward) is learning.
"""
from __future__ import annotations

import numpy as np

from ..errors import ExecFault
from ..isa.spec import ExtensionTable, Layer
from ..vm.state import HotBuffer, Machine
from ._yielding import Row, declare_yields

EXT_ID = 0x0005
E, R, L = Layer.EVOLUTIONARY, Layer.RUNTIME, Layer.LEARNING

TABLE = ExtensionTable(EXT_ID, "neuro", doc="Substrate access: chemicals, fields, stimulation, SNN, temperatures.")

_ROWS: list[Row] = [
    (0x0000, "chem_read", "reg@A imm8@B", R, "H[A][0] = level of chemical B (host). Yields ChemRead.",
     "ChemRead", {"target": "A", "chem_id": "B"}),
    (0x0001, "chem_set", "reg@A imm8@B", R, "Set chemical B from H[A][0] (regulation only). Yields ChemSet.",
     "ChemSet", {"source": "A", "chem_id": "B"}, "writes_chemicals"),
    (0x0002, "chem_inject", "reg@A imm8@B imm8@C=0 imm8@D=0", R,
     "Add H[A][C] to chemical B; D bit 0 = signed (centred on 128). Yields ChemInject.",
     "ChemInject", {"source": "A", "chem_id": "B", "elem_idx": "C", "signed": lambda a, b, c, d: bool(d & 1)},
     "writes_chemicals"),
    (0x0003, "field_read", "reg@A imm8@B", R, "Read field B's region slice into H[A]. Yields FieldRead.",
     "FieldRead", {"target": "A", "field_id": "B"}),
    (0x0004, "field_write", "reg@A imm8@B", R, "Write H[A] to field B's region slice. Yields FieldWrite.",
     "FieldWrite", {"source": "A", "field_id": "B"}),
    (0x0005, "field_tick", "imm8@A", R, "Advance field A by one tick. Yields FieldTick.",
     "FieldTick", {"field_id": "A"}),
    (0x0006, "stim_read", "reg@A", R, "Read stimulation levels into H[A]. Yields StimRead.",
     "StimRead", {"target": "A"}),
    (0x0007, "valence_read", "reg@A", R, "Read [reward, punish] into H[A]. Yields ValenceRead.",
     "ValenceRead", {"target": "A"}),
    (0x0008, "conv_read", "reg@A", R, "Read convergence field state into H[A]. Yields ConvRead.",
     "ConvRead", {"target": "A"}),
    (0x000B, "field_decay", "imm8@A imm8@B imm8@C", R,
     "Decay field A: retention B, fatigue boost C. Yields FieldDecay.",
     "FieldDecay", {"field_id": "A", "retention": "B", "fatigue_boost": "C"}),
    (0x000C, "lateral_inhibit", "reg@A imm8@B", R, "Winner-take-some on H[A] with strength B. Yields LateralInhibit.",
     "LateralInhibit", {"source": "A", "strength": "B"}),
    (0x000D, "exhaustion_boost", "reg@A imm8@B", R, "Exhaustion decay boost by factor B. Yields ExhaustionBoost.",
     "ExhaustionBoost", {"source": "A", "factor": "B"}),
    (0x000E, "novelty_score", "reg@A reg@B", R, "H[A] = novelty z-scores of energies H[B]. Yields NoveltyScore.",
     "NoveltyScore", {"target": "A", "source": "B"}),
    (0x000F, "field_slice_read", "reg@A imm8@B imm8@C", R, "Read slice C of field B into H[A]. Yields FieldSliceRead.",
     "FieldSliceRead", {"target": "A", "field_id": "B", "slice_index": "C"}),
    (0x0010, "field_slice_write", "reg@A imm8@B imm8@C", R, "Write H[A] to slice C of field B. Yields FieldSliceWrite.",
     "FieldSliceWrite", {"source": "A", "field_id": "B", "slice_index": "C"}),
    (0x0011, "coact_record", "reg@A reg@B", R, "Record co-activation of H[A] and H[B]. Yields CoActivation.",
     "CoActivation", {"source_a": "A", "source_b": "B"}, "cost=n(A)*n(B)"),
    (0x0012, "coact_read", "reg@A reg@B", R, "Read the co-activation matrix into H[A]. Yields CoActivationRead.",
     "CoActivationRead", {"target": "A", "source": "B"}, "cost=n(A)*n(B)"),
    (0x0013, "coact_reset", "", R, "Reset the co-activation counters. Yields CoActivationReset.",
     "CoActivationReset", {}),
    (0x0014, "snn_set_axes", "reg@A", R, "Set SNN axes from H[A][0..3]. Yields SNNSetAxes.",
     "SNNSetAxes", {"source": "A"}),
    (0x0015, "snn_step_axes", "reg@A", R, "Step SNN axes by delta H[A][0]. Yields SNNStepAxes.",
     "SNNStepAxes", {"source": "A"}),
    (0x0016, "snn_read_activation", "reg@A", R, "H[A][0] = SNN mean activation. Yields SNNReadActivation.",
     "SNNReadActivation", {"target": "A"}),
    (0x0017, "snn_read_neuron_count", "reg@A", R, "H[A][0] = SNN neuron count. Yields SNNReadNeuronCount.",
     "SNNReadNeuronCount", {"target": "A"}),
    (0x0018, "snn_read_outputs", "reg@A", R, "H[A] = SNN neuron outputs. Yields SNNReadOutputs.",
     "SNNReadOutputs", {"target": "A"}),
    (0x0019, "snn_read_timestep", "reg@A", R, "H[A][0] = SNN timestep. Yields SNNReadTimestep.",
     "SNNReadTimestep", {"target": "A"}),
    (0x001A, "snn_grow_neurons", "reg@A reg@B", E, "Grow the SNN by H[A][0] neurons; H[B] = new total. Yields SNNGrowNeurons.",
     "SNNGrowNeurons", {"source": "A", "result": "B"}),
    (0x001B, "snn_prune_neurons", "reg@A reg@B", E, "Prune SNN neurons at indices H[A]; H[B] = new total. Yields SNNPruneNeurons.",
     "SNNPruneNeurons", {"source": "A", "result": "B"}),
    (0x001C, "snn_read_activities", "reg@A", R, "H[A] = per-neuron spike counts. Yields SNNReadActivities.",
     "SNNReadActivities", {"target": "A"}),
    (0x001D, "thermo_prune_hot", "reg@A reg@B", E, "Prune weak HOT thermogram entries when H[A][0] > 0; H[B] = count. Yields ThermoPruneHot.",
     "ThermoPruneHot", {"source": "A", "result": "B"}),
    (0x001E, "thermo_valence_credit", "reg@A reg@B", L,
     "Valence credit to HOT+WARM entries when H[A][0] > 0; H[B] = count. Yields ThermoValenceCredit.",
     "ThermoValenceCredit", {"source": "A", "result": "B"}),
]


@TABLE.op(0x0009, "temp_read", "reg@A reg@B", E, "H[A] = temperatures of cold B as 0..3 (all 0 when it has none).")
def temp_read(m: Machine, a: int, b: int, c: int, d: int) -> None:
    ci = b & 0x3F
    cold = m.cold[ci]
    if cold is None:
        raise ExecFault(f"TEMP_READ: C{ci} not allocated")
    data = (np.zeros(len(cold), np.int32) if cold.temps is None else cold.temps.astype(np.int32))
    m.hot[a & 0x3F] = HotBuffer(data, (len(data),))


@TABLE.op(0x000A, "temp_write", "reg@A reg@B", E,
          "Temperatures of cold B = clamp(H[A], 0, 3), cut or padded with HOT to the weight count.", flags="writes_weights")
def temp_write(m: Machine, a: int, b: int, c: int, d: int) -> None:
    hi, ci = a & 0x3F, b & 0x3F
    src = m.hot[hi]
    if src is None:
        raise ExecFault(f"TEMP_WRITE: H{hi} not allocated")
    cold = m.cold[ci]
    if cold is None:
        raise ExecFault(f"TEMP_WRITE: C{ci} not allocated")
    n = len(cold)
    temps = np.zeros(n, np.uint8)  # padding is HOT (0)
    k = min(n, len(src.data))
    temps[:k] = np.clip(src.data[:k], 0, 3)
    cold.temps = temps
    cold.touch()


declare_yields(TABLE, _ROWS)
TABLE.specs.sort(key=lambda s: s.opcode)
