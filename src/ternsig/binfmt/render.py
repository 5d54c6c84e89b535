"""JSON views of a Program and a binary header, in the golden corpus schema.

``program_json`` renders assembled.json / deserialized.json; ``header_json`` renders the
"header" object of deserialized.json. The conformance runner and ``ternsig inspect`` use both.
"""
from __future__ import annotations

from typing import Any, Union

from ..isa.encoding import REGFILE_LETTERS
from ..program import Program
from .layout import LegacyHeader, TvmrHeader


def register_label(byte: int) -> str:
    """``H3``/``C0``/``P0``/``S63``: bank letter and index for every byte (0xFF is S63 here; a
    declaration can name it, unlike an operand where 0xFF means "no register")."""
    return f"{REGFILE_LETTERS[(byte >> 6) & 3]}{byte & 0x3F}"


def _flags(h: Union[TvmrHeader, LegacyHeader]) -> dict[str, bool]:
    return {"compressed": h.compressed, "encrypted": h.encrypted, "has_metadata": h.has_metadata}


def header_json(header: Union[TvmrHeader, LegacyHeader]) -> dict[str, Any]:
    """The decoded header; for TVMR exactly the golden "header" object (checksum as 16 hex)."""
    if isinstance(header, LegacyHeader):
        return {"magic": header.magic, "version": header.version, "flags": _flags(header),
                "hot_count": header.hot_count, "cold_count": header.cold_count,
                "param_count": header.param_count, "shape_count": header.shape_count,
                "instr_count": header.instr_count, "reg_def_size": header.reg_def_size,
                "checksum_hex": f"{header.checksum:016x}"}
    return {"magic": header.magic, "version": header.version, "flags": _flags(header),
            "ext_table_offset": header.ext_table_offset, "ext_table_count": header.ext_table_count,
            "reg_defs_offset": header.reg_defs_offset, "reg_defs_count": header.reg_defs_count,
            "instr_offset": header.instr_offset, "instr_count": header.instr_count,
            "checksum_hex": f"{header.checksum:016x}"}


def program_json(program: Program) -> dict[str, Any]:
    """assembled.json / deserialized.json (without "header") for ``program``."""
    return {
        "name": program.name,
        "version": program.version,
        "domain": program.domain,
        "required_extensions": [{"name": r.name, "ext_id": r.ext_id} for r in program.requires],
        "registers": [{"id": r.reg, "name": register_label(r.reg), "dtype": r.dtype,
                       "shape": [int(d) for d in r.shape], "allocated": bool(r.allocated),
                       "thermogram_key": r.key, "frozen": bool(r.frozen)}
                      for r in program.registers],
        "instructions": [{"ext_id": i.ext_id, "opcode": i.opcode, "operands": [i.a, i.b, i.c, i.d],
                          "hex": i.to_bytes().hex()} for i in program.instructions],
        "labels": dict(program.labels),
        "input_shape": list(program.input_shape),
        "output_shape": list(program.output_shape),
        "projections": [{"target": p.target, "bundle": p.bundle, "weight": p.weight,
                         "delay": p.delay, "density": p.density, "mapping": p.mapping,
                         "modulator": p.modulator} for p in program.projections],
        "skull_origin": list(program.skull_origin) if program.skull_origin is not None else None,
    }
