"""A user's dataset for ``ternsig train`` and a brain's ``task dataset``: inputs and targets as
integer arrays, read from ``.npz`` or CSV.

``.npz`` (``numpy.savez``; read with ``allow_pickle=False``): an ``inputs`` array (one sample
per row) and either ``targets`` (one target row per sample) or ``labels`` (one class index per
sample, turned into one-hot targets: 255 for the class, 0 elsewhere).

CSV: a header row names the columns. A column named ``label`` holds class indices (one-hot
targets as above); columns whose name starts with ``target`` hold target values; every other
column is an input. Lines starting with ``#`` and blank lines are skipped. Every value is an
integer (the machine is integer-only: scale real-valued data to integers first, e.g. 0..255).
"""
from __future__ import annotations

import csv
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

import numpy as np

from .errors import TernsigError
from .intmath import I32_MAX, I32_MIN, int_array

#: bounds on a dataset (values, classes): a file must not be able to exhaust memory
MAX_VALUES = 1 << 26          # 64M values (512 MiB as int64)
MAX_CLASSES = 4096
MAX_CSV_BYTES = 1 << 30       # a CSV is read whole: refuse one larger than 1 GiB before reading it
ONE_HOT = 255


class DatasetError(TernsigError):
    """A dataset file that cannot be used (names the file and, for CSV, the line)."""


@dataclass
class Dataset:
    inputs: np.ndarray              # int64 (n, d)
    targets: np.ndarray             # int64 (n, k), each value in -255..255 after clamping by the machine
    labels: Optional[np.ndarray]    # int64 (n,) when the file gave labels
    source: str = ""

    def __len__(self) -> int:
        return len(self.inputs)

    def __repr__(self) -> str:
        return (f"<Dataset {self.source or '<arrays>'}: {len(self)} samples, {self.inputs.shape[1]} inputs, "
                f"{self.targets.shape[1]} targets{' (from labels)' if self.labels is not None else ''}>")

    @property
    def classes(self) -> np.ndarray:
        """The class of each sample: its label, or where its target row peaks."""
        return self.labels if self.labels is not None else np.argmax(self.targets, axis=1)


def one_hot(labels: np.ndarray, classes: Optional[int], where: str) -> np.ndarray:
    if len(labels) and int(labels.min()) < 0:
        raise DatasetError(f"{where}: labels must be 0 or more, got {int(labels.min())}")
    n = int(labels.max()) + 1 if len(labels) else 0
    if classes is not None and n > classes:
        raise DatasetError(f"{where}: label {n - 1} does not fit {classes} classes (labels are 0..{classes - 1})")
    k = max(classes or 0, n, 2)
    if k > MAX_CLASSES:
        raise DatasetError(f"{where}: {k} classes; the limit is {MAX_CLASSES}")
    t = np.zeros((len(labels), k), np.int64)
    t[np.arange(len(labels)), labels] = ONE_HOT
    return t


def _matrix(a: np.ndarray, name: str, where: str) -> np.ndarray:
    if a.ndim == 1:
        a = a.reshape(-1, 1)
    if a.ndim != 2:
        raise DatasetError(f"{where}: {name} must be 2-D (one sample per row), got shape {list(a.shape)}")
    if a.size > MAX_VALUES:
        raise DatasetError(f"{where}: {name} has {a.size:,} values; the limit is {MAX_VALUES:,}")
    try:
        return int_array(a, f"{where}: {name}", I32_MIN, I32_MAX).reshape(a.shape)
    except TernsigError as exc:
        raise DatasetError(str(exc)) from None


def from_arrays(inputs: np.ndarray, targets: Optional[np.ndarray] = None, labels: Optional[np.ndarray] = None,
                source: str = "", classes: Optional[int] = None) -> Dataset:
    where = source or "dataset"
    x = _matrix(np.asarray(inputs), "inputs", where)
    lab = None
    if labels is not None:
        lab = _matrix(np.asarray(labels).reshape(-1), "labels", where).reshape(-1)
        y = one_hot(lab, classes, where)
    elif targets is not None:
        y = _matrix(np.asarray(targets), "targets", where)
    else:
        raise DatasetError(f"{where}: no targets (give 'targets' or 'labels')")
    if len(x) != len(y):
        raise DatasetError(f"{where}: {len(x)} input rows but {len(y)} target rows")
    if len(x) == 0:
        raise DatasetError(f"{where}: no samples")
    return Dataset(x, y, lab, source)


