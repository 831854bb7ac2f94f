"""Loss, regularisation, data and process rules: RNN301-RNN305, RNN401-RNN403, RNN501, RNN503."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from helpers import codes, line_of, lines, only
from helpers import strict_lint as lint
from helpers import strict_lint_files as lint_files

from rnnlint.diagnostics import Severity

# A GRU sentence classifier with a complete, clean training script. Slots let each test
# change one thing: the loss, the optimizer, the training step, the epoch end, extra code.
HEADER = """\
import math

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.tensorboard import SummaryWriter


class SentenceModel(nn.Module):
    def __init__(self, vocab_size=20000, num_classes=4):
        super().__init__()
        self.embed = nn.Embedding(vocab_size, 128)
        self.gru = nn.GRU(128, 256, num_layers=2, dropout=0.5, bidirectional=True, batch_first=True)
        self.fc = nn.Linear(512, num_classes)

    def forward(self, x):
        _, h = self.gru(self.embed(x))
        return self.fc(torch.cat((h[-2], h[-1]), dim=1))


model = SentenceModel()
writer = SummaryWriter()
"""

CRITERION = "criterion = nn.CrossEntropyLoss()"
OPTIMIZER = "optimizer = torch.optim.Adam(model.parameters(), lr=1e-3, weight_decay=1e-5)"
STEP = """\
optimizer.zero_grad()
loss = criterion(model(x), y)
if not torch.isfinite(loss):
    continue
loss.backward()
torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm=5.0)
optimizer.step()
"""
EVALUATE = """

def evaluate(loader):
    model.eval()
    total = 0.0
    with torch.no_grad():
        for x, y in loader:
            total += criterion(model(x), y).item()
    return total / len(loader)
"""
EPOCH_END = """\
val_loss = evaluate(val_loader)
scheduler.step(val_loss)
writer.add_scalar("loss/val", val_loss, epoch)
"""
LOOP = """

