"""TensorBoard event files, read with the ``tensorboard`` package's event accumulator (extra ``rnnlint[logs]``).

Scalars come in two forms: ``simple_value`` (``SummaryWriter.add_scalar``) and rank-0
tensors (``new_style=True``, TF2 ``tf.summary.scalar``); both are read. Sub-folders of a
run (``add_scalars`` writes ``loss_val/``, Keras writes ``train/`` and ``validation/``)
belong to that run and prefix their tags.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from rnnlint.diagnose.readers.base import MAX_POINTS, ReadError, add_metric
from rnnlint.diagnose.run import Point, Run

MISSING = "reading TensorBoard event files needs the tensorboard package: pip install 'rnnlint[logs]'"


def is_event_file(path: Path) -> bool:
    return "tfevents" in path.name


def _accumulator() -> Any:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")  # tensorboard imports tensorflow when present: keep it quiet
    try:
        from tensorboard.backend.event_processing import event_accumulator
    except ImportError as exc:
        raise ReadError(MISSING) from exc
    return event_accumulator


def _tensor_value(proto: Any) -> float | None:
    from tensorboard.util import tensor_util

    array = tensor_util.make_ndarray(proto)
    if array.size != 1 or array.dtype.kind not in "fiub":
        return None  # a histogram, text or image tensor: not a scalar
    return float(array.reshape(()).item())


def read_tensorboard(root: Path, folders: list[Path], mapping: dict[str, str] | None = None) -> Run:
    """One run: the event files directly in ``folders`` (``root`` and its sub-runs)."""
    ea = _accumulator()
    framework = "keras" if any(f.name in ("train", "validation") for f in folders) else "torch"
    run = Run(str(root), "tensorboard", framework)
    points = 0
    for folder in folders:
        prefix = "" if folder == root else folder.relative_to(root).as_posix() + "/"
        if prefix == "train/":
            prefix = ""  # Keras: train/epoch_loss is the loss
        for event_file in sorted(p for p in folder.iterdir() if p.is_file() and is_event_file(p)):
            acc = ea.EventAccumulator(str(event_file), size_guidance={ea.SCALARS: 0, ea.TENSORS: 0})
            try:
                acc.Reload()
            except Exception as exc:  # the accumulator raises several types on a corrupt record
                if not run.metrics:
                    raise ReadError(f"{event_file}: not a readable event file ({exc.__class__.__name__}: {exc})") from exc
                run.warnings.append(f"{event_file}: stopped at a corrupt record; judged what came before it")
            tags = acc.Tags()
            for tag in tags.get("scalars", []):
                for ev in acc.Scalars(tag):
                    points += add_metric(run, prefix + tag, Point(int(ev.step), None, float(ev.value)), mapping)
            for tag in tags.get("tensors", []):
                for tev in acc.Tensors(tag):
                    value = _tensor_value(tev.tensor_proto)
                    if value is not None:
                        points += add_metric(run, prefix + tag, Point(int(tev.step), None, value), mapping)
            if points >= MAX_POINTS:
                run.warnings.append(f"{root}: read the first {MAX_POINTS} values only")
                break
    if not run.metrics:
        raise ReadError(f"{root}: event files with no known scalar metric; name one with --column")
    run.finish()
    return run