def _load_npz(path: Path, classes: Optional[int]) -> Dataset:
    try:
        with zipfile.ZipFile(path) as z:
            big = next((i for i in z.infolist() if i.file_size > 8 * MAX_VALUES + 4096), None)
            if big is not None:
                raise DatasetError(f"{path}: member {big.filename} is {big.file_size:,} bytes, too large")
        with np.load(path, allow_pickle=False) as f:
            names = set(f.files)
            if "inputs" not in names:
                raise DatasetError(f"{path}: no 'inputs' array (it has: {', '.join(sorted(names)) or 'nothing'})")
            arrays = {k: f[k] for k in ("inputs", "targets", "labels") if k in names}
    except DatasetError:
        raise
    except (zipfile.BadZipFile, zlib.error, NotImplementedError, ValueError, EOFError, KeyError) as exc:
        raise DatasetError(f"{path}: not a readable .npz file ({exc})") from None
    return from_arrays(arrays["inputs"], arrays.get("targets"), arrays.get("labels"), str(path), classes)


def _load_csv(path: Path, classes: Optional[int]) -> Dataset:
    size = path.stat().st_size
    if size > MAX_CSV_BYTES:
        raise DatasetError(f"{path}: {size:,} bytes; a CSV dataset is read whole, the limit is {MAX_CSV_BYTES:,} "
                           f"(use .npz for large datasets)")
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise DatasetError(f"{path}: not UTF-8 text (byte {exc.start})") from None
    rows = [(i, r) for i, r in enumerate(csv.reader(text.splitlines()), 1)
            if r and not r[0].lstrip().startswith("#") and any(c.strip() for c in r)]
    if not rows:
        raise DatasetError(f"{path}: empty (expected a header row, then one sample per line)")
    _, header = rows[0]
    names = [h.strip() for h in header]
    label_cols = [i for i, h in enumerate(names) if h.lower() == "label"]
    target_cols = [i for i, h in enumerate(names) if h.lower().startswith("target")]
    input_cols = [i for i in range(len(names)) if i not in label_cols and i not in target_cols]
    if len(label_cols) > 1:
        raise DatasetError(f"{path}:1: more than one 'label' column")
    if label_cols and target_cols:
        raise DatasetError(f"{path}:1: give either a 'label' column or 'target…' columns, not both")
    if not label_cols and not target_cols:
        raise DatasetError(f"{path}:1: the header names no 'label' or 'target…' column")
    if not input_cols:
        raise DatasetError(f"{path}:1: the header names no input column")
    if (len(rows) - 1) * len(names) > MAX_VALUES:
        raise DatasetError(f"{path}: more than {MAX_VALUES:,} values")
    values = np.zeros((len(rows) - 1, len(names)), np.int64)
    for r, (lineno, row) in enumerate(rows[1:]):
        if len(row) != len(names):
            raise DatasetError(f"{path}:{lineno}: {len(row)} values, the header has {len(names)} columns")
        for c, cell in enumerate(row):
            try:
                v = int(cell.strip(), 10)
            except ValueError:
                raise DatasetError(f"{path}:{lineno}: column {names[c]!r}: {cell.strip()!r} is not an integer") from None
            if not I32_MIN <= v <= I32_MAX:
                raise DatasetError(f"{path}:{lineno}: column {names[c]!r}: {v} is outside i32")
            values[r, c] = v
    x = values[:, input_cols]
    if label_cols:
        return from_arrays(x, labels=values[:, label_cols[0]], source=str(path), classes=classes)
    return from_arrays(x, values[:, target_cols], source=str(path))


def load_dataset(path: Path | str, classes: Optional[int] = None) -> Dataset:
    """Read ``.npz`` or ``.csv`` (by suffix). ``classes``: the one-hot width for labels (default
    the largest label + 1). A DatasetError (a TernsigError) for anything wrong with the file."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".npz":
        return _load_npz(path, classes)
    if suffix == ".csv":
        return _load_csv(path, classes)
    raise DatasetError(f"{path}: a dataset is a .npz or .csv file")
