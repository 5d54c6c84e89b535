"""TVMR v1 binary files (and legacy TERN, read-only): the public API.

``serialize`` writes what the reference's ``serialize`` writes, byte for byte; ``read_tvmr``
reads what its ``deserialize`` reads and refuses what it refuses, with a FormatError carrying the
byte offset of the fault. A binary keeps extensions, register definitions and instruction words;
name, version, domain, labels, shapes, projections and skull origin live only in the source.
The layouts are described for users in docs/formats.md.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Union

from .atomicio import atomic_write
from .binfmt.layout import (CHECKSUM_KINDS, LEGACY_HEADER_SIZE, TVMR_HEADER_SIZE, LegacyHeader,
                            TvmrHeader, reference_checksum, xxh64_checksum)
from .binfmt.reader import Header, deserialize, read_tvmr
from .binfmt.render import header_json, program_json, register_label
from .binfmt.writer import serialize, serialize_with_header
from .program import Program

__all__ = ["CHECKSUM_KINDS", "Header", "LEGACY_HEADER_SIZE", "LegacyHeader", "TVMR_HEADER_SIZE",
           "TvmrHeader", "deserialize", "header_json", "program_json", "read_file", "read_tvmr",
           "reference_checksum", "register_label", "serialize", "serialize_with_header",
           "write_file", "xxh64_checksum"]

PathLike = Union[str, os.PathLike]


def write_file(path: PathLike, program: Program, checksum: str = "reference", *,
               lossy: bool = False) -> int:
    """Write ``program`` to ``path`` atomically; returns the number of bytes written.

    The bytes go to a temporary file in the same directory, which is fsynced and then renamed
    over ``path`` (and the directory fsynced), so a crash leaves either the old file or the new
    one, never a torn mix. An existing file's permission bits are kept; a new file gets 0o644.
    Serialization errors are raised before anything touches the disk.
    """
    return atomic_write(path, serialize(program, checksum, lossy=lossy))


def read_file(path: PathLike) -> Program:
    """The program in a TVMR v1 or legacy TERN file."""
    return deserialize(Path(path).read_bytes())
