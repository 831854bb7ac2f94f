"""PyTorch backend of the reference trainers.

Model (D9, D1-D3, D7): embedding (token inputs) -> dropout -> one fused ``nn.LSTM`` /
``nn.GRU`` / ``nn.RNN`` stack (bidirectional when configured, dropout between layers,
packed sequences for padded batches) -> dropout -> linear head. Losses (D5): cross
entropy, or CTC on ``log_softmax`` outputs. Optimizers (D10): Adam, AdamW, RMSprop,
Adadelta, Adagrad, SGD, with weight decay (D8). Each step clips the global gradient norm
(D6.4); the loop's NaN guard (D6.1) undoes a non-finite step. Regression (the adding problem)
uses a mean squared error on one output. Runs on the device :func:`use_device` chose (by
default CUDA when it is present). torch is imported here only, never by ``import rnnlint``.
"""

from __future__ import annotations

import copy
from typing import Any

import numpy as np
import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from rnnlint.reference.loop import Batch, Plan, StepOut

OPTIMIZERS = {
    "adam": torch.optim.Adam,
    "adamw": torch.optim.AdamW,
    "rmsprop": torch.optim.RMSprop,
    "adadelta": torch.optim.Adadelta,
    "adagrad": torch.optim.Adagrad,
    "sgd": torch.optim.SGD,
}


_DEVICE: list[str] = []  # the device use_device chose; empty: CUDA when present


def use_device(name: str = "auto") -> str:
    """Pick the device for every backend built afterwards: "cpu", "cuda" or "auto" (CUDA when present)."""
    if name == "auto":
        name = "cuda" if torch.cuda.is_available() else "cpu"
    elif name == "cuda" and not torch.cuda.is_available():
        raise RuntimeError("--device cuda: torch sees no CUDA device")
    _DEVICE[:] = [name]
    return name


def deterministic() -> None:
    """Ask torch for deterministic kernels (same numbers on a rerun on the same machine). CTC's
    CUDA backward has no deterministic version, so torch only warns there (warn_only)."""
    torch.use_deterministic_algorithms(True, warn_only=True)
    torch.backends.cudnn.benchmark = False
    torch.backends.cudnn.deterministic = True


class SequenceModel(nn.Module):  # type: ignore[misc]
    """embedding -> dropout -> stacked (bi)RNN -> dropout -> head; one output per sequence or per step."""

    def __init__(self, plan: Plan) -> None:
        super().__init__()
        m, data = plan.cfg.model, plan.data
        self.per_step = data.kind in ("tagging", "ctc")  # one output per sequence for classes and regression
        if data.tokens:
            assert m.embedding_dim is not None and data.vocab_size is not None
            self.embed: nn.Module = nn.Embedding(data.vocab_size, m.embedding_dim, padding_idx=0)
            width = m.embedding_dim
        else:
            assert data.feature_dim is not None
            self.embed = nn.Identity()
            width = data.feature_dim
        self.drop = nn.Dropout(m.dropout)
        # Between-layer dropout only exists in a stack; a single layer gets it from self.drop.
        between = m.dropout if m.num_layers > 1 else 0.0
        if m.cell == "lstm":
            self.rnn: nn.Module = nn.LSTM(
                width, m.hidden_size, num_layers=m.num_layers, bidirectional=m.bidirectional, batch_first=True, dropout=between
            )
        elif m.cell == "gru":
            self.rnn = nn.GRU(
                width, m.hidden_size, num_layers=m.num_layers, bidirectional=m.bidirectional, batch_first=True, dropout=between
            )
        else:  # the plain RNN, for comparisons (D1 prefers the LSTM)
            self.rnn = nn.RNN(
                width, m.hidden_size, num_layers=m.num_layers, bidirectional=m.bidirectional, batch_first=True, dropout=between
            )
        self.directions = 2 if m.bidirectional else 1
        self.head = nn.Linear(m.hidden_size * self.directions, data.num_classes)
        _init_recurrent(self.rnn, m.cell)

    def forward(self, x: torch.Tensor, lengths: torch.Tensor | None) -> torch.Tensor:
        h = self.drop(self.embed(x))
        if lengths is not None:  # padded batch: pack it so the padding never enters the recurrence
            packed = pack_padded_sequence(h, lengths.cpu(), batch_first=True, enforce_sorted=False)
            out_packed, state = self.rnn(packed)
            out, _ = pad_packed_sequence(out_packed, batch_first=True, total_length=x.shape[1])
        else:
            out, state = self.rnn(h)
        if self.per_step:
            return self.head(self.drop(out))
        last = state[0] if isinstance(state, tuple) else state  # h_n: (layers * directions, batch, hidden)
        final = torch.cat([last[-d] for d in range(self.directions, 0, -1)], dim=-1)
        return self.head(self.drop(final))


