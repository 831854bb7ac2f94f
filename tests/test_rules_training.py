"""Training-loop rules RNN201-RNN208 and inline suppressions (see .notes/detection.md)."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from helpers import codes, line_of, lines, only
from helpers import strict_lint as lint
from helpers import strict_lint_files as lint_files

from rnnlint.diagnostics import Severity

# A realistic script: a BiLSTM tagger, a training loop and an evaluation loop. Every part a
# rule looks at is a slot so that each test changes exactly one thing; the defaults are clean.
HEADER = """\
import math

import torch
import torch.nn as nn
from torch.utils.tensorboard import SummaryWriter


class Tagger(nn.Module):
    def __init__(self, vocab_size=5000, num_tags=17, layers=2):
        super().__init__()
        self.embed = nn.Embedding(vocab_size, 128)
        self.lstm = nn.LSTM(128, 256, num_layers=layers, dropout=0.5, bidirectional=True, batch_first=True)
        self.out = nn.Linear(512, num_tags)

    def forward(self, x):
        h, _ = self.lstm(self.embed(x))
        return self.out(h).transpose(1, 2)


model = Tagger()
criterion = nn.CrossEntropyLoss()
writer = SummaryWriter()
"""

OPTIMIZER = "optimizer = torch.optim.Adam(model.parameters(), lr=1e-3, weight_decay=1e-5)"
SCHEDULER = "scheduler = torch.optim.lr_scheduler.ReduceLROnPlateau(optimizer, factor=0.5)"
STEP = """\
optimizer.zero_grad()
loss = criterion(model(x), y)
if not torch.isfinite(loss):
    continue
loss.backward()
torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm=5.0)
optimizer.step()
"""
EPOCH_END = "scheduler.step(val_loss)"

LOOP = """

def evaluate(loader):
    model.eval()
    total = 0.0
    with torch.no_grad():
        for x, y in loader:
            total += criterion(model(x), y).item()
    return total / len(loader)


def train(train_loader, val_loader, epochs=10):
    for epoch in range(epochs):
        model.train()
        for i, (x, y) in enumerate(train_loader):
{step}
        val_loss = evaluate(val_loader)
{epoch_end}
        writer.add_scalar("loss/val", val_loss, epoch)
"""


def script(
    step: str = STEP,
    *,
    optimizer: str = OPTIMIZER,
    scheduler: str = SCHEDULER,
    epoch_end: str = EPOCH_END,
    extra: str = "",
    header: str = HEADER,
) -> str:
    """The tagger script with some slots replaced."""
    body = LOOP.format(
        step=textwrap.indent(textwrap.dedent(step), " " * 12),
        epoch_end=textwrap.indent(textwrap.dedent(epoch_end), " " * 8),
    )
    return header + textwrap.dedent(extra) + optimizer + "\n" + scheduler + "\n" + body


def test_the_clean_script_is_clean(tmp_path: Path) -> None:
    assert codes(lint(tmp_path, script())) == []


# ---------------------------------------------------------------------------------------------
# RNN201 no-gradient-clipping
# ---------------------------------------------------------------------------------------------

NO_CLIP_STEP = STEP.replace("torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm=5.0)\n", "")


def test_rnn201_fires_at_the_backward_call(tmp_path: Path) -> None:
    source = script(NO_CLIP_STEP)
    diags = lint(tmp_path, source)
    d = only(diags, "RNN201")
    assert d.loc.line == line_of(source, "loss.backward()")
    assert "`train`" in d.message and "clip_grad_norm_" in d.message
    assert d.severity is Severity.WARNING
    assert codes(diags) == ["RNN201"]


def test_rnn201_fires_on_a_module_level_loop(tmp_path: Path) -> None:
    source = """
    import torch
    import torch.nn as nn

    rnn = nn.GRU(40, 256, num_layers=2, dropout=0.5)
    head = nn.Linear(256, 1)
    params = list(rnn.parameters()) + list(head.parameters())
    opt = torch.optim.RMSprop(params, lr=1e-3)
    for x, y in []:
        opt.zero_grad()
        out, _ = rnn(x)
        loss = nn.functional.mse_loss(head(out[-1]), y)
        loss.backward()
        opt.step()
    """
    diags = lint(tmp_path, source)
    d = only(diags, "RNN201")
    assert d.loc.line == line_of(source, "loss.backward()")
    assert "`<module>`" in d.message


def test_rnn201_fires_when_the_step_is_in_a_helper(tmp_path: Path) -> None:
    # training = backward + step seen in one function with its helpers inlined
    step = """
    loss = criterion(model(x), y)
    if not torch.isfinite(loss):
        continue
    loss.backward()
    update()
    """
    extra = """
    def update():
        optimizer.step()
        optimizer.zero_grad()


    """
    source = script(step, extra=extra)
    diags = lint(tmp_path, source)
    assert lines(diags, "RNN201") == [line_of(source, "loss.backward()")]


LIGHTNING_IMPORTS = {
    "lightning": ("import lightning as L", "L.LightningModule", "L.Trainer"),
    "lightning.pytorch": ("import lightning.pytorch as pl", "pl.LightningModule", "pl.Trainer"),
    "pytorch_lightning": ("import pytorch_lightning as pl", "pl.LightningModule", "pl.Trainer"),
    "from lightning.pytorch import": ("from lightning.pytorch import LightningModule, Trainer", "LightningModule", "Trainer"),
    "from pytorch_lightning import": ("from pytorch_lightning import LightningModule, Trainer", "LightningModule", "Trainer"),
}

LIGHTNING = """
import math

import torch
import torch.nn as nn
{import_line}


