"""Load a program from a file, whatever it holds: `.ternsig` source or a TVMR/TERN binary.

Every command and host that reads program files goes through here, so a missing file, a
directory, a binary where source was expected or text that is not UTF-8 gives one clear
:class:`~ternsig.errors.TernsigError` naming the file (never a raw ``UnicodeDecodeError``).
"""
from __future__ import annotations

from pathlib import Path

from .errors import TernsigError
from .program import Program


def decode_source(data: bytes, name: str) -> str:
    """Source bytes → text; bytes that are not UTF-8 → TernsigError with the byte offset."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise TernsigError(f"{name}: not UTF-8 text (byte {exc.start})") from None


def read_source(path: Path | str, what: str = "source") -> str:
    """The text of a `.ternsig` file; unreadable or non-UTF-8 files → TernsigError naming it."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise TernsigError(f"{path}: cannot read {what}: {exc.strerror or exc}") from None
    return decode_source(data, str(path))


def load_program_file(path: Path | str) -> Program:
    """A ``.ternsig`` source or a TVMR/TERN binary → Program (sniffed by magic, not extension)."""
    path = Path(path)
    data = path.read_bytes()
    if data[:4] in (b"TVMR", b"TERN"):
        from .binary import deserialize

        return deserialize(data)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise TernsigError(f"{path}: neither a TVMR binary nor UTF-8 source (byte {exc.start})") from None
    from .asm import assemble

    return assemble(text, source_name=str(path))
