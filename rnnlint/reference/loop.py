"""The framework-neutral training loop shared by both backends.

Everything a guideline asks of the loop lives here once, so that a PyTorch and a Keras
run of one config follow the same recipe: balanced batches (D11), validation every
epoch and learning-rate decay on a validation plateau or a step schedule (D6.2), the
NaN guard that restores the last good state and halves the learning rate (D6.1), loss
curves written to CSV and PNG with an under/overfitting verdict (T4), and the
small-sample overfit check (T2). The backends build the model, the loss, the optimizer
and one gradient step with global-norm clipping (D6.4) and L2 (D8).
"""

from __future__ import annotations

import importlib
import math
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from rnnlint.reference import curves
from rnnlint.reference.tasks import Split, TaskData, TaskError
from rnnlint.settings.recipe import TrainingConfig

FRAMEWORKS = ("torch", "tensorflow")
MAX_NAN_EVENTS = 10  # consecutive non-finite steps before a guarded run gives up


@dataclass
class Batch:
    x: Any
    x_len: Any
    y: Any  # the loss targets: classes, tags (-1 = padding), CTC labels (0 = padding) or regression targets
    y_len: Any = None
    idx: Any = None  # rows of the split, to score against its reference labels
    poison: bool = False  # fault injection for tests: the backend makes this step's loss NaN


@dataclass
class StepOut:
    loss: float
    grad_norm: float  # before clipping
    logits: Any


class Backend(Protocol):
    framework: str
    device: str

    def train_step(self, batch: Batch) -> StepOut: ...
    def eval_step(self, batch: Batch) -> tuple[float, Any]: ...
    def get_lr(self) -> float: ...
    def set_lr(self, lr: float) -> None: ...
    def snapshot(self) -> Any: ...
    def restore(self, state: Any) -> None: ...
    def weights(self) -> list[Any]: ...


@dataclass
class Hooks:
    """Test hooks: steps (1-based, counted over the run) whose loss is made NaN, and callbacks."""

    poison_steps: set[int] = field(default_factory=set)
    on_step: Callable[[int, Backend], None] | None = None
    on_nan: Callable[[int, Backend, Any], None] | None = None
    on_epoch: Callable[[int, dict[str, Any]], None] | None = None  # after each epoch's row; raising stops the run (tune prunes)


@dataclass
class Plan:
    """What the loop needs beyond the config: the data, the loss targets and how to score."""

    cfg: TrainingConfig
    data: TaskData
    loss: str  # "ce", "ctc" or "mse"
    train_targets: Split
    val_targets: Split | None
    class_weights: list[float] | None
    chance: float
    scorer: Scorer


BACKENDS = {"torch": "rnnlint.reference.torch_backend:TorchBackend", "tensorflow": "rnnlint.reference.tf_backend:KerasBackend"}


def load_backend(framework: str, plan: Plan) -> Backend:
    """The framework's backend, imported on first use (``import rnnlint`` never loads torch or tensorflow)."""
    if framework not in BACKENDS:
        raise ValueError(f"unknown framework {framework!r}; choose torch or tensorflow")
    module, cls = BACKENDS[framework].split(":")
    backend: Backend = getattr(importlib.import_module(module), cls)(plan)
    return backend


def set_threads(framework: str, threads: int) -> None:
    """CPU threads for one framework. Tiny models run fastest on one thread; TensorFlow takes
    the setting only before its runtime starts, later calls keep what it has."""
    if framework == "torch":
        import torch

        torch.set_num_threads(threads)
    elif framework == "tensorflow":
        import tensorflow as tf

        try:
            tf.config.threading.set_intra_op_parallelism_threads(threads)
            tf.config.threading.set_inter_op_parallelism_threads(threads)
        except RuntimeError:
            pass


# --- targets and scoring ----------------------------------------------------------------


def framewise_targets(split: Split) -> Split:
    """Per-frame cross-entropy targets for unaligned labels: each label stretched uniformly
    over the valid frames (the naive alignment that CTC makes unnecessary)."""
    n, t = split.x.shape[0], split.x.shape[1]
    tags = np.full((n, t), -1, np.int64)
    for i in range(n):
        frames, count = int(split.x_len[i]), int(split.y_len[i])
        pos = np.minimum((np.arange(frames) * count) // frames, count - 1)
        tags[i, :frames] = split.y[i, pos]
    return Split(split.x, tags, split.x_len, None)


def edit_distance(a: list[int], b: list[int]) -> int:
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]