class LitTagger({base}):
    def __init__(self):
        super().__init__()
        self.lstm = nn.LSTM(64, 256, num_layers=2, dropout=0.5, bidirectional=True, batch_first=True)
        self.head = nn.Linear(512, 5)

    def forward(self, x):
        out, _ = self.lstm(x)
        return self.head(out)

    def training_step(self, batch, batch_idx):
        x, y = batch
        loss = nn.functional.cross_entropy(self(x).transpose(1, 2), y)
        self.log("train_loss", loss)
        return loss

    def validation_step(self, batch, batch_idx):
        x, y = batch
        self.log("val_loss", nn.functional.cross_entropy(self(x).transpose(1, 2), y))

    def configure_optimizers(self):
{configure}


model = LitTagger()
trainer = {trainer}({trainer_args}max_epochs=10, detect_anomaly=True)
trainer.fit(model)
"""

CONFIGURE_DECAY = """\
opt = torch.optim.Adam(self.parameters(), lr=1e-3, weight_decay=1e-5)
sched = torch.optim.lr_scheduler.StepLR(opt, step_size=10, gamma=0.5)
return [opt], [sched]
"""


def lightning(which: str = "lightning", trainer_args: str = "gradient_clip_val=0.5, ", configure: str = CONFIGURE_DECAY) -> str:
    import_line, base, trainer = LIGHTNING_IMPORTS[which]
    return LIGHTNING.format(
        import_line=import_line,
        base=base,
        trainer=trainer,
        trainer_args=trainer_args,
        configure=textwrap.indent(textwrap.dedent(configure), " " * 8),
    )


@pytest.mark.parametrize("which", LIGHTNING_IMPORTS)
@pytest.mark.parametrize("trainer_args", ["", "gradient_clip_val=0, ", "gradient_clip_val=None, "])
def test_rnn201_fires_at_a_lightning_trainer_without_clipping(tmp_path: Path, which: str, trainer_args: str) -> None:
    source = lightning(which, trainer_args)
    diags = lint(tmp_path, source)
    d = only(diags, "RNN201")
    assert d.loc.line == line_of(source, "trainer = ")
    assert "gradient_clip_val" in d.message
    assert codes(diags) == ["RNN201"]


@pytest.mark.parametrize("which", LIGHTNING_IMPORTS)
def test_rnn201_silent_for_lightning_gradient_clip_val(tmp_path: Path, which: str) -> None:
    assert codes(lint(tmp_path, lightning(which, "gradient_clip_val=0.5, "))) == []


def test_rnn201_silent_for_a_configure_gradient_clipping_hook(tmp_path: Path) -> None:
    source = lightning("lightning", "").replace(
        "    def configure_optimizers(self):",
        "    def configure_gradient_clipping(self, optimizer, gradient_clip_val=None, gradient_clip_algorithm=None):\n"
        '        self.clip_gradients(optimizer, gradient_clip_val=1.0, gradient_clip_algorithm="norm")\n\n'
        "    def configure_optimizers(self):",
    )
    assert "configure_gradient_clipping" in source
    assert codes(lint(tmp_path, source), "RNN20") == []


def test_rnn201_needs_trainer_fit_and_training_step(tmp_path: Path) -> None:
    no_fit = lightning("lightning", "").replace("trainer.fit(model)", "")
    assert codes(lint(tmp_path, no_fit), "RNN201") == []
    no_step = lightning("lightning", "").replace("def training_step(", "def shared_step(")
    assert codes(lint(tmp_path, no_step), "RNN201") == []


LIT_MODEL_PY = """
import torch
import torch.nn as nn
from lightning import LightningModule


class LitForecaster(LightningModule):
    def __init__(self):
        super().__init__()
        self.gru = nn.GRU(64, 256, num_layers=2, dropout=0.5)

    def training_step(self, batch, batch_idx):
        x, y = batch
        loss = nn.functional.mse_loss(self.gru(x)[0], y)
        self.log("train_loss", loss)
        return loss

    def configure_optimizers(self):
        return torch.optim.Adam(self.parameters(), lr=1e-3)
"""

LIT_TRAIN_PY = """
from lightning import Trainer
from model import LitForecaster

trainer = Trainer(max_epochs=30)
trainer.fit(LitForecaster())
"""


def test_rnn201_lightning_module_in_another_file(tmp_path: Path) -> None:
    files = {"model.py": LIT_MODEL_PY, "train.py": LIT_TRAIN_PY}
    diags = lint_files(tmp_path, files, only=["train.py"])
    assert [(Path(d.loc.path).name, d.loc.line) for d in diags if d.code == "RNN201"] == [
        ("train.py", line_of(LIT_TRAIN_PY, "Trainer(max_epochs=30)"))
    ]
    # linted alone (as a pre-commit hook passes it), the model is judged with the train.py that
    # imports it: its own optimizer gets RNN204, the Trainer's RNN201 stays in train.py, unshown
    alone = lint_files(tmp_path, files, only=["model.py"])
    assert [(Path(d.loc.path).name, d.code) for d in alone if d.code.startswith("RNN2")] == [("model.py", "RNN204")]
    # with no script importing it, the model file has no Trainer: no training rules
    (tmp_path / "train.py").unlink()
    assert codes(lint_files(tmp_path, {"model.py": LIT_MODEL_PY}), "RNN2") == []


CLIP_HELPER = """
def clip(model):
    torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm=1.0)


"""

HELPER_STEP = """
optimizer.zero_grad()
loss = criterion(model(x), y)
if not torch.isfinite(loss):
    continue
