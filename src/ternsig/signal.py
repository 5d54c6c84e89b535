"""The ternary Signal: ``value = polarity × magnitude``, two bytes.

Polarity is an i8 (canonically -1, 0, +1) and magnitude a u8 (0..255). Non-canonical signals
(polarity 0 with magnitude > 0, polarity 1 with magnitude 0) occur in real programs and are kept
as they are: nothing here normalises them except the conversions that the reference normalises.

Arrays of signals are two parallel NumPy arrays: ``polarity`` (int8) and ``magnitude`` (uint8).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Sequence

import numpy as np

from .errors import UsageError


@dataclass(frozen=True, slots=True)
class Signal:
    polarity: int = 0
    magnitude: int = 0

    def __post_init__(self) -> None:
        if not -128 <= self.polarity <= 127:
            raise UsageError(f"polarity {self.polarity} is not an i8")
        if not 0 <= self.magnitude <= 255:
            raise UsageError(f"magnitude {self.magnitude} is not a u8")

    @property
    def value(self) -> int:
        """The signed value ``polarity * magnitude``."""
        return self.polarity * self.magnitude

    @classmethod
    def from_signed(cls, v: int) -> "Signal":
        """Reference ``from_signed_i32``: saturates at ±255; zero gives ZERO."""
        if v > 0:
            return cls(1, min(v, 255))
        if v < 0:
            return cls(-1, min(-v, 255))
        return cls(0, 0)

    def is_active(self) -> bool:
        return self.magnitude > 0

    def is_positive(self) -> bool:
        return self.polarity > 0 and self.magnitude > 0

    def is_negative(self) -> bool:
        return self.polarity < 0 and self.magnitude > 0

    def __int__(self) -> int:
        return self.value


ZERO = Signal(0, 0)
MAX_POSITIVE = Signal(1, 255)
MAX_NEGATIVE = Signal(-1, 255)


def signals_from_ints(values: Iterable[int] | np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Signed ints → (polarity int8, magnitude uint8), saturating at ±255 (``from_signed_i32``)."""
    v = np.asarray(values, dtype=np.int64).ravel()
    pol = np.sign(v).astype(np.int8)
    mag = np.minimum(np.abs(v), 255).astype(np.uint8)
    return pol, mag


def signal_values(polarity: np.ndarray, magnitude: np.ndarray) -> np.ndarray:
    """(polarity, magnitude) arrays → signed values as int32 (``p * m``)."""
    return polarity.astype(np.int32) * magnitude.astype(np.int32)


def signals_from_pairs(pairs: Sequence[Sequence[int]]) -> tuple[np.ndarray, np.ndarray]:
    """Raw ``[polarity, magnitude]`` pairs → arrays, non-canonical pairs preserved."""
    if len(pairs) == 0:
        return np.zeros(0, np.int8), np.zeros(0, np.uint8)
    arr = np.asarray(pairs, dtype=np.int64).reshape(-1, 2)
    if (arr[:, 0] < -128).any() or (arr[:, 0] > 127).any() or (arr[:, 1] < 0).any() or (arr[:, 1] > 255).any():
        raise UsageError("signal pair out of range (polarity i8, magnitude u8)")
    return arr[:, 0].astype(np.int8), arr[:, 1].astype(np.uint8)