def train(train_loader, val_loader, epochs=10):
    for epoch in range(epochs):
        model.train()
        for x, y in train_loader:
{step}
{epoch_end}
"""


def script(
    step: str = STEP,
    *,
    criterion: str = CRITERION,
    optimizer: str = OPTIMIZER,
    evaluate: str = EVALUATE,
    epoch_end: str = EPOCH_END,
    extra: str = "",
    header: str = HEADER,
) -> str:
    body = LOOP.format(
        step=textwrap.indent(textwrap.dedent(step), " " * 12),
        epoch_end=textwrap.indent(textwrap.dedent(epoch_end), " " * 8),
    )
    return (
        header
        + textwrap.dedent(extra)
        + criterion
        + "\n"
        + optimizer
        + "\nscheduler = torch.optim.lr_scheduler.ReduceLROnPlateau(optimizer, factor=0.5)\n"
        + evaluate
        + body
    )


def test_the_clean_script_is_clean(tmp_path: Path) -> None:
    assert codes(lint(tmp_path, script())) == []


# ---------------------------------------------------------------------------------------------
# RNN301 no-regularization
# ---------------------------------------------------------------------------------------------

NO_DECAY = {
    "Adam default": ("optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)", "`Adam`", "pass `weight_decay=1e-5`"),
    "SGD weight_decay=0": (
        "optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=0)",
        "`SGD`",
        "pass `weight_decay=1e-5`",
    ),
    "Rprop has no weight decay": ("optimizer = torch.optim.Rprop(model.parameters(), lr=0.01)", "`Rprop`", "add an L2 term"),
}


@pytest.mark.parametrize("optimizer,shown,hint", NO_DECAY.values(), ids=NO_DECAY.keys())
def test_rnn301_fires_at_the_optimizer(tmp_path: Path, optimizer: str, shown: str, hint: str) -> None:
    # without the GRU's dropout: nothing regularises the model, the guideline's warning
    source = script(optimizer=optimizer).replace("num_layers=2, dropout=0.5, ", "num_layers=2, ")
    diags = lint(tmp_path, source)
    d = only(diags, "RNN301")
    assert d.loc.line == line_of(source, "optimizer = torch.optim.")
    assert shown in d.message and hint in d.message
    assert d.severity is Severity.WARNING
    assert codes(diags) == ["RNN105", "RNN301"]
    # the script as it is has strong dropout between its stacked GRU layers: a hint at info that names it
    d = only(lint(tmp_path, script(optimizer=optimizer)), "RNN301")
    assert d.severity is Severity.INFO and shown in d.message and "GRU(dropout=0.5)" in d.message


def test_rnn301_fires_at_a_manual_update(tmp_path: Path) -> None:
    source = """
    import torch
    import torch.nn as nn

    lr = 20
    model = nn.LSTM(200, 256, num_layers=2, dropout=0.5)
    for x, y in []:
        model.zero_grad()
        loss = nn.functional.mse_loss(model(x)[0], y)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 0.25)
        for p in model.parameters():
            p.data.add_(p.grad, alpha=-lr)
    """
    diags = lint(tmp_path, source)
    assert lines(diags, "RNN301") == [line_of(source, "p.data.add_(")]


def test_rnn301_silent_for_per_group_weight_decay(tmp_path: Path) -> None:
    extra = """\
    decay = [p for n, p in model.named_parameters() if "bias" not in n]
    no_decay = [p for n, p in model.named_parameters() if "bias" in n]
    """
    optimizer = (
        "optimizer = torch.optim.Adam(\n"
        '    [{"params": decay, "weight_decay": 1e-4}, {"params": no_decay, "weight_decay": 0.0}], lr=1e-3\n'
        ")"
    )
    source = script(optimizer=optimizer, extra=extra)
    assert codes(lint(tmp_path, source), "RNN301") == []


RNN301_SILENT = {
    "weight_decay": script(),
    "AdamW default decay": script(optimizer="optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3)"),
    "unknown weight_decay": script(
        optimizer="optimizer = torch.optim.Adam(model.parameters(), lr=1e-3, weight_decay=float(input()))"
    ),
    "explicit L2 penalty in the loss": script(
        STEP.replace(
            "loss = criterion(model(x), y)",
            "l2_penalty = sum(p.pow(2).sum() for p in model.parameters())\nloss = criterion(model(x), y) + 1e-5 * l2_penalty",
        ),
        optimizer="optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)",
    ),
}


@pytest.mark.parametrize("source", RNN301_SILENT.values(), ids=RNN301_SILENT.keys())
def test_rnn301_silent(tmp_path: Path, source: str) -> None:
    assert codes(lint(tmp_path, source)) == []


def test_rnn301_model_only_module_is_silent(tmp_path: Path) -> None:
    model = """
    import torch
    import torch.nn as nn


    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.lstm = nn.LSTM(9, 256, num_layers=2, dropout=0.5)

        def make_optimizer(self):
            return torch.optim.Adam(self.parameters(), lr=1e-3)
    """
    diags = lint_files(tmp_path, {"model.py": model}, only=["model.py"])
    assert codes(diags, "RNN3") == []
    assert codes(diags, "RNN4") == []


# ---------------------------------------------------------------------------------------------
# RNN302 regularization-loss-unused
# ---------------------------------------------------------------------------------------------

UNUSED_REG = {
    "l2_reg in the step": (
        STEP.replace(
            "loss = criterion(model(x), y)",
            "l2_reg = sum(p.pow(2).sum() for p in model.parameters())\nloss = criterion(model(x), y)",
        ),
        "l2_reg = ",
        "`l2_reg`",
    ),
    "reg_loss over named_parameters": (
        STEP.replace(
            "loss = criterion(model(x), y)",
            "reg_loss = sum(w.norm(2) for n, w in model.named_parameters() if 'weight' in n)\nloss = criterion(model(x), y)",
        ),
        "reg_loss = ",
        "`reg_loss`",
    ),
}


@pytest.mark.parametrize("step,needle,shown", UNUSED_REG.values(), ids=UNUSED_REG.keys())
def test_rnn302_fires(tmp_path: Path, step: str, needle: str, shown: str) -> None:
    source = script(step)
    diags = lint(tmp_path, source)
    d = only(diags, "RNN302")
    assert d.loc.line == line_of(source, needle)
    assert shown in d.message and "never added" in d.message
    assert d.severity is Severity.ERROR
    assert codes(diags) == ["RNN302"]


RNN302_SILENT = {
    "penalty added to the loss": STEP.replace(
        "loss = criterion(model(x), y)",
        "l2_reg = sum(p.pow(2).sum() for p in model.parameters())\nloss = criterion(model(x), y) + 1e-5 * l2_reg",
    ),
    "penalty added afterwards": STEP.replace(
        "loss = criterion(model(x), y)",
        "loss = criterion(model(x), y)\nreg_loss = sum(p.abs().sum() for p in model.parameters())\nloss += 1e-6 * reg_loss",
    ),
    "named like reg but not from parameters": STEP.replace(
        "loss = criterion(model(x), y)", "reg_strength = 0.01\nloss = criterion(model(x), y)"
    ),
}


@pytest.mark.parametrize("step", RNN302_SILENT.values(), ids=RNN302_SILENT.keys())
def test_rnn302_silent(tmp_path: Path, step: str) -> None:
    assert codes(lint(tmp_path, script(step)), "RNN302") == []


# ---------------------------------------------------------------------------------------------
# RNN303 seq2seq-without-ctc
# ---------------------------------------------------------------------------------------------

SPEECH = """
import torch
import torch.nn as nn
import torchaudio


class SpeechRecognizer(nn.Module):
    def __init__(self, n_mels=80, n_tokens=29):
        super().__init__()
        self.lstm = nn.LSTM(n_mels, 320, num_layers=3, dropout=0.3, bidirectional=True)
        self.fc = nn.Linear(640, n_tokens)

    def forward(self, spectrogram):
        out, _ = self.lstm(spectrogram)
        return self.fc(out).log_softmax(-1)


model = SpeechRecognizer()
criterion = {criterion}
optimizer = torch.optim.Adam(model.parameters(), lr=3e-4, weight_decay=1e-5)
scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=10, gamma=0.5)
history = []


