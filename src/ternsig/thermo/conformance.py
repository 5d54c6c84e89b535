"""Render a `.thermo` file as the golden JSON (``thermo-golden/1``) for the conformance runner.

Every field is recovered from the file's bytes. The three provenance fields that are not in the
bytes (``schema``, ``file``, ``description``) are the schema constant, the case name and the
case's own description text.
"""
from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any, Optional

from ..errors import FormatError
from ..signal import Signal
from .format import Header, load_bytes
from .model import ConsolidatedEntry, Thermogram
from .rules import ConsolidationTrigger, TriggerKind

SCHEMA = "thermo-golden/1"


def _sig(s: Signal) -> list[int]:
    return [s.polarity, s.magnitude]


def _blob(b: Optional[bytes]) -> Optional[str]:
    return None if b is None else b.hex()


def _trigger(t: ConsolidationTrigger) -> dict[str, Any]:
    out: dict[str, Any] = {"kind": t.kind.label, "tag": int(t.kind)}
    if t.kind == TriggerKind.DELTA_COUNT:
        out["count"] = t.arg
    elif t.kind == TriggerKind.TIME_PERIOD:
        out["hours"] = t.arg
    elif t.kind == TriggerKind.DIRTY_SIZE:
        out["bytes"] = t.arg
    return out


def _entry(e: ConsolidatedEntry) -> dict[str, Any]:
    return {"key": e.key, "value": e.value.pairs(), "strength": _sig(e.strength),
            "update_count": e.update_count, "updated_at": e.updated_at.to_json()}


def thermogram_json(t: Thermogram, header: Header, data: bytes) -> dict[str, Any]:
    """The golden JSON body of a loaded thermogram (layers and deltas in file order)."""
    c, m, r, p = t.thermal_config, t.metadata, t.plasticity_rule, t.consolidation_policy
    verify = t.dirty_chain.verify_error()
    return {
        "file_size": len(data),
        "file_sha256": hashlib.sha256(data).hexdigest(),
        "header": header.to_json(),
        "name": t.name,
        "id": t.id,
        "thermal_config": {
            "decay_rates": [_sig(s) for s in c.decay_rates],
            "promotion_thresholds": [_sig(s) for s in c.promotion_thresholds],
            "demotion_thresholds": [_sig(s) for s in c.demotion_thresholds],
            "min_observations": list(c.min_observations),
            "allow_demotion": list(c.allow_demotion),
            "prune_threshold": _sig(c.prune_threshold),
            "crystallization_threshold": _sig(c.crystallization_threshold),
            "allow_warming": c.allow_warming,
            "warming_delta": _sig(c.warming_delta),
        },
        "metadata": {
            "created_at": m.created_at.to_json(), "last_consolidation": m.last_consolidation.to_json(),
            "total_deltas": m.total_deltas, "total_consolidations": m.total_consolidations,
            "custom": _blob(m.custom),
        },
        "plasticity_rule": {
            "policy": r.policy.label, "policy_byte": int(r.policy),
            "novelty_threshold": _sig(r.novelty_threshold), "merge_threshold": _sig(r.merge_threshold),
            "decay_rate": _sig(r.decay_rate), "prune_threshold": _sig(r.prune_threshold),
            "learning_rate": _sig(r.learning_rate),
        },
        "consolidation_policy": {
            "enable_pruning": p.enable_pruning, "enable_merging": p.enable_merging,
            "triggers": [_trigger(tr) for tr in p.triggers],
        },
        "layers": {name: [_entry(e) for e in layer.values()]
                   for name, layer in zip(("hot", "warm", "cool", "cold"), t.layers)},
        "dirty_chain": {
            "head_hash": t.dirty_chain.head_hash,
            "deltas": [{
                "id": d.id, "type": d.delta_type.label, "type_byte": int(d.delta_type), "key": d.key,
                "value": d.value.pairs(),
                "metadata": {
                    "timestamp": d.metadata.timestamp.to_json(), "source": d.metadata.source,
                    "strength": _sig(d.metadata.strength),
                    "observation_count": d.metadata.observation_count, "custom": _blob(d.metadata.custom),
                },
                "prev_hash": d.prev_hash, "hash": d.hash, "hash_matches_recomputed": d.verify_hash(),
            } for d in t.dirty_chain.deltas],
            "verify": "ok" if verify is None else verify,
        },
    }


def emit_thermo_case(case_dir: Path | str) -> dict[str, Any]:
    """``{"expected": golden JSON}`` for a file the reference loads; for a refused file
    ``{"error": text, "expected": {"error": text}}`` (the runner compares the ``expected`` key)."""
    case = Path(case_dir)
    data = (case / "input.thermo").read_bytes()
    try:
        t, header = load_bytes(data)
    except FormatError as exc:
        return {"error": exc.message, "expected": {"error": exc.message}}
    description = ""
    golden = case / "expected.json"
    if golden.exists():
        description = json.loads(golden.read_text()).get("description", "")
    body = {"schema": SCHEMA, "file": f"{case.name}.thermo", "description": description}
    body.update(thermogram_json(t, header, data))
    return {"expected": body}
