"""A PyTorch monitor: call ``after_backward(loss)`` after ``loss.backward()`` and ``end_epoch(val_loss)`` per epoch.

It logs the global gradient norm, per-layer norms of the recurrent (``weight_hh``) and input
(``weight_ih``) weights' gradients and their per-gate norms (LSTM i, f, g, o; GRU r, z, n), and
judges the run with the same detectors as ``rnnlint diagnose``. Actions, when asked:
``on_nan="halve_lr"`` (restore the last good weights, halve the LR: D6.1), ``on_plateau="decay"``
(x0.5: D6.2), ``on_divergence="stop"`` (``monitor.should_stop`` turns True).
"""

from __future__ import annotations

import copy
import math
from pathlib import Path
from typing import Any

import torch

from rnnlint.diagnose.callbacks.core import Actions, LiveJudge, OnDivergence, OnNan, OnPlateau
from rnnlint.diagnose.findings import RunDiagnostic
from rnnlint.diagnose.run import Point
from rnnlint.diagnose.settings import DiagnoseSettings

GATES = {"LSTM": ("input", "forget", "cell", "output"), "GRU": ("reset", "update", "new")}


class RnnMonitor:
    def __init__(
        self,
        model: torch.nn.Module,
        optimizer: torch.optim.Optimizer | None = None,
        on_nan: OnNan = None,
        on_plateau: OnPlateau = None,
        on_divergence: OnDivergence = None,
        settings: DiagnoseSettings | None = None,
        framework: str = "torch",
        overfit_check: bool = False,
    ) -> None:
        self.model, self.optimizer = model, optimizer
        self.judge = LiveJudge(on_nan, on_plateau, on_divergence, settings or DiagnoseSettings(), framework, overfit_check)
        self.should_stop = False
        self.last: dict[str, Any] = {}
        self._good_state = copy.deepcopy(model.state_dict())
        self._cells = {name: type(m).__name__ for name, m in model.named_modules() if type(m).__name__ in GATES}

    def _norms(self) -> dict[str, Any]:
        total_sq, hh_sq, ih_sq = 0.0, 0.0, 0.0
        gates: dict[str, float] = {}
        for name, p in self.model.named_parameters():
            if p.grad is None:
                continue
            g = p.grad.detach()
            sq = float(g.pow(2).sum())
            total_sq += sq
            if "weight_hh" in name:
                hh_sq += sq
                owner = name.rsplit(".", 1)[0] if "." in name else ""
                kind = self._cells.get(owner)
                if kind:
                    for gate, chunk in zip(GATES[kind], g.chunk(len(GATES[kind]), dim=0), strict=True):
                        gates[f"{name}/{gate}"] = float(chunk.norm())
            elif "weight_ih" in name:
                ih_sq += sq
        return {
            "grad_norm": math.sqrt(total_sq),
            "grad_norm_hh": math.sqrt(hh_sq),
            "grad_norm_ih": math.sqrt(ih_sq),
            "gates": gates,
        }

    def after_backward(self, loss: torch.Tensor | float | None = None) -> Actions:
        """Record this step's gradient norms (and loss); a non-finite loss triggers ``on_nan``."""
        norms = self._norms()
        self.last = {**norms, "loss": None, "nan": False}
        for key in ("grad_norm", "grad_norm_hh", "grad_norm_ih"):
            if key == "grad_norm" or norms[key]:
                self.judge.log(key, norms[key])
        actions = self.judge.after_step(None)
        return self.record_loss(loss) if loss is not None else actions

    def record_loss(self, loss: torch.Tensor | float) -> Actions:
        """The training loss of the step just taken (Lightning hands it over after the step)."""
        value = float(loss.detach()) if isinstance(loss, torch.Tensor) else float(loss)
        self.last.update(loss=value, nan=not math.isfinite(value))
        self.judge.run.add("loss", "loss", Point(max(self.judge.step - 1, 0), self.judge.epoch, value))
        actions = Actions(restore_and_halve=not math.isfinite(value) and self.judge.on_nan == "halve_lr")
        if actions.restore_and_halve:
            self.model.load_state_dict(self._good_state)
            self._scale_lr(0.5)
            if self.optimizer is not None:
                self.optimizer.zero_grad(set_to_none=True)  # the NaN gradients must not be applied
        return actions

    def end_epoch(self, val_loss: float | None = None, train_loss: float | None = None) -> Actions:
        """Record the epoch's losses and learning rate, judge the run so far, act when asked."""
        if val_loss is not None:
            self.judge.log("val_loss", val_loss, per_step=False)
        if self.optimizer is not None:
            self.judge.log("lr", self.optimizer.param_groups[0]["lr"], per_step=False)
        last_loss = self.last.get("loss")
        if last_loss is None or math.isfinite(last_loss):
            self._good_state = copy.deepcopy(self.model.state_dict())
        actions = self.judge.end_epoch()
        if actions.decay:
            self._scale_lr(actions.decay)
        if actions.stop:
            self.should_stop = True
        return actions

    def _scale_lr(self, factor: float) -> None:
        if self.optimizer is not None:
            for group in self.optimizer.param_groups:
                group["lr"] *= factor

    def diagnostics(self) -> list[RunDiagnostic]:
        return self.judge.diagnostics()

    def write_report(self, path: str | Path) -> None:
        self.judge.write_report(Path(path))
