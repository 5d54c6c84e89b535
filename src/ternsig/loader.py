"""Load a program from a file, whatever it holds: `.ternsig` source or a TVMR/TERN binary."""
from __future__ import annotations

from pathlib import Path

from .errors import TernsigError
from .program import Program


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