def validate(loader):
    model.eval()
    return sum(1 for _ in loader)


def train(loader, epochs=30):
    for epoch in range(epochs):
        for spectrograms, transcripts, input_lengths, target_lengths in loader:
            optimizer.zero_grad()
            out = model(spectrograms)
            loss = {apply}
            if torch.isnan(loss):
                continue
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 400)
            optimizer.step()
            history.append(loss.item())
        scheduler.step()
"""

FRAMEWISE_CE = {
    "nn.CrossEntropyLoss over frames": ("nn.CrossEntropyLoss()", "criterion(out.transpose(1, 2), transcripts)", "criterion = "),
    "F.nll_loss over frames": ("None", "nn.functional.nll_loss(out.transpose(1, 2), transcripts)", "nll_loss("),
}


@pytest.mark.parametrize("criterion,apply,needle", FRAMEWISE_CE.values(), ids=FRAMEWISE_CE.keys())
def test_rnn303_fires_on_framewise_ce_for_speech(tmp_path: Path, criterion: str, apply: str, needle: str) -> None:
    source = SPEECH.format(criterion=criterion, apply=apply)
    diags = lint(tmp_path, source)
    d = only(diags, "RNN303")
    assert d.loc.line == line_of(source, needle)
    assert "CTC" in d.message
    assert codes(diags) == ["RNN303"]


def test_rnn303_fires_for_handwriting_ocr(tmp_path: Path) -> None:
    source = """
    import torch
    import torch.nn as nn


    class HandwritingModel(nn.Module):
        def __init__(self, n_chars=80):
            super().__init__()
            self.lstm = nn.LSTM(32, 256, num_layers=2, dropout=0.5, bidirectional=True, batch_first=True)
            self.fc = nn.Linear(512, n_chars)

        def forward(self, columns):
            return self.fc(self.lstm(columns)[0])


    model = HandwritingModel()
    loss_fn = nn.CrossEntropyLoss(ignore_index=0)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    for images, label_seqs, label_lengths in []:
        optimizer.zero_grad()
        logits = model(images)
        loss = loss_fn(logits.transpose(1, 2), label_seqs)
        loss.backward()
        optimizer.step()
    """
    diags = lint(tmp_path, source)
    d = only(diags, "RNN303")
    assert d.loc.line == line_of(source, "loss_fn = nn.CrossEntropyLoss")
    assert "handwriting" in d.message


RNN303_SILENT = {
    "CTC loss": SPEECH.format(
        criterion="nn.CTCLoss(blank=0, zero_infinity=True)",
        apply="criterion(out, transcripts, input_lengths, target_lengths)",
    ),
    "attention decoder": SPEECH.format(criterion="nn.CrossEntropyLoss()", apply="criterion(out.transpose(1, 2), transcripts)")
    .replace("class SpeechRecognizer", "class AttentionDecoder")
    .replace("SpeechRecognizer()", "AttentionDecoder()"),
    "text classification is aligned": script(),
}


@pytest.mark.parametrize("source", RNN303_SILENT.values(), ids=RNN303_SILENT.keys())
def test_rnn303_silent(tmp_path: Path, source: str) -> None:
    assert codes(lint(tmp_path, source), "RNN303") == []


def test_rnn303_needs_label_sequences(tmp_path: Path) -> None:
    # speech command classification: audio words, one label per clip
    source = SPEECH.format(criterion="nn.CrossEntropyLoss()", apply="criterion(out[-1], transcripts)")
    source = source.replace("transcripts, input_lengths, target_lengths", "keywords, clip_lengths, unused")
    source = source.replace("criterion(out[-1], transcripts)", "criterion(out[-1], keywords)")
    assert codes(lint(tmp_path, source), "RNN303") == []


# ---------------------------------------------------------------------------------------------
# RNN304 ctc-misuse
# ---------------------------------------------------------------------------------------------

CTC = """
import torch
import torch.nn as nn
import torch.nn.functional as F

{vocab}


class PhonemeModel(nn.Module):
    def __init__(self, n_feats=40, n_classes=62):
        super().__init__()
        self.lstm = nn.LSTM(n_feats, 256, num_layers=3, dropout=0.3, bidirectional=True)
        self.fc = nn.Linear(512, n_classes)

    def forward(self, x):
        out, _ = self.lstm(x)
        return self.fc(out)


model = PhonemeModel()
ctc_loss = nn.CTCLoss({ctc_args})
optimizer = torch.optim.Adam(model.parameters(), lr=1e-3, weight_decay=1e-5)
scheduler = torch.optim.lr_scheduler.ReduceLROnPlateau(optimizer, factor=0.5)
history = []


def evaluate(loader):
    model.eval()
    return 0.0


def train(loader, epochs=20):
    for epoch in range(epochs):
        for feats, targets, target_lengths in loader:
            optimizer.zero_grad()
            out = model(feats)
            {prep}
            input_lengths = {lengths}
            loss = ctc_loss(log_probs, targets, input_lengths, target_lengths)
            if not torch.isfinite(loss):
                continue
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 5.0)
            optimizer.step()
            history.append(loss.item())
        scheduler.step(evaluate(loader))
