"""The designs of ``rnnlint verify``: one paired experiment per guideline, fixed before any run.

Each experiment states its claim, its task and budget, the one setting that differs
between the arms, a pre-declared statistic with the smallest effect that matters, and a
*manipulation check*: a condition on the runs without which the comparison means
nothing (clipping that never acts, a task no arm can learn, a baseline already at the
ceiling). A failed check makes the experiment an "invalid design", never "no difference".

Three modes size the same designs: ``quick`` (a smoke test for CPUs: one seed, tiny
budgets, never evidence), ``medium`` (5 seeds, sized for a few CPU cores) and ``full``
(5 seeds, the sizes the guidelines talk about, sized for a GPU machine).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from statistics import median
from typing import Any

from rnnlint.reference.tasks import ADDING_BASELINE_MSE, TASKS

MODES = ("quick", "medium", "full")
SEEDS = {"quick": 1, "medium": 5, "full": 5}

Runs = Sequence[dict[str, Any]]  # one arm's runs, one per seed, in seed order
Check = Callable[[Runs, Runs], tuple[bool, str]]  # (guideline runs, baseline runs) -> (passed, what was seen)


def pick(mode: str, quick: Any, medium: Any, full: Any) -> Any:
    return {"quick": quick, "medium": medium, "full": full}[mode]


def _merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    out = {k: dict(v) if isinstance(v, dict) else v for k, v in base.items()}
    for key, value in over.items():
        out[key] = {**out.get(key, {}), **value} if isinstance(value, dict) else value
    return out


def base_recipe(mode: str) -> dict[str, Any]:
    """The guideline recipe every experiment starts from: a 2-layer BiLSTM of 128 units in full
    mode (D3, D4); 64 units and one layer in medium mode and 32 in quick mode, to fit a CPU."""
    return {
        "model": {
            "cell": "lstm",
            "hidden_size": pick(mode, 32, 64, 128),
            "num_layers": pick(mode, 1, 1, 2),
            "bidirectional": True,
            "dropout": 0.3,
            "embedding_dim": 16,
        },
        "loss": {"type": "ce"},
        "optim": {"name": "adam", "lr": pick(mode, 0.005, 0.003, 0.002), "weight_decay": 1e-5, "clip_norm": 5.0},
        "schedule": {"type": "none"},
        "train": {"epochs": 6, "batch_size": 64, "balance": "none", "nan_guard": True, "log_csv": "curves.csv"},
        "data": {"task": "classification"},
    }


@dataclass(frozen=True)
class Experiment:
    rule: str
    section: str
    title: str
    claim: str
    task: str
    task_params: dict[str, Any]
    change: str  # the one setting that differs between the arms
    guideline: dict[str, Any]  # overrides of the base recipe, guideline arm
    baseline: dict[str, Any]  # overrides, baseline arm
    statistic: str  # what is compared, per seed
    value: Callable[[dict[str, Any]], float]  # one run -> the statistic
    higher_is_better: bool
    smallest_effect: float  # the smallest mean difference that counts, in the statistic's units
    check: str  # the manipulation check, in words
    passes: Check
    plot_key: str  # the per-epoch curve the plot shows
    notes: tuple[str, ...] = field(default_factory=tuple)

    def recipe(self, arm: str, mode: str) -> dict[str, Any]:
        return _merge(base_recipe(mode), self.guideline if arm == "guideline" else self.baseline)


# --- statistics of one run ---------------------------------------------------------------


def _finite(value: Any) -> float | None:
    return float(value) if value is not None and math.isfinite(float(value)) else None


def metric(key: str, missing: float) -> Callable[[dict[str, Any]], float]:
    """A run's final metric; ``missing`` when the run diverged or the metric is undefined."""

    def value(run: dict[str, Any]) -> float:
        v = None if run.get("diverged") else _finite(run.get(key))
        return missing if v is None else v

    return value


def capped_mse(run: dict[str, Any]) -> float:
    """Final validation MSE, no worse than the constant predictor's (a diverged run scores that)."""
    v = None if run.get("diverged") else _finite(run.get("val_loss"))
    return ADDING_BASELINE_MSE if v is None else min(v, ADDING_BASELINE_MSE)


def diverged(run: dict[str, Any]) -> float:
    return 1.0 if run.get("diverged") else 0.0


def log10_mse(run: dict[str, Any]) -> float:
    return math.log10(max(capped_mse(run), 1e-12))


