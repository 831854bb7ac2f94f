"""A Keras 3 / tf.keras callback: the run's findings per epoch, and the actions when asked.

Keras does not expose gradients to callbacks, so this callback judges the losses and the learning
rate (RNN601, RNN602, RNN605-RNN609, RNN611); log gradient norms from a custom ``train_step`` for RNN603/604.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import keras

from rnnlint.diagnose.callbacks.core import LiveJudge, OnDivergence, OnNan, OnPlateau
from rnnlint.diagnose.findings import RunDiagnostic
from rnnlint.diagnose.settings import DiagnoseSettings


class RnnlintCallback(keras.callbacks.Callback):  # type: ignore[misc]
    def __init__(
        self,
        on_nan: OnNan = None,
        on_plateau: OnPlateau = None,
        on_divergence: OnDivergence = None,
        settings: DiagnoseSettings | None = None,
        report: str | Path | None = None,
        overfit_check: bool = False,
    ) -> None:
        super().__init__()
        self.judge = LiveJudge(on_nan, on_plateau, on_divergence, settings or DiagnoseSettings(), "keras", overfit_check)
        self.report = Path(report) if report is not None else None
        self._good: list[Any] | None = None

    def _lr(self) -> float:
        return float(keras.ops.convert_to_numpy(self.model.optimizer.learning_rate))

    def _set_lr(self, value: float) -> None:
        self.model.optimizer.learning_rate.assign(value)

    def on_train_batch_end(self, batch: int, logs: dict[str, Any] | None = None) -> None:
        loss = (logs or {}).get("loss")
        actions = self.judge.after_step(float(loss) if loss is not None else None)
        if actions.restore_and_halve and self._good is not None:
            self.model.set_weights(self._good)
            self._set_lr(self._lr() * 0.5)

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        logs = logs or {}
        for key, name in (("loss", "loss"), ("val_loss", "val_loss")):
            if key in logs:
                self.judge.log(name, float(logs[key]), per_step=False)
        self.judge.log("lr", self._lr(), per_step=False)
        if math.isfinite(float(logs.get("loss", 0.0))):
            self._good = self.model.get_weights()
        actions = self.judge.end_epoch()
        if actions.decay:
            self._set_lr(self._lr() * actions.decay)
        if actions.stop:
            self.model.stop_training = True

    def on_train_end(self, logs: dict[str, Any] | None = None) -> None:
        if self.report is not None:
            self.judge.write_report(self.report)

    def diagnostics(self) -> list[RunDiagnostic]:
        return self.judge.diagnostics()
