"""A Lightning callback: gradient norms after each backward (as the torch monitor), losses per validation epoch."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import lightning.pytorch as pl

from rnnlint.diagnose.callbacks.core import OnDivergence, OnNan, OnPlateau
from rnnlint.diagnose.callbacks.torch import RnnMonitor
from rnnlint.diagnose.findings import RunDiagnostic
from rnnlint.diagnose.settings import DiagnoseSettings


class RnnlintLightningCallback(pl.Callback):  # type: ignore[misc]
    def __init__(
        self,
        on_nan: OnNan = None,
        on_plateau: OnPlateau = None,
        on_divergence: OnDivergence = None,
        settings: DiagnoseSettings | None = None,
        report: str | Path | None = None,
        overfit_check: bool = False,
    ) -> None:
        self.options = (on_nan, on_plateau, on_divergence, settings)
        self.overfit_check = overfit_check
        self.report = Path(report) if report is not None else None
        self.monitor: RnnMonitor | None = None

    def on_fit_start(self, trainer: Any, pl_module: Any) -> None:
        on_nan, on_plateau, on_divergence, settings = self.options
        optimizer = trainer.optimizers[0] if trainer.optimizers else None
        self.monitor = RnnMonitor(
            pl_module,
            optimizer,
            on_nan,
            on_plateau,
            on_divergence,
            settings,
            framework="lightning",
            overfit_check=self.overfit_check,
        )

    def on_after_backward(self, trainer: Any, pl_module: Any) -> None:
        assert self.monitor is not None
        self.monitor.after_backward()

    def on_train_batch_end(self, trainer: Any, pl_module: Any, outputs: Any, batch: Any, batch_idx: int) -> None:
        loss = outputs.get("loss") if isinstance(outputs, dict) else outputs
        if self.monitor is not None and loss is not None:
            self.monitor.record_loss(loss)

    def on_validation_epoch_end(self, trainer: Any, pl_module: Any) -> None:
        if self.monitor is None or trainer.sanity_checking:
            return
        val = trainer.callback_metrics.get("val_loss")
        value = float(val) if val is not None else None
        self.monitor.end_epoch(value)
        if self.monitor.should_stop:
            trainer.should_stop = True

    def on_fit_end(self, trainer: Any, pl_module: Any) -> None:
        if self.report is not None and self.monitor is not None:
            self.monitor.write_report(self.report)

    def diagnostics(self) -> list[RunDiagnostic]:
        return self.monitor.diagnostics() if self.monitor is not None else []
