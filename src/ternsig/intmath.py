"""Exact integer helpers with Rust semantics.

Rust `/` and `%` truncate toward zero (Python `//` floors); `>>` on signed values is a flooring
shift (same as Python); release builds wrap on overflow unless the code saturates explicitly.
Scalar helpers work on Python ints; the ``*_arr`` helpers on NumPy int64 arrays.
"""
from __future__ import annotations

from typing import Any, Union

import numpy as np

from .errors import IntegerRangeError, UsageError

I32_MIN = -(1 << 31)
I32_MAX = (1 << 31) - 1
I64_MIN = -(1 << 63)
I64_MAX = (1 << 63) - 1
U64_MASK = (1 << 64) - 1


def wrap_i32(x: int) -> int:
    """Two's-complement wrap to i32 (Rust `as i32` / wrapping arithmetic)."""
    x &= 0xFFFFFFFF
    return x - 0x100000000 if x & 0x80000000 else x


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


# ---- array helpers (int64 in, int64 out unless stated) -----------------------------------------

def tdiv_arr(a: np.ndarray, b: Union[int, np.ndarray]) -> np.ndarray:
    """Elementwise truncating division of int64 arrays (or by a scalar); b must be non-zero."""
    a = np.asarray(a, dtype=np.int64)
    b = np.asarray(b, dtype=np.int64)
    q = np.abs(a) // np.abs(b)
    return np.where((a < 0) != (b < 0), -q, q)


_LO64, _HI64 = np.int64(I32_MIN), np.int64(I32_MAX)


def sat_i32_arr(a: np.ndarray) -> np.ndarray:
    """Clamp an int64 array to i32 and return it as int32.

    ``np.minimum``/``np.maximum`` beat ``np.clip`` on the small arrays most registers are, and
    NumPy scalar bounds skip a Python-int conversion per call (this runs once per instruction)."""
    return np.minimum(np.maximum(a, _LO64), _HI64).astype(np.int32)


def sat_i32_ints(vals: tuple) -> tuple:
    """A tuple of Python ints saturated to i32 (returned as is when already in range): the
    interpreter's small-register fast paths compute in Python ints."""
    if vals and (max(vals) > I32_MAX or min(vals) < I32_MIN):
        return tuple([I32_MAX if v > I32_MAX else I32_MIN if v < I32_MIN else v for v in vals])
    return vals


def wrap_i32_ints(vals: tuple) -> tuple:
    """A tuple of Python ints wrapped to i32 (Rust ``as i32``), returned as is when in range."""
    if vals and (max(vals) > I32_MAX or min(vals) < I32_MIN):
        return tuple([((v + 0x80000000) & 0xFFFFFFFF) - 0x80000000 for v in vals])
    return vals


def wrap_i32_arr(a: np.ndarray) -> np.ndarray:
    """Wrap an int64 array to i32 (two's complement) and return it as int32."""
    return np.asarray(a, dtype=np.int64).astype(np.int32)


def tdiv_pos_arr(a: np.ndarray, b: Union[int, np.ndarray]) -> np.ndarray:
    """Rust ``/`` of an int64 array by a positive divisor (scalar or array), truncating toward 0.

    Exact over the whole int64 range, i64::MIN included (``tdiv_arr`` goes through ``abs``, which
    wraps there); values that overflowed upstream keep their wrapped meaning, as in Rust release.
    """
    r = np.fmod(a, b)            # C remainder: sign of the dividend
    return (a - r) // b          # exact division, so floor == trunc


# ---- checked conversion of user-supplied integers ---------------------------------------------------

def int_array(values: Any, what: str, lo: int = I64_MIN, hi: int = I64_MAX) -> np.ndarray:
    """``values`` (a list, tuple, ndarray or scalar) as a flat int64 array, or a clear error.

    Integers only: booleans count as 0/1 and whole-valued floats are accepted, but strings,
    fractional or non-finite floats and ragged lists raise :class:`~ternsig.errors.UsageError`;
    a value outside ``lo..hi`` raises :class:`~ternsig.errors.IntegerRangeError`. ``what``
    names the argument in the message. An int64 array comes back as (a flat view of) itself:
    treat the result as read-only.
    """
    try:
        a = np.asarray(values)
    except (ValueError, TypeError):
        raise UsageError(f"{what} must be a flat list of integers") from None
    kind = a.dtype.kind
    if a.size == 0:
        return np.zeros(0, np.int64)
    if kind == "f":
        if not np.isfinite(a).all() or (a != np.trunc(a)).any():
            raise UsageError(f"{what} must be integers (got fractional or non-finite values)")
    elif kind == "O":                               # Python ints beyond int64, or mixed objects
        flat = a.ravel().tolist()
        if not all(isinstance(v, int) for v in flat):
            raise UsageError(f"{what} must be integers")
        bad = min(flat) if min(flat) < lo else max(flat)
        raise IntegerRangeError(f"{what} must lie in {lo}..{hi} (got {bad})")
    elif kind not in "iub":
        raise UsageError(f"{what} must be integers, got {a.dtype} values")
    low, high = a.min(), a.max()
    if int(low) < lo or int(high) > hi:
        bad = int(low) if int(low) < lo else int(high)
        raise IntegerRangeError(f"{what} must lie in {lo}..{hi} (got {bad})")
    return a.astype(np.int64, copy=False).ravel()


def int_rows(values: Any, what: str, lo: int = I64_MIN, hi: int = I64_MAX, *,
             vector: str = "row") -> tuple[np.ndarray, int]:
    """``values`` (1-D or 2-D) as a 2-D int64 array of rows, and the number of dimensions given.

    A 1-D input is one row (``vector="row"``: one input of a program) or one value per row
    (``vector="column"``: one scalar sample per row). Ragged rows, non-integers and values outside
    ``lo..hi`` raise the errors of :func:`int_array`.
    """
    try:
        arr = np.asarray(values)
    except ValueError:
        raise UsageError(f"{what}: rows of different lengths") from None
    if arr.dtype == object:
        raise UsageError(f"{what}: rows of different lengths or non-integer values")
    if arr.ndim not in (1, 2):
        raise UsageError(f"{what}: give one {'input' if vector == 'row' else 'value'} per row (2-D) "
                         f"or a 1-D array, got {arr.ndim}-D")
    if arr.ndim == 2:
        shape = arr.shape
    else:
        shape = (1, arr.size) if vector == "row" else (arr.size, 1)
    return int_array(arr, what, lo, hi).reshape(shape), arr.ndim
