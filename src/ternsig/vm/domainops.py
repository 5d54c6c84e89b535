"""DomainOps: what a program yields when it needs the world outside its registers.

One typed, frozen record per variant of the reference's ``DomainOp`` enum, generated from the
table below (name → fields). Field kinds: ``reg`` is a register byte, ``u8``/``u16``/``i32`` are
integers, ``bool`` a flag. ``fields()`` gives the named fields as a dict, the way the conformance
corpus records them.
"""
from __future__ import annotations

from dataclasses import dataclass, fields as dc_fields, make_dataclass
from typing import Any

#: variant → ((field, kind), ...) in the reference's declaration order
VARIANTS: dict[str, tuple[tuple[str, str], ...]] = {
    "LoadWeights": (("register", "reg"), ("key_id", "i32")),
    "StoreWeights": (("register", "reg"), ("key_id", "i32")),
    "Consolidate": (),
    "ComputeError": (("target", "i32"), ("output", "i32")),
    "ChemRead": (("target", "reg"), ("chem_id", "u8")),
    "ChemSet": (("source", "reg"), ("chem_id", "u8")),
    "ChemInject": (("source", "reg"), ("chem_id", "u8"), ("elem_idx", "u8"), ("signed", "bool")),
    "FieldRead": (("target", "reg"), ("field_id", "u8")),
    "FieldWrite": (("source", "reg"), ("field_id", "u8")),
    "FieldTick": (("field_id", "u8"),),
    "FieldDecay": (("field_id", "u8"), ("retention", "u8"), ("fatigue_boost", "u8")),
    "StimRead": (("target", "reg"),),
    "ValenceRead": (("target", "reg"),),
    "ConvRead": (("target", "reg"),),
    "LateralInhibit": (("source", "reg"), ("strength", "u8")),
    "ExhaustionBoost": (("source", "reg"), ("factor", "u8")),
    "NoveltyScore": (("target", "reg"), ("source", "reg")),
    "ModelLoad": (("target", "reg"), ("slot", "u8")),
    "ModelExec": (("target", "reg"), ("slot", "u8")),
    "ModelReload": (("slot", "u8"),),
    "RouteInput": (("source", "reg"), ("region_id", "u8")),
    "RegionFire": (("target", "reg"), ("region_id", "u8")),
    "CollectOutputs": (("target", "reg"),),
    "RegionEnable": (("region_id", "u8"),),
    "RegionDisable": (("region_id", "u8"),),
    "PhaseRead": (("target", "reg"),),
    "TickRead": (("target", "reg"),),
    "LevelRead": (("target", "reg"),),
    "InitThermo": (("register", "reg"),),
    "SaveThermo": (("register", "reg"),),
    "LoadThermo": (("register", "reg"),),
    "LogEvent": (("source", "reg"), ("event_type", "u8")),
    "HaltRegion": (("region_id", "u8"),),
    "SendSignal": (("source", "reg"), ("region_id", "u8")),
    "RecvSignal": (("target", "reg"), ("region_id", "u8")),
    "Broadcast": (("source", "reg"), ("channel", "u8")),
    "Subscribe": (("target", "reg"), ("region_id", "u8")),
    "MailboxPeek": (("target", "reg"), ("mailbox_id", "u8")),
    "MailboxPop": (("target", "reg"), ("mailbox_id", "u8")),
    "BarrierWait": (("barrier_id", "u8"),),
    "AtomicCas": (("target", "reg"), ("expected", "reg"), ("desired", "reg")),
    "RegionStatus": (("target", "reg"), ("region_id", "u8")),
    "CheckpointSave": (("register", "reg"),),
    "CheckpointRestore": (("register", "reg"),),
    "CheckpointDiscard": (("register", "reg"),),
    "TxnBegin": (("txn_id", "u8"),),
    "TxnCommit": (("txn_id", "u8"),),
    "TxnRollback": (("txn_id", "u8"),),
    "BankQuery": (("target", "reg"), ("source", "reg"), ("bank_slot", "u8"), ("top_k", "u8")),
    "BankWrite": (("target", "reg"), ("source", "reg"), ("bank_slot", "u8")),
    "BankLoad": (("target", "reg"), ("source", "reg"), ("bank_slot", "u8")),
    "BankLink": (("source", "reg"), ("edge_type", "u8"), ("bank_slot", "u8")),
    "BankTraverse": (("target", "reg"), ("source", "reg"), ("bank_slot", "u8"), ("edge_type", "u8"), ("depth", "u8")),
    "BankTouch": (("source", "reg"), ("bank_slot", "u8")),
    "BankDelete": (("source", "reg"), ("bank_slot", "u8")),
    "BankCount": (("target", "reg"), ("bank_slot", "u8")),
    "AllocRegister": (("target", "reg"), ("bank", "u8"), ("size", "u16")),
    "FreeRegister": (("register", "reg"),),
    "FieldSliceRead": (("target", "reg"), ("field_id", "u8"), ("slice_index", "u8")),
    "FieldSliceWrite": (("source", "reg"), ("field_id", "u8"), ("slice_index", "u8")),
    "CoActivation": (("source_a", "reg"), ("source_b", "reg")),
    "CoActivationRead": (("target", "reg"), ("source", "reg")),
    "CoActivationReset": (),
    "LevelWrite": (("source", "reg"),),
    "PhaseWrite": (("source", "reg"),),
    "RestWrite": (("source", "reg"),),
    "ConsolidationRequest": (("source", "reg"),),
    "BankPromote": (("source", "reg"), ("bank_slot", "u8")),
    "BankDemote": (("source", "reg"), ("bank_slot", "u8")),
    "BankEvict": (("bank_slot", "u8"), ("count", "u8")),
    "BankCompact": (("bank_slot", "u8"),),
    "CoherenceSingularWrite": (("source", "reg"),),
    "CoherenceMultimodalWrite": (("source", "reg"),),
    "CoherenceSingularRead": (("target", "reg"),),
    "SNNSetAxes": (("source", "reg"),),
    "SNNStepAxes": (("source", "reg"),),
    "SNNReadActivation": (("target", "reg"),),
    "SNNReadNeuronCount": (("target", "reg"),),
    "SNNReadOutputs": (("target", "reg"),),
    "SNNReadTimestep": (("target", "reg"),),
    "SNNGrowNeurons": (("source", "reg"), ("result", "reg")),
    "SNNPruneNeurons": (("source", "reg"), ("result", "reg")),
    "SNNReadActivities": (("target", "reg"),),
    "ThermoPruneHot": (("source", "reg"), ("result", "reg")),
    "ThermoValenceCredit": (("source", "reg"), ("result", "reg")),
    "PoolTick": (("source", "reg"),),
    "PoolSave": (),
    "PoolLoad": (),
    "PoolInject": (("source", "reg"), ("range_start", "u16"), ("range_end", "u16")),
    "PoolReadOutput": (("target", "reg"), ("range_start", "u16"), ("range_end", "u16")),
    "PoolReadStats": (("target", "reg"),),
    "PoolModulate": (("result", "reg"),),
    "PoolPruneDead": (("result", "reg"),),
    "PoolSynaptogenesis": (("result", "reg"),),
}

