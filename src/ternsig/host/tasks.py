"""Environments a brain can be run against: each tick gives an input and a target, then scores.

``task patterns ...`` generates noisy prototypes; ``task dataset file=NAME`` serves a user's
dataset (``.npz`` or CSV, see :mod:`ternsig.dataset`) from inside the brain directory.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Optional, Union

import numpy as np

from ..errors import HostError

if TYPE_CHECKING:
    from ..dataset import Dataset


@dataclass
class Sample:
    x: np.ndarray          # int32 input for regions reading "@env"
    target: np.ndarray     # int32 target for regions with target=@env
    label: int


class PatternTask:
    """Noisy prototype classification: ``classes`` binary prototypes of ``width`` features.

    Each tick draws a class, emits its prototype (features 0 or 200) plus integer noise, and
    expects the answering region's output to peak at the class index. Deterministic per seed.
    """

    def __init__(self, classes: int = 4, width: int = 16, noise: int = 24, seed: int = 7):
        if not 2 <= classes <= 64 or not 2 <= width <= 1024 or noise < 0:
            raise HostError(f"task patterns: classes 2..64, width 2..1024, noise ≥ 0 (got {classes}, {width}, {noise})")
        if seed < 0:
            raise HostError(f"task patterns: seed must not be negative, got {seed}")
        rng = np.random.default_rng(seed)
        protos = np.zeros((classes, width), np.int64)
        per = max(1, width // classes)
        for c in range(classes):               # each class owns a band of features, plus random extras
            protos[c, (c * per) % width:(c * per) % width + per] = 1
            protos[c] |= rng.random(width) < 0.15
        self.protos = protos * 200
        self.classes, self.width, self.noise = classes, width, noise
        self.rng = np.random.default_rng(seed + 1)

    OPTIONS = {"classes": 4, "width": 16, "noise": 24, "seed": 7}

    @classmethod
    def from_config(cls, spec: dict[str, str]) -> "PatternTask":
        unknown = sorted(set(spec) - set(cls.OPTIONS) - {"kind"})
        if unknown:
            raise HostError(f"task patterns: unknown option {unknown[0]!r} (options: {', '.join(cls.OPTIONS)})")
        values = {}
        for name, default in cls.OPTIONS.items():
            text = spec.get(name, str(default))
            try:
                values[name] = int(text, 0)
            except ValueError:
                raise HostError(f"task patterns: {name} must be an integer, got {text!r}") from None
        return cls(**values)

    def sample(self) -> Sample:
        label = int(self.rng.integers(self.classes))
        noise = self.rng.integers(-self.noise, self.noise + 1, self.width) if self.noise else 0
        x = np.maximum(self.protos[label] + noise, 0).astype(np.int32)
        target = np.zeros(self.classes, np.int32)
        target[label] = 255
        return Sample(x, target, label)

    def correct(self, output: np.ndarray, label: int) -> bool:
        return peaks_at(output, label, self.classes)


def peaks_at(output: np.ndarray, label: int, classes: int) -> bool:
    """The first ``classes`` outputs have a unique maximum, at ``label``."""
    out = np.asarray(output[:classes], dtype=np.int64).tolist()    # a handful of values: Python is faster
    if len(out) < classes or not out:
        return False
    top = max(out)
    return out.count(top) == 1 and 0 <= label < len(out) and out[label] == top


class DatasetTask:
    """A user's dataset: each tick draws a sample (uniformly, with replacement, deterministic per
    seed) and scores the answering region like ``patterns``: correct when its output peaks at the
    sample's class (its label, or where its target row peaks). Targets need two or more values.

    ``.config``: ``task dataset file=data.npz [seed=7] [classes=K]`` — ``file`` is a path inside
    the brain directory (``.npz``: ``inputs`` + ``targets`` or ``labels``; ``.csv``: header with
    ``label`` or ``target…`` columns); ``classes`` widens label one-hot targets."""

    OPTIONS = ("file", "seed", "classes")

    def __init__(self, data: "Dataset", seed: int = 7):
        if data.targets.shape[1] < 2:
            raise HostError(f"task dataset: {data.source}: targets need two or more values per sample "
                            f"(the brain scores where the output peaks)")
        if seed < 0:
            raise HostError(f"task dataset: seed must not be negative, got {seed}")
        self.data = data
        self.x = data.inputs.astype(np.int32)
        self.y = np.clip(data.targets, -255, 255).astype(np.int32)
        self.labels = data.classes.astype(np.int64)
        self.classes = int(self.y.shape[1])
        self.rng = np.random.default_rng(seed)

    @classmethod
    def from_config(cls, spec: dict[str, str], base: Optional[Union[str, Path]] = None) -> "DatasetTask":
        from ..confine import inside
        from ..dataset import load_dataset

        unknown = sorted(set(spec) - set(cls.OPTIONS) - {"kind"})
        if unknown:
            raise HostError(f"task dataset: unknown option {unknown[0]!r} (options: {', '.join(cls.OPTIONS)})")
        if "file" not in spec:
            raise HostError("task dataset: needs file=NAME (a .npz or .csv inside the brain directory)")
        ints = {}
        for name in ("seed", "classes"):
            if name in spec:
                try:
                    ints[name] = int(spec[name], 0)
                except ValueError:
                    raise HostError(f"task dataset: {name} must be an integer, got {spec[name]!r}") from None
        path = inside(base or ".", spec["file"], "dataset file")
        try:
            data = load_dataset(path, ints.get("classes"))
        except OSError as exc:
            raise HostError(f"task dataset: cannot read {path}: {exc.strerror or exc}") from None
        return cls(data, ints.get("seed", 7))

    def sample(self) -> Sample:
        i = int(self.rng.integers(len(self.x)))
        return Sample(self.x[i].copy(), self.y[i].copy(), int(self.labels[i]))

    def correct(self, output: np.ndarray, label: int) -> bool:
        return peaks_at(output, label, self.classes)


TASKS = {"patterns": PatternTask, "dataset": DatasetTask}


def make_task(spec: dict[str, str] | None, base: Optional[Union[str, Path]] = None) -> "PatternTask | DatasetTask | None":
    """The task a ``.config`` ``task`` line declares; ``base``: the brain directory (files of a
    dataset task are resolved inside it)."""
    if spec is None:
        return None
    kind = spec.get("kind")
    if kind not in TASKS:
        raise HostError(f"unknown task {kind!r} (known: {', '.join(TASKS)})")
    if kind == "dataset":
        return DatasetTask.from_config(spec, base)
    return TASKS[kind].from_config(spec)