"""

CTC_GOOD = {
    "vocab": 'PHONES = ["<blank>", "aa", "ae", "ah"]\nphone_to_id = {p: i for i, p in enumerate(PHONES)}',
    "ctc_args": "blank=0, zero_infinity=True",
    "prep": "log_probs = F.log_softmax(out, dim=-1)",
    "lengths": "torch.full((feats.size(1),), feats.size(0), dtype=torch.long)",
}


def ctc(**changes: str) -> str:
    return CTC.format(**{**CTC_GOOD, **changes})


def test_rnn304_clean_ctc_recipe(tmp_path: Path) -> None:
    assert codes(lint(tmp_path, ctc())) == []


RNN304_FIRING = {
    "softmax output": ({"prep": "log_probs = out.softmax(dim=-1)"}, "ctc_loss(log_probs", "softmax probabilities"),
    "F.softmax output": ({"prep": "log_probs = F.softmax(out, dim=2)"}, "ctc_loss(log_probs", "softmax probabilities"),
    "raw model output and no log_softmax anywhere": (
        {"prep": "log_probs = model(feats)"},
        "ctc_loss(log_probs",
        "nothing applies `log_softmax`",
    ),
    "blank collides with a dict label": (
        {"vocab": 'phone_to_id = {"aa": 0, "ae": 1, "ah": 2, "ao": 3}'},
        "ctc_loss = nn.CTCLoss(",
        "label 'aa' is also index 0",
    ),
    "enumerate over a string vocabulary from zero": (
        {"vocab": 'CHARS = "abcdefghijklmnopqrstuvwxyz \'"\nchar_to_id = {c: i for i, c in enumerate(CHARS)}'},
        "ctc_loss = nn.CTCLoss(",
        "labels from enumerate() start at 0",
    ),
    "enumerate over a list vocabulary from zero": (
        {"vocab": 'PHONES = ["aa", "ae", "ah", "ao"]\nphone_to_id = {p: i for i, p in enumerate(PHONES)}'},
        "ctc_loss = nn.CTCLoss(",
        "labels from enumerate() start at 0",
    ),
    "variable lengths without zero_infinity": (
        {"ctc_args": "blank=0", "lengths": "torch.tensor([len(f) for f in feats], dtype=torch.long)"},
        "ctc_loss = nn.CTCLoss(",
        "zero_infinity=True",
    ),
}


@pytest.mark.parametrize("changes,needle,reason", RNN304_FIRING.values(), ids=RNN304_FIRING.keys())
def test_rnn304_fires(tmp_path: Path, changes: dict[str, str], needle: str, reason: str) -> None:
    source = ctc(**changes)
    diags = lint(tmp_path, source)
    d = only(diags, "RNN304")
    assert d.loc.line == line_of(source, needle)
    assert reason in d.message
    assert d.severity is Severity.ERROR


def test_rnn304_blank_collision_names_where_the_vocabulary_is(tmp_path: Path) -> None:
    source = ctc(vocab='phone_to_id = {"aa": 0, "ae": 1, "ah": 2, "ao": 3}')
    d = only(lint(tmp_path, source), "RNN304")
    assert f"train.py:{line_of(source, 'phone_to_id = ')}" in d.message


RNN304_SILENT = {
    "log_softmax method": {"prep": "log_probs = out.log_softmax(2)"},
    "blank at the end of a dict vocabulary": {
        "vocab": 'phone_to_id = {"aa": 0, "ae": 1, "ah": 2, "_": 3}',
        "ctc_args": "blank=3, zero_infinity=True",
    },
    "blank-like first symbol in a dict": {"vocab": 'phone_to_id = {"<pad>": 0, "aa": 1, "ae": 2, "ah": 3}'},
    "enumerate starting at a blank-like symbol": {
        "vocab": 'CHARS = "_abcdefghijklmnopqrstuvwxyz \'"\nchar_to_id = {c: i for i, c in enumerate(CHARS)}'
    },
    "vocabulary that cannot be seen": {
        "vocab": 'CHARS = sorted(set(open("chars.txt").read()))\nchar_to_id = {c: i for i, c in enumerate(CHARS)}'
    },
    "variable lengths with zero_infinity": {"lengths": "torch.tensor([len(f) for f in feats], dtype=torch.long)"},
    "constant lengths without zero_infinity": {"ctc_args": "blank=0"},
}


@pytest.mark.parametrize("changes", RNN304_SILENT.values(), ids=RNN304_SILENT.keys())
def test_rnn304_silent(tmp_path: Path, changes: dict[str, str]) -> None:
    assert codes(lint(tmp_path, ctc(**changes))) == []


# ---------------------------------------------------------------------------------------------
# RNN305 loss-task-mismatch
# ---------------------------------------------------------------------------------------------

MISMATCH = {
    "CE on softmax": (
        STEP.replace("loss = criterion(model(x), y)", "probs = F.softmax(model(x), dim=-1)\nloss = criterion(probs, y)"),
        CRITERION,
        "loss = criterion(probs",
        "which applies log_softmax itself",
    ),
    "NLL on softmax": (
        STEP.replace("loss = criterion(model(x), y)", "loss = criterion(torch.softmax(model(x), dim=1), y)"),
        "criterion = nn.NLLLoss()",
        "loss = criterion(torch.softmax",
        "expects log-probabilities",
    ),
    "MSE against one-hot targets": (
        STEP.replace("loss = criterion(model(x), y)", "target = F.one_hot(y, 4).float()\nloss = criterion(model(x), target)"),
        "criterion = nn.MSELoss()",
        "loss = criterion(model(x), target)",
        "one-hot class targets",
    ),
}


@pytest.mark.parametrize("step,criterion,needle,reason", MISMATCH.values(), ids=MISMATCH.keys())
def test_rnn305_fires_on_the_loss_application(tmp_path: Path, step: str, criterion: str, needle: str, reason: str) -> None:
    source = script(step, criterion=criterion)
    diags = lint(tmp_path, source)
    d = only(diags, "RNN305")
    assert d.loc.line == line_of(source, needle)
    assert reason in d.message


def test_rnn305_fires_on_a_forward_that_returns_softmax(tmp_path: Path) -> None:
    header = HEADER.replace(
        "        return self.fc(torch.cat((h[-2], h[-1]), dim=1))",
        "        return F.softmax(self.fc(torch.cat((h[-2], h[-1]), dim=1)), dim=-1)",
    )
    source = script(header=header)
    diags = lint(tmp_path, source)
    d = only(diags, "RNN305")
    assert d.loc.line == line_of(source, "return F.softmax(")
    assert "SentenceModel.forward" in d.message


def test_rnn305_fires_on_a_forward_that_returns_an_nn_softmax_module(tmp_path: Path) -> None:
    header = HEADER.replace(
        "        self.fc = nn.Linear(512, num_classes)\n",
        "        self.fc = nn.Linear(512, num_classes)\n        self.softmax = nn.Softmax(dim=-1)\n",
    ).replace(
        "        return self.fc(torch.cat((h[-2], h[-1]), dim=1))",
        "        return self.softmax(self.fc(torch.cat((h[-2], h[-1]), dim=1)))",
    )
    source = script(header=header)
    diags = lint(tmp_path, source)
    assert lines(diags, "RNN305") == [line_of(source, "return self.softmax(")]


RNN305_SILENT = {
    "CE on logits": script(),
    "NLL on log_softmax": script(
        STEP.replace("loss = criterion(model(x), y)", "loss = criterion(F.log_softmax(model(x), dim=-1), y)"),
        criterion="criterion = nn.NLLLoss()",
    ),
    "MSE regression target": script(
        STEP.replace("loss = criterion(model(x), y)", "loss = criterion(model(x).squeeze(-1), y.float())"),
        criterion="criterion = nn.MSELoss()",
    ),
    "softmax only for reporting": script(
        STEP.replace(
            "loss = criterion(model(x), y)",
            "logits = model(x)\nloss = criterion(logits, y)\nconfidence = F.softmax(logits, dim=-1).max(-1).values.mean()",
        )
    ),
}


@pytest.mark.parametrize("source", RNN305_SILENT.values(), ids=RNN305_SILENT.keys())
def test_rnn305_silent(tmp_path: Path, source: str) -> None:
    assert codes(lint(tmp_path, source), "RNN305") == []


# ---------------------------------------------------------------------------------------------
# RNN401 class-imbalance
# ---------------------------------------------------------------------------------------------

COUNTS = "class_counts = torch.tensor([9000.0, 600.0, 300.0, 100.0])\n"

IMBALANCED = {
    "declared class counts": (COUNTS, CRITERION, "`class_counts`"),
    "class_weights computed but not passed": (
        "class_weights = 1.0 / torch.tensor([9000.0, 600.0, 300.0, 100.0])\n",
        CRITERION,
        "`class_weights`",
    ),
    "imbalance word, explicit weight=None": (
        "minority_label = 3\n",
        "criterion = nn.CrossEntropyLoss(weight=None)",
        "`minority`",
    ),
}


@pytest.mark.parametrize("extra,criterion,evidence", IMBALANCED.values(), ids=IMBALANCED.keys())
def test_rnn401_fires_at_the_unweighted_loss(tmp_path: Path, extra: str, criterion: str, evidence: str) -> None:
    source = script(criterion=criterion, extra=extra)
    diags = lint(tmp_path, source)
    d = only(diags, "RNN401")
    assert d.loc.line == line_of(source, "criterion = nn.CrossEntropyLoss(")
    assert evidence in d.message and "`CrossEntropyLoss`" in d.message
    assert d.severity is Severity.INFO


RNN401_SILENT = {
    "weighted loss": script(criterion="criterion = nn.CrossEntropyLoss(weight=class_counts.sum() / class_counts)", extra=COUNTS),
    "weighted sampler": script(
        extra=COUNTS + "sampler = torch.utils.data.WeightedRandomSampler(1.0 / class_counts, num_samples=10000)\n"
    ),
    "oversampled data": script(extra=COUNTS + "def oversample(rows):\n    return rows\n\n\n"),
    "bce with pos_weight": script(
        criterion="criterion = nn.BCEWithLogitsLoss(pos_weight=torch.tensor([5.0]))",
        extra="pos_weight_note = 'positives are rare'\n",
    ),
    "no imbalance evidence": script(),
}


@pytest.mark.parametrize("source", RNN401_SILENT.values(), ids=RNN401_SILENT.keys())
def test_rnn401_silent(tmp_path: Path, source: str) -> None:
    assert codes(lint(tmp_path, source), "RNN401") == []


# ---------------------------------------------------------------------------------------------
# RNN402 no-validation / RNN403 no-loss-curves
# ---------------------------------------------------------------------------------------------

NO_EVAL_EPOCH_END = "scheduler.step(loss.item())  # ReduceLROnPlateau needs its metric (RNN211)\nwriter.add_scalar('loss/train', loss.item(), epoch)"
NO_VALIDATION = script(evaluate="", epoch_end=NO_EVAL_EPOCH_END).replace(
    "def train(train_loader, val_loader, epochs=10):", "def train(train_loader, epochs=10):"
)


def test_rnn402_fires_at_the_training_step(tmp_path: Path) -> None:
    diags = lint(tmp_path, NO_VALIDATION)
    d = only(diags, "RNN402")
    assert d.loc.line == line_of(NO_VALIDATION, "loss.backward()")
    assert "`train`" in d.message and "held-out" in d.message
    assert d.severity is Severity.WARNING
    assert codes(diags) == ["RNN402"]


def test_rnn402_fires_at_a_lightning_trainer_without_validation(tmp_path: Path) -> None:
    source = """
    import torch
    import torch.nn as nn
    import pytorch_lightning as pl


    class LitForecaster(pl.LightningModule):
        def __init__(self):
            super().__init__()
            self.lstm = nn.LSTM(8, 256, num_layers=2, dropout=0.5, batch_first=True)
            self.head = nn.Linear(256, 1)

        def training_step(self, batch, batch_idx):
            x, y = batch
            out, _ = self.lstm(x)
            loss = nn.functional.mse_loss(self.head(out[:, -1]), y)
            self.log("train_loss", loss)
            return loss

        def configure_optimizers(self):
            return torch.optim.Adam(self.parameters(), lr=1e-3, weight_decay=1e-5)


    trainer = pl.Trainer(max_epochs=5, gradient_clip_val=1.0)
    trainer.fit(LitForecaster())
    """
    diags = lint(tmp_path, source)
    d = only(diags, "RNN402")
    assert d.loc.line == line_of(source, "trainer = pl.Trainer(")
    assert "`Trainer(...)`" in d.message


RNN402_SILENT = {
    "evaluate function": script(),
    "model.eval() pass over a held-out loader": script(
        evaluate="",
        epoch_end=(
            "model.eval()\nwith torch.no_grad():\n"
            "    held_out = sum(criterion(model(x), y).item() for x, y in val_loader)\n"
            "scheduler.step(held_out)\nwriter.add_scalar('loss/held_out', held_out, epoch)"
        ),
    ),
    "a dev set": script(
        evaluate="",
        epoch_end="dev_loss = sum(criterion(model(x), y).item() for x, y in dev_loader)\nscheduler.step(dev_loss)\nwriter.add_scalar('x', dev_loss, epoch)",
    ).replace("def train(train_loader, val_loader, epochs=10):", "def train(train_loader, dev_loader, epochs=10):"),
}


@pytest.mark.parametrize("source", RNN402_SILENT.values(), ids=RNN402_SILENT.keys())
def test_rnn402_silent(tmp_path: Path, source: str) -> None:
    assert codes(lint(tmp_path, source), "RNN402") == []


NO_LOGGING_HEADER = HEADER.replace("from torch.utils.tensorboard import SummaryWriter\n", "").replace(
    "writer = SummaryWriter()\n", ""
)
NO_LOGGING = script(
    header=NO_LOGGING_HEADER,
    epoch_end="val_loss = evaluate(val_loader)\nscheduler.step(val_loss)\nprint(f'epoch {epoch}: {val_loss:.3f}')",
)


def test_rnn403_fires_at_the_training_step(tmp_path: Path) -> None:
    diags = lint(tmp_path, NO_LOGGING)
    d = only(diags, "RNN403")
    assert d.loc.line == line_of(NO_LOGGING, "loss.backward()")
    assert "neither logged nor kept" in d.message
    assert d.severity is Severity.INFO
    assert codes(diags) == ["RNN403"]


def test_rnn403_fires_at_a_lightning_trainer_that_never_logs(tmp_path: Path) -> None:
    source = """
    import torch
    import torch.nn as nn
    from lightning.pytorch import LightningModule, Trainer


    class LitForecaster(LightningModule):
        def __init__(self):
            super().__init__()
            self.lstm = nn.LSTM(8, 256, num_layers=2, dropout=0.5, batch_first=True)
            self.head = nn.Linear(256, 1)

        def training_step(self, batch, batch_idx):
            x, y = batch
            out, _ = self.lstm(x)
            return nn.functional.mse_loss(self.head(out[:, -1]), y)

        def validation_step(self, batch, batch_idx):
            return self.training_step(batch, batch_idx)

        def configure_optimizers(self):
            return torch.optim.Adam(self.parameters(), lr=1e-3, weight_decay=1e-5)


    trainer = Trainer(max_epochs=5, gradient_clip_val=1.0)
    trainer.fit(LitForecaster())
    """
    diags = lint(tmp_path, source)
    assert lines(diags, "RNN403") == [line_of(source, "trainer = Trainer(")]


LOGGERS = {
    "losses kept in a list": ("", "train_losses.append(val_loss)", "train_losses = []\n"),
    "wandb": ("import wandb\n", "wandb.log({'val_loss': val_loss})", ""),
    "csv writer": ("import csv\n", "csv.writer(open('log.csv', 'a')).writerow([epoch, val_loss])", ""),
    "matplotlib": ("import matplotlib.pyplot as plt\n", "plt.plot(epoch, val_loss)", ""),
    "mlflow": ("import mlflow\n", "mlflow.log_metric('val_loss', val_loss, step=epoch)", ""),
}


@pytest.mark.parametrize("imports,log_line,setup", LOGGERS.values(), ids=LOGGERS.keys())
def test_rnn403_silent(tmp_path: Path, imports: str, log_line: str, setup: str) -> None:
    source = script(
        header=imports + NO_LOGGING_HEADER,
        extra=setup,
        epoch_end=f"val_loss = evaluate(val_loader)\nscheduler.step(val_loss)\n{log_line}",
    )
    assert codes(lint(tmp_path, source)) == []


TRAINING_CODES = ["RNN201", "RNN202", "RNN204", "RNN208", "RNN301", "RNN402", "RNN403"]


def test_process_rules_skip_a_model_only_module(tmp_path: Path) -> None:
    model = HEADER.replace("writer = SummaryWriter()\n", "")
    diags = lint_files(tmp_path, {"model.py": model}, only=["model.py"])
    assert set(codes(diags)).isdisjoint(TRAINING_CODES)
    lonely = model.replace("num_layers=2, dropout=0.5, bidirectional=True, ", "")
    diags = lint_files(tmp_path / "b", {"model.py": lonely}, only=["model.py"])
    assert set(codes(diags)).isdisjoint(TRAINING_CODES)
    assert {"RNN103", "RNN105"} <= set(codes(diags))  # model rules still run


# ---------------------------------------------------------------------------------------------
# RNN501 python-step-loop
# ---------------------------------------------------------------------------------------------

STEP_LOOPS = {
    "LSTMCell over x[t]": (
        """
        import torch
        import torch.nn as nn


        class Tagger(nn.Module):
            def __init__(self):
                super().__init__()
                self.cell = nn.LSTMCell(64, 256)
                self.drop = nn.Dropout(0.5)

            def forward(self, x):
                h = c = x.new_zeros(x.size(1), 256)
                outs = []
                for t in range(x.size(0)):
                    h, c = self.cell(x[t], (h, c))
                    outs.append(h)
                return torch.stack(outs)
        """,
        "self.cell(x[t]",
        "`LSTMCell`",
        "`nn.LSTM`",
    ),
    "GRUCell over x[:, t]": (
        """
        import torch
        import torch.nn as nn


        class Encoder(nn.Module):
            def __init__(self):
                super().__init__()
                self.rnn = nn.GRUCell(64, 256)
                self.drop = nn.Dropout(0.5)

            def forward(self, x):
                h = x.new_zeros(x.size(0), 256)
                for step in range(x.size(1)):
                    h = self.rnn(x[:, step, :], h)
                return h
        """,
        "self.rnn(x[:, step",
        "`GRUCell`",
        "`nn.GRU`",
    ),
    "LSTMCell over x.unbind(1)": (
        """
        import torch
        import torch.nn as nn

        cell = nn.LSTMCell(64, 256)
        drop = nn.Dropout(0.5)


        def run(x, h, c):
            for x_t in x.unbind(1):
                h, c = cell(x_t, (h, c))
            return h
        """,
        "cell(x_t",
        "`LSTMCell`",
        "`nn.LSTM`",
    ),
    "GRUCell over enumerate(x.unbind(0))": (
        """
        import torch
        import torch.nn as nn

        cell = nn.GRUCell(64, 256)
        drop = nn.Dropout(0.5)


        def run(x, h):
            outputs = []
            for i, x_t in enumerate(x.unbind(0)):
                h = cell(x_t, h)
                outputs.append(h)
            return torch.stack(outputs)
        """,
        "cell(x_t",
        "`GRUCell`",
        "`nn.GRU`",
    ),
}


@pytest.mark.parametrize("source,needle,cell,fused", STEP_LOOPS.values(), ids=STEP_LOOPS.keys())
def test_rnn501_fires_at_the_cell_call(tmp_path: Path, source: str, needle: str, cell: str, fused: str) -> None:
    diags = lint(tmp_path, source)
    d = only(diags, "RNN501")
    assert d.loc.line == line_of(source, needle)
    assert cell in d.message and fused in d.message


def test_rnn501_fires_over_split_slices_squeezed_for_the_cell(tmp_path: Path) -> None:
    source = """
    import torch
    import torch.nn as nn

    cell = nn.GRUCell(64, 256)
    drop = nn.Dropout(0.5)


    def run(x, h):
        for x_t in x.split(1, dim=0):
            h = cell(x_t.squeeze(0), h)
        return h
    """
    diags = lint(tmp_path, source)
    assert lines(diags, "RNN501") == [line_of(source, "cell(x_t")]


RNN501_SILENT = {
    "autoregressive decoder feeds its own output": """
        import torch
        import torch.nn as nn


        class Decoder(nn.Module):
            def __init__(self, vocab=1000):
                super().__init__()
                self.embed = nn.Embedding(vocab, 64)
                self.cell = nn.LSTMCell(64, 256)
                self.drop = nn.Dropout(0.5)
                self.out = nn.Linear(256, vocab)

            def forward(self, h, c, max_len=50):
                token = torch.zeros(h.size(0), dtype=torch.long)
                for _ in range(max_len):
                    h, c = self.cell(self.embed(token), (h, c))
                    token = self.out(h).argmax(-1)
                return token
        """,
    "previous output as the next input": """
        import torch
        import torch.nn as nn

        cell = nn.GRUCell(256, 256)
        drop = nn.Dropout(0.5)


        def rollout(h, steps):
            inp = h
            for t in range(steps):
                h = cell(inp, h)
                inp = h
            return h
        """,
    "fused layer": """
        import torch.nn as nn

        lstm = nn.LSTM(64, 256, num_layers=2, dropout=0.5)


        def run(x):
            for chunk in x.split(100):
                out, _ = lstm(chunk)
            return out
        """,
}


@pytest.mark.parametrize("source", RNN501_SILENT.values(), ids=RNN501_SILENT.keys())
def test_rnn501_silent(tmp_path: Path, source: str) -> None:
    assert codes(lint(tmp_path, source), "RNN501") == []


# ---------------------------------------------------------------------------------------------
# RNN503 unpacked-padding
# ---------------------------------------------------------------------------------------------

PADDED = """
import torch
import torch.nn as nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence, pad_sequence


