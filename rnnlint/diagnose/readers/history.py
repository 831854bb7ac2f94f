"""A Keras ``History.history`` dumped as JSON (``json.dump(history.history, f)``)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from rnnlint.diagnose.readers.base import ReadError, add_metric, number
from rnnlint.diagnose.run import Point, Run


def read_history(path: Path, mapping: dict[str, str] | None = None) -> Run:
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError as exc:
        raise ReadError(f"{path}: cannot read: {exc.strerror or exc}") from exc
    if not text.strip():
        raise ReadError(f"{path}: empty file")
    try:
        data: Any = json.loads(text)  # json reads the NaN / Infinity that json.dump writes
    except json.JSONDecodeError as exc:
        raise ReadError(f"{path}: not valid JSON (line {exc.lineno}: {exc.msg}); a truncated file?") from exc
    if isinstance(data, dict) and isinstance(data.get("history"), dict):
        data = data["history"]
    if not isinstance(data, dict) or not all(isinstance(v, list) for v in data.values()):
        raise ReadError(f"{path}: not a Keras History (expected an object of metric name -> list of values)")
    epochs = data.get("epoch")
    run = Run(str(path), "keras-history", "keras")
    for raw, values in data.items():
        if raw == "epoch":
            continue
        for i, v in enumerate(values):
            value = number(str(v)) if v is not None else None
            if value is None:
                continue
            epoch = epochs[i] if isinstance(epochs, list) and i < len(epochs) and isinstance(epochs[i], int) else i
            add_metric(run, raw, Point(None, epoch, value), mapping)
    if not run.metrics:
        raise ReadError(f"{path}: no known metric among {', '.join(map(str, data)) or 'no keys'}; name one with --column")
    run.finish()
    return run