class Scorer:
    """Accuracy for classes and tags; for label sequences, 1 - label error rate of the greedy decode;
    the mean squared error for regression (no accuracy)."""

    def __init__(self, data: TaskData, loss: str, blank: int) -> None:
        self.kind = data.kind
        self.symbol_of: Any = np.zeros(data.num_classes, np.int64)  # output index -> label symbol (0 = none)
        if data.kind == "ctc" and loss == "ctc":
            nonblank = [i for i in range(data.num_classes) if i != blank]
            self.symbol_of[nonblank] = np.arange(1, len(nonblank) + 1)
        else:
            self.symbol_of = np.arange(data.num_classes)
        self.reset()

    def reset(self) -> None:
        self.correct = 0.0
        self.total = 0.0
        self.errors = 0.0
        self.preds: list[Any] = []
        self.golds: list[Any] = []

    def add(self, logits: Any, ref: Split) -> None:
        if self.kind == "regression":
            err = np.asarray(logits, np.float64).reshape(-1) - np.asarray(ref.y, np.float64)
            self.errors += float((err * err).sum())
            self.total += float(err.size)
            return
        pred = np.asarray(logits).argmax(axis=-1)
        if self.kind == "classification":
            self.preds.append(pred)
            self.golds.append(ref.y)
        elif self.kind == "tagging":
            gold = ref.y[:, : pred.shape[1]]  # the batch may be trimmed to its longest sequence
            mask = gold >= 0
            self.correct += float((pred == gold)[mask].sum())
            self.total += float(mask.sum())
        else:
            for i in range(pred.shape[0]):
                frames = pred[i, : int(ref.x_len[i])]
                keep = np.ones(frames.shape[0], bool)
                keep[1:] = frames[1:] != frames[:-1]
                symbols = self.symbol_of[frames[keep]]
                hyp = [int(s) for s in symbols if s > 0]
                gold = [int(s) for s in ref.y[i, : int(ref.y_len[i])]]
                self.errors += edit_distance(hyp, gold)
                self.total += len(gold)

    def result(self) -> dict[str, float]:
        if self.kind == "classification":
            if not self.preds:
                return {}
            pred, gold = np.concatenate(self.preds), np.concatenate(self.golds)
            recalls = [float((pred[gold == c] == c).mean()) for c in np.unique(gold)]
            return {"acc": float((pred == gold).mean()), "balanced_acc": float(np.mean(recalls))}
        if self.total == 0:
            return {}
        if self.kind == "regression":
            return {"mse": self.errors / self.total}
        if self.kind == "tagging":
            return {"acc": self.correct / self.total}
        ler = self.errors / self.total
        return {"acc": max(0.0, 1.0 - ler), "ler": ler}


def _chance(data: TaskData) -> float:
    if data.kind == "ctc":
        return 0.0
    if data.kind == "regression":  # the mean squared error of predicting the mean
        return float(np.var(data.train.y))
    y = data.train.y
    y = y[y >= 0]
    return float(np.bincount(y).max() / y.size)


def make_plan(cfg: TrainingConfig, data: TaskData) -> Plan:
    """Check that the config and the data fit together and derive the loss targets."""
    if cfg.loss.type not in ("ce", "ctc", "mse"):
        raise TaskError(f"loss.type {cfg.loss.type!r} is not supported by the reference trainers (ce, ctc, mse)")
    if (cfg.loss.type == "mse") != (data.kind == "regression"):
        raise TaskError(
            f"loss.type mse goes with regression targets (data.task: regression), not {cfg.loss.type} with {data.kind}"
        )
    if cfg.loss.type == "ctc" and data.kind != "ctc":
        raise TaskError(f"loss.type ctc needs unaligned label sequences (data.task: ctc), not {data.kind}")
    if data.tokens and cfg.model.embedding_dim is None:
        raise TaskError("token inputs need model.embedding_dim (D9: an embedding, not one-hot vectors)")
    train_t, val_t = data.train, data.val
    if data.kind == "ctc" and cfg.loss.type == "ce":
        train_t = framewise_targets(data.train)
        val_t = None if data.val is None else framewise_targets(data.val)
    if data.kind == "ctc" and cfg.loss.type == "ctc" and not 0 <= cfg.loss.blank < data.num_classes:
        raise TaskError(f"loss.blank={cfg.loss.blank} is not an output index (0..{data.num_classes - 1})")
    weights = cfg.loss.class_weights
    if weights is not None and len(weights) != data.num_classes:
        raise TaskError(f"loss.class_weights has {len(weights)} values for {data.num_classes} classes")
    if cfg.train.balance != "none" and data.kind != "classification":
        raise TaskError(f"train.balance={cfg.train.balance} applies to classification, not {data.kind}")
    if cfg.train.balance == "weights" and weights is None:
        counts = np.bincount(data.train.y, minlength=data.num_classes).astype(float)
        weights = [float(len(data.train) / (data.num_classes * c)) if c else 0.0 for c in counts]
    return Plan(cfg, data, cfg.loss.type, train_t, val_t, weights, _chance(data), Scorer(data, cfg.loss.type, cfg.loss.blank))


