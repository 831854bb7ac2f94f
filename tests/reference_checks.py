"""Checks shared by the PyTorch and the TensorFlow reference trainer tests.

Not collected by itself (no ``test_`` prefix): tests/test_reference_torch.py and
tests/test_reference_tf.py subclass :class:`ReferenceChecks` with their framework.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import yaml

from rnnlint.reference import train
from rnnlint.reference.curves import COLUMNS, plot_available, read_csv
from rnnlint.reference.loop import Hooks, load_backend, make_plan, overfit_check, run
from rnnlint.reference.tasks import imbalanced, recall, unaligned
from rnnlint.settings.recipe import TrainingConfig


def tiny(**sections: dict[str, Any]) -> TrainingConfig:
    """A small recipe that trains in a second or two on a CPU."""
    recipe: dict[str, Any] = {
        "model": {"cell": "lstm", "hidden_size": 16, "num_layers": 1, "bidirectional": True, "dropout": 0.0, "embedding_dim": 8},
        "optim": {"name": "adam", "lr": 0.01, "weight_decay": 0.0, "clip_norm": 5.0},
        "schedule": {"type": "none"},
        "train": {"epochs": 2, "batch_size": 16, "seed": 0},
    }
    for name, values in sections.items():
        recipe[name] = {**recipe.get(name, {}), **values}
    return TrainingConfig.model_validate(recipe)


def flat(weights: list[Any]) -> Any:
    return np.concatenate([np.asarray(w, dtype=np.float64).ravel() for w in weights])


class ReferenceChecks:
    framework: ClassVar[str]

    def test_regression_learns_the_adding_problem(self) -> None:
        from rnnlint.reference.tasks import adding

        cfg = tiny(
            model={"bidirectional": False, "embedding_dim": None},
            loss={"type": "mse"},
            data={"task": "regression"},
            train={"epochs": 3},
        )
        m = run(make_plan(cfg, adding(n=256, n_val=64, length=6)), self.framework, None, progress=False, plot=False)
        assert not m["diverged"] and m["history"][-1]["val_loss"] < m["history"][0]["val_loss"]
        assert m["verdict"] == "unknown"  # no accuracy to judge under- or overfitting by

    def test_overfit_check_loss_is_finite_and_collapses(self) -> None:
        cfg = tiny(optim={"lr": 0.02})
        result = overfit_check(cfg, recall(n=64, n_val=0, length=8), self.framework, samples=8, max_steps=150)
        losses = result["losses"]
        assert all(math.isfinite(v) for v in losses)
        assert losses[-1] < losses[0]
        assert result["collapsed"], result["advice"]

    def test_train_writes_csv_plot_and_metrics(self, tmp_path: Path) -> None:
        config = tmp_path / "recipe.yaml"
        recipe = tiny().model_dump(mode="json")
        recipe["data"] = {"task": "classification", "path": "synthetic:recall?n=96&classes=3", "max_len": 6}
        recipe["train"]["validation_split"] = 0.25
        recipe["train"]["log_csv"] = "runs/curves.csv"
        config.write_text(yaml.safe_dump(recipe))
        metrics = train(config, self.framework, tmp_path / "out", progress=False)
        rows = read_csv(tmp_path / "out" / "curves.csv")
        assert list(rows[0]) == list(COLUMNS)
        assert [r["epoch"] for r in rows] == ["1", "2"]
        assert all(r["train_loss"] and r["val_loss"] and r["val_acc"] for r in rows)
        saved = json.loads((tmp_path / "out" / "metrics.json").read_text())
        assert saved["verdict"] in {"underfitting", "overfitting", "good fit"}
        assert saved["epochs_run"] == 2 and metrics["device"] in {"cpu", "cuda", "gpu"}
        if plot_available():
            assert (tmp_path / "out" / "curves.png").stat().st_size > 1000
        else:
            assert "matplotlib" in saved["plot_note"]

    def test_nan_guard_restores_last_good_state_and_halves_lr(self, tmp_path: Path) -> None:
        cfg = tiny(train={"epochs": 2, "batch_size": 16, "nan_guard": True})
        plan = make_plan(cfg, recall(n=64, n_val=32, length=6))  # 4 steps per epoch
        seen: dict[str, Any] = {}

        def on_step(step: int, backend: Any) -> None:
            if step in (4, 5):  # end of epoch 1 (the snapshot), then one step into epoch 2
                seen[step] = flat(backend.weights())

        def on_nan(step: int, backend: Any, good: Any) -> None:
            seen["step"], seen["after"], seen["lr"] = step, flat(backend.weights()), backend.get_lr()

        metrics = run(plan, self.framework, tmp_path, progress=False, hooks=Hooks({6}, on_step, on_nan))
        assert seen["step"] == 6
        assert not np.allclose(seen[5], seen[4])
        np.testing.assert_allclose(seen["after"], seen[4], rtol=0, atol=1e-7)
        assert np.isfinite(seen["after"]).all()
        assert math.isclose(seen["lr"], cfg.optim.lr / 2, rel_tol=1e-6)  # TensorFlow keeps it in float32
        assert metrics["nan_events"] == 1 and metrics["nan_restores"] == 1 and not metrics["diverged"]
        rows = read_csv(tmp_path / "curves.csv")
        assert float(rows[0]["lr"]) == cfg.optim.lr and float(rows[1]["lr"]) == cfg.optim.lr / 2
        assert rows[1]["nan_events"] == "1"
        assert math.isfinite(metrics["val_loss"])

    def test_without_nan_guard_a_nan_ends_the_run(self, tmp_path: Path) -> None:
        cfg = tiny(train={"epochs": 3, "nan_guard": False})
        metrics = run(
            make_plan(cfg, recall(n=64, n_val=32, length=6)), self.framework, tmp_path, progress=False, hooks=Hooks({2})
        )
        assert metrics["diverged"] and metrics["verdict"] == "diverged" and metrics["epochs_run"] == 1

    def test_global_norm_clipping_bounds_the_update(self) -> None:
        steps = {}
        for clip in (1e-3, None):
            cfg = tiny(optim={"name": "sgd", "lr": 1.0, "momentum": 0.0, "weight_decay": 0.0, "clip_norm": clip})
            plan = make_plan(cfg, recall(n=32, n_val=0, length=6))
            backend = load_backend(self.framework, plan)
            before = flat(backend.weights())
            from rnnlint.reference.loop import _batch

            out = backend.train_step(_batch(plan.train_targets, np.arange(16)))
            steps[clip] = (out.grad_norm, float(np.linalg.norm(flat(backend.weights()) - before)))
        clipped_norm, clipped_change = steps[1e-3]
        free_norm, free_change = steps[None]
        assert clipped_norm > 1e-3  # the reported norm is the one before clipping
        assert clipped_change <= 1e-3 * 1.01  # SGD at lr 1: the step is the clipped gradient
        assert free_change == np.float64(free_change) and free_change > 10 * clipped_change
        assert math.isclose(free_change, free_norm, rel_tol=1e-3)

    def test_clip_rate_is_logged(self, tmp_path: Path) -> None:
        cfg = tiny(optim={"clip_norm": 1e-4})
        metrics = run(make_plan(cfg, recall(n=64, n_val=32, length=6)), self.framework, tmp_path, progress=False)
        assert metrics["clip_rate"] == 1.0
        assert all(float(r["clip_rate"]) == 1.0 for r in read_csv(tmp_path / "curves.csv"))

    def test_ctc_and_framewise_cross_entropy_run(self, tmp_path: Path) -> None:
        data = unaligned(n=48, n_val=16, symbols=4)
        for loss in ("ctc", "ce"):
            cfg = tiny(loss={"type": loss}, model={"embedding_dim": None}, data={"task": "ctc"})
            metrics = run(make_plan(cfg, data), self.framework, tmp_path / loss, progress=False)
            assert all(math.isfinite(r["train_loss"]) for r in metrics["history"])
            assert metrics["val_ler"] >= 0.0 and metrics["loss"] == loss

    def test_ctc_with_a_blank_that_is_not_zero(self, tmp_path: Path) -> None:
        cfg = tiny(loss={"type": "ctc", "blank": 4}, model={"embedding_dim": None}, data={"task": "ctc"}, train={"epochs": 1})
        metrics = run(make_plan(cfg, unaligned(n=32, n_val=16, symbols=4)), self.framework, tmp_path, progress=False)
        assert math.isfinite(metrics["train_loss"])

    def test_padded_token_tagging_from_npz(self, tmp_path: Path) -> None:
        rng = np.random.default_rng(0)
        lengths = rng.integers(3, 9, 40)
        x = np.zeros((40, 8), np.int64)
        y = np.full((40, 8), -1, np.int64)
        for i, n in enumerate(lengths):
            x[i, :n] = rng.integers(1, 10, n)
            y[i, :n] = x[i, :n] % 3
        np.savez(tmp_path / "tags.npz", x=x, y=y, x_len=lengths)
        recipe = tiny(train={"epochs": 1, "validation_split": 0.25}).model_dump(mode="json")
        recipe["data"] = {"task": "tagging", "path": "tags.npz"}
        (tmp_path / "tags.yaml").write_text(yaml.safe_dump(recipe))
        metrics = train(tmp_path / "tags.yaml", self.framework, tmp_path / "out", progress=False)
        assert math.isfinite(metrics["val_loss"]) and 0.0 <= metrics["val_acc"] <= 1.0

    def test_oversampling_trains_on_balanced_batches(self, tmp_path: Path) -> None:
        data = imbalanced(n=128, n_val=64, positive_rate=0.1)
        cfg = tiny(train={"balance": "oversample", "batch_size": 16, "epochs": 1})
        plan = make_plan(cfg, data)
        counts: list[int] = []
        original = plan.scorer.add

        def spy(logits: Any, ref: Any) -> None:
            counts.append(int(ref.y.sum()))
            original(logits, ref)

        plan.scorer.add = spy  # type: ignore[method-assign]
        run(plan, self.framework, tmp_path, progress=False)
        assert counts[:8] == [8] * 8  # 8 positives in every batch of 16 (the train split has about 13)

    def test_gru_and_plain_rnn_cells_and_other_optimizers(self, tmp_path: Path) -> None:
        for cell, opt, layers in (("gru", "rmsprop", 2), ("rnn", "adadelta", 1)):
            cfg = tiny(model={"cell": cell, "num_layers": layers, "dropout": 0.3}, optim={"name": opt}, train={"epochs": 1})
            metrics = run(make_plan(cfg, recall(n=32, n_val=16, length=5)), self.framework, None, progress=False)
            assert math.isfinite(metrics["train_loss"]), (cell, opt)
        for opt in ("adam", "adamw", "adagrad", "sgd"):
            backend = load_backend(self.framework, make_plan(tiny(optim={"name": opt}), recall(n=16, n_val=0)))
            assert type(backend.optimizer).__name__.lower() == opt
