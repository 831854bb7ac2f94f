"""Synthetic sequence tasks for the reference trainers: numpy only, seeded, nothing downloaded.

Token inputs reserve id 0 for padding; tagging targets use -1 for padded steps; CTC
label sequences use 1..K for the symbols and 0 for padding (the blank is an output
index, chosen by ``loss.blank``, never a label).

A config names a task with ``data.path: "synthetic:NAME"``, optionally with parameters
as a query string, e.g. ``synthetic:recall?n=512&classes=4``; ``data.max_len`` sets
the sequence length. A ``.npz`` file with arrays ``x`` and ``y`` (and optionally
``x_len``, ``y_len``) is read too and split by ``train.validation_split``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import numpy as np

TASK_KINDS = ("classification", "tagging", "ctc", "regression")


class TaskError(ValueError):
    """A data section the reference trainers cannot serve."""


@dataclass(frozen=True)
class Split:
    """One split of a data set.

    ``x``: int64 tokens (N, T) or float32 features (N, T, F); ``x_len``: valid steps per
    sequence; ``y``: classes (N,), tags (N, T) with -1 padding, or CTC labels (N, L) with
    0 padding; ``y_len``: CTC label lengths.
    """

    x: Any
    y: Any
    x_len: Any
    y_len: Any = None

    def __len__(self) -> int:
        return int(self.x.shape[0])

    def take(self, idx: Any) -> Split:
        return Split(self.x[idx], self.y[idx], self.x_len[idx], None if self.y_len is None else self.y_len[idx])


@dataclass(frozen=True)
class TaskData:
    name: str
    kind: str  # classification | tagging | ctc | regression
    train: Split
    val: Split | None
    num_classes: int  # output classes; for ctc the K symbols plus one blank; 1 output for regression
    vocab_size: int | None  # token inputs; None for feature inputs
    feature_dim: int | None  # feature inputs; None for tokens
    description: str

    @property
    def tokens(self) -> bool:
        return self.vocab_size is not None


def _split(x: Any, y: Any, x_len: Any, y_len: Any, n_val: int) -> tuple[Split, Split | None]:
    n = x.shape[0]
    tr = slice(0, n - n_val)
    va = slice(n - n_val, n)
    train = Split(x[tr], y[tr], x_len[tr], None if y_len is None else y_len[tr])
    val = Split(x[va], y[va], x_len[va], None if y_len is None else y_len[va]) if n_val > 0 else None
    return train, val


def recall(
    n: int = 1024,
    length: int = 30,
    classes: int = 4,
    noise_vocab: int = 16,
    label_noise: float = 0.0,
    n_val: int = 256,
    seed: int = 0,
) -> TaskData:
    """Long-range dependency: the class is the first token; the rest is noise.

    Class tokens are 1..classes, noise tokens come after them. ``label_noise`` flips that
    share of the training labels (validation labels stay clean), which gives a model
    something to memorise on a small training set.
    """
    rng = np.random.default_rng(seed)
    total = n + n_val
    y = rng.integers(0, classes, total)
    x = rng.integers(classes + 1, classes + 1 + noise_vocab, (total, length))
    x[:, 0] = y + 1
    if label_noise > 0:
        flip = rng.random(n) < label_noise
        y[:n] = np.where(flip, rng.integers(0, classes, n), y[:n])
    x_len = np.full(total, length)
    train, val = _split(x.astype(np.int64), y.astype(np.int64), x_len, None, n_val)
    return TaskData(
        "recall",
        "classification",
        train,
        val,
        classes,
        classes + 1 + noise_vocab,
        None,
        f"first-token recall over {length} steps, {classes} classes, chance {1 / classes:.2f}",
    )


def future_tagging(
    n: int = 1024, length: int = 20, classes: int = 4, vocab: int = 16, n_val: int = 256, seed: int = 0
) -> TaskData:
    """Tagging that needs the future: each token's tag is the class (id mod ``classes``) of the
    token after it; the last token gets the extra tag ``classes``. A left-to-right model
    can only guess; one that reads the sequence backwards too can be exact."""
    rng = np.random.default_rng(seed)
    total = n + n_val
    x = rng.integers(1, vocab, (total, length))
    y = np.empty_like(x)
    y[:, :-1] = x[:, 1:] % classes
    y[:, -1] = classes
    x_len = np.full(total, length)
    train, val = _split(x.astype(np.int64), y.astype(np.int64), x_len, None, n_val)
    return TaskData(
        "future_tagging",
        "tagging",
        train,
        val,
        classes + 1,
        vocab,
        None,
        f"tag = class of the next token, {length} steps, chance about {1 / classes:.2f}",
    )


def unaligned(
    n: int = 1024,
    symbols: int = 6,
    min_labels: int = 2,
    max_labels: int = 5,
    max_repeat: int = 4,
    noise: float = 0.6,
    silence: float = 0.3,
    n_val: int = 256,
    seed: int = 0,
) -> TaskData:
    """Unaligned sequences for CTC: each label symbol becomes 1..``max_repeat`` noisy frames
    (a one-hot of the symbol plus Gaussian noise), with silent noise-only frames between
    symbols at rate ``silence``. Targets are the label sequences (no two equal neighbours),
    without frame alignment. Frames are padded with zeros; ``x_len`` gives the valid length."""
    rng = np.random.default_rng(seed)
    total = n + n_val
    dim = symbols + 1  # one channel per symbol plus a silence channel
    labels: list[Any] = []
    frames: list[Any] = []
    for _ in range(total):
        count = int(rng.integers(min_labels, max_labels + 1))
        seq = [int(rng.integers(1, symbols + 1))]
        while len(seq) < count:
            s = int(rng.integers(1, symbols + 1))
            if s != seq[-1]:
                seq.append(s)
        ids: list[int] = []
        for s in seq:
            if rng.random() < silence:
                ids.extend([0] * int(rng.integers(1, 3)))
            ids.extend([s] * int(rng.integers(1, max_repeat + 1)))
        if rng.random() < silence:
            ids.append(0)
        feats = np.eye(dim, dtype=np.float32)[ids] + rng.normal(0.0, noise, (len(ids), dim)).astype(np.float32)
        labels.append(seq)
        frames.append(feats)
    max_t = max(f.shape[0] for f in frames)
    x = np.zeros((total, max_t, dim), np.float32)
    x_len = np.array([f.shape[0] for f in frames])
    y: Any = np.zeros((total, max_labels), np.int64)
    y_len = np.array([len(s) for s in labels])
    for i, (f, s) in enumerate(zip(frames, labels, strict=True)):
        x[i, : f.shape[0]] = f
        y[i, : len(s)] = s
    train, val = _split(x, y, x_len, y_len, n_val)
    return TaskData(
        "unaligned",
        "ctc",
        train,
        val,
        symbols + 1,
        None,
        dim,
        f"{min_labels}-{max_labels} symbols of {symbols}, each 1-{max_repeat} noisy frames, silences between (up to {max_t} frames)",
    )


def imbalanced(
    n: int = 1024, length: int = 20, vocab: int = 12, positive_rate: float = 0.08, n_val: int = 512, seed: int = 0
) -> TaskData:
    """Imbalanced binary classification: a sequence is positive (class 1, rare) when the marker
    token 1 occurs at least twice; negatives hold it at most once, so one sighting is not
    enough. Validation has the same imbalance; judge it by balanced accuracy."""
    rng = np.random.default_rng(seed)
    total = n + n_val
    y = (rng.random(total) < positive_rate).astype(np.int64)
    x = rng.integers(2, vocab, (total, length))
    for i in range(total):
        count = int(rng.integers(2, 4)) if y[i] else int(rng.integers(0, 2))
        pos = rng.choice(length, count, replace=False)
        x[i, pos] = 1
    x_len = np.full(total, length)
    train, val = _split(x.astype(np.int64), y, x_len, None, n_val)
    return TaskData(
        "imbalanced",
        "classification",
        train,
        val,
        2,
        vocab,
        None,
        f"marker token twice or more = positive, {positive_rate:.0%} positives, {length} steps",
    )


def adding(n: int = 1024, length: int = 100, n_val: int = 256, seed: int = 0) -> TaskData:
    """The adding problem (Hochreiter & Schmidhuber 1997; Le, Jaitly & Hinton 2015): each step
    carries a value drawn from U(0, 1) and a marker; two steps are marked, one in the first
    half and one in the second, and the target is the sum of their values. Predicting the
    mean (1.0) scores an MSE of 1/6 (0.167); doing better needs a memory of at least
    ``length / 2`` steps. Features (N, T, 2): value and marker; targets float32 (N,)."""
    rng = np.random.default_rng(seed)
    total = n + n_val
    half = length // 2
    values = rng.random((total, length)).astype(np.float32)
    marks: Any = np.zeros((total, length), np.float32)
    rows = np.arange(total)
    first = rng.integers(0, half, total)
    second = rng.integers(half, length, total)
    marks[rows, first] = 1.0
    marks[rows, second] = 1.0
    x = np.stack([values, marks], axis=-1)
    y = (values[rows, first] + values[rows, second]).astype(np.float32)
    train, val = _split(x, y, np.full(total, length), None, n_val)
    return TaskData(
        "adding",
        "regression",
        train,
        val,
        1,
        None,
        2,
        f"adding problem over {length} steps (one marker in each half), constant-predictor MSE 0.167",
    )


ADDING_BASELINE_MSE = 1.0 / 6.0  # the variance of the sum of two U(0, 1) values: what predicting the mean scores

TASKS: dict[str, Callable[..., TaskData]] = {
    "adding": adding,
    "recall": recall,
    "future_tagging": future_tagging,
    "unaligned": unaligned,
    "imbalanced": imbalanced,
}
_LENGTH_PARAM = {"adding": "length", "recall": "length", "future_tagging": "length", "imbalanced": "length"}


def _number(text: str) -> int | float:
    try:
        return int(text)
    except ValueError:
        return float(text)


def make_task(spec: str, *, seed: int, max_len: int | None = None, validation_split: float | None = None) -> TaskData:
    """Build a synthetic task from ``NAME`` or ``NAME?key=value&...``."""
    name, _, query = spec.partition("?")
    if name not in TASKS:
        raise TaskError(f"unknown synthetic task {name!r}; choose one of {', '.join(TASKS)}")
    params: dict[str, Any] = {"seed": seed}
    for key, value in parse_qsl(query, keep_blank_values=False, strict_parsing=bool(query)):
        params[key] = _number(value)
    if max_len is not None and name in _LENGTH_PARAM:
        params.setdefault(_LENGTH_PARAM[name], max_len)
    if validation_split is not None and "n_val" not in params:
        n = int(params.get("n", 1024))
        params["n_val"] = round(n * validation_split / (1.0 - validation_split))
    try:
        return TASKS[name](**params)
    except TypeError as exc:
        raise TaskError(f"synthetic:{name}: {exc}") from None


def load_npz(path: Path, kind: str, validation_split: float, seed: int) -> TaskData:
    """Arrays ``x`` (int tokens or float features), ``y`` and optionally ``x_len``/``y_len``."""
    with np.load(path) as arrays:
        x = arrays["x"]
        y = arrays["y"]
        x_len = arrays["x_len"] if "x_len" in arrays else np.full(x.shape[0], x.shape[1])
        y_len = arrays.get("y_len")
    if kind == "ctc" and y_len is None:
        y_len = (y > 0).sum(axis=1)
    order = np.random.default_rng(seed).permutation(x.shape[0])
    x, y, x_len = x[order], y[order], x_len[order]
    y_len = None if y_len is None else y_len[order]
    train, val = _split(x, y, x_len, y_len, round(x.shape[0] * validation_split))
    tokens = np.issubdtype(x.dtype, np.integer)
    classes = 1 if kind == "regression" else int(y.max()) + 1  # for ctc: the symbols 1..K plus the blank
    return TaskData(
        path.stem,
        kind,
        train,
        val,
        classes,
        int(x.max()) + 1 if tokens else None,
        None if tokens else int(x.shape[2]),
        f"arrays from {path}",
    )


def with_classes(data: TaskData, num_classes: int | None, vocab_size: int | None) -> TaskData:
    """Check a config's explicit sizes against the data (they may be larger, never smaller)."""
    if num_classes is not None and num_classes != data.num_classes:
        if num_classes < data.num_classes:
            raise TaskError(f"model.num_classes={num_classes} but the {data.name} task has {data.num_classes} output classes")
        data = replace(data, num_classes=num_classes)
    if vocab_size is not None and data.vocab_size is not None and vocab_size != data.vocab_size:
        if vocab_size < data.vocab_size:
            raise TaskError(f"model.vocab_size={vocab_size} but the {data.name} task uses {data.vocab_size} token ids")
        data = replace(data, vocab_size=vocab_size)
    return data
