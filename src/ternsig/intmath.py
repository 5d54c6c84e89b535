"""Exact integer helpers with Rust semantics.

Rust `/` and `%` truncate toward zero (Python `//` floors); `>>` on signed values is a flooring
shift (same as Python); release builds wrap on overflow unless the code saturates explicitly.
Scalar helpers work on Python ints; the ``*_arr`` helpers on NumPy int64 arrays.
"""
from __future__ import annotations

import numpy as np

I32_MIN = -(1 << 31)
I32_MAX = (1 << 31) - 1
I64_MIN = -(1 << 63)
I64_MAX = (1 << 63) - 1
U64_MASK = (1 << 64) - 1


def wrap_i32(x: int) -> int:
    """Two's-complement wrap to i32 (Rust `as i32` / wrapping arithmetic)."""
    x &= 0xFFFFFFFF
    return x - 0x100000000 if x & 0x80000000 else x


def wrap_i64(x: int) -> int:
    x &= U64_MASK
    return x - (1 << 64) if x & (1 << 63) else x


def sat_i32(x: int) -> int:
    """Clamp to the i32 range (Rust `saturating_*` / `clamp(i32::MIN, i32::MAX)`)."""
    return I32_MIN if x < I32_MIN else I32_MAX if x > I32_MAX else x


def tdiv(a: int, b: int) -> int:
    """Rust integer division: truncates toward zero. ``b`` must be non-zero."""
    q = abs(a) // abs(b)
    return q if (a >= 0) == (b >= 0) else -q


def trem(a: int, b: int) -> int:
    """Rust remainder: takes the sign of the dividend."""
    return a - b * tdiv(a, b)


def as_u8(x: int) -> int:
    return x & 0xFF


def as_u16(x: int) -> int:
    return x & 0xFFFF


# ---- array helpers (int64 in, int64 out unless stated) -----------------------------------------

def tdiv_arr(a: np.ndarray, b) -> np.ndarray:
    """Elementwise truncating division of int64 arrays (or by a scalar); b must be non-zero."""
    a = np.asarray(a, dtype=np.int64)
    b = np.asarray(b, dtype=np.int64)
    q = np.abs(a) // np.abs(b)
    return np.where((a < 0) != (b < 0), -q, q)


def sat_i32_arr(a: np.ndarray) -> np.ndarray:
    """Clamp an int64 array to i32 and return it as int32."""
    return np.minimum(np.maximum(a, I32_MIN), I32_MAX).astype(np.int32)


def wrap_i32_arr(a: np.ndarray) -> np.ndarray:
    """Wrap an int64 array to i32 (two's complement) and return it as int32."""
    return np.asarray(a, dtype=np.int64).astype(np.int32)


def tdiv_pos_arr(a: np.ndarray, b) -> np.ndarray:
    """Rust ``/`` of an int64 array by a positive divisor (scalar or array), truncating toward 0.

    Exact over the whole int64 range, i64::MIN included (``tdiv_arr`` goes through ``abs``, which
    wraps there); values that overflowed upstream keep their wrapped meaning, as in Rust release.
    """
    r = np.fmod(a, b)            # C remainder: sign of the dividend
    return (a - r) // b          # exact division, so floor == trunc