# --- batches ----------------------------------------------------------------------------


def balanced_order(y: Any, batch_size: int, rng: Any) -> list[Any]:
    """Batches with every class equally represented (D11): each class is a reshuffled stream,
    and the minority classes' streams wrap around sooner, which duplicates (oversamples)
    their examples. An epoch keeps the data set's number of batches."""
    classes = np.unique(y)
    streams = {int(c): np.flatnonzero(y == c) for c in classes}
    cursors = {c: len(s) for c, s in streams.items()}  # exhausted: reshuffle on first use
    orders: dict[int, Any] = dict.fromkeys(streams, np.empty(0, np.int64))
    batches: list[Any] = []
    for _ in range(math.ceil(len(y) / batch_size)):
        share = np.full(len(classes), batch_size // len(classes))
        share[rng.permutation(len(classes))[: batch_size % len(classes)]] += 1
        picks = []
        for c, k in zip(streams, share, strict=True):
            for _ in range(int(k)):
                if cursors[c] >= len(streams[c]):
                    orders[c] = rng.permutation(streams[c])
                    cursors[c] = 0
                picks.append(orders[c][cursors[c]])
                cursors[c] += 1
        batches.append(rng.permutation(np.array(picks)))
    return batches


def batch_order(plan: Plan, rng: Any) -> list[Any]:
    cfg = plan.cfg
    n = len(plan.train_targets)
    if cfg.train.balance == "oversample":
        return balanced_order(plan.data.train.y, cfg.train.batch_size, rng)
    perm = rng.permutation(n)
    return [perm[i : i + cfg.train.batch_size] for i in range(0, n, cfg.train.batch_size)]


def _batch(targets: Split, idx: Any, poison: bool = False) -> Batch:
    t = targets.take(idx)
    width = int(t.x_len.max())  # trim padding beyond the longest sequence of the batch
    x = t.x[:, :width]
    y = t.y[:, :width] if t.y.ndim == 2 and t.y_len is None else t.y
    return Batch(x, t.x_len, y, t.y_len, idx, poison)


def eval_batches(targets: Split, batch_size: int) -> Iterator[Batch]:
    for i in range(0, len(targets), batch_size):
        yield _batch(targets, np.arange(i, min(i + batch_size, len(targets))))


def evaluate(backend: Backend, plan: Plan, targets: Split, ref: Split) -> dict[str, float]:
    """Loss and scores in inference mode (dropout off)."""
    total, count = 0.0, 0
    plan.scorer.reset()
    for batch in eval_batches(targets, max(plan.cfg.train.batch_size, 256)):
        loss, logits = backend.eval_step(batch)
        total += loss * len(batch.idx)
        count += len(batch.idx)
        plan.scorer.add(logits, ref.take(batch.idx))
    return {"loss": total / max(count, 1), **plan.scorer.result()}


# --- the loop ---------------------------------------------------------------------------


@dataclass
class _Schedule:
    """Learning-rate decay (D6.2): on a validation plateau, every step_size epochs, or smoothly."""

    cfg: TrainingConfig
    lr0: float
    best: float = math.inf
    bad_epochs: int = 0
    decays: int = 0

    def after_epoch(self, epoch: int, lr: float, monitored: float) -> float:
        s = self.cfg.schedule
        if s.type == "plateau":
            if monitored < self.best * (1 - 1e-4):
                self.best, self.bad_epochs = monitored, 0
            else:
                self.bad_epochs += 1
                if self.bad_epochs > s.patience:
                    self.bad_epochs = 0
                    self.decays += 1
                    return lr * s.factor
        elif (s.type == "step" and epoch % s.step_size == 0) or s.type == "exponential":
            self.decays += 1
            return lr * s.factor
        elif s.type == "cosine":
            self.decays += 1
            return self.lr0 * 0.5 * (1 + math.cos(math.pi * epoch / self.cfg.train.epochs))
        return lr


def _progress(enabled: bool, total: int, title: str) -> Any:
    if not enabled:
        return None
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

    progress = Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        TextColumn("{task.fields[status]}"),
    )
    progress.start()
    progress.add_task(title, total=total, status="")
    return progress


