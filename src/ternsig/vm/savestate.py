"""One-file save and load of a program's machine state (``Interpreter.save`` / ``.load``).

The file is a NumPy ``.npz`` (a zip of ``.npy`` arrays, read with ``allow_pickle=False``, so
loading never runs code): every allocated hot register, every cold register's polarity, magnitude,
temperatures, usage and pressure with its current shape (grown or pruned registers come back as
they were), the param and shape banks, the chemicals, and the program's register declarations.
Loading refuses a file written for other declarations, and checks every array — dtype, length,
value range, size limit — before touching the machine, so a bad file changes nothing.
"""
from __future__ import annotations

import json
import zipfile
import zlib
from pathlib import Path
from typing import Any, Optional

import numpy as np

from ..atomicio import atomic_write
from ..errors import FormatError
from ..isa.encoding import reg_name
from .state import MAX_REGISTER_ELEMENTS, NREGS, ColdBuffer, HotBuffer

MAGIC = "ternsig-machine-state/1"
#: the largest member a legitimate file holds (a full register of int64 plus the .npy header)
MAX_MEMBER = 8 * MAX_REGISTER_ELEMENTS + 4096
CHEMS = ("dopamine", "serotonin", "norepinephrine", "gaba")


class StateFileError(FormatError):
    """A state file that cannot be loaded: not one, damaged, or written for another program."""

    def __init__(self, path: Path, message: str):
        self.message = f"{path}: {message}"
        self.offset = 0
        Exception.__init__(self, self.message)


def declarations(program: Any) -> list[list[Any]]:
    return [[d.reg, d.dtype, list(d.shape), d.key] for d in program.registers]


def save_machine(interp: Any, path: Path) -> Path:
    import io

    m = interp.m
    arrays: dict[str, np.ndarray] = {
        "magic": np.array(MAGIC),
        "declarations": np.array(json.dumps(declarations(getattr(interp, "program")))),
        "param": np.array(m.param, np.int64),
        "chemicals": np.array([getattr(m.chem, c) for c in CHEMS], np.int64),
    }
    for i, h in enumerate(m.hot):
        if h is not None:
            arrays[f"H{i}"] = np.array(h.view(), np.int32)
            arrays[f"H{i}.shape"] = np.array(h.shape, np.int64)
    for i, c in enumerate(m.cold):
        if c is None:
            continue
        arrays[f"C{i}.pol"] = c.pol.astype(np.int8)
        arrays[f"C{i}.mag"] = c.mag.astype(np.uint8)
        arrays[f"C{i}.shape"] = np.array(c.shape, np.int64)
        if c.temps is not None:
            arrays[f"C{i}.temps"] = c.temps.astype(np.uint8)
        if c.usage is not None:
            arrays[f"C{i}.usage"] = np.asarray(c.usage, np.uint32)
        if m.pressure[i] is not None:
            arrays[f"C{i}.pressure"] = np.asarray(m.pressure[i], np.int64)
    for i, dims in enumerate(m.shape_regs):
        if dims:
            arrays[f"S{i}"] = np.array(dims, np.int64)
    buf = io.BytesIO()
    np.savez_compressed(buf, **arrays)
    atomic_write(path, buf.getvalue())
    return path


def _read(path: Path) -> dict[str, np.ndarray]:
    try:
        with zipfile.ZipFile(path) as z:
            for info in z.infolist():
                if info.file_size > MAX_MEMBER:
                    raise StateFileError(path, f"member {info.filename} is {info.file_size:,} bytes "
                                               f"(larger than any register)")
        with np.load(path, allow_pickle=False) as f:
            return {k: f[k] for k in f.files}
    except StateFileError:
        raise
    except (zipfile.BadZipFile, zlib.error, NotImplementedError, ValueError, EOFError, KeyError, OSError, zipfile.LargeZipFile) as exc:
        if isinstance(exc, FileNotFoundError):
            raise
        raise StateFileError(path, f"not a ternsig state file ({type(exc).__name__}: {exc})") from None


def _int(a: np.ndarray, name: str, path: Path, lo: int, hi: int, n: Optional[int] = None) -> np.ndarray:
    if a.dtype.kind not in "iu" or a.ndim != 1:
        raise StateFileError(path, f"{name}: expected a 1-D integer array, got {a.dtype} {a.shape}")
    if n is not None and len(a) != n:
        raise StateFileError(path, f"{name}: expected {n} values, got {len(a)}")
    if len(a) > MAX_REGISTER_ELEMENTS:
        raise StateFileError(path, f"{name}: {len(a):,} values exceed the register limit")
    if len(a) and (int(a.min()) < lo or int(a.max()) > hi):
        raise StateFileError(path, f"{name}: values must lie in {lo}..{hi}")
    return a.astype(np.int64)


