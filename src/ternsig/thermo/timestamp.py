"""UTC timestamps as the thermogram crate stores them: i64 seconds + u32 nanoseconds.

The delta hash covers ``DateTime<Utc>::to_rfc3339()``, so the text must be chrono's, character for
character: 4-digit years (signed ``+05`` form outside 0..=9999), the fraction omitted when zero and
otherwise 3, 6 or 9 digits, leap seconds (nanos >= 1e9, only at :59) printed as second 60, and
``+00:00``. Python's ``datetime`` cannot represent chrono's year range, so the calendar is done
here with integer arithmetic (proleptic Gregorian, days since the Unix epoch).
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Optional

from ..errors import UsageError

#: chrono 0.4.42 NaiveDate range: years -262143 ..= 262142
MIN_YEAR = -262_143
MAX_YEAR = 262_142
NANOS = 1_000_000_000


def civil_from_days(z: int) -> tuple[int, int, int]:
    """Days since 1970-01-01 -> (year, month, day), proleptic Gregorian, any range."""
    z += 719_468
    era = z // 146_097
    doe = z - era * 146_097
    yoe = (doe - doe // 1460 + doe // 36_524 - doe // 146_096) // 365
    y = yoe + era * 400
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    d = doy - (153 * mp + 2) // 5 + 1
    m = mp + 3 if mp < 10 else mp - 9
    return (y + 1 if m <= 2 else y), m, d


def validity_error(secs: int, nanos: int) -> Optional[str]:
    """Why chrono's ``Utc.timestamp_opt(secs, nanos)`` would give None (or None when valid)."""
    if not 0 <= nanos <= 0xFFFF_FFFF or not -(1 << 63) <= secs < (1 << 63):
        return "out of range"
    tod = secs % 86_400
    if nanos >= 2 * NANOS or (nanos >= NANOS and tod % 60 != 59):
        return "invalid time of day"
    y, _, _ = civil_from_days(secs // 86_400)
    if not MIN_YEAR <= y <= MAX_YEAR:
        return "year out of range"
    return None


@dataclass(frozen=True, order=True, slots=True)
class Timestamp:
    """A chrono ``DateTime<Utc>`` (leap-second representation included)."""

    secs: int
    nanos: int = 0

    def __post_init__(self) -> None:
        why = validity_error(self.secs, self.nanos)
        if why is not None:
            raise UsageError(f"invalid timestamp: {self.secs}s {self.nanos}ns ({why})")

    @classmethod
    def now(cls) -> "Timestamp":
        ns = time.time_ns()
        return cls(ns // NANOS, ns % NANOS)

    def rfc3339(self) -> str:
        """chrono ``to_rfc3339()`` (``SecondsFormat::AutoSi``, ``+00:00``)."""
        days, tod = divmod(self.secs, 86_400)
        y, mo, d = civil_from_days(days)
        h, rem = divmod(tod, 3600)
        mi, s = divmod(rem, 60)
        nano = self.nanos
        if nano >= NANOS:
            s += 1
            nano -= NANOS
        ys = f"{y:04d}" if 0 <= y <= 9999 else f"{y:+05d}"
        out = f"{ys}-{mo:02d}-{d:02d}T{h:02d}:{mi:02d}:{s:02d}"
        if nano:
            if nano % 1_000_000 == 0:
                out += f".{nano // 1_000_000:03d}"
            elif nano % 1_000 == 0:
                out += f".{nano // 1_000:06d}"
            else:
                out += f".{nano:09d}"
        return out + "+00:00"

    def duration_ns_since(self, other: "Timestamp") -> int:
        """chrono ``signed_duration_since`` in nanoseconds (leap-second adjustment included)."""
        da, ta = divmod(self.secs, 86_400)
        db, tb = divmod(other.secs, 86_400)
        if ta > tb:
            adjust = 1 if other.nanos >= NANOS else 0
        elif ta < tb:
            adjust = -1 if self.nanos >= NANOS else 0
        else:
            adjust = 0
        return ((da - db) * 86_400 + (ta - tb) + adjust) * NANOS + (self.nanos - other.nanos)

    def whole_seconds_since(self, other: "Timestamp") -> int:
        """``signed_duration_since(..).num_seconds()``: truncated toward zero."""
        ns = self.duration_ns_since(other)
        q = abs(ns) // NANOS
        return q if ns >= 0 else -q

    def to_json(self) -> dict:
        return {"secs": self.secs, "nanos": self.nanos, "rfc3339": self.rfc3339()}