def run(
    plan: Plan,
    framework: str,
    output_dir: Path | None,
    *,
    progress: bool = True,
    hooks: Hooks | None = None,
    plot: bool = True,
    title: str | None = None,
) -> dict[str, Any]:
    """Train ``plan`` with one framework; returns the metrics and writes curves.csv/curves.png."""
    cfg = plan.cfg
    hooks = hooks or Hooks()
    started = time.perf_counter()
    backend = load_backend(framework, plan)
    rng = np.random.default_rng(cfg.train.seed)
    schedule = _Schedule(cfg, cfg.optim.lr)
    lr = cfg.optim.lr
    good_state = backend.snapshot()  # the last good state for the NaN guard
    rows: list[dict[str, Any]] = []
    step = nan_events = restores = consecutive_nan = clipped = 0
    norms: list[float] = []
    diverged: str | None = None
    clip = cfg.optim.clip_norm or 0.0
    per_epoch = math.ceil(len(plan.train_targets) / cfg.train.batch_size)
    bar = _progress(progress, cfg.train.epochs * per_epoch, title or f"{framework} {plan.data.name}")
    try:
        for epoch in range(1, cfg.train.epochs + 1):
            t0 = time.perf_counter()
            loss_sum = count = epoch_nan = 0.0
            epoch_norms: list[float] = []
            epoch_clipped = 0
            plan.scorer.reset()
            for idx in batch_order(plan, rng):
                step += 1
                batch = _batch(plan.train_targets, idx, poison=step in hooks.poison_steps)
                out = backend.train_step(batch)
                if bar is not None:
                    bar.advance(bar.task_ids[0])
                if not (math.isfinite(out.loss) and math.isfinite(out.grad_norm)):
                    nan_events += 1
                    epoch_nan += 1
                    consecutive_nan += 1
                    if not cfg.train.nan_guard:
                        diverged = f"non-finite loss at step {step} (no NaN guard)"
                        break
                    # D6.1: back to the last good state, at half the learning rate.
                    backend.restore(good_state)
                    lr *= 0.5
                    backend.set_lr(lr)
                    restores += 1
                    if hooks.on_nan is not None:
                        hooks.on_nan(step, backend, good_state)
                    if consecutive_nan >= MAX_NAN_EVENTS:
                        diverged = f"{consecutive_nan} non-finite steps in a row despite halving the learning rate"
                        break
                    continue
                consecutive_nan = 0
                epoch_norms.append(out.grad_norm)
                epoch_clipped += int(clip > 0 and out.grad_norm > clip)
                loss_sum += out.loss * len(idx)
                count += len(idx)
                plan.scorer.add(out.logits, plan.data.train.take(idx))
                if hooks.on_step is not None:
                    hooks.on_step(step, backend)
                if bar is not None:
                    bar.update(bar.task_ids[0], status=f"epoch {epoch} loss {loss_sum / count:.4f} lr {lr:.2g}")
            train_scores = plan.scorer.result()
            norms.extend(epoch_norms)
            clipped += epoch_clipped
            row: dict[str, Any] = {
                "epoch": epoch,
                "lr": lr,
                "train_loss": loss_sum / count if count else math.nan,
                "train_acc": train_scores.get("acc"),
                "grad_norm": float(np.mean(epoch_norms)) if epoch_norms else math.nan,
                "clip_rate": epoch_clipped / len(epoch_norms) if epoch_norms else 0.0,
                "nan_events": int(epoch_nan),
            }
            if diverged is None and plan.val_targets is not None and plan.data.val is not None:
                val = evaluate(backend, plan, plan.val_targets, plan.data.val)
                row.update(
                    val_loss=val["loss"], val_acc=val.get("acc"), val_balanced_acc=val.get("balanced_acc"), val_ler=val.get("ler")
                )
            row["seconds"] = time.perf_counter() - t0
            rows.append(row)
            if hooks.on_epoch is not None:
                hooks.on_epoch(epoch, row)
            if diverged is not None:
                break
            monitored = row.get("val_loss", row["train_loss"])
            if math.isfinite(monitored):
                good_state = backend.snapshot()
                lr = schedule.after_epoch(epoch, lr, monitored)
                backend.set_lr(lr)
    finally:
        if bar is not None:
            bar.stop()
    metrics = _summary(plan, framework, backend, rows, diverged)
    metrics.update(
        steps=step,
        nan_events=nan_events,
        nan_restores=restores,
        decays=schedule.decays,
        lr_initial=cfg.optim.lr,
        lr_final=lr,
        mean_grad_norm=float(np.mean(norms)) if norms else None,
        max_grad_norm=float(np.max(norms)) if norms else None,
        clip_rate=clipped / len(norms) if norms else 0.0,
    )
    metrics["verdict"], metrics["verdict_reason"] = curves.verdict(metrics, plan.chance)
    metrics["wall_s"] = time.perf_counter() - started
    if output_dir is not None:
        _write_curves(cfg, output_dir, rows, metrics, plot, title or f"{framework}: {plan.data.name}")
    metrics["history"] = rows
    return metrics


