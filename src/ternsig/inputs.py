"""A machine's starting state from JSON: the ``input.json`` vocabulary, read in one place.

Three places load a machine from JSON — the conformance harness (a case's ``input.json``),
``ternsig test`` sidecars (``NAME.input.json``) and ``ternsig run --weights`` — and they share this
reader so that a key means the same thing everywhere and bad data gets the same clear
:class:`~ternsig.errors.UsageError` naming the key (never a raw ``TypeError`` from deep inside
NumPy). The vocabulary is the conformance corpus README's:

``cold``
    ``{"C<n>": {"weights": [...], "temperatures": [...] | int | null}}`` for declared cold
    registers. A weight is an int ``w`` (polarity ``sign(w)``, magnitude ``min(|w|, 255)``) or a
    raw ``[polarity, magnitude]`` pair (non-canonical pairs are kept); the list has one entry per
    weight. Temperatures are 0..255 per weight (``from_u8``: 3 and above is COLD) or one int for
    every weight; absent or null leaves the register without a temperature vector.
``chemical``
    ``{dopamine, serotonin, norepinephrine, gaba}`` overrides, each a u8.
``babble_scale``, ``target``, ``input``
    As :meth:`~ternsig.vm.state.Machine.set_babble_scale`, ``set_target`` and ``set_input``.

They are applied in the README's order: cold, chemical, babble_scale, target, input.
"""
from __future__ import annotations

import re
from typing import Any

import numpy as np

from .errors import IntegerRangeError, UsageError
from .intmath import I32_MAX, I32_MIN, int_array
from .vm.state import NREGS, Machine

__all__ = ["CHEMICALS", "apply_cold", "apply_inputs"]

CHEMICALS = ("dopamine", "serotonin", "norepinephrine", "gaba")
_COLD_NAME = re.compile(r"C(\d+)")
_COLD_KEYS = frozenset({"weights", "temperatures"})


def _signals(weights: Any, n: int, what: str) -> tuple[np.ndarray, np.ndarray]:
    """(polarity int8, magnitude uint8) from a list of ints and/or [polarity, magnitude] pairs."""
    if not isinstance(weights, list):
        raise UsageError(f"{what} must be a list of {n} weights")
    if len(weights) != n:
        raise UsageError(f"{what} has {len(weights)} entries; the register holds {n} weights")
    is_pair = np.fromiter((isinstance(w, list) for w in weights), bool, n)
    pol = np.zeros(n, np.int8)
    mag = np.zeros(n, np.uint8)
    if not is_pair.all():
        w = int_array([v for v, p in zip(weights, is_pair) if not p] if is_pair.any() else weights,
                      what, I32_MIN, I32_MAX)
        pol[~is_pair] = np.sign(w)
        mag[~is_pair] = np.minimum(np.abs(w), 255)
    if is_pair.any():
        pairs = [v for v, p in zip(weights, is_pair) if p] if not is_pair.all() else weights
        if any(len(v) != 2 for v in pairs):
            raise UsageError(f"{what}: a raw signal is a [polarity, magnitude] pair")
        if any(isinstance(x, (list, dict)) for v in pairs for x in v):     # [[], []] would flatten to nothing
            raise UsageError(f"{what}: a raw signal is a [polarity, magnitude] pair of integers")
        flat = int_array([x for v in pairs for x in v], what).reshape(-1, 2)
        if (flat[:, 0] < -128).any() or (flat[:, 0] > 127).any() or (flat[:, 1] < 0).any() or (flat[:, 1] > 255).any():
            raise UsageError(f"{what}: signal pair out of range (polarity i8, magnitude u8)")
        pol[is_pair] = flat[:, 0]
        mag[is_pair] = flat[:, 1]
    return pol, mag


def _temperatures(temps: Any, n: int, what: str) -> np.ndarray:
    if isinstance(temps, list) and len(temps) != n:
        raise UsageError(f"{what} has {len(temps)} entries; the register holds {n} weights")
    if not isinstance(temps, (list, int)) or isinstance(temps, bool):
        raise UsageError(f"{what} must be a list of {n} temperatures or one int for all")
    t = int_array(temps, what, 0, 255)
    return np.minimum(np.broadcast_to(t, (n,)), 3).astype(np.uint8)


def _int(value: Any, what: str, lo: int = I32_MIN, hi: int = I32_MAX) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise UsageError(f"{what} must be an integer, got {value!r}")
    if not lo <= value <= hi:
        raise IntegerRangeError(f"{what} must lie in {lo}..{hi} (got {value})")
    return value


def apply_cold(m: Machine, spec: Any, where: str = "input") -> None:
    """Set declared cold registers' weights and temperatures from ``spec`` (see the module doc)."""
    if not isinstance(spec, dict):
        raise UsageError(f"{where}: cold must be an object keyed by cold register (C0, C1, ...)")
    for name, cs in spec.items():
        hit = _COLD_NAME.fullmatch(str(name))
        if hit is None or int(hit.group(1)) >= NREGS:
            raise UsageError(f"{where}: {name!r} is not a cold register (C0..C{NREGS - 1})")
        buf = m.cold[int(hit.group(1))]
        if buf is None:
            raise UsageError(f"{where} sets undeclared cold register {name}")
        if not isinstance(cs, dict) or not set(cs) <= _COLD_KEYS:
            raise UsageError(f"{where}: {name} must be an object with 'weights' and/or 'temperatures'")
        n = len(buf)
        if "weights" in cs:
            buf.pol, buf.mag = _signals(cs["weights"], n, f"{where}: {name}.weights")
        if cs.get("temperatures") is not None:
            buf.temps = _temperatures(cs["temperatures"], n, f"{where}: {name}.temperatures")
        buf.touch()


def apply_inputs(m: Machine, spec: Any, where: str = "input") -> None:
    """Apply every key of an ``input.json``-style object except the harness's own
    (``max_steps``, ``runs``, ``patch_instructions``), in the README's order."""
    if not isinstance(spec, dict):
        raise UsageError(f"{where} must be a JSON object")
    if "cold" in spec:
        apply_cold(m, spec["cold"], where)
    chems = spec.get("chemical", {})
    if not isinstance(chems, dict):
        raise UsageError(f"{where}: chemical must be an object such as {{\"dopamine\": 200}}")
    for k, v in chems.items():
        if k not in CHEMICALS:
            raise UsageError(f"{where}: unknown chemical {k!r} (one of {', '.join(CHEMICALS)})")
        setattr(m.chem, k, _int(v, f"{where}: chemical {k}", 0, 255))
    if "babble_scale" in spec:
        m.set_babble_scale(_int(spec["babble_scale"], f"{where}: babble_scale"))
    if "target" in spec:
        m.set_target(spec["target"])
    m.set_input(spec.get("input", []))