loss.backward()
clip(model)
optimizer.step()
"""


RNN201_SILENT = {
    "clipping in a helper called after backward": script(HELPER_STEP, extra=CLIP_HELPER),
    "accelerate's clip_grad_norm_": script(
        STEP.replace("loss.backward()", "accelerator.backward(loss)").replace(
            "torch.nn.utils.clip_grad_norm_(", "accelerator.clip_grad_norm_("
        ),
        extra="from accelerate import Accelerator\n\naccelerator = Accelerator()\n",
    ),
    "clip_grad_norm_ from torch.nn.utils.clip_grad": script(
        STEP.replace(
            "torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm=5.0)",
            "clip_grad_norm_(model.parameters(), 5.0)",
        ),
        extra="from torch.nn.utils.clip_grad import clip_grad_norm_\n\n",
    ),
    "no recurrent layer": """
        import torch
        import torch.nn as nn

        model = nn.Sequential(nn.Linear(20, 64), nn.ReLU(), nn.Linear(64, 2))
        optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
        for x, y in []:
            optimizer.zero_grad()
            loss = nn.functional.cross_entropy(model(x), y)
            loss.backward()
            optimizer.step()
        """,
}


@pytest.mark.parametrize("source", RNN201_SILENT.values(), ids=RNN201_SILENT.keys())
def test_rnn201_silent(tmp_path: Path, source: str) -> None:
    diags = lint(tmp_path, source)
    assert codes(diags, "RNN201") == []
    assert codes(diags, "RNN202") == []


def test_rnn201_model_only_module_is_never_training(tmp_path: Path) -> None:
    model = """
    import torch
    import torch.nn as nn


    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.lstm = nn.LSTM(9, 64)

        def loss(self, x, y):
            return nn.functional.mse_loss(self.lstm(x)[0], y)
    """
    diags = lint_files(tmp_path, {"model.py": model}, only=["model.py"])
    assert codes(diags, "RNN2") == []
    assert codes(diags, "RNN104") == ["RNN104"]  # the model was linted


# ---------------------------------------------------------------------------------------------
# RNN202 misplaced-clipping
# ---------------------------------------------------------------------------------------------

CLIP = "torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm=5.0)"

MISPLACED = {
    "before backward": (
        """
        optimizer.zero_grad()
        loss = criterion(model(x), y)
        if not torch.isfinite(loss):
            continue
        torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm=5.0)
        loss.backward()
        optimizer.step()
        """,
        "clip_grad_norm_(",
        "before backward()",
    ),
    "after step": (
        """
        optimizer.zero_grad()
        loss = criterion(model(x), y)
        if not torch.isfinite(loss):
            continue
        loss.backward()
        optimizer.step()
        torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm=5.0)
        """,
        "clip_grad_norm_(",
        "after optimizer.step()",
    ),
    "AMP without unscale_": (
        """
        optimizer.zero_grad()
        with torch.autocast("cuda"):
            loss = criterion(model(x), y)
        scaler.scale(loss).backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm=5.0)
        scaler.step(optimizer)
        scaler.update()
        """,
        "clip_grad_norm_(",
        "scaler.unscale_(optimizer)",
    ),
    "another model's parameters": (
        STEP.replace("clip_grad_norm_(model.parameters()", "clip_grad_norm_(encoder.parameters()"),
        "clip_grad_norm_(",
        "`encoder`, but the optimizer updates `model`",
    ),
    "value clipping after step": (
        """
        optimizer.zero_grad()
        loss = criterion(model(x), y)
        if not torch.isfinite(loss):
            continue
        loss.backward()
        optimizer.step()
        torch.nn.utils.clip_grad_value_(model.parameters(), 1.0)
        """,
        "clip_grad_value_(",
        "after optimizer.step()",
    ),
}

SCALER = "scaler = torch.cuda.amp.GradScaler()\n"
# a separately built (e.g. pretrained, frozen) module that the optimizer does not update
OTHER_ENCODER = "encoder = nn.GRU(128, 256, num_layers=2, dropout=0.5, bidirectional=True)\n"


@pytest.mark.parametrize("step,needle,reason", MISPLACED.values(), ids=MISPLACED.keys())
def test_rnn202_fires(tmp_path: Path, step: str, needle: str, reason: str) -> None:
    source = script(step, extra=SCALER + OTHER_ENCODER)
    diags = lint(tmp_path, source)
    d = only(diags, "RNN202")
    assert d.loc.line == line_of(source, needle)
    assert reason in d.message
    assert d.severity is Severity.ERROR
    assert codes(diags, "RNN201") == []  # clipping exists, it is just misplaced


def test_rnn202_clipping_a_submodule_alias_of_the_optimized_model(tmp_path: Path) -> None:
    step = STEP.replace("clip_grad_norm_(model.parameters()", "clip_grad_norm_(encoder.parameters()")
    source = script(step, extra="encoder = model.lstm\n")
    diags = lint(tmp_path, source)
    assert codes(diags) == []


def test_rnn202_clipping_a_submodule_of_the_optimized_model(tmp_path: Path) -> None:
    step = STEP.replace("clip_grad_norm_(model.parameters()", "clip_grad_norm_(model.lstm.parameters()")
    assert codes(lint(tmp_path, script(step))) == []


def test_rnn202_fires_on_a_misplaced_clip_inside_a_helper(tmp_path: Path) -> None:
    step = """
    optimizer.zero_grad()
    loss = criterion(model(x), y)
    if not torch.isfinite(loss):
        continue
    clip(model)
    loss.backward()
    optimizer.step()
    """
    source = script(step, extra=CLIP_HELPER)
    diags = lint(tmp_path, source)
    assert lines(diags, "RNN202") == [line_of(source, "clip_grad_norm_(")]


WELL_PLACED = {
    "AMP with unscale_": """
        optimizer.zero_grad()
        with torch.autocast("cuda"):
            loss = criterion(model(x), y)
        scaler.scale(loss).backward()
        scaler.unscale_(optimizer)
        torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm=5.0)
        scaler.step(optimizer)
        scaler.update()
        """,
    "gradient accumulation": """
        loss = criterion(model(x), y) / 4
        if not torch.isfinite(loss):
            continue
        loss.backward()
        if (i + 1) % 4 == 0:
            torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm=5.0)
            optimizer.step()
            optimizer.zero_grad()
        """,
    "optimizer.step(closure)": """
        def closure():
            optimizer.zero_grad()
            loss = criterion(model(x), y)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm=5.0)
            return loss
        loss = optimizer.step(closure)
        if not torch.isfinite(loss):
            break
        """,
    "helper called after backward": HELPER_STEP,
    "parameters through a variable": """
        params = [p for p in model.parameters() if p.requires_grad]
        optimizer.zero_grad()
        loss = criterion(model(x), y)
        if not torch.isfinite(loss):
            continue
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, max_norm=5.0)
        optimizer.step()
        """,
}


@pytest.mark.parametrize("step", WELL_PLACED.values(), ids=WELL_PLACED.keys())
def test_rnn202_silent(tmp_path: Path, step: str) -> None:
    source = script(step, extra=SCALER + CLIP_HELPER)
    diags = lint(tmp_path, source)
    assert codes(diags, "RNN20") == []


def test_rnn202_closure_is_still_a_training_step(tmp_path: Path) -> None:
    # the closure carries backward(); without clipping in it the loop is unclipped
    step = """
    def closure():
        optimizer.zero_grad()
        loss = criterion(model(x), y)
        loss.backward()
        return loss
    loss = optimizer.step(closure)
    if not torch.isfinite(loss):
        break
    """
    source = script(step)
    diags = lint(tmp_path, source)
    assert lines(diags, "RNN201") == [line_of(source, "loss.backward()")]
    assert codes(diags, "RNN202") == []


def test_rnn202_clipping_the_optimized_model_is_fine_with_two_optimizers(tmp_path: Path) -> None:
    source = """
    import torch
    import torch.nn as nn

    encoder = nn.GRU(40, 256, num_layers=2, dropout=0.5, bidirectional=True)
    decoder = nn.GRU(40, 512, num_layers=2, dropout=0.5)
    enc_opt = torch.optim.Adam(encoder.parameters(), lr=1e-3, weight_decay=1e-5)
    dec_opt = torch.optim.Adam(decoder.parameters(), lr=1e-3, weight_decay=1e-5)
    for src, tgt in []:
        enc_opt.zero_grad()
        dec_opt.zero_grad()
        out, h = encoder(src)
        loss = nn.functional.mse_loss(decoder(tgt, h)[0], tgt)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(encoder.parameters(), 5.0)
        torch.nn.utils.clip_grad_norm_(decoder.parameters(), 5.0)
        enc_opt.step()
        dec_opt.step()
    """
    diags = lint(tmp_path, source)
    assert codes(diags, "RNN201") == []
    assert codes(diags, "RNN202") == []
    assert "RNN204" in codes(diags)  # the unit was analysed as training


# ---------------------------------------------------------------------------------------------
# RNN203 clip-by-value
# ---------------------------------------------------------------------------------------------


def test_rnn203_fires_on_clip_grad_value(tmp_path: Path) -> None:
    source = script(STEP.replace(CLIP, "torch.nn.utils.clip_grad_value_(model.parameters(), clip_value=1.0)"))
    diags = lint(tmp_path, source)
    d = only(diags, "RNN203")
    assert d.loc.line == line_of(source, "clip_grad_value_(")
    assert "`clip_grad_value_`" in d.message and "clip_grad_norm_" in d.message
    assert codes(diags) == ["RNN203"]


def test_rnn203_fires_on_a_manual_grad_clamp(tmp_path: Path) -> None:
    clamp = "for p in model.parameters():\n    p.grad.data.clamp_(-1, 1)"
    source = script(STEP.replace(CLIP, clamp))
    diags = lint(tmp_path, source)
    assert lines(diags, "RNN203") == [line_of(source, "clamp_(")]
    assert codes(diags, "RNN201") == []  # clamping is clipping


def test_rnn203_fires_on_a_lightning_value_algorithm(tmp_path: Path) -> None:
    source = lightning("pytorch_lightning", 'gradient_clip_val=0.5, gradient_clip_algorithm="value", ')
    diags = lint(tmp_path, source)
    assert lines(diags, "RNN203") == [line_of(source, "trainer = ")]
    assert codes(diags, "RNN201") == []


RNN203_SILENT = {
    "norm clipping": script(),
    "value and norm clipping together": script(
        STEP.replace(CLIP, CLIP + "\ntorch.nn.utils.clip_grad_value_(model.parameters(), 10.0)")
    ),
    "lightning norm algorithm": lightning("lightning", 'gradient_clip_val=1.0, gradient_clip_algorithm="norm", '),
}


@pytest.mark.parametrize("source", RNN203_SILENT.values(), ids=RNN203_SILENT.keys())
def test_rnn203_silent(tmp_path: Path, source: str) -> None:
    assert codes(lint(tmp_path, source), "RNN203") == []


# ---------------------------------------------------------------------------------------------
# RNN204 no-lr-decay
# ---------------------------------------------------------------------------------------------


def test_rnn204_fires_at_the_optimizer_without_a_scheduler(tmp_path: Path) -> None:
    source = script(scheduler="", epoch_end="pass")
    diags = lint(tmp_path, source)
    d = only(diags, "RNN204")
    assert d.loc.line == line_of(source, "optimizer = torch.optim.Adam(")
    assert "`Adam`" in d.message and "ReduceLROnPlateau" in d.message
    assert codes(diags) == ["RNN204"]


def test_rnn204_fires_at_a_scheduler_that_is_never_stepped(tmp_path: Path) -> None:
    source = script(scheduler="scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=5, gamma=0.5)", epoch_end="pass")
    diags = lint(tmp_path, source)
    d = only(diags, "RNN204")
    assert d.loc.line == line_of(source, "StepLR(")
    assert "`scheduler`" in d.message and "never stepped" in d.message


@pytest.mark.parametrize(
    "scheduler",
    [
        "scheduler = torch.optim.lr_scheduler.ConstantLR(optimizer, factor=0.5, total_iters=100)",
        "scheduler = torch.optim.lr_scheduler.LinearLR(optimizer, start_factor=0.1, total_iters=500)",
    ],
    ids=["ConstantLR", "LinearLR warmup"],
)
def test_rnn204_fires_when_the_only_scheduler_is_a_warmup(tmp_path: Path, scheduler: str) -> None:
    source = script(scheduler=scheduler, epoch_end="scheduler.step()")
    diags = lint(tmp_path, source)
    assert lines(diags, "RNN204") == [line_of(source, "optimizer = torch.optim.Adam(")]


def test_rnn204_fires_for_lightning_returning_only_an_optimizer(tmp_path: Path) -> None:
    source = lightning(configure="return torch.optim.Adam(self.parameters(), lr=1e-3, weight_decay=1e-5)\n")
    diags = lint(tmp_path, source)
    assert lines(diags, "RNN204") == [line_of(source, "torch.optim.Adam(")]


def test_rnn204_fires_for_a_manual_update_with_a_fixed_rate(tmp_path: Path) -> None:
    source = """
    import torch
    import torch.nn as nn

    lr = 20
    rnn = nn.LSTM(200, 256, num_layers=2, dropout=0.5)
    for x, y in []:
        rnn.zero_grad()
        out, _ = rnn(x)
        loss = nn.functional.mse_loss(out, y)
        if torch.isnan(loss):
            break
        loss.backward()
        torch.nn.utils.clip_grad_norm_(rnn.parameters(), 0.25)
        for p in rnn.parameters():
            p.data.add_(p.grad, alpha=-lr)
    """
    diags = lint(tmp_path, source)
    assert lines(diags, "RNN204") == [line_of(source, "p.data.add_(")]


RNN204_SILENT = {
    "StepLR stepped every epoch": script(
        scheduler="scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=5, gamma=0.5)",
        epoch_end="scheduler.step()",
    ),
    "ReduceLROnPlateau on the validation loss": script(),
    "manual param_groups decay": script(
        scheduler="",
        epoch_end='if epoch % 10 == 9:\n    for g in optimizer.param_groups:\n        g["lr"] *= 0.5',
    ),
    "lr variable divided on plateau": script(
        scheduler="lr = 1e-3\nbest_val = 1e9",
        epoch_end="if val_loss > best_val:\n    lr /= 4.0\nbest_val = min(best_val, val_loss)",
    ),
    "warmup then cosine via SequentialLR": script(
        scheduler=(
            "warmup = torch.optim.lr_scheduler.LinearLR(optimizer, start_factor=0.1, total_iters=5)\n"
            "cosine = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=95)\n"
            "scheduler = torch.optim.lr_scheduler.SequentialLR(optimizer, [warmup, cosine], milestones=[5])"
        ),
        epoch_end="scheduler.step()",
    ),
    "LinearLR that decays": script(
        scheduler="scheduler = torch.optim.lr_scheduler.LinearLR(optimizer, start_factor=1.0, end_factor=0.05, total_iters=100)",
        epoch_end="scheduler.step()",
    ),
    "Adagrad lr_decay": script(
        optimizer="optimizer = torch.optim.Adagrad(model.parameters(), lr=0.05, lr_decay=1e-4, weight_decay=1e-5)",
        scheduler="",
        epoch_end="pass",
    ),
    "transformers linear schedule": script(
        scheduler="scheduler = get_linear_schedule_with_warmup(optimizer, 100, 10000)",
        epoch_end="scheduler.step()",
        extra="from transformers import get_linear_schedule_with_warmup\n\n",
    ),
}


@pytest.mark.parametrize("source", RNN204_SILENT.values(), ids=RNN204_SILENT.keys())
def test_rnn204_silent(tmp_path: Path, source: str) -> None:
    assert codes(lint(tmp_path, source), "RNN204") == []


LIGHTNING_CONFIGURE = {
    "([opt], [sched])": CONFIGURE_DECAY,
    "dict with lr_scheduler config": """\
        opt = torch.optim.Adam(self.parameters(), lr=1e-3, weight_decay=1e-5)
        return {
            "optimizer": opt,
            "lr_scheduler": {"scheduler": torch.optim.lr_scheduler.ReduceLROnPlateau(opt, factor=0.5), "monitor": "val_loss"},
        }
        """,
    "dict with a named scheduler": """\
        opt = torch.optim.Adam(self.parameters(), lr=1e-3, weight_decay=1e-5)
        sched = torch.optim.lr_scheduler.ExponentialLR(opt, gamma=0.95)
        return {"optimizer": opt, "lr_scheduler": {"scheduler": sched, "interval": "epoch"}}
        """,
}


@pytest.mark.parametrize("configure", LIGHTNING_CONFIGURE.values(), ids=LIGHTNING_CONFIGURE.keys())
def test_rnn204_silent_for_lightning_schedulers(tmp_path: Path, configure: str) -> None:
    source = lightning("lightning.pytorch", configure=configure)
    assert codes(lint(tmp_path, source)) == []


def test_rnn204_lightning_scheduler_created_but_not_returned(tmp_path: Path) -> None:
    configure = """\
    opt = torch.optim.Adam(self.parameters(), lr=1e-3, weight_decay=1e-5)
    sched = torch.optim.lr_scheduler.StepLR(opt, step_size=10, gamma=0.5)
    return opt
    """
    source = lightning("lightning.pytorch", configure=configure)
    diags = lint(tmp_path, source)
    assert lines(diags, "RNN204") == [line_of(source, "StepLR(")]


# ---------------------------------------------------------------------------------------------
# RNN205 lr-decay-factor
# ---------------------------------------------------------------------------------------------

BAD_FACTORS = {
    "StepLR gamma 0.95": ("scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=1, gamma=0.95)", "0.95"),
    "MultiStepLR gamma 0.01": (
        "scheduler = torch.optim.lr_scheduler.MultiStepLR(optimizer, milestones=[30, 60], gamma=0.01)",
        "0.01",
    ),
    "ReduceLROnPlateau factor 0.05": (
        "scheduler = torch.optim.lr_scheduler.ReduceLROnPlateau(optimizer, mode='min', factor=0.05)",
        "0.05",
    ),
}


@pytest.mark.parametrize("scheduler,shown", BAD_FACTORS.values(), ids=BAD_FACTORS.keys())
def test_rnn205_fires(tmp_path: Path, scheduler: str, shown: str) -> None:
    epoch_end = "scheduler.step(val_loss)" if "Plateau" in scheduler else "scheduler.step()"
    source = script(scheduler=scheduler, epoch_end=epoch_end)
    diags = lint(tmp_path, source)
    d = only(diags, "RNN205")
    assert d.loc.line == line_of(source, "scheduler = ")
    assert f"decay factor {shown}" in d.message and "[0.1, 0.9]" in d.message
    assert codes(diags) == ["RNN205"]


def test_rnn205_message_names_the_argparse_default(tmp_path: Path) -> None:
    extra = """\
    import argparse

    parser = argparse.ArgumentParser()
    parser.add_argument("--lr-decay", type=float, default=0.98)
    args = parser.parse_args()
    """
    source = script(
        scheduler="scheduler = torch.optim.lr_scheduler.StepLR(optimizer, 1, gamma=args.lr_decay)",
        epoch_end="scheduler.step()",
        extra=extra,
    )
    d = only(lint(tmp_path, source), "RNN205")
    assert "argparse default of --lr-decay" in d.message


GOOD_FACTORS = {
    "StepLR gamma 0.5": "scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=10, gamma=0.5)",
    "StepLR default gamma 0.1": "scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=10)",
    "ReduceLROnPlateau factor 0.9": "scheduler = torch.optim.lr_scheduler.ReduceLROnPlateau(optimizer, factor=0.9)",
    "ExponentialLR is not a step decay": "scheduler = torch.optim.lr_scheduler.ExponentialLR(optimizer, gamma=0.99)",
    "unknown factor": "scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=10, gamma=float(input()))",
}


@pytest.mark.parametrize("scheduler", GOOD_FACTORS.values(), ids=GOOD_FACTORS.keys())
def test_rnn205_silent(tmp_path: Path, scheduler: str) -> None:
    epoch_end = "scheduler.step(val_loss)" if "Plateau" in scheduler else "scheduler.step()"
    assert codes(lint(tmp_path, script(scheduler=scheduler, epoch_end=epoch_end))) == []


# ---------------------------------------------------------------------------------------------
# RNN206 high-learning-rate
# ---------------------------------------------------------------------------------------------

HIGH_LR = {
    "Adam 0.1": ("optimizer = torch.optim.Adam(model.parameters(), lr=0.1, weight_decay=1e-5)", "0.1", "0.01"),
    "AdamW 0.02": ("optimizer = torch.optim.AdamW(model.parameters(), lr=0.02)", "0.02", "0.01"),
    "RMSprop 0.05": ("optimizer = torch.optim.RMSprop(model.parameters(), lr=0.05, weight_decay=1e-5)", "0.05", "0.01"),
    "SGD 20 with momentum": (
        "optimizer = torch.optim.SGD(model.parameters(), lr=20, momentum=0.9, weight_decay=1e-5)",
        "20",
        "1",
    ),
    "Adagrad 0.5": ("optimizer = torch.optim.Adagrad(model.parameters(), lr=0.5, weight_decay=1e-5)", "0.5", "0.1"),
}


@pytest.mark.parametrize("optimizer,lr,bound", HIGH_LR.values(), ids=HIGH_LR.keys())
def test_rnn206_fires(tmp_path: Path, optimizer: str, lr: str, bound: str) -> None:
    source = script(optimizer=optimizer)
    diags = lint(tmp_path, source)
    d = only(diags, "RNN206")
    assert d.loc.line == line_of(source, "optimizer = ")
    assert f"initial learning rate {lr} " in d.message and f"above {bound};" in d.message
    assert codes(diags) == ["RNN206"]


def test_rnn206_bound_is_halved_for_deep_stacks(tmp_path: Path) -> None:
    optimizer = "optimizer = torch.optim.Adam(model.parameters(), lr=0.008, weight_decay=1e-5)"
    shallow = script(optimizer=optimizer)
    assert codes(lint(tmp_path / "a", shallow), "RNN206") == []
    deep = shallow.replace("model = Tagger()", "model = Tagger(layers=4)")
    diags = lint(tmp_path / "b", deep)
    d = only(diags, "RNN206")
    assert d.loc.line == line_of(deep, "optimizer = ")
    assert "above 0.005, halved for a 4-layer recurrent stack" in d.message


def test_rnn206_message_names_the_argparse_default(tmp_path: Path) -> None:
    extra = """\
    import argparse

    parser = argparse.ArgumentParser()
    parser.add_argument("--lr", type=float, default=0.05)
    args = parser.parse_args()
    """
    source = script(optimizer="optimizer = torch.optim.Adam(model.parameters(), lr=args.lr, weight_decay=1e-5)", extra=extra)
    d = only(lint(tmp_path, source), "RNN206")
    assert "argparse default of --lr" in d.message


LOW_LR = {
    "Adam 1e-3": "optimizer = torch.optim.Adam(model.parameters(), lr=1e-3, weight_decay=1e-5)",
    "Adam at the bound": "optimizer = torch.optim.Adam(model.parameters(), lr=0.01, weight_decay=1e-5)",
    "Adam default lr": "optimizer = torch.optim.Adam(model.parameters(), weight_decay=1e-5)",
    "Adadelta default 1.0": "optimizer = torch.optim.Adadelta(model.parameters(), weight_decay=1e-5)",
    "SGD 1.0 with momentum": "optimizer = torch.optim.SGD(model.parameters(), lr=1.0, momentum=0.9, weight_decay=1e-5)",
    "unknown lr": "optimizer = torch.optim.Adam(model.parameters(), lr=float(input()), weight_decay=1e-5)",
}


@pytest.mark.parametrize("optimizer", LOW_LR.values(), ids=LOW_LR.keys())
def test_rnn206_silent(tmp_path: Path, optimizer: str) -> None:
    assert codes(lint(tmp_path, script(optimizer=optimizer))) == []


# ---------------------------------------------------------------------------------------------
# RNN207 non-adaptive-optimizer
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "optimizer",
    [
        "optimizer = torch.optim.SGD(model.parameters(), lr=0.1, weight_decay=1e-5)",
        "optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0, weight_decay=1e-5)",
        "optimizer = optim.SGD(model.parameters(), 0.1, weight_decay=1e-5)",
    ],
    ids=["default momentum", "momentum=0", "from torch import optim"],
)
def test_rnn207_fires_on_plain_sgd(tmp_path: Path, optimizer: str) -> None:
    source = script(optimizer=optimizer, extra="from torch import optim\n\n")
    diags = lint(tmp_path, source)
    d = only(diags, "RNN207")
    assert d.loc.line == line_of(source, "optimizer = ")
    assert "`SGD`" in d.message and d.severity is Severity.INFO
    assert codes(diags) == ["RNN207"]


def test_rnn207_fires_on_a_manual_sgd_update(tmp_path: Path) -> None:
    source = """
    import argparse
    import torch
    import torch.nn as nn

    parser = argparse.ArgumentParser()
    parser.add_argument("--lr", type=float, default=20)
    args = parser.parse_args()
    lr = args.lr
    model = nn.LSTM(200, 256, num_layers=2, dropout=0.5)


    def train(batches):
        for x, y in batches:
            model.zero_grad()
            out, _ = model(x)
            loss = nn.functional.mse_loss(out, y)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 0.25)
            for p in model.parameters():
                p.data.add_(p.grad, alpha=-lr)
    """
    diags = lint(tmp_path, source)
    d = only(diags, "RNN207")
    assert d.loc.line == line_of(source, "p.data.add_(")
    assert "manual parameter update" in d.message


@pytest.mark.parametrize(
    "optimizer",
    [
        "optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=1e-5)",
        "optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, nesterov=True, weight_decay=1e-5)",
        "optimizer = torch.optim.Adam(model.parameters(), lr=1e-3, weight_decay=1e-5)",
        "optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=float(input()), weight_decay=1e-5)",
    ],
    ids=["momentum", "nesterov", "Adam", "unknown momentum"],
)
def test_rnn207_silent(tmp_path: Path, optimizer: str) -> None:
    assert codes(lint(tmp_path, script(optimizer=optimizer)), "RNN207") == []


# ---------------------------------------------------------------------------------------------
# RNN208 no-nan-guard
# ---------------------------------------------------------------------------------------------

UNGUARDED_STEP = STEP.replace("if not torch.isfinite(loss):\n    continue\n", "")


def test_rnn208_fires_at_the_backward_call(tmp_path: Path) -> None:
    source = script(UNGUARDED_STEP)
    diags = lint(tmp_path, source)
    d = only(diags, "RNN208")
    assert d.loc.line == line_of(source, "loss.backward()")
    assert "`train`" in d.message and "isfinite" in d.message
    assert codes(diags) == ["RNN208"]


def test_rnn208_fires_at_a_lightning_trainer(tmp_path: Path) -> None:
    source = lightning("lightning").replace("detect_anomaly=True", "accelerator='gpu'")
    diags = lint(tmp_path, source)
    d = only(diags, "RNN208")
    assert d.loc.line == line_of(source, "trainer = ")
    assert "`Trainer(...)`" in d.message


NAN_GUARDS = {
    "torch.isnan": UNGUARDED_STEP.replace("loss.backward()", "if torch.isnan(loss):\n    break\nloss.backward()"),
    "tensor.isfinite()": UNGUARDED_STEP.replace(
        "loss.backward()", "if not loss.isfinite().all():\n    continue\nloss.backward()"
    ),
    "math.isnan on the item": UNGUARDED_STEP.replace(
        "loss.backward()", "if math.isnan(loss.item()):\n    raise RuntimeError('diverged')\nloss.backward()"
    ),
    "anomaly detection": UNGUARDED_STEP.replace("loss.backward()", "with torch.autograd.detect_anomaly():\n    loss.backward()"),
    "GradScaler": UNGUARDED_STEP.replace("loss.backward()", "scaler.scale(loss).backward()\nscaler.unscale_(optimizer)")
    .replace("optimizer.step()", "scaler.step(optimizer)\nscaler.update()")
    .replace("optimizer.zero_grad()", "optimizer.zero_grad()\nwith torch.autocast('cuda'):\n    pass"),
}


@pytest.mark.parametrize("step", NAN_GUARDS.values(), ids=NAN_GUARDS.keys())
def test_rnn208_silent(tmp_path: Path, step: str) -> None:
    source = script(step, extra=SCALER)
    assert codes(lint(tmp_path, source)) == []


def test_rnn208_best_loss_initialised_to_inf_is_not_a_guard(tmp_path: Path) -> None:
    source = script(UNGUARDED_STEP, scheduler=SCHEDULER + '\nbest_val = float("inf")')
    diags = lint(tmp_path, source)
    assert lines(diags, "RNN208") == [line_of(source, "loss.backward()")]


@pytest.mark.parametrize(
    "trainer_args",
    ["detect_anomaly=True", "callbacks=[EarlyStopping(monitor='val_loss')]"],
    ids=["detect_anomaly", "EarlyStopping"],
)
def test_rnn208_silent_for_lightning_guards(tmp_path: Path, trainer_args: str) -> None:
    source = lightning("lightning").replace("detect_anomaly=True", trainer_args)
    source = source.replace(
        "import lightning as L\n", "import lightning as L\nfrom lightning.pytorch.callbacks import EarlyStopping\n"
    )
    assert codes(lint(tmp_path, source)) == []


# ---------------------------------------------------------------------------------------------
# Suppressions
# ---------------------------------------------------------------------------------------------


def _unclipped(comment: str) -> str:
    return script(NO_CLIP_STEP.replace("loss.backward()", f"loss.backward()  {comment}"))


@pytest.mark.parametrize(
    "comment",
    [
        "# rnnlint: ignore[RNN201]",
        "# noqa: RNN201",
        "# noqa:RNN201",
        "# noqa: E501, RNN201",
        "# rnnlint: ignore[RNN201, RNN208]",
        "# noqa",
        "# rnnlint: ignore",
    ],
)
def test_suppression_comment_on_the_flagged_line(tmp_path: Path, comment: str) -> None:
    assert codes(lint(tmp_path, _unclipped(comment))) == []


def test_uppercase_noqa_suppresses(tmp_path: Path) -> None:
    assert codes(lint(tmp_path, _unclipped("# NOQA: RNN201"))) == []


@pytest.mark.parametrize("comment", ["# noqa: E501", "# rnnlint: ignore[RNN208]", "# a note about rnnlint"])
def test_unrelated_suppression_does_not_hide_rnn201(tmp_path: Path, comment: str) -> None:
    source = _unclipped(comment)
    diags = lint(tmp_path, source)
    assert lines(diags, "RNN201") == [line_of(source, "loss.backward()")]


def test_suppression_on_another_line_does_not_apply(tmp_path: Path) -> None:
    source = script(NO_CLIP_STEP.replace("optimizer.step()", "optimizer.step()  # noqa: RNN201"))
    assert lines(lint(tmp_path, source), "RNN201") == [line_of(source, "loss.backward()")]


def test_suppression_inside_a_string_is_not_a_comment(tmp_path: Path) -> None:
    source = script(NO_CLIP_STEP.replace("loss.backward()", "loss.backward(); note = '# noqa: RNN201'"))
    assert lines(lint(tmp_path, source), "RNN201") == [line_of(source, "loss.backward()")]


def test_ignore_file_suppresses_everything(tmp_path: Path) -> None:
    noisy = script(
        UNGUARDED_STEP.replace(CLIP + "\n", ""),
        optimizer="optimizer = torch.optim.SGD(model.parameters(), lr=5.0)",
        scheduler="",
        epoch_end="pass",
    )
    assert {"RNN201", "RNN204", "RNN206", "RNN207", "RNN208", "RNN301"} <= set(codes(lint(tmp_path / "a", noisy)))
    assert codes(lint(tmp_path / "b", "# rnnlint: ignore-file\n" + noisy)) == []


def test_ignore_file_applies_to_its_own_file_only(tmp_path: Path) -> None:
    model = """\
    # rnnlint: ignore-file
    import torch.nn as nn


    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.lstm = nn.LSTM(9, 2048, num_layers=2, dropout=0.5)
    """
    train = """\
    import torch
    from model import Net

    model = Net()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3, weight_decay=1e-5)
    for x, y in []:
        optimizer.zero_grad()
        loss = torch.nn.functional.mse_loss(model(x), y)
        loss.backward()
        optimizer.step()
    """
    diags = lint_files(tmp_path, {"model.py": model, "train.py": train}, only=["train.py"])
    assert all(Path(d.loc.path).name == "train.py" for d in diags)
    assert lines(diags, "RNN201") == [line_of(train, "loss.backward()")]
    unsuppressed = lint_files(
        tmp_path / "b", {"model.py": model.replace("# rnnlint: ignore-file", "# the model"), "train.py": train}
    )
    assert [(Path(d.loc.path).name, d.loc.line) for d in unsuppressed if d.code == "RNN104"] == [
        ("model.py", line_of(model, "nn.LSTM("))
    ]


def test_noqa_on_the_last_line_of_a_multiline_call(tmp_path: Path) -> None:
    optimizer = "optimizer = torch.optim.SGD(\n    model.parameters(),\n    lr=0.1,\n    weight_decay=1e-5,\n){comment}"
    clean = script(optimizer=optimizer.format(comment=""))
    assert lines(lint(tmp_path / "a", clean), "RNN207") == [line_of(clean, "optimizer = torch.optim.SGD(")]
    suppressed = script(optimizer=optimizer.format(comment="  # noqa: RNN207"))
    assert codes(lint(tmp_path / "b", suppressed)) == []
