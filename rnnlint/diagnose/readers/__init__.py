"""Find the logs under a path and read each into a :class:`~rnnlint.diagnose.run.Run`."""

from __future__ import annotations

from pathlib import Path

from rnnlint.diagnose.readers.base import ReadError
from rnnlint.diagnose.run import Run

__all__ = ["ReadError", "find_logs", "read_log"]

# Folders a walk never enters: environments, caches, MLflow's artifacts (models, not metrics).
_SKIP = {".git", ".venv", "venv", "__pycache__", "node_modules", "artifacts", ".rnnlint_cache", "checkpoints"}
_KERAS_SUBRUNS = ("train", "validation", "eval")


def _event_roots(folders: set[Path], top: Path) -> dict[Path, list[Path]]:
    """Group folders holding event files into runs: a folder with events owns the ones below it."""
    roots: dict[Path, list[Path]] = {}
    for folder in sorted(folders, key=lambda p: len(p.parts)):
        owner = next((r for r in roots if r in folder.parents), None)
        if owner is None and folder.name in _KERAS_SUBRUNS and folder != top:
            owner = folder.parent
            roots.setdefault(owner, [])
        if owner is None:
            roots[folder] = [folder]
        else:
            roots[owner].append(folder)
    return roots


def find_logs(path: Path) -> list[tuple[str, Path, list[Path]]]:
    """(kind, path, event folders) for each log under ``path``; kind is tensorboard, csv, history or mlflow."""
    from rnnlint.diagnose.readers.mlflow_store import is_run_folder
    from rnnlint.diagnose.readers.tensorboard import is_event_file

    if path.is_file():
        if is_event_file(path):
            return [("tensorboard", path.parent, [path.parent])]
        if path.suffix.lower() == ".json":
            return [("history", path, [])]
        return [("csv", path, [])]
    if is_run_folder(path):
        return [("mlflow", path, [])]
    found: list[tuple[str, Path, list[Path]]] = []
    event_folders: set[Path] = set()
    stack = [path]
    while stack:
        folder = stack.pop()
        try:
            entries = sorted(folder.iterdir())
        except OSError:
            continue
        if folder != path and is_run_folder(folder):
            found.append(("mlflow", folder, []))
            continue
        for entry in entries:
            if entry.is_dir():
                if entry.name not in _SKIP and not entry.name.startswith("."):
                    stack.append(entry)
            elif is_event_file(entry):
                event_folders.add(folder)
            elif entry.suffix.lower() == ".csv":
                found.append(("csv", entry, []))
            elif entry.suffix.lower() == ".json" and "history" in entry.stem.lower():
                found.append(("history", entry, []))
    for root, folders in _event_roots(event_folders, path).items():
        found.append(("tensorboard", root, folders))
    return sorted(found, key=lambda item: str(item[1]))


def read_log(kind: str, path: Path, folders: list[Path], mapping: dict[str, str] | None = None) -> Run:
    """Read one log found by :func:`find_logs`; ReadError when it cannot be read at all."""
    if kind == "tensorboard":
        from rnnlint.diagnose.readers.tensorboard import read_tensorboard

        return read_tensorboard(path, folders, mapping)
    if kind == "mlflow":
        from rnnlint.diagnose.readers.mlflow_store import read_mlflow_run

        return read_mlflow_run(path, mapping)
    if kind == "history":
        from rnnlint.diagnose.readers.history import read_history

        return read_history(path, mapping)
    from rnnlint.diagnose.readers.csvlog import read_csv

    return read_csv(path, mapping)
