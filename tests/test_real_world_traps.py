"""False alarms found on public training scripts, each reduced to a small program of our own."""

from __future__ import annotations

from pathlib import Path

from helpers import codes, lint, lint_files

LAYER_MODULE = """
import torch.nn as nn

class Residual(nn.Module):
    def __init__(self, inner):
        super().__init__()
        self.inner = inner

if __name__ == "__main__":
    block = Residual(nn.LSTM(8, 8))
"""


def test_smoke_test_under_main_guard_is_not_the_model(tmp_path: Path) -> None:
    files = {
        "wrappers.py": LAYER_MODULE,
        "train.py": "import torch.nn as nn\nfrom wrappers import Residual\nmodel = Residual(nn.LSTM(64, 256, 2, dropout=0.5))\n",
    }
    assert codes(lint_files(tmp_path, files)) == []
    alone = lint_files(tmp_path / "alone", {"wrappers.py": LAYER_MODULE})
    assert codes(alone) == []


def test_loose_demo_layer_beside_a_model_class_is_ignored(tmp_path: Path) -> None:
    src = """
import torch.nn as nn
demo = nn.LSTM(3, 3)

class Tagger(nn.Module):
    def __init__(self, tagset_size):
        super().__init__()
        self.lstm = nn.LSTM(64, 256, num_layers=2, dropout=0.5, bidirectional=True)
        self.out = nn.Linear(512, tagset_size)
"""
    assert codes(lint(tmp_path, src)) == []


def test_a_block_built_twice_is_two_layers(tmp_path: Path) -> None:
    src = """
import torch.nn as nn

class BiLSTMBlock(nn.Module):
    def __init__(self, n_in, n_hidden):
        super().__init__()
        self.rnn = nn.LSTM(n_in, n_hidden, bidirectional=True)

class CRNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.rnn = nn.Sequential(BiLSTMBlock(512, 256), BiLSTMBlock(512, 256))
"""
    assert "RNN103" not in codes(lint(tmp_path, src))
    assert "RNN103" in codes(lint(tmp_path, src.replace(", BiLSTMBlock(512, 256))", ")")))


def test_star_imports_bring_helpers_and_values(tmp_path: Path) -> None:
    files = {
        "helpers.py": """
import torch
def clip_gradient(model, clip):
    torch.nn.utils.clip_grad_norm_(model.parameters(), clip)
def shrink_lr(optimizer, factor):
    for group in optimizer.param_groups:
        group["lr"] *= factor
""",
        "train.py": """
import torch
import torch.nn as nn
from helpers import *

model = nn.LSTM(32, 256, 2, dropout=0.5)
optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
for x, y in []:
    optimizer.zero_grad()
    loss = model(x)[0].sum()
    loss.backward()
    clip_gradient(model, 5.0)
    optimizer.step()
shrink_lr(optimizer, 0.5)
""",
    }
    found = codes(lint_files(tmp_path, files))
    assert "RNN201" not in found and "RNN204" not in found


def test_model_passed_into_the_training_function_is_the_optimized_one(tmp_path: Path) -> None:
    src = """
import torch
import torch.nn as nn

def train_epoch(model, optimizer, batches):
    for x, y in batches:
        optimizer.zero_grad()
        loss = model(x)[0].sum()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 5.0)
        optimizer.step()

net = nn.GRU(32, 256, 2, dropout=0.5)
opt = torch.optim.Adam(net.parameters(), lr=1e-3)
train_epoch(net, opt, [])
"""
    assert "RNN202" not in codes(lint(tmp_path, src))


def test_attention_softmax_inside_a_decoder_is_not_a_loss_mismatch(tmp_path: Path) -> None:
    src = """
import torch.nn as nn
import torch.nn.functional as F

class Attention(nn.Module):
    def forward(self, hidden, outputs):
        return F.softmax(outputs @ hidden, dim=1)

class Decoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.attention = Attention()
        self.gru = nn.GRU(256, 256, 2, dropout=0.5)

    def forward(self, x, h, outputs):
        return F.log_softmax(self.gru(x, h)[0], dim=-1)

loss = F.nll_loss(Decoder()(x, h, outputs), y)
"""
    assert "RNN305" not in codes(lint(tmp_path, src))


def test_module_level_rebinding_uses_the_binding_in_force(tmp_path: Path) -> None:
    files = {
        "net.py": "import torch.nn as nn\nclass RNNModel(nn.Module):\n    def __init__(self, dropout=0.2):\n        super().__init__()\n        self.rnn = nn.LSTM(8, 256, 2, dropout=dropout)\n",
        "train.py": "import net\nnet = net.RNNModel(0.5)\n",
    }
    assert "RNN106" not in codes(lint_files(tmp_path, files, only=["train.py"]))


def test_camel_case_acronyms_split_into_words(tmp_path: Path) -> None:
    src = "import torch.nn as nn\nclass LSTMClassifier(nn.Module):\n    def __init__(self):\n        super().__init__()\n        self.rnn = nn.LSTM(32, 256, 2, dropout=0.5)\n"
    assert "RNN102" in codes(lint(tmp_path, src))


def test_recurrent_class_passed_as_a_parameter(tmp_path: Path) -> None:
    src = """
import torch.nn as nn

class BatchRNN(nn.Module):
    def __init__(self, input_size, hidden_size, rnn_type=nn.LSTM):
        super().__init__()
        self.rnn = rnn_type(input_size=input_size, hidden_size=hidden_size, bidirectional=True)

layers = nn.Sequential(BatchRNN(161, 800), BatchRNN(1600, 800))
"""
    found = [d for d in lint(tmp_path, src) if d.code == "RNN104"]
    assert found and "800" in found[0].message


def test_plotting_predictions_is_not_a_loss_curve(tmp_path: Path) -> None:
    src = """
import matplotlib.pyplot as plt
import torch
import torch.nn as nn
model = nn.LSTM(8, 256, 2, dropout=0.5)
opt = torch.optim.Adam(model.parameters(), weight_decay=1e-5)
for x, y in []:
    opt.zero_grad()
    loss = model(x)[0].sum()
    loss.backward()
    opt.step()
plt.plot(model(x)[0].detach())
"""
    assert "RNN403" in codes(lint(tmp_path, src))
    assert "RNN403" not in codes(lint(tmp_path, src.replace("plt.plot(model(x)[0].detach())", "plt.plot(train_loss)")))