def collate(batch):
    seqs, labels = zip(*batch)
    lengths = torch.tensor([len(s) for s in seqs])
    return pad_sequence(seqs, batch_first=True, padding_value=0), lengths, torch.tensor(labels)


class Classifier(nn.Module):
    def __init__(self, vocab_size=10000):
        super().__init__()
        self.embed = nn.Embedding(vocab_size, 128, padding_idx=0)
        self.lstm = nn.LSTM(128, 256, num_layers=2, dropout=0.5, bidirectional=True, batch_first=True)
        self.fc = nn.Linear(512, 2)

    def forward(self, x, lengths):
        emb = self.embed(x)
{forward}
"""

UNPACKED_FORWARD = """\
        out, _ = self.lstm(emb)
        return self.fc(out[:, -1])"""

PACKED_FORWARD = """\
        packed = pack_padded_sequence(emb, lengths.cpu(), batch_first=True, enforce_sorted=False)
        out, _ = self.lstm(packed)
        out, _ = pad_packed_sequence(out, batch_first=True)
        return self.fc(out[:, 0])"""


def test_rnn503_fires_at_pad_sequence(tmp_path: Path) -> None:
    source = PADDED.format(forward=UNPACKED_FORWARD)
    diags = lint(tmp_path, source)
    d = only(diags, "RNN503")
    assert d.loc.line == line_of(source, "return pad_sequence(")
    assert "`pad_sequence`" in d.message and "pack_padded_sequence" in d.message
    assert d.severity is Severity.INFO


def test_rnn503_fires_through_the_module_path(tmp_path: Path) -> None:
    source = """
    import torch
    import torch.nn as nn

    gru = nn.GRU(16, 256, num_layers=2, dropout=0.5)


    def batchify(seqs):
        padded = torch.nn.utils.rnn.pad_sequence(seqs)
        out, h = gru(padded)
        return h
    """
    diags = lint(tmp_path, source)
    assert lines(diags, "RNN503") == [line_of(source, "pad_sequence(seqs)")]


RNN503_SILENT = {
    "packed": PADDED.format(forward=PACKED_FORWARD),
    "masked mean over valid steps": PADDED.format(
        forward=(
            "        out, _ = self.lstm(emb)\n"
            "        mask = (x != 0).unsqueeze(-1).float()\n"
            "        return self.fc((out * mask).sum(1) / mask.sum(1))"
        )
    ),
    "padding without a recurrent layer": """
        import torch
        from torch.nn.utils.rnn import pad_sequence


        def collate(batch):
            return pad_sequence([torch.tensor(b) for b in batch], batch_first=True)
        """,
}


@pytest.mark.parametrize("source", RNN503_SILENT.values(), ids=RNN503_SILENT.keys())
def test_rnn503_silent(tmp_path: Path, source: str) -> None:
    assert codes(lint(tmp_path, source), "RNN503") == []