def _summary(plan: Plan, framework: str, backend: Backend, rows: list[dict[str, Any]], diverged: str | None) -> dict[str, Any]:
    last = rows[-1] if rows else {}
    vals = [r["val_acc"] for r in rows if r.get("val_acc") is not None]
    val_losses = [r["val_loss"] for r in rows if r.get("val_loss") is not None and math.isfinite(r["val_loss"])]
    metrics: dict[str, Any] = {
        "framework": framework,
        "device": backend.device,
        "task": plan.data.name,
        "task_kind": plan.data.kind,
        "loss": plan.loss,
        "epochs_run": len(rows),
        "diverged": diverged is not None,
        "diverged_reason": diverged,
        "train_loss": last.get("train_loss"),
        "train_acc": last.get("train_acc"),
        "val_loss": last.get("val_loss"),
        "val_acc": last.get("val_acc"),
        "val_balanced_acc": last.get("val_balanced_acc"),
        "val_ler": last.get("val_ler"),
        "best_val_acc": max(vals) if vals else None,
        "best_val_loss": min(val_losses) if val_losses else None,
        "chance": plan.chance,
        "train_eval_loss": None,
        "train_eval_acc": None,
    }
    if diverged is None:
        train_eval = evaluate(backend, plan, plan.train_targets, plan.data.train)
        metrics["train_eval_loss"], metrics["train_eval_acc"] = train_eval["loss"], train_eval.get("acc")
    return metrics


def _write_curves(
    cfg: TrainingConfig, output_dir: Path, rows: list[dict[str, Any]], metrics: dict[str, Any], plot: bool, title: str
) -> None:
    name = Path(cfg.train.log_csv).name if cfg.train.log_csv else "curves.csv"
    csv_path = output_dir / name
    curves.write_csv(csv_path, rows)
    metrics["csv"] = str(csv_path)
    metrics["plot"] = None
    if not plot:
        metrics["plot_note"] = "plot not requested"
    elif not curves.plot_available():
        metrics["plot_note"] = "matplotlib is not installed: no PNG (pip install matplotlib)"
    else:
        png = curves.plot_run(csv_path.with_suffix(".png"), rows, f"{title} - {metrics['verdict']}")
        metrics["plot"] = None if png is None else str(png)
        metrics["plot_note"] = None


def overfit_check(
    cfg: TrainingConfig,
    data: TaskData,
    framework: str,
    *,
    samples: int = 8,
    max_steps: int = 300,
    collapse: float = 0.05,
) -> dict[str, Any]:
    """T2: train on a few samples until the loss collapses, to prove the model and method can learn.

    The whole recipe runs unchanged (dropout, clipping, L2) on ``samples`` training examples
    in one batch, without decay. ``collapsed`` is true once the loss falls below ``collapse``
    times its first value.
    """
    few = data.train.take(np.arange(min(samples, len(data.train))))
    small = TaskData(data.name, data.kind, few, None, data.num_classes, data.vocab_size, data.feature_dim, data.description)
    tiny = cfg.model_copy(
        update={
            "train": cfg.train.model_copy(update={"batch_size": len(few), "balance": "none", "validation_split": 0.0}),
            "schedule": cfg.schedule.model_copy(update={"type": "none"}),
        }
    )
    plan = make_plan(tiny, small)
    backend = load_backend(framework, plan)
    losses: list[float] = []
    batch = _batch(plan.train_targets, np.arange(len(few)))
    for _ in range(max_steps):
        out = backend.train_step(batch)
        losses.append(out.loss)
        if not math.isfinite(out.loss) or out.loss < collapse * losses[0]:
            break
    final = losses[-1]
    collapsed = math.isfinite(final) and final < collapse * losses[0]
    return {
        "framework": framework,
        "samples": len(few),
        "steps": len(losses),
        "initial_loss": losses[0],
        "final_loss": final,
        "collapsed": collapsed,
        "losses": losses,
        "advice": "the model can fit a small sample"
        if collapsed
        else (
            "the loss did not collapse on a few samples: check the data and labels, class imbalance, the learning rate "
            "(too small or too large), the batch size and whether the model is too simple (T2)"
        ),
    }
