"""rnnlint's own training-config schema: the RNN recipe of the guidelines, as pydantic models.

A YAML file with top-level ``model`` and ``optim`` sections in this shape is
validated (RNN002 for wrong values, RNN003 for unknown keys) and then linted like
code. The reference trainers read the same schema.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

SECTIONS = ("model", "loss", "optim", "schedule", "train", "data")


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ModelConfig(_Section):
    cell: Literal["rnn", "lstm", "gru"] = "lstm"
    hidden_size: int = Field(256, gt=0)
    num_layers: int = Field(2, ge=1)
    bidirectional: bool = True
    dropout: float = Field(0.5, ge=0.0, lt=1.0)
    embedding_dim: int | None = Field(128, gt=0)
    vocab_size: int | None = Field(None, gt=0)
    num_classes: int | None = Field(None, gt=0)


class LossConfig(_Section):
    type: Literal["ce", "ctc", "mse", "l1", "bce"] = "ce"
    blank: int = Field(0, ge=0)
    class_weights: list[float] | None = None


class OptimConfig(_Section):
    name: Literal["adam", "adamw", "sgd", "rmsprop", "adadelta", "adagrad"] = "adam"
    lr: float = Field(1e-3, gt=0)
    momentum: float = Field(0.0, ge=0.0, lt=1.0)
    weight_decay: float = Field(1e-5, ge=0.0)
    clip_norm: float | None = Field(5.0, ge=0.0)  # None or 0 turns clipping off


class ScheduleConfig(_Section):
    type: Literal["plateau", "step", "exponential", "cosine", "none"] = "plateau"
    factor: float = Field(0.5, gt=0.0, lt=1.0)
    patience: int = Field(2, ge=0)
    step_size: int = Field(10, ge=1)


class TrainConfig(_Section):
    epochs: int = Field(20, ge=1)
    batch_size: int = Field(32, ge=1)
    seed: int = 0
    balance: Literal["none", "oversample", "weights"] = "none"
    validation_split: float = Field(0.1, ge=0.0, lt=1.0)
    nan_guard: bool = True
    log_csv: str | None = "curves.csv"


class DataConfig(_Section):
    task: Literal["classification", "tagging", "ctc", "language_model", "regression"] = "classification"
    path: str | None = None
    max_len: int | None = Field(None, gt=0)


class TrainingConfig(_Section):
    """The whole recipe. Every section has defaults that follow the guidelines."""

    model: ModelConfig = ModelConfig()
    loss: LossConfig = LossConfig()
    optim: OptimConfig = OptimConfig()
    schedule: ScheduleConfig = ScheduleConfig()
    train: TrainConfig = TrainConfig()
    data: DataConfig = DataConfig()
