"""CSV logs: Lightning ``CSVLogger`` (sparse step/epoch rows), Keras ``CSVLogger``, rnnlint's
``curves.csv`` and any CSV with a column mapping. One reader: they differ only in their header."""

from __future__ import annotations

import csv
from pathlib import Path

from rnnlint.diagnose.readers.base import MAX_POINTS, ReadError, add_metric, as_int, looks_binary, number
from rnnlint.diagnose.run import Point, Run

# rnnlint.reference.curves.COLUMNS, repeated (not imported) so that reading a log never imports the trainers.
CURVES_HEAD = ("epoch", "lr", "train_loss", "train_acc", "val_loss")


def _flavour(path: Path, header: list[str]) -> tuple[str, str]:
    """(format, framework) from the header: the loggers write recognisable first columns."""
    cols = [h.strip() for h in header]
    if tuple(cols[: len(CURVES_HEAD)]) == CURVES_HEAD and "clip_rate" in cols:
        return "rnnlint-curves", "rnnlint"
    if path.name == "metrics.csv" and "step" in cols:
        return "lightning-csv", "lightning"
    if cols and cols[0] == "epoch":
        return "keras-csv", "keras"
    return "csv", "unknown"


def read_csv(path: Path, mapping: dict[str, str] | None = None) -> Run:
    if looks_binary(path):
        raise ReadError(f"{path}: not a text CSV file")
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError as exc:
        raise ReadError(f"{path}: cannot read: {exc.strerror or exc}") from exc
    lines = text.splitlines()
    rows = csv.reader(lines)
    try:
        header = next(rows)
    except StopIteration:
        raise ReadError(f"{path}: empty file") from None
    except csv.Error as exc:
        raise ReadError(f"{path}: not a CSV file: {exc}") from exc
    fmt, framework = _flavour(path, header)
    run = Run(str(path), fmt, framework, text=text)
    cols = [h.strip() for h in header]
    step_col = cols.index("step") if "step" in cols else None
    epoch_col = cols.index("epoch") if "epoch" in cols else None
    known = [i for i, c in enumerate(cols) if i not in (step_col, epoch_col)]
    bad = points = 0
    try:
        for row in rows:
            line = rows.line_num
            if not row:
                continue
            step = as_int(number(row[step_col])) if step_col is not None and step_col < len(row) else None
            epoch = as_int(number(row[epoch_col])) if epoch_col is not None and epoch_col < len(row) else None
            if step is None and epoch is None and step_col is None and epoch_col is None:
                step = line - 2  # a CSV without an index column: its rows are the steps
            for i in known:
                if i >= len(row) or not row[i].strip():
                    continue  # Lightning's rows are sparse: each names only what was logged then
                value = number(row[i])
                if value is None:
                    bad += 1
                    continue
                if add_metric(run, cols[i], Point(step, epoch, value, line), mapping):
                    points += 1
            if points >= MAX_POINTS:
                run.warnings.append(f"{path}: read the first {line} lines only (more than {MAX_POINTS} values)")
                break
    except csv.Error as exc:
        run.warnings.append(f"{path}:{rows.line_num}: malformed CSV ({exc}); judged the lines before it")
    if bad:
        run.warnings.append(f"{path}: {bad} value{'s' if bad != 1 else ''} that are not numbers skipped")
    if not run.metrics:
        missing = ", ".join(cols[i] for i in known) or "none"
        raise ReadError(
            f"{path}: no known metric among the columns ({missing}); name them with --column, e.g. --column val_loss=COLUMN"
        )
    run.finish()
    return run
