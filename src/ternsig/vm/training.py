"""Training a learning program on a dataset: ``Interpreter.fit`` and ``ternsig train``.

A learning firmware learns in its own run: it loads an input (``load_input``) and a target
(``load_target``), computes its output and updates its weights (mastery learning, gated by the
machine's dopamine). Training is therefore just running it once per sample, in order, epoch after
epoch; the weights carry over from one run to the next. Each epoch is scored on the outputs the
program produced *while* learning (what the brain's accuracy window measures too).

Scores: ``accuracy`` — the fraction of samples whose output peaks (a unique maximum) at the index
where the target peaks, when targets have two or more values (classification with one-hot-like
targets); ``mae`` — the mean absolute difference between output and target over the target's
length (outputs shorter than the target count as 0 there).

Dopamine gates mastery learning (no learning below 76). ``dopamine="on-error"`` (the default)
does what the example brain's regulation region does: before each sample, dopamine is 123
(learning on) when the previous sample was answered wrong and 60 (learning off) when it was
answered right, so weights move only on mistakes — measured on the example learner with the
pattern task: ~75 % in the first epoch of 200 samples, 100 % from the third. An integer holds
dopamine at that level for the whole run; None leaves the machine's chemicals alone.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Optional, Union

import numpy as np

from ..errors import UsageError
from ..intmath import I32_MAX, I32_MIN, int_array, int_rows

#: dopamine levels of the "on-error" schedule (the example brain's regulation region)
LEARN_DOPAMINE, REST_DOPAMINE = 123, 60


@dataclass(frozen=True)
class EpochScore:
    epoch: int                  # 1-based
    samples: int
    accuracy: Optional[float]   # None when targets have a single value (no classes to compare)
    mae: float

    def __str__(self) -> str:
        acc = f"accuracy {self.accuracy:6.1%}  " if self.accuracy is not None else ""
        return f"epoch {self.epoch:>4}  {acc}mean |output − target| {self.mae:8.2f}"


def as_rows(values: Any, what: str) -> np.ndarray:
    """A 2-D int64 array (one sample per row) of i32 integers, or a UsageError."""
    return int_rows(values, what, I32_MIN, I32_MAX, vector="column")[0]


def correct(output: np.ndarray, target: np.ndarray) -> bool:
    """The output peaks (a unique maximum over the target's length) where the target peaks."""
    k = min(len(target), len(output))
    if k == 0:
        return False
    o = np.asarray(output[:k], np.int64)
    if k < len(target):
        o = np.concatenate([o, np.zeros(len(target) - k, np.int64)])
    best = np.flatnonzero(o == o.max())
    return len(best) == 1 and int(best[0]) == int(np.argmax(target))


def score_epoch(epoch: int, outputs: list[np.ndarray], targets: np.ndarray) -> EpochScore:
    n, width = targets.shape
    err = 0
    hits = 0
    for out, t in zip(outputs, targets):
        o = np.zeros(width, np.int64)
        k = min(width, len(out))
        o[:k] = out[:k]
        err += int(np.abs(o - t).sum())
        if width >= 2:
            hits += int(correct(out, t))
    return EpochScore(epoch, n, hits / n if width >= 2 and n else None, err / max(1, n * width))


def fit(interp: Any, inputs: Any, targets: Any, epochs: int = 1, fuel: Optional[int] = None,
        dopamine: Union[str, int, None] = "on-error",
        on_sample: Optional[Callable[[int, int], None]] = None,
        on_epoch: Optional[Callable[[EpochScore], None]] = None) -> list[EpochScore]:
    """Run ``interp``'s program once per (input, target) row, ``epochs`` times; return a score per
    epoch. ``on_sample(epoch, index)`` runs after each sample (progress bars), ``on_epoch(score)``
    after each epoch. A trap raises :class:`~ternsig.errors.Trap` naming the sample."""
    x = as_rows(inputs, "inputs")
    y = as_rows(targets, "targets")
    if len(x) != len(y):
        raise UsageError(f"{len(x)} input rows but {len(y)} target rows")
    if len(x) == 0:
        raise UsageError("the dataset has no samples")
    if epochs < 1:
        raise UsageError(f"epochs must be 1 or more, got {epochs}")
    on_error = dopamine == "on-error"
    if on_error and y.shape[1] < 2:
        raise UsageError("dopamine 'on-error' needs class targets (two or more values per row); "
                         "give a constant dopamine level instead")
    if not on_error and dopamine is not None:
        level = int_array(dopamine, "dopamine", 0, 255)
        if level.size != 1:
            raise UsageError("dopamine: 'on-error', one integer 0..255, or None")
        interp.m.chem.dopamine = int(level[0])
    m = interp.m
    scores = []
    right = False
    for e in range(1, epochs + 1):
        outs = []
        for i in range(len(x)):
            if on_error:
                m.chem.dopamine = REST_DOPAMINE if right else LEARN_DOPAMINE
            m.pc = 0
            m.set_input(x[i].astype(np.int32))
            m.set_target(y[i])
            res = interp.run(fuel)
            if not res.ok:
                res.message = f"epoch {e}, sample {i}: {res.message or res.status.value}"
                res.raise_for_trap()
            outs.append(m.output.copy())
            if on_error:
                right = correct(outs[-1], y[i])
            if on_sample is not None:
                on_sample(e, i)
        score = score_epoch(e, outs, y)
        scores.append(score)
        if on_epoch is not None:
            on_epoch(score)
    return scores
