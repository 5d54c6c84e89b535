"""Load a program from a file, whatever it holds, and find programs by name in a data directory.

A program file is ``.ternsig`` source, a TVMR v1 binary, a legacy TERN binary or a ``.card``
(datacard container around a TVMR/TERN binary, see :mod:`ternsig.card`). The content decides, not
the extension: cards and binaries are recognised by their layout, everything else must be UTF-8
source. Every command and host that reads program files goes through :func:`load_program_file`,
so a missing file, a directory, a damaged card or text that is not UTF-8 gives one clear
:class:`~ternsig.errors.TernsigError` naming the file (never a raw ``UnicodeDecodeError``).

Programs are also loaded by name, as the reference's ``loader.rs`` does:
``load_path("core/networks/rule_encoder")`` reads ``{data_dir}/core/networks/rule_encoder`` +
``.ternsig``, ``.tvmr`` or ``.card``. The data directory is, in order: the one set by
:func:`set_data_dir`, the ``TERNSIG_DATA_DIR`` environment variable, or ``data/ternsig`` (the
reference's default). A brain resolves its firmware names against its own directory.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Optional, Union

from .errors import FormatError, TernsigError
from .program import Program

PathLike = Union[str, "os.PathLike[str]"]

DATA_DIR_ENV = "TERNSIG_DATA_DIR"
DEFAULT_DATA_DIR = Path("data/ternsig")
#: the suffixes tried, in order, when a program is named without one
PROGRAM_SUFFIXES = (".ternsig", ".tvmr", ".card")

_data_dir: Optional[Path] = None


def set_data_dir(path: Optional[PathLike]) -> None:
    """Set (or with None, clear) the data directory used by :func:`load_path`."""
    global _data_dir
    _data_dir = Path(path) if path is not None else None


def data_dir() -> Path:
    """The data directory: the one set in code, else ``$TERNSIG_DATA_DIR``, else ``data/ternsig``."""
    if _data_dir is not None:
        return _data_dir
    env = os.environ.get(DATA_DIR_ENV)
    return Path(env) if env else DEFAULT_DATA_DIR


def decode_source(data: bytes, name: str) -> str:
    """Source bytes → text; bytes that are not UTF-8 → TernsigError with the byte offset."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise TernsigError(f"{name}: not UTF-8 text (byte {exc.start})") from None


def _read(path: Path, what: str) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise TernsigError(f"{path}: cannot read {what}: {exc.strerror or exc}") from None


def read_source(path: PathLike, what: str = "source") -> str:
    """The text of a `.ternsig` file; unreadable or non-UTF-8 files → TernsigError naming it."""
    path = Path(path)
    return decode_source(_read(path, what), str(path))


def program_bytes_kind(data: bytes) -> str:
    """What a program file holds: ``"card"``, ``"binary"`` (TVMR or TERN) or ``"source"``."""
    from .card import looks_like_card

    if looks_like_card(data):
        return "card"
    if data[:4] in (b"TVMR", b"TERN"):
        return "binary"
    return "source"


def load_program_bytes(data: bytes, name: str, *, card: Optional[bool] = None, registry: Any = None) -> Program:
    """The program in ``data`` (card, binary or source); ``name`` labels errors.

    ``card=True`` insists on a card (a ``.card`` file), so its damage is reported as card damage
    rather than as "not a program".
    """
    from .binary import deserialize

    kind = "card" if card else program_bytes_kind(data)
    if kind == "card":
        from .card import parse_card

        try:
            payload = parse_card(data).payload
            return deserialize(payload)
        except FormatError as exc:
            raise FormatError(f"{name}: {exc.message}", exc.offset) from None
    if kind == "binary":
        return deserialize(data)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise TernsigError(f"{name}: not UTF-8 text (byte {exc.start}), nor a TVMR/TERN "
                           f"binary or a card") from None
    from .asm import assemble

    return assemble(text, registry=registry, source_name=name)


def find_program(path: PathLike) -> Path:
    """``path`` itself if it exists, else the first of ``path`` + .ternsig/.tvmr/.card that does."""
    path = Path(path)
    if path.exists() or path.suffix in PROGRAM_SUFFIXES:
        return path
    for suffix in PROGRAM_SUFFIXES:
        cand = path.with_name(path.name + suffix)
        if cand.is_file():
            return cand
    tried = ", ".join(path.name + s for s in PROGRAM_SUFFIXES)
    raise TernsigError(f"{path}: no such program (tried {tried})")


def load_program_file(path: PathLike, what: str = "program") -> Program:
    """A program file of any form → Program; a name without suffix tries each suffix in turn."""
    path = find_program(path)
    return load_program_bytes(_read(path, what), str(path), card=path.suffix == ".card" or None)


def resolve_name(name: str, base: Optional[PathLike] = None) -> Path:
    """``base / name`` for a program named by a relative path that stays inside ``base``."""
    root = Path(base) if base is not None else data_dir()
    rel = Path(name)
    if not name or rel.is_absolute() or ".." in rel.parts:
        raise TernsigError(f"program name {name!r} must be a relative path inside {root}")
    return root / rel


def load_path(name: str, is_card: Optional[bool] = None, *, base: Optional[PathLike] = None) -> Program:
    """Load a program by name from the data directory (or ``base``), as the reference does.

    ``is_card=True`` reads ``name.card``, ``False`` reads ``name.ternsig`` (the reference's two
    cases); None (the default here) takes the first of ``.ternsig``, ``.tvmr``, ``.card`` present.
    """
    path = resolve_name(name, base)
    if is_card is None:
        return load_program_file(path)
    return load_program_file(path.with_name(path.name + (".card" if is_card else ".ternsig")))


def load_string(source: str, name: str = "<string>") -> Program:
    """Assemble source text (the reference's testing helper)."""
    from .asm import assemble

    return assemble(source, source_name=name)


def card_bytes(program: Program, card_id: str, *, checksum: str = "reference") -> bytes:
    """A card holding ``program`` serialised exactly as ``ternsig asm`` writes it."""
    from .binary import serialize
    from .card import pack_card

    return pack_card(serialize(program, checksum), card_id)


def save_card(path: PathLike, program: Program, card_id: Optional[str] = None, *,
              checksum: str = "reference") -> int:
    """Write ``program`` as a card to exactly ``path`` (atomically); returns the bytes written.

    Unlike the reference's ``save_card`` (which appends ``.card`` itself), the path is used as
    given; the id defaults to the file's stem.
    """
    from .atomicio import atomic_write

    path = Path(path)
    return atomic_write(path, card_bytes(program, card_id or path.stem, checksum=checksum))
