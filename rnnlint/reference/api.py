"""``train`` and ``overfit`` entry points: a YAML recipe in rnnlint's config schema, a framework, a folder."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

from rnnlint.reference.curves import jsonable
from rnnlint.reference.loop import FRAMEWORKS, make_plan, overfit_check, run
from rnnlint.reference.tasks import TASK_KINDS, TaskData, TaskError, load_npz, make_task, with_classes
from rnnlint.settings.recipe import TrainingConfig

SYNTHETIC = "synthetic:"


def load_config(path: str | Path) -> TrainingConfig:
    """The recipe from YAML (or JSON), validated by the same schema the linter checks."""
    text = Path(path).read_text(encoding="utf-8")
    return TrainingConfig.model_validate(yaml.safe_load(text) or {})


def load_data(cfg: TrainingConfig, base: Path | None = None) -> TaskData:
    """``data.path`` is ``synthetic:NAME[?k=v&...]`` or a ``.npz`` file (relative to the config)."""
    kind = cfg.data.task
    if kind not in TASK_KINDS:
        raise TaskError(f"data.task {kind!r} is not supported by the reference trainers ({', '.join(TASK_KINDS)})")
    path = cfg.data.path
    if path is None:
        raise TaskError(
            "data.path is missing: use synthetic:recall, synthetic:future_tagging, synthetic:unaligned, "
            "synthetic:imbalanced or a .npz file"
        )
    if path.startswith(SYNTHETIC):
        data = make_task(
            path[len(SYNTHETIC) :], seed=cfg.train.seed, max_len=cfg.data.max_len, validation_split=cfg.train.validation_split
        )
    else:
        file = Path(path) if base is None or Path(path).is_absolute() else base / path
        if file.suffix != ".npz":
            raise TaskError(f"data.path {path!r}: the reference trainers read synthetic tasks and .npz arrays only")
        data = load_npz(file, kind, cfg.train.validation_split, cfg.train.seed)
    if data.kind != kind:
        raise TaskError(f"data.task is {kind!r} but {path} is a {data.kind} task")
    return with_classes(data, cfg.model.num_classes, cfg.model.vocab_size)


def _check_framework(framework: str) -> None:
    if framework not in FRAMEWORKS:
        raise ValueError(f"unknown framework {framework!r}; choose one of {', '.join(FRAMEWORKS)}")


def train(
    config_path: str | Path,
    framework: str,
    output_dir: str | Path,
    progress: bool = True,
    *,
    overfit_first: bool = False,
) -> dict[str, Any]:
    """Train the recipe in ``config_path`` with ``framework`` ("torch" or "tensorflow").

    Writes the loss curves (CSV, and PNG when matplotlib is installed) and metrics.json
    under ``output_dir`` and returns the metrics. With ``overfit_first`` the small-sample
    check of T2 runs first and its result is kept under ``metrics["overfit_check"]``.
    """
    _check_framework(framework)
    cfg = load_config(config_path)
    data = load_data(cfg, Path(config_path).resolve().parent)
    out = Path(output_dir)
    out.mkdir(parents=True, exist_ok=True)
    check = overfit_check(cfg, data, framework) if overfit_first else None
    metrics = run(make_plan(cfg, data), framework, out, progress=progress)
    if check is not None:
        metrics["overfit_check"] = check
    metrics["config"] = str(config_path)
    (out / "metrics.json").write_text(json.dumps(jsonable(metrics), indent=2) + "\n")
    return metrics


def overfit(config_path: str | Path, framework: str, samples: int = 8, max_steps: int = 300) -> dict[str, Any]:
    """T2 on its own: can the recipe fit ``samples`` examples until the loss collapses?"""
    _check_framework(framework)
    cfg = load_config(config_path)
    return overfit_check(cfg, load_data(cfg, Path(config_path).resolve().parent), framework, samples=samples, max_steps=max_steps)
