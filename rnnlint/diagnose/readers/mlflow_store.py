"""An MLflow file-store run folder (``mlruns/<experiment>/<run>/``), read as plain files.

The file store's layout is small and stable: ``meta.yaml``, ``metrics/<name>`` with one
``timestamp value step`` line per logged value (names may nest in folders), ``tags/<name>``.
Reading it directly avoids importing mlflow, whose client refuses new file stores
(``MLFLOW_ALLOW_FILE_STORE``) and pulls in a web stack; the tests write the folders with mlflow.
"""

from __future__ import annotations

from pathlib import Path

from rnnlint.diagnose.readers.base import MAX_POINTS, ReadError, add_metric, as_int, number
from rnnlint.diagnose.run import Point, Run

# mlflow.autolog records the flavour that logged a run in this tag.
_FLAVOURS = {
    "keras": "keras",
    "tensorflow": "keras",
    "pytorch": "torch",
    "pytorch_lightning": "lightning",
    "lightning": "lightning",
}


def is_run_folder(path: Path) -> bool:
    return (path / "meta.yaml").is_file() and (path / "metrics").is_dir()


def read_mlflow_run(path: Path, mapping: dict[str, str] | None = None) -> Run:
    run = Run(str(path), "mlflow", _framework(path))
    metrics = path / "metrics"
    points = 0
    for f in sorted(p for p in metrics.rglob("*") if p.is_file()):
        raw = f.relative_to(metrics).as_posix()
        try:
            text = f.read_text(encoding="utf-8", errors="replace")
        except OSError as exc:
            raise ReadError(f"{f}: cannot read: {exc.strerror or exc}") from exc
        for lineno, line in enumerate(text.splitlines(), 1):
            parts = line.split()
            if len(parts) < 2:
                continue  # a line cut short by a crash
            value = number(parts[1])
            step = as_int(number(parts[2])) if len(parts) > 2 else lineno - 1
            if value is not None and add_metric(run, raw, Point(step, None, value, lineno), mapping):
                points += 1
            if points >= MAX_POINTS:
                run.warnings.append(f"{path}: read the first {MAX_POINTS} values only")
                break
    if not run.metrics:
        names = ", ".join(sorted(p.relative_to(metrics).as_posix() for p in metrics.rglob("*") if p.is_file())) or "none"
        raise ReadError(f"{path}: MLflow run with no known metric (logged: {names}); name one with --column")
    run.finish()
    return run


def _framework(path: Path) -> str:
    tag = path / "tags" / "mlflow.autologging"
    try:
        return _FLAVOURS.get(tag.read_text(encoding="utf-8").strip(), "unknown") if tag.is_file() else "unknown"
    except OSError:
        return "unknown"
