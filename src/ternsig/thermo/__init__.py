"""Thermograms: persistent weight memory with a hot/warm/cool/cold temperature lifecycle.

``model`` holds the in-memory thermogram (the crate ``thermogram`` 1.0.0's semantics), ``format``
the `.thermo` v1 codec, ``store`` crash-safe persistence. The link to a machine's cold registers
(ternsig's ``TensorThermogram``) is :mod:`ternsig.host.tensor_thermogram`: thermo/ knows no VM types.
"""
from .chain import Delta, DeltaMetadata, DeltaType, HashChain, ThermoError
from .format import Header, decode, encode, load_bytes
from .model import ConsolidatedEntry, ConsolidationResult, Thermogram, ThermogramMetadata
from .rules import (ConsolidationPolicy, ConsolidationTrigger, PlasticityRule, ThermalConfig,
                    ThermalState, TriggerKind, UpdatePolicy)
from .signals import Signals
from .timestamp import Timestamp

__all__ = [
    "ConsolidatedEntry", "ConsolidationPolicy", "ConsolidationResult", "ConsolidationTrigger", "Delta",
    "DeltaMetadata", "DeltaType", "HashChain", "Header", "PlasticityRule", "Signals", "ThermalConfig",
    "ThermalState", "Thermogram", "ThermogramMetadata", "ThermoError", "Timestamp", "TriggerKind",
    "UpdatePolicy", "decode", "encode", "load_bytes",
]