def _shape(arrays: dict[str, np.ndarray], name: str, n: int, path: Path) -> tuple[int, ...]:
    a = arrays.get(name)
    if a is None:
        raise StateFileError(path, f"missing {name}")
    dims = _int(a, name, path, 0, MAX_REGISTER_ELEMENTS)
    numel = 1
    for d in dims.tolist():
        numel *= d
    if numel != n and not (n == 0 and len(dims) == 0):
        raise StateFileError(path, f"{name} {dims.tolist()} does not match {n} values")
    return tuple(dims.tolist())


def load_machine(interp: Any, path: Path) -> None:
    arrays = _read(path)
    if str(arrays.get("magic", "")) != MAGIC:
        raise StateFileError(path, f"not a ternsig state file (expected {MAGIC})")
    try:
        saved = json.loads(str(arrays["declarations"]))
    except (KeyError, ValueError):
        raise StateFileError(path, "missing or damaged register declarations") from None
    want = declarations(getattr(interp, "program"))
    if saved != want:
        diff = next((f"{reg_name(s[0])} was saved as {s[1]}{s[2]}, the program declares {w[1]}{w[2]}"
                     for s, w in zip(saved, want) if isinstance(s, list) and len(s) == 4 and s != w
                     and isinstance(s[0], int) and 0 <= s[0] < 256), None)
        raise StateFileError(path, "written for a program with other register declarations"
                                   + (f" ({diff})" if diff else f" ({len(saved)} saved, {len(want)} declared)"))
    known = {"magic", "declarations", "param", "chemicals"}
    hot: dict[int, HotBuffer] = {}
    cold: dict[int, ColdBuffer] = {}
    pressure: dict[int, np.ndarray] = {}
    shapes: dict[int, list[int]] = {}
    m = interp.m
    for i in range(NREGS):
        if f"H{i}" in arrays:
            data = _int(arrays[f"H{i}"], f"H{i}", path, -2**31, 2**31 - 1).astype(np.int32)
            hot[i] = HotBuffer(data, _shape(arrays, f"H{i}.shape", len(data), path))
            known |= {f"H{i}", f"H{i}.shape"}
        if f"C{i}.pol" in arrays:
            pol = _int(arrays[f"C{i}.pol"], f"C{i}.pol", path, -1, 1).astype(np.int8)
            n = len(pol)
            mag = _int(arrays.get(f"C{i}.mag", np.zeros(0, np.uint8)), f"C{i}.mag", path, 0, 255, n).astype(np.uint8)
            old = m.cold[i]
            c = ColdBuffer(pol, mag, _shape(arrays, f"C{i}.shape", n, path),
                           old.key if old is not None else None, old.frozen if old is not None else False)
            if f"C{i}.temps" in arrays:
                c.temps = _int(arrays[f"C{i}.temps"], f"C{i}.temps", path, 0, 3, n).astype(np.uint8)
            if f"C{i}.usage" in arrays:
                c.usage = _int(arrays[f"C{i}.usage"], f"C{i}.usage", path, 0, 2**32 - 1, n).astype(np.uint32)
            if f"C{i}.pressure" in arrays:
                pressure[i] = _int(arrays[f"C{i}.pressure"], f"C{i}.pressure", path, -2**31, 2**31 - 1, n).astype(np.int32)
            cold[i] = c
            known |= {f"C{i}.{k}" for k in ("pol", "mag", "shape", "temps", "usage", "pressure")}
        if f"S{i}" in arrays:
            shapes[i] = _int(arrays[f"S{i}"], f"S{i}", path, 0, MAX_REGISTER_ELEMENTS).tolist()
            known.add(f"S{i}")
    extra = sorted(set(arrays) - known)
    if extra:
        raise StateFileError(path, f"unexpected member {extra[0]!r}")
    param = _int(arrays.get("param", np.zeros(0, np.int64)), "param", path, -2**63, 2**63 - 1, NREGS)
    chems = _int(arrays.get("chemicals", np.zeros(0, np.int64)), "chemicals", path, 0, 255, len(CHEMS))
    # everything checked: now change the machine
    for i in range(NREGS):
        m.hot[i] = hot.get(i)
        m.cold[i] = cold.get(i)
        m.pressure[i] = pressure.get(i)
        m.shape_regs[i] = shapes.get(i, [])
    m.param[:] = [int(v) for v in param.tolist()]
    for name, v in zip(CHEMS, chems.tolist()):
        setattr(m.chem, name, int(v))
