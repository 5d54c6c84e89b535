"""Environments a brain can be run against: each tick gives an input and a target, then scores."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import HostError


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
        out = np.asarray(output[: self.classes], dtype=np.int64)
        if len(out) < self.classes:
            return False
        best = np.flatnonzero(out == out.max())
        return len(best) == 1 and int(best[0]) == label


TASKS = {"patterns": PatternTask}


def make_task(spec: dict[str, str] | None) -> PatternTask | None:
    if spec is None:
        return None
    kind = spec.get("kind")
    if kind not in TASKS:
        raise HostError(f"unknown task {kind!r} (known: {', '.join(TASKS)})")
    return TASKS[kind].from_config(spec)
