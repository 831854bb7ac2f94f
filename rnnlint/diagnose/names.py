"""Metric-name synonyms, as data: the spellings loggers and users give the same quantity."""

from __future__ import annotations

import re

# canonical name -> normalised spellings (lower case, separators '/', '-', '.', ' ' as '_').
SYNONYMS: dict[str, tuple[str, ...]] = {
    "loss": (
        "loss",
        "train_loss",
        "training_loss",
        "loss_train",
        "train_epoch_loss",
        "epoch_loss",
        "train_loss_epoch",
        "loss_epoch",
        "trn_loss",
        "tr_loss",
        "train_total_loss",
        "train_objective",
        "loss_training",
        "train_loss_step",
        "loss_step",
        "train_batch_loss",
        "batch_loss",
    ),
    "val_loss": (
        "val_loss",
        "valid_loss",
        "validation_loss",
        "eval_loss",
        "dev_loss",
        "loss_val",
        "loss_valid",
        "loss_validation",
        "loss_eval",
        "loss_dev",
        "val_epoch_loss",
        "validation_epoch_loss",
        "val_loss_epoch",
        "valid_loss_epoch",
        "test_loss_val",
        "evaluation_loss",
        "val_total_loss",
    ),
    "lr": (
        "lr",
        "learning_rate",
        "learningrate",
        "train_lr",
        "train_learning_rate",
        "optimizer_lr",
        "lr_adam",
        "lr_adamw",
        "lr_sgd",
        "lr_rmsprop",
        "lr_adagrad",
        "epoch_learning_rate",
        "epoch_lr",
        "lr_abs",
        "lr_0",
        "lr_group_0",
    ),
    "grad_norm": (
        "grad_norm",
        "gradient_norm",
        "grad_norm_total",
        "global_grad_norm",
        "grad_2_0_norm_total",
        "train_grad_norm",
        "grads_norm",
        "total_grad_norm",
        "gradnorm",
        "grad_l2_norm",
        "rnnlint_grad_norm",
    ),
    "grad_norm_hh": ("grad_norm_hh", "grad_norm_recurrent", "rnnlint_grad_norm_hh", "recurrent_grad_norm"),
    "grad_norm_ih": ("grad_norm_ih", "grad_norm_input", "rnnlint_grad_norm_ih", "input_grad_norm"),
    "clip_rate": ("clip_rate", "clipped", "clip_fraction", "grad_clip_rate", "rnnlint_clip_rate"),
    "train_acc": ("acc", "accuracy", "train_acc", "train_accuracy", "epoch_accuracy", "train_acc_epoch"),
    "val_acc": ("val_acc", "val_accuracy", "valid_acc", "validation_accuracy", "eval_accuracy", "eval_acc", "val_acc_epoch"),
}

_LOOKUP = {spelling: canonical for canonical, spellings in SYNONYMS.items() for spelling in spellings}


def normalise(name: str) -> str:
    return re.sub(r"[/\-. ]+", "_", name.strip().lower()).strip("_")


def canonical(name: str, mapping: dict[str, str] | None = None) -> str | None:
    """The canonical metric a logged name stands for, or None.

    ``mapping`` (``--column val_loss=valid/loss``) wins. A TensorBoard tag under a
    sub-run (``loss_val/loss`` from ``add_scalars``) is also tried by its folder alone.
    """
    if mapping:
        for canon, raw in mapping.items():
            if raw == name:
                return canon
    key = normalise(name)
    if key in _LOOKUP:
        return _LOOKUP[key]
    if "/" in name:
        head, _, tail = name.rpartition("/")
        for part in (normalise(head), normalise(tail) if normalise(head) in ("train", "training") else ""):
            if part in _LOOKUP:
                return _LOOKUP[part]
    return None


def layered(name: str) -> str | None:
    """A per-layer gradient norm of recurrent (``weight_hh``) or input (``weight_ih``) weights."""
    key = normalise(name)
    if "grad" not in key:
        return None
    if "weight_hh" in key or "recurrent_kernel" in key:
        return "grad_norm_hh"
    if "weight_ih" in key or (key.endswith("kernel") and "recurrent" not in key and "lstm" in key):
        return "grad_norm_ih"
    return None
