"""Loss curves (guideline T4): a CSV per run, a PNG when matplotlib is installed, and a verdict."""

from __future__ import annotations

import csv
import math
import textwrap
from collections.abc import Sequence
from pathlib import Path
from typing import Any

COLUMNS = (
    "epoch",
    "lr",
    "train_loss",
    "train_acc",
    "val_loss",
    "val_acc",
    "val_balanced_acc",
    "val_ler",
    "grad_norm",
    "clip_rate",
    "nan_events",
    "seconds",
)

# T4 thresholds, on accuracy rescaled so that chance is 0 and perfect is 1.
UNDERFIT_BELOW = 0.6
OVERFIT_GAP = 0.1


def write_csv(path: Path, rows: Sequence[dict[str, Any]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=COLUMNS, extrasaction="ignore")
        writer.writeheader()
        for row in rows:
            writer.writerow({k: _cell(row.get(k)) for k in COLUMNS})


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.6g}"
    return value


def jsonable(value: Any) -> Any:
    """Non-finite floats become null, so that the JSON is valid; containers are walked."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    return value


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="") as fh:
        return list(csv.DictReader(fh))


def verdict(metrics: dict[str, Any], chance: float) -> tuple[str, str]:
    """Underfitting, overfitting or a good fit, from the end-of-training accuracies (T4)."""
    if metrics.get("diverged"):
        return "diverged", "the loss became non-finite; lower the learning rate (D6.1) and clip gradients (D6.4)"
    train, val = metrics.get("train_eval_acc"), metrics.get("val_acc")
    if train is None:
        return "unknown", "no training accuracy"
    scale = max(1.0 - chance, 1e-9)
    train_n = (train - chance) / scale
    if val is None:
        if train_n < UNDERFIT_BELOW:
            return "underfitting", "training accuracy is low (no validation set); add capacity or train longer"
        return "unknown", "no validation set, so overfitting cannot be judged; set train.validation_split"
    val_n = (val - chance) / scale
    if train_n < UNDERFIT_BELOW and val_n < UNDERFIT_BELOW:
        return "underfitting", (
            f"train {train:.3f} and validation {val:.3f} accuracy are both low: add capacity "
            "(layers, units), lower dropout or L2, or train longer"
        )
    if train - val > OVERFIT_GAP:
        return "overfitting", (
            f"train accuracy {train:.3f} is well above validation {val:.3f}: more dropout or L2, more data, or stop earlier"
        )
    return "good fit", f"train {train:.3f} and validation {val:.3f} accuracy are close and above chance"


def plot_available() -> bool:
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        return False
    return True


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _finite(values: Sequence[Any]) -> list[float]:
    return [float(v) if v is not None and math.isfinite(float(v)) else math.nan for v in values]


def plot_run(path: Path, rows: Sequence[dict[str, Any]], title: str) -> Path | None:
    """Train/validation loss and accuracy per epoch; None when matplotlib is missing."""
    if not plot_available() or not rows:
        return None
    plt = _pyplot()
    epochs = [r["epoch"] for r in rows]
    fig, (ax_loss, ax_acc) = plt.subplots(1, 2, figsize=(9, 3.4))
    for key, ax, label in (
        ("train_loss", ax_loss, "train"),
        ("val_loss", ax_loss, "validation"),
        ("train_acc", ax_acc, "train"),
        ("val_acc", ax_acc, "validation"),
    ):
        ys = _finite([r.get(key) for r in rows])
        if any(not math.isnan(y) for y in ys):
            ax.plot(epochs, ys, marker="o", markersize=3, label=label)
    ax_loss.set_title("loss")
    ax_acc.set_title("accuracy")
    for ax in (ax_loss, ax_acc):
        ax.set_xlabel("epoch")
        ax.legend()
        ax.grid(alpha=0.3)
    fig.suptitle(textwrap.fill(title, 90), fontsize=10)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return path


COLORS = {"guideline": "tab:blue", "baseline": "tab:orange"}


def plot_seeds(
    path: Path, arms: dict[str, Sequence[Sequence[dict[str, Any]]]], key: str, title: str, log: bool = False
) -> Path | None:
    """One validation metric per epoch for every seed of each arm: one thin line per seed, one
    colour per arm, so that the spread between seeds is as visible as the difference between arms."""
    if not plot_available():
        return None
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6, 3.6))
    for label, runs in arms.items():
        for i, rows in enumerate(runs):
            ys = _finite([r.get(key) for r in rows])
            ax.plot(
                [r["epoch"] for r in rows],
                ys,
                color=COLORS.get(label),
                alpha=0.75,
                linewidth=1.2,
                marker="o",
                markersize=2,
                label=f"{label} ({len(runs)} seeds)" if i == 0 else None,
            )
    if log:
        ax.set_yscale("log")
    ax.set_xlabel("epoch")
    ax.set_ylabel(key)
    ax.set_title(textwrap.fill(title, 60), fontsize=9)
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return path
