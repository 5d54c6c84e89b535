"""Signal arithmetic of the thermogram crate, and the packed signal vector it stores.

The crate does its strength bookkeeping in ``f32`` (``magnitude as f32 / 255.0``, scale factors
0.3/0.7/0.95, plasticity formulas) and converts back with Rust's saturating ``as u8`` cast. To get
the same integers we do every step in NumPy ``float32`` scalars, one rounding per Rust operation,
never in Python's float64.

A value vector (``Vec<Signal>``) is kept as :class:`Signals`: the raw ``[polarity, magnitude]``
byte pairs exactly as they appear on disk and in the delta-hash preimage, so encoding, hashing and
copying to a cold register are single vectorised operations whatever the tensor size.
"""
from __future__ import annotations

import math
from typing import Iterable, Sequence

import numpy as np

from ..errors import UsageError

from ..signal import Signal

F32 = np.float32
_255 = F32(255.0)
_ZERO = F32(0.0)
_ONE = F32(1.0)
_CENT = F32(0.01)


def f32_as_u8(x: np.float32) -> int:
    """Rust ``f32 as u8``: truncate toward zero, saturate to 0..255, NaN -> 0."""
    v = float(x)
    if math.isnan(v) or v <= 0.0:
        return 0
    if v >= 255.0:
        return 255
    return int(v)


def mag_f32(s: Signal) -> np.float32:
    """``Signal::magnitude_f32``: magnitude / 255 in f32."""
    return F32(s.magnitude) / _255


def signed_f32(s: Signal) -> np.float32:
    """``Signal::as_signed_f32``: polarity (raw i8, non-canonical kept) times magnitude_f32."""
    return F32(s.polarity) * mag_f32(s)


def from_signed_f32(v: np.float32) -> Signal:
    """``Signal::from_signed(f32)``: polarity by a ±0.01 dead band, magnitude ``|v|.min(1)*255``."""
    pol = 1 if v > _CENT else (-1 if v < -_CENT else 0)
    a = F32(abs(v))
    if a > _ONE:
        a = _ONE
    return Signal(pol, f32_as_u8(a * _255))


def sig_add(a: Signal, b: Signal) -> Signal:
    """``Signal::add``: signed f32 sum, back through ``from_signed``."""
    return from_signed_f32(signed_f32(a) + signed_f32(b))


def sig_scale(s: Signal, factor: float) -> Signal:
    """``Signal::scale``: magnitude times factor (f32), clamped; zero magnitude zeroes polarity."""
    m = F32(s.magnitude) * F32(factor)
    m = min(max(m, _ZERO), _255)
    nm = f32_as_u8(m)
    return Signal(s.polarity if nm > 0 else 0, nm)


def sig_decayed(s: Signal, retention: np.float32) -> Signal:
    """``Signal::decayed``: magnitude times retention (f32, truncated); zero zeroes polarity."""
    nm = f32_as_u8(F32(s.magnitude) * F32(retention))
    return Signal(s.polarity if nm > 0 else 0, nm)


def sig_bytes(s: Signal) -> bytes:
    """The two on-disk bytes of a signal: polarity as u8, magnitude."""
    return bytes(((s.polarity & 0xFF), s.magnitude))


class Signals:
    """An immutable ``Vec<Signal>`` held as its raw on-disk bytes (2 per signal).

    Why raw bytes: the file, the SHA-256 preimage and equality all use exactly these bytes, so
    one representation serves all three with no per-element work.
    """

    __slots__ = ("raw",)

    def __init__(self, raw: bytes = b""):
        if len(raw) % 2:
            raise UsageError("a signal vector needs an even number of bytes")
        self.raw = bytes(raw)

    @classmethod
    def from_arrays(cls, polarity: np.ndarray, magnitude: np.ndarray) -> "Signals":
        pol = np.asarray(polarity).astype(np.int8, copy=False).ravel()
        mag = np.asarray(magnitude).astype(np.uint8, copy=False).ravel()
        if pol.shape != mag.shape:
            raise UsageError("polarity and magnitude arrays differ in length")
        out = np.empty(2 * len(pol), np.uint8)
        out[0::2] = pol.view(np.uint8)
        out[1::2] = mag
        return cls(out.tobytes())

    @classmethod
    def from_pairs(cls, pairs: Iterable[Sequence[int]]) -> "Signals":
        arr = np.asarray(list(pairs), dtype=np.int64).reshape(-1, 2)
        if arr.size and ((arr[:, 0] < -128).any() or (arr[:, 0] > 127).any()
                         or (arr[:, 1] < 0).any() or (arr[:, 1] > 255).any()):
            raise UsageError("signal pair out of range (polarity i8, magnitude u8)")
        return cls.from_arrays(arr[:, 0], arr[:, 1])

    @classmethod
    def from_signals(cls, signals: Iterable[Signal]) -> "Signals":
        return cls.from_pairs([(s.polarity, s.magnitude) for s in signals])

    def arrays(self) -> tuple[np.ndarray, np.ndarray]:
        """(polarity int8, magnitude uint8) copies."""
        b = np.frombuffer(self.raw, np.uint8)
        return b[0::2].view(np.int8).copy(), b[1::2].copy()

    def pairs(self) -> list[list[int]]:
        pol, mag = self.arrays()
        return np.stack([pol.astype(np.int64), mag.astype(np.int64)], axis=1).tolist() if len(pol) else []

    def __len__(self) -> int:
        return len(self.raw) // 2

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Signals) and other.raw == self.raw

    def __hash__(self) -> int:
        return hash(self.raw)

    def __repr__(self) -> str:
        n = len(self)
        head = self.pairs()[:4]
        return f"Signals(n={n}, {head}{'...' if n > 4 else ''})"
