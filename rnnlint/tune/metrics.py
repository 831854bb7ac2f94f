"""A run's metric: read from its logs or its printed lines, and judged (NaN, divergence) to prune a trial.

Readers sit behind :class:`MetricReader`, tried in order; the first that finds the metric wins:

- :class:`CsvLogs`: CSV files in the run's folder with the metric as a column: rnnlint's own ``curves.csv``
  (:mod:`rnnlint.reference.curves`), Lightning's ``CSVLogger`` ``metrics.csv`` (sparse rows) and Keras's
  ``CSVLogger`` (any name, ``.csv`` or ``.log``);
- the last ``metric=value`` (or ``metric: value``) the script printed, from its captured output.

``rnnlint diagnose`` (issue 21) brings readers for TensorBoard events, MLflow and Keras History JSON and its
RNN6xx findings: they plug in as more :class:`MetricReader` entries in :data:`READERS` and as a
:func:`verdict` that asks the advisor, without changing the trials.
"""

from __future__ import annotations

import csv
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

MAX_FILES = 200  # log files looked at per run folder (a run writing thousands of files is not scanned whole)
DIVERGENCE = 10.0  # a minimised metric this many times above its best so far has diverged
_NUMBER = r"[-+]?(?:\d+\.?\d*(?:[eE][-+]?\d+)?|\.\d+(?:[eE][-+]?\d+)?|nan|NaN|NAN|inf|Inf|INF|-inf|-Inf)"


@dataclass
class Curve:
    """One metric's values in the order the run produced them, and where they were read."""

    metric: str
    values: list[float] = field(default_factory=list)
    source: str = ""

    @property
    def last(self) -> float:
        return self.values[-1]


class MetricReader(Protocol):
    """Reads one metric's values from a finished (or running) run's folder; None when it has none."""

    name: str

    def read(self, folder: Path, metric: str) -> Curve | None: ...


def _number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


class CsvLogs:
    """CSV logs with a header row naming the metric (rnnlint curves.csv, Lightning metrics.csv, Keras CSVLogger)."""

    name = "csv"

    def read(self, folder: Path, metric: str) -> Curve | None:
        best: Curve | None = None
        for path in _log_files(folder):
            curve = self._read_one(path, metric)
            if curve is not None and curve.values and (best is None or path.name == "curves.csv"):
                best = curve  # rnnlint's own curves.csv wins over other logs that also hold the metric
        return best

    @staticmethod
    def _read_one(path: Path, metric: str) -> Curve | None:
        try:
            with path.open(newline="", encoding="utf-8", errors="replace") as fh:
                reader = csv.reader(fh)
                header = next(reader, None)
                if not header or metric not in header:
                    return None
                col = header.index(metric)
                values = [v for row in reader if len(row) > col and (v := _number(row[col].strip())) is not None]
        except (OSError, csv.Error):
            return None
        return Curve(metric, values, str(path))


def _log_files(folder: Path) -> Iterable[Path]:
    if not folder.is_dir():
        return []
    found = []
    for path in sorted(folder.rglob("*")):
        if path.suffix in (".csv", ".log") and path.is_file():
            found.append(path)
            if len(found) >= MAX_FILES:
                break
    return found


READERS: list[MetricReader] = [CsvLogs()]


def printed_values(line: str, metric: str) -> list[float]:
    """Every ``metric=value`` / ``metric: value`` on one printed line (also inside dicts: ``'val_loss': 0.5``)."""
    pattern = _printed_pattern(metric)
    return [float(m.group(1)) for m in pattern.finditer(line)]


_PATTERNS: dict[str, re.Pattern[str]] = {}


def _printed_pattern(metric: str) -> re.Pattern[str]:
    if metric not in _PATTERNS:
        _PATTERNS[metric] = re.compile(rf"(?<![\w/.-])['\"]?{re.escape(metric)}['\"]?\s*[=:]\s*({_NUMBER})(?![\w.])")
    return _PATTERNS[metric]


def read_metric(folders: list[Path], metric: str, printed: list[float]) -> Curve | None:
    """The metric's curve from the run's logs, else from its printed lines; None when neither has it."""
    for reader in READERS:
        for folder in folders:
            curve = reader.read(folder, metric)
            if curve is not None and curve.values:
                return curve
    return Curve(metric, list(printed), "printed output") if printed else None


def minimises(metric: str) -> bool:
    """Losses and error rates go down; accuracies, F1, AUC, BLEU go up."""
    name = metric.lower()
    return not any(w in name for w in ("acc", "f1", "auc", "bleu", "precision", "recall", "score", "r2", "map"))


def verdict(values: list[float], minimize: bool) -> str | None:
    """Why a run should stop now (the advisor's NaN and divergence findings), or None while it looks healthy."""
    if not values:
        return None
    last = values[-1]
    if not math.isfinite(last):
        return f"non-finite value ({last}) after {len(values)} report{'s' if len(values) != 1 else ''}"
    finite = [v for v in values[:-1] if math.isfinite(v)]
    if minimize and finite:
        best = min(finite)
        if best > 0 and last > DIVERGENCE * best and last > finite[0]:
            return f"diverged: {last:.4g} is over {DIVERGENCE:g}x the best value so far ({best:.4g})"
    return None