# --- manipulation checks -----------------------------------------------------------------


def _values(runs: Runs, key: str) -> list[float]:
    return [v for v in (_finite(r.get(key)) for r in runs) if v is not None]


def _med(runs: Runs, key: str) -> float | None:
    vals = _values(runs, key)
    return median(vals) if len(vals) == len(runs) and vals else None


def learns(arm: str, key: str, below: float | None = None, above: float | None = None) -> Check:
    """The named arm reaches the level in the median seed (a diverged seed counts as failing)."""

    def check(g: Runs, b: Runs) -> tuple[bool, str]:
        runs = g if arm == "guideline" else b
        vals = sorted(metric(key, math.inf if below is not None else -math.inf)(r) for r in runs)
        m = vals[len(vals) // 2] if len(vals) % 2 else 0.5 * (vals[len(vals) // 2 - 1] + vals[len(vals) // 2])
        ok = (below is None or m < below) and (above is None or m > above)
        bound = f"< {below:g}" if below is not None else f"> {above:g}"
        return ok, f"{arm} arm: median {key} {m:.4g} (needs {bound})"

    return check


def both(*checks: Check) -> Check:
    def check(g: Runs, b: Runs) -> tuple[bool, str]:
        results = [c(g, b) for c in checks]
        return all(ok for ok, _ in results), "; ".join(text for _, text in results)

    return check


def clipping_acts(threshold: float) -> Check:
    """Every seed of the unclipped arm had a gradient norm above the threshold (or diverged),
    so clipping would have changed its updates."""

    def check(g: Runs, b: Runs) -> tuple[bool, str]:
        acted = [bool(r.get("diverged")) or (r.get("max_grad_norm") or 0.0) > threshold for r in b]
        diverged = sum(bool(r.get("diverged")) for r in b)
        norms = ", ".join("diverged" if r.get("diverged") else f"{r.get('max_grad_norm') or 0.0:.3g}" for r in b)
        return all(acted), (
            f"unclipped arm: largest gradient norm above {threshold:g} (or diverged) in {sum(acted)} of {len(b)} seeds "
            f"({norms}); {diverged} diverged"
        )

    return check


def decay_acts(g: Runs, b: Runs) -> tuple[bool, str]:
    decays = [int(r.get("decays") or 0) for r in g]
    return all(d >= 1 for d in decays), f"decayed arm: learning-rate decays per seed {decays} (needs >= 1 in each)"


def overfits(g: Runs, b: Runs) -> tuple[bool, str]:
    gaps = [(_finite(r.get("train_eval_acc")) or 0.0) - (_finite(r.get("val_acc")) or 0.0) for r in b]
    m = median(gaps) if gaps else 0.0
    return m > 0.1, f"no-dropout arm: median train-minus-validation accuracy {m:.3f} (needs > 0.1: something to prevent)"


def memory_span(task: str, params: dict[str, Any], need: int) -> Check:
    """The task needs memory: the first marker is at least ``need`` steps before the end in every sequence."""

    def check(g: Runs, b: Runs) -> tuple[bool, str]:
        data = TASKS[task](**{**params, "seed": 0})
        assert data.val is not None
        marks = data.val.x[:, :, 1]
        span = int((marks.shape[1] - marks.argmax(axis=1)).min())
        return span >= need, f"shortest distance from the first marker to the end: {span} steps (needs >= {need})"

    return check


# --- the experiments ---------------------------------------------------------------------


def experiments(mode: str) -> list[Experiment]:
    """Every experiment at the sizes of ``mode``."""
    if mode not in MODES:
        raise ValueError(f"unknown mode {mode!r}; choose one of {', '.join(MODES)}")
    m = mode
    n, n_val = pick(m, (512, 128), (2048, 512), (4096, 1024))
    adding_t = pick(m, 20, 50, 100)
    adding = {"n": pick(m, 1280, 6400, 12800), "n_val": pick(m, 256, 1024, 1024), "length": adding_t}
    regression = {"loss": {"type": "mse"}, "data": {"task": "regression"}}
    seq_model = {"bidirectional": False, "dropout": 0.0, "embedding_dim": None, "num_layers": 1}
    adding_recipe = _merge(
        regression,
        {
            "model": {**seq_model, "hidden_size": pick(m, 32, 64, 128)},
            "optim": {"name": "adam", "lr": pick(m, 3e-3, 3e-3, 1e-3), "weight_decay": 0.0, "clip_norm": 1.0},
            "train": {"epochs": pick(m, 8, 12, 20)},
        },
    )
    clip_lr = 0.5
    clip_recipe = _merge(
        regression,
        {
            "model": {**seq_model, "hidden_size": pick(m, 32, 64, 128)},
            "optim": {"name": "sgd", "lr": clip_lr, "momentum": 0.9, "weight_decay": 0.0},
            "train": {"epochs": pick(m, 4, 12, 12), "nan_guard": False},
        },
    )
    clip_task = {"n": pick(m, 640, 1600, 3200), "n_val": pick(m, 256, 512, 1024), "length": adding_t}
    decay_task = {"n": pick(m, 640, 1600, 3200), "n_val": pick(m, 256, 512, 1024), "length": pick(m, 10, 20, 30)}
    decay_recipe = _merge(
        regression,
        {
            "model": {**seq_model, "hidden_size": pick(m, 32, 64, 128)},
            "optim": {"name": "adam", "lr": 1e-2, "weight_decay": 0.0, "clip_norm": 1.0},
            "train": {"epochs": pick(m, 12, 40, 40)},
        },
    )
    ctc = {"data": {"task": "ctc"}, "model": {"embedding_dim": None}, "train": {"epochs": pick(m, 6, 20, 40)}}
    return [
        Experiment(
            "RNN101",
            "D1",
            "LSTM vs plain RNN on the adding problem",
            "a gated cell (LSTM) learns a dependency over many steps that a plain RNN does not learn in the same budget",
            "adding",
            adding,
            "model.cell: lstm vs rnn (1 layer, unidirectional, no dropout; Adam, clip 1.0, as Le, Jaitly & Hinton 2015)",
            _merge(adding_recipe, {"model": {"cell": "lstm"}}),
            _merge(adding_recipe, {"model": {"cell": "rnn"}}),
            "final validation MSE (constant predictor: 0.167)",
            metric("val_loss", ADDING_BASELINE_MSE),
            False,
            0.05,
            "the task needs memory (first marker at least T/2 steps before the end) and the LSTM arm learns it "
            "(median MSE < 0.05)",
            both(memory_span("adding", adding, adding_t // 2), learns("guideline", "val_loss", below=0.05)),
            "val_loss",
        ),
        Experiment(
            "RNN102",
            "D2",
            "bidirectional vs unidirectional on tagging that needs future context",
            "a tagger whose tags depend on later tokens needs a bidirectional layer",
            "future_tagging",
            {"n": n, "n_val": n_val, "length": 20, "classes": 4},
            "model.bidirectional: true vs false",
            {"model": {"bidirectional": True}, "data": {"task": "tagging"}, "train": {"epochs": pick(m, 4, 6, 8)}},
            {"model": {"bidirectional": False}, "data": {"task": "tagging"}, "train": {"epochs": pick(m, 4, 6, 8)}},
            "final validation token accuracy (chance about 0.25)",
            metric("val_acc", 0.0),
            True,
            0.05,
            "the bidirectional arm learns the task (median accuracy > 0.6)",
            learns("guideline", "val_acc", above=0.6),
            "val_acc",
        ),
        Experiment(
            "RNN201",
            "D6.4",
            "global-norm clipping vs none where gradients explode",
            "clipping the global gradient norm keeps training from diverging when gradients explode (Pascanu et al. 2013)",
            "adding",
            clip_task,
            f"optim.clip_norm: 1.0 vs none (LSTM, SGD lr {clip_lr} momentum 0.9, no NaN guard, no decay, in both arms)",
            _merge(clip_recipe, {"optim": {"clip_norm": 1.0}}),
            _merge(clip_recipe, {"optim": {"clip_norm": None}}),
            "diverged (1) or not (0): a non-finite loss before the end of the budget",
            diverged,
            False,
            0.4,
            "clipping acts: the unclipped arm's largest gradient norm exceeds the threshold 1.0 (or it diverges) in every seed",
            clipping_acts(1.0),
            "val_loss",
            (
                "the clipped arm is not expected to learn the task at this learning rate in this budget: the claim is "
                "about divergence, and the final MSE is reported beside it",
            ),
        ),
        Experiment(
            "RNN204",
            "D6.2",
            "plateau decay vs a fixed learning rate",
            "decaying the learning rate on a validation plateau ends training at a lower loss than a fixed rate",
            "adding",
            decay_task,
            "schedule.type: plateau (factor 0.5, patience 1) vs none (LSTM, Adam lr 0.01, clip 1.0)",
            _merge(decay_recipe, {"schedule": {"type": "plateau", "factor": 0.5, "patience": 1}}),
            _merge(decay_recipe, {"schedule": {"type": "none"}}),
            "log10 of the final validation MSE (1 = ten times lower)",
            log10_mse,
            False,
            0.1,
            "the decay acts (at least one decay in every seed) and the fixed-rate arm learns the task (median MSE < 0.05), "
            "so the arms differ in where they settle, not in whether they learn",
            both(decay_acts, learns("baseline", "val_loss", below=0.05)),
            "val_loss",
        ),
        Experiment(
            "RNN303",
            "D5",
            "CTC vs framewise cross entropy on unaligned label sequences",
            "without frame alignments, CTC learns label sequences better than framewise cross entropy on a guessed "
            "alignment (Graves et al. 2006)",
            "unaligned",
            {"n": n, "n_val": n_val, "symbols": 6, "max_repeat": 6, "silence": 0.5},
            "loss.type: ctc vs ce (framewise targets from what a real system has without alignments: the label "
            "sequence stretched uniformly over the frames)",
            _merge(ctc, {"loss": {"type": "ctc"}}),
            _merge(ctc, {"loss": {"type": "ce"}}),
            "final validation label error rate (greedy decoding; only blanks: 1.0)",
            metric("val_ler", 1.0),
            False,
            0.05,
            "CTC is trained past its blank-only plateau (median label error rate < 0.5)",
            learns("guideline", "val_ler", below=0.5),
            "val_ler",
        ),
        Experiment(
            "RNN105/RNN107",
            "D7",
            "dropout vs none on a small, noisy training set",
            "dropout reduces overfitting and so raises validation accuracy when a model can memorise its training set",
            "recall",
            {"n": pick(m, 128, 256, 256), "n_val": pick(m, 256, 512, 1024), "length": 10, "classes": 4, "label_noise": 0.3},
            "model.dropout: 0.5 vs 0.0 (no dropout, or dropout that acts nowhere, RNN107)",
            {"model": {"dropout": 0.5, "hidden_size": pick(m, 64, 128, 256)}, "train": {"epochs": pick(m, 20, 40, 40)}},
            {"model": {"dropout": 0.0, "hidden_size": pick(m, 64, 128, 256)}, "train": {"epochs": pick(m, 20, 40, 40)}},
            "final validation accuracy (clean labels; chance 0.25)",
            metric("val_acc", 0.0),
            True,
            0.02,
            "the no-dropout arm overfits (median train-minus-validation accuracy > 0.1)",
            overfits,
            "val_acc",
        ),
        Experiment(
            "RNN401",
            "D11",
            "balanced batches by oversampling vs plain batches on imbalanced data",
            "on rare positives, batches balanced by oversampling give a higher balanced accuracy than plain batches",
            "imbalanced",
            {"n": n, "n_val": 2 * n_val, "length": 20, "positive_rate": 0.03},
            "train.balance: oversample vs none",
            {"train": {"balance": "oversample", "epochs": pick(m, 4, 5, 5)}},
            {"train": {"balance": "none", "epochs": pick(m, 4, 5, 5)}},
            "final validation balanced accuracy (chance 0.5)",
            metric("val_balanced_acc", 0.5),
            True,
            0.02,
            "plain batches leave room to improve (median balanced accuracy of the plain arm < 0.97)",
            learns("baseline", "val_balanced_acc", below=0.97),
            "val_balanced_acc",
        ),
    ]


def budget(exp: Experiment, mode: str) -> dict[str, Any]:
    """Steps and sizes of one arm (both arms have the same budget)."""
    recipe = exp.recipe("guideline", mode)
    n = int(exp.task_params.get("n", 1024))
    batch = int(recipe["train"]["batch_size"])
    epochs = int(recipe["train"]["epochs"])
    return {
        "epochs": epochs,
        "batch_size": batch,
        "steps": epochs * math.ceil(n / batch),
        "train_examples": n,
        "hidden_size": recipe["model"]["hidden_size"],
        "num_layers": recipe["model"]["num_layers"],
        "optimizer": f"{recipe['optim']['name']} lr {recipe['optim']['lr']:g}",
    }
