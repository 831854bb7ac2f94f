"""Reference trainers that follow every RNN training guideline, in PyTorch and TensorFlow/Keras.

They read rnnlint's own recipe schema (:mod:`rnnlint.settings.recipe`), train on shipped
synthetic tasks, and test the guidelines with paired experiments (:func:`verify`).
Nothing here is imported by ``import rnnlint``; torch, tensorflow and numpy load only
when a trainer runs.
"""

from __future__ import annotations

from typing import Any

__all__ = ["overfit", "train", "verify"]


def train(config_path: Any, framework: str, output_dir: Any, progress: bool = True, **kwargs: Any) -> dict[str, Any]:
    from rnnlint.reference.api import train as _train

    return _train(config_path, framework, output_dir, progress, **kwargs)


def overfit(config_path: Any, framework: str, samples: int = 8, max_steps: int = 300) -> dict[str, Any]:
    from rnnlint.reference.api import overfit as _overfit

    return _overfit(config_path, framework, samples, max_steps)


def verify(mode: str, frameworks: Any, output_dir: Any, **kwargs: Any) -> int:
    """``mode``: "quick" (a smoke test), "medium" or "full"; see :func:`rnnlint.reference.verify.verify`."""
    from rnnlint.reference.verify import verify as _verify

    return _verify(mode, frameworks, output_dir, **kwargs)
