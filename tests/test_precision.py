"""Precision guards: evidence that must not silence a rule, and scripts that are not RNN training."""

from __future__ import annotations

from pathlib import Path

from helpers import codes, lint

from rnnlint.settings.model import Settings

LOOP = """
import torch
import torch.nn as nn
{extra}
class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.lr = 1e-3
        self.rnn = nn.LSTM(32, 256, 2, dropout=0.5)

model = Net()
opt = torch.optim.Adam(model.parameters(), lr=model.lr, weight_decay=1e-5)
crit = nn.CrossEntropyLoss({weight})
for x, y in []:
    opt.zero_grad()
    loss = crit(model(x), y)
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), 5.0)
    opt.step()
"""


def test_storing_the_initial_rate_in_init_is_not_a_decay(tmp_path: Path) -> None:
    diags = lint(tmp_path, LOOP.format(extra="", weight=""), settings=Settings(select=["RNN204"]))
    assert codes(diags) == ["RNN204"]


def test_a_string_literal_does_not_count_as_rebalancing(tmp_path: Path) -> None:
    extra = "from sklearn.utils.class_weight import compute_class_weight\nclass_weights = compute_class_weight('balanced', classes=[0, 1], y=[0, 0, 1])"
    diags = lint(tmp_path, LOOP.format(extra=extra, weight=""), settings=Settings(select=["RNN401"]))
    assert codes(diags) == ["RNN401"]
    diags = lint(
        tmp_path, LOOP.format(extra=extra, weight="weight=torch.tensor(class_weights)"), settings=Settings(select=["RNN401"])
    )
    assert codes(diags) == []


def test_non_recurrent_training_is_out_of_scope(tmp_path: Path) -> None:
    src = LOOP.format(extra="", weight="").replace("nn.LSTM(32, 256, 2, dropout=0.5)", "nn.Conv1d(32, 64, 3)")
    assert lint(tmp_path, src) == []


def test_argparse_option_without_default_is_unknown(tmp_path: Path) -> None:
    src = """
import argparse
import lightning as L
import torch.nn as nn
p = argparse.ArgumentParser()
p.add_argument("--clip", type=float)
args = p.parse_args()
class M(L.LightningModule):
    def __init__(self):
        super().__init__()
        self.rnn = nn.LSTM(8, 128, 2)
    def training_step(self, batch, i):
        return self.rnn(batch)[0].sum()
trainer = L.Trainer(gradient_clip_val=args.clip)
trainer.fit(M())
"""
    assert "RNN201" not in codes(lint(tmp_path, src))
    assert "RNN201" in codes(lint(tmp_path, src.replace("type=float)", "type=float, default=0)")))