_PYTYPE = {"reg": int, "u8": int, "u16": int, "i32": int, "bool": bool}


class DomainOp:
    """Base of every DomainOp record."""

    __slots__ = ()
    op_name: str = ""
    field_kinds: tuple[tuple[str, str], ...] = ()

    def fields(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in dc_fields(self)}  # type: ignore[arg-type]

    def to_json(self) -> dict[str, Any]:
        return {"op": self.op_name, "fields": self.fields()}


def _make(name: str, spec: tuple[tuple[str, str], ...]) -> type:
    cls = make_dataclass(name, [(f, _PYTYPE[k]) for f, k in spec], bases=(DomainOp,), frozen=True,
                         slots=True, namespace={"op_name": name, "field_kinds": spec,
                                                "__doc__": f"DomainOp {name}({', '.join(f for f, _ in spec)})"})
    cls.__module__ = __name__
    return cls


OPS: dict[str, type] = {name: _make(name, spec) for name, spec in VARIANTS.items()}
globals().update(OPS)


def make(name: str, **kw: Any) -> DomainOp:
    """Build a DomainOp by variant name: ``make("ChemRead", target=0, chem_id=0)``."""
    return OPS[name](**kw)


def from_json(obj: dict[str, Any]) -> DomainOp:
    return OPS[obj["op"]](**obj.get("fields", {}))