def _init_recurrent(rnn: nn.Module, cell: str) -> None:
    """Keras-style initialisation (T3): Glorot input weights, orthogonal recurrent weights per gate,
    zero biases, LSTM forget-gate bias 1; the two frameworks then start alike."""
    gates = {"lstm": 4, "gru": 3, "rnn": 1}[cell]
    for name, p in rnn.named_parameters():
        with torch.no_grad():
            if name.startswith("weight_ih"):
                nn.init.xavier_uniform_(p)
            elif name.startswith("weight_hh"):
                for block in p.chunk(gates, 0):
                    nn.init.orthogonal_(block)
            elif name.startswith("bias"):
                p.zero_()
                if cell == "lstm" and name.startswith("bias_ih"):
                    p[p.shape[0] // 4 : p.shape[0] // 2] = 1.0


def _optimizer(plan: Plan, params: Any) -> torch.optim.Optimizer:
    o = plan.cfg.optim
    kwargs: dict[str, Any] = {"lr": o.lr, "weight_decay": o.weight_decay}  # D8: L2 on every weight
    if o.name in ("sgd", "rmsprop"):
        kwargs["momentum"] = o.momentum
    return OPTIMIZERS[o.name](params, **kwargs)


class TorchBackend:
    framework = "torch"

    def __init__(self, plan: Plan) -> None:
        cfg = plan.cfg
        torch.manual_seed(cfg.train.seed)
        self.plan = plan
        self.device = _DEVICE[0] if _DEVICE else use_device("auto")
        self.model = SequenceModel(plan).to(self.device)
        self.optimizer = _optimizer(plan, self.model.parameters())
        self.clip = cfg.optim.clip_norm or 0.0
        weights = (
            None if plan.class_weights is None else torch.tensor(plan.class_weights, dtype=torch.float32, device=self.device)
        )
        self.cross_entropy = nn.CrossEntropyLoss(weight=weights, ignore_index=-1)
        # log_softmax outputs, and impossible alignments give zero loss instead of inf
        self.ctc = nn.CTCLoss(blank=cfg.loss.blank, zero_infinity=True)
        nonblank = [i for i in range(plan.data.num_classes) if i != cfg.loss.blank]
        self.label_index = torch.tensor([0, *nonblank], device=self.device)  # label symbol -> output index

    def _tensors(self, batch: Batch) -> tuple[torch.Tensor, torch.Tensor | None, torch.Tensor]:
        x = torch.as_tensor(np.asarray(batch.x), device=self.device)
        lengths = torch.as_tensor(np.asarray(batch.x_len))
        varied = bool((lengths < x.shape[1]).any())
        return x, lengths.to(self.device) if varied else None, torch.as_tensor(np.asarray(batch.y), device=self.device)

    def _loss(self, logits: torch.Tensor, batch: Batch, lengths: torch.Tensor | None, y: torch.Tensor) -> torch.Tensor:
        if self.plan.loss == "ctc":
            log_probs = logits.log_softmax(dim=-1).transpose(0, 1)  # (T, batch, classes)
            input_lengths = torch.as_tensor(np.asarray(batch.x_len), device=self.device)
            target_lengths = torch.as_tensor(np.asarray(batch.y_len), device=self.device)
            return self.ctc(log_probs, self.label_index[y], input_lengths, target_lengths)
        if self.plan.loss == "mse":
            return nn.functional.mse_loss(logits.squeeze(-1), y.float())
        if logits.dim() == 3:  # per-step tags, -1 on padding
            return self.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1))
        return self.cross_entropy(logits, y)

    def train_step(self, batch: Batch) -> StepOut:
        self.model.train()
        x, lengths, y = self._tensors(batch)
        self.optimizer.zero_grad(set_to_none=True)
        logits = self.model(x, lengths)
        loss = self._loss(logits, batch, lengths, y)
        if batch.poison:
            loss = loss * float("nan")
        loss.backward()
        params = [p for p in self.model.parameters() if p.grad is not None]
        if self.clip > 0:  # D6.4: clip the global norm before the update
            norm = torch.nn.utils.clip_grad_norm_(params, self.clip)
        else:
            norm = torch.nn.utils.get_total_norm([p.grad for p in params])
        self.optimizer.step()  # a non-finite step is undone by the loop's NaN guard (D6.1)
        return StepOut(float(loss.detach()), float(norm), logits.detach().cpu().numpy())

    def eval_step(self, batch: Batch) -> tuple[float, Any]:
        self.model.eval()
        x, lengths, y = self._tensors(batch)
        with torch.no_grad():
            logits = self.model(x, lengths)
            loss = float(self._loss(logits, batch, lengths, y))
        return loss, logits.cpu().numpy()

    def get_lr(self) -> float:
        return float(self.optimizer.param_groups[0]["lr"])

    def set_lr(self, lr: float) -> None:
        for group in self.optimizer.param_groups:
            group["lr"] = lr

    def snapshot(self) -> Any:
        return {"model": copy.deepcopy(self.model.state_dict()), "optimizer": copy.deepcopy(self.optimizer.state_dict())}

    def restore(self, state: Any) -> None:
        self.model.load_state_dict(state["model"])
        self.optimizer.load_state_dict(copy.deepcopy(state["optimizer"]))

    def weights(self) -> list[Any]:
        return [p.detach().cpu().numpy().copy() for p in self.model.parameters()]


def describe() -> str:
    return f"torch {torch.__version__}, cuda {'yes' if torch.cuda.is_available() else 'no'}"
