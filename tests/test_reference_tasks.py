"""The framework-neutral parts of the reference trainers (numpy only): tasks, batches, scoring, schedule."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from rnnlint.reference.cli import main
from rnnlint.settings.recipe import TrainingConfig

np = pytest.importorskip("numpy")

from rnnlint.reference.api import load_config, load_data  # noqa: E402
from rnnlint.reference.curves import verdict  # noqa: E402
from rnnlint.reference.loop import _Schedule, balanced_order, edit_distance, framewise_targets, make_plan  # noqa: E402
from rnnlint.reference.tasks import (  # noqa: E402
    ADDING_BASELINE_MSE,
    TaskError,
    adding,
    future_tagging,
    imbalanced,
    make_task,
    recall,
    unaligned,
)


def test_tasks_are_seeded_and_shaped() -> None:
    a, b = recall(n=20, n_val=5, length=7, seed=3), recall(n=20, n_val=5, length=7, seed=3)
    assert (a.train.x == b.train.x).all() and a.train.x.shape == (20, 7) and a.val is not None and len(a.val) == 5
    assert (a.train.x[:, 0] == a.train.y + 1).all()  # the class is the first token
    assert not (recall(n=20, n_val=5, length=7, seed=4).train.x == a.train.x).all()
    t = future_tagging(n=10, n_val=0, length=6, classes=3)
    assert (t.train.y[:, :-1] == t.train.x[:, 1:] % 3).all() and (t.train.y[:, -1] == 3).all()
    u = unaligned(n=30, n_val=0, symbols=5)
    assert u.kind == "ctc" and u.num_classes == 6 and u.train.x.dtype == np.float32
    assert (u.train.x_len >= u.train.y_len).all()
    for row, length in zip(u.train.y, u.train.y_len, strict=True):
        labels = row[:length]
        assert (labels > 0).all() and (labels[1:] != labels[:-1]).all() and (row[length:] == 0).all()
    imb = imbalanced(n=400, n_val=0, positive_rate=0.1)
    assert 0.05 < imb.train.y.mean() < 0.15
    assert ((imb.train.x == 1).sum(axis=1) >= 2).tolist() == imb.train.y.astype(bool).tolist()


def test_make_task_reads_query_parameters_and_rejects_unknown_ones() -> None:
    data = make_task("recall?n=40&classes=3&length=9", seed=0)
    assert len(data.train) == 40 and data.num_classes == 3 and data.train.x.shape[1] == 9
    assert make_task("recall?n=40", seed=0, max_len=12).train.x.shape[1] == 12
    with pytest.raises(TaskError, match="unknown synthetic task"):
        make_task("mnist", seed=0)
    with pytest.raises(TaskError, match="bogus"):
        make_task("recall?bogus=1", seed=0)


def test_balanced_order_oversamples_the_minority() -> None:
    y = np.array([0] * 90 + [1] * 10)
    batches = balanced_order(y, 10, np.random.default_rng(0))
    assert len(batches) == 10
    for batch in batches:
        assert len(batch) == 10 and (y[batch] == 1).sum() == 5
    minority = np.concatenate(batches)[y[np.concatenate(batches)] == 1]
    assert len(minority) == 50 and len(set(minority.tolist())) == 10  # each minority example five times


def test_framewise_targets_stretch_labels_over_frames() -> None:
    u = unaligned(n=5, n_val=0)
    tags = framewise_targets(u.train).y
    for i in range(5):
        frames, labels = int(u.train.x_len[i]), u.train.y[i, : u.train.y_len[i]].tolist()
        row = tags[i, :frames].tolist()
        assert [k for j, k in enumerate(row) if j == 0 or row[j - 1] != k] == labels
        assert (tags[i, frames:] == -1).all()


def test_edit_distance() -> None:
    assert edit_distance([1, 2, 3], [1, 2, 3]) == 0
    assert edit_distance([1, 3], [1, 2, 3]) == 1
    assert edit_distance([], [4, 5]) == 2


def test_ctc_scorer_collapses_repeats_and_drops_the_blank() -> None:
    cfg = TrainingConfig.model_validate({"loss": {"type": "ctc", "blank": 0}, "model": {"embedding_dim": None}, "data": {"task": "ctc"}})
    data = unaligned(n=1, n_val=0, symbols=3)
    plan = make_plan(cfg, data)
    gold = data.train.y[0, : data.train.y_len[0]].tolist()
    frames = [0, *[s for s in gold for _ in range(2)], 0]
    logits = np.full((1, data.train.x.shape[1], 4), -5.0)
    for t, s in enumerate(frames):
        logits[0, t, s] = 5.0
    x_len = np.array([len(frames)])
    from rnnlint.reference.tasks import Split

    plan.scorer.reset()
    plan.scorer.add(logits, Split(data.train.x, data.train.y, x_len, data.train.y_len))
    assert plan.scorer.result() == {"acc": 1.0, "ler": 0.0}


def test_plateau_schedule_decays_by_factor_after_patience() -> None:
    cfg = TrainingConfig.model_validate({"schedule": {"type": "plateau", "factor": 0.5, "patience": 1}})
    s = _Schedule(cfg, 1.0)
    lrs = [s.after_epoch(e, 1.0, loss) for e, loss in enumerate([1.0, 0.9, 0.95, 0.95, 0.8], 1)]
    assert lrs == [1.0, 1.0, 1.0, 0.5, 1.0] and s.decays == 1
    step = _Schedule(TrainingConfig.model_validate({"schedule": {"type": "step", "factor": 0.5, "step_size": 2}}), 1.0)
    assert [step.after_epoch(e, 1.0, 0.0) for e in (1, 2, 3, 4)] == [1.0, 0.5, 1.0, 0.5]


def test_verdict_follows_t4() -> None:
    assert verdict({"train_eval_acc": 0.3, "val_acc": 0.28}, 0.25)[0] == "underfitting"
    assert verdict({"train_eval_acc": 1.0, "val_acc": 0.7}, 0.25)[0] == "overfitting"
    assert verdict({"train_eval_acc": 0.95, "val_acc": 0.93}, 0.25)[0] == "good fit"
    assert verdict({"diverged": True}, 0.25)[0] == "diverged"


def test_config_and_data_mismatches_are_reported(tmp_path: Path) -> None:
    path = tmp_path / "r.yaml"
    path.write_text("data: {task: tagging, path: 'synthetic:recall'}\n")
    with pytest.raises(TaskError, match="classification task"):
        load_data(load_config(path))
    path.write_text("loss: {type: ctc}\ndata: {task: classification, path: 'synthetic:recall'}\n")
    cfg = load_config(path)
    with pytest.raises(TaskError, match="ctc"):
        make_plan(cfg, load_data(cfg))
    path.write_text("model: {num_classes: 2}\ndata: {task: classification, path: 'synthetic:recall?classes=4'}\n")
    with pytest.raises(TaskError, match="num_classes"):
        load_data(load_config(path))
    path.write_text("data: {task: classification, path: data.csv}\n")
    with pytest.raises(TaskError, match="npz"):
        load_data(load_config(path))


def test_npz_data(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    np.savez(tmp_path / "d.npz", x=rng.integers(1, 9, (50, 6)), y=rng.integers(0, 3, 50))
    (tmp_path / "r.yaml").write_text("train: {validation_split: 0.2}\ndata: {task: classification, path: d.npz}\n")
    cfg = load_config(tmp_path / "r.yaml")
    data = load_data(cfg, tmp_path)
    assert len(data.train) == 40 and data.val is not None and len(data.val) == 10 and data.num_classes == 3


def test_weights_balance_computes_inverse_frequency() -> None:
    cfg = TrainingConfig.model_validate({"train": {"balance": "weights"}})
    plan = make_plan(cfg, imbalanced(n=200, n_val=0, positive_rate=0.1))
    assert plan.class_weights is not None and plan.class_weights[1] > 3 * plan.class_weights[0]
    assert math.isclose(sum(w * c for w, c in zip(plan.class_weights, np.bincount(plan.data.train.y), strict=True)), 200)


def test_missing_framework_is_exit_2(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    import rnnlint.reference.verify as v

    monkeypatch.setattr(v, "available", lambda framework: False)
    assert main(["verify", "--quick", "--framework", "torch", "--output-dir", "x"]) == 2
    assert main(["train", "r.yaml", "--framework", "tensorflow", "--output-dir", "x"]) == 2
    assert "not installed" in capsys.readouterr().err


def test_adding_problem() -> None:
    data = adding(n=2000, n_val=100, length=30, seed=1)
    x, y = data.train.x, data.train.y
    assert data.kind == "regression" and x.shape == (2000, 30, 2) and y.dtype == np.float32
    marks = x[:, :, 1]
    assert (marks.sum(axis=1) == 2).all()
    assert (marks[:, :15].sum(axis=1) == 1).all() and (marks[:, 15:].sum(axis=1) == 1).all()  # one marker per half
    assert np.allclose((x[:, :, 0] * marks).sum(axis=1), y)
    assert abs(float(((y - 1.0) ** 2).mean()) - ADDING_BASELINE_MSE) < 0.02  # the constant predictor's MSE
    assert (adding(n=20, n_val=0, length=8, seed=1).train.x == adding(n=20, n_val=0, length=8, seed=1).train.x).all()


def test_regression_needs_mse_and_scores_mse() -> None:
    data = adding(n=32, n_val=8, length=6)
    with pytest.raises(TaskError, match="mse"):
        make_plan(TrainingConfig.model_validate({"model": {"embedding_dim": None}}), data)
    with pytest.raises(TaskError, match="mse"):
        make_plan(TrainingConfig.model_validate({"loss": {"type": "mse"}}), recall(n=16, n_val=0))
    plan = make_plan(TrainingConfig.model_validate({"loss": {"type": "mse"}, "model": {"embedding_dim": None}}), data)
    assert plan.data.num_classes == 1 and plan.chance == pytest.approx(float(np.var(data.train.y)))
    plan.scorer.reset()
    plan.scorer.add(np.ones((32, 1)), data.train)
    assert plan.scorer.result()["mse"] == pytest.approx(float(((data.train.y - 1.0) ** 2).mean()))
