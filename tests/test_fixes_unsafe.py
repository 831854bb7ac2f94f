"""Unsafe fixes (RNN101, RNN102, RNN107, RNN204): offered only where rnnlint sees everything they change.

The before/after cases in fixtures/fixes show each fix applied; these tests pin the shapes
where no fix must be offered, and check that ``--unsafe-fixes`` keeps the runnable
reference scripts parseable.
"""

from __future__ import annotations

import ast
import io
import shutil
from pathlib import Path

from helpers import strict_lint

from rnnlint.diagnostics import Diagnostic
from rnnlint.fix.command import fix_files
from rnnlint.run.discovery import discover
from rnnlint.run.engine import Linter, Result
from rnnlint.settings.model import Settings

REFERENCE = Path(__file__).resolve().parent.parent / "fixtures" / "reference_runnable"

TRAIN = """
def train(model, loader, val_loader, epochs=10):
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3, weight_decay=1e-5)
    scheduler = torch.optim.lr_scheduler.ReduceLROnPlateau(optimizer, factor=0.5)
    loss_fn = nn.CrossEntropyLoss()
    for epoch in range(epochs):
        for x, y in loader:
            optimizer.zero_grad()
            loss = loss_fn(model(x), y)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 5.0)
            optimizer.step()
        val = sum(loss_fn(model(x), y).item() for x, y in val_loader)
        scheduler.step(val)
"""


def _model(init: str, forward: str, imports: str = "import torch\nfrom torch import nn\n") -> str:
    """A classifier module with the given ``__init__`` and ``forward`` bodies, and a clean training loop."""
    body = "\n".join("        " + line for line in init.strip().splitlines())
    fwd = "\n".join("        " + line for line in forward.strip().splitlines())
    return (
        f"{imports}\n\nclass SentimentClassifier(nn.Module):\n    def __init__(self, vocab, num_classes, hidden=256):\n"
        f"        super().__init__()\n        self.embed = nn.Embedding(vocab, 128)\n{body}\n\n"
        f"    def forward(self, x):\n{fwd}\n\n{TRAIN}"
    )


def _finding(diags: list[Diagnostic], code: str) -> Diagnostic:
    found = [d for d in diags if d.code == code]
    assert found, f"{code} should fire"
    return found[0]


def _fix_of(tmp: Path, source: str, code: str) -> str | None:
    """The fix message offered for ``code`` (which must fire), or None when no fix is offered."""
    d = _finding(strict_lint(tmp, source), code)
    if d.fix is None:
        return None
    assert d.fix.applicability == "unsafe"
    return d.fix.message


# -- RNN101 ---------------------------------------------------------------------------------------
def test_rnn101_offers_gru_with_the_reason(tmp_path: Path) -> None:
    src = _model(
        "self.rnn = nn.RNN(128, hidden, num_layers=2, dropout=0.5, bidirectional=True, batch_first=True)\n"
        "self.fc = nn.Linear(2 * hidden, num_classes)",
        "out, _ = self.rnn(self.embed(x))\nreturn self.fc(out[:, -1])",
    )
    message = _fix_of(tmp_path, src, "RNN101")
    assert message is not None and "nn.GRU" in message and "LSTM would also return a cell state" in message


def test_rnn101_no_fix_when_positions_differ_or_arguments_are_unpacked(tmp_path: Path) -> None:
    for call in ("nn.RNN(128, hidden, 2, 'relu')", "nn.RNN(*sizes)", "nn.RNN(128, hidden, **options)"):
        src = _model(
            f"self.rnn = {call}\nself.fc = nn.Linear(hidden, num_classes)",
            "out, _ = self.rnn(self.embed(x))\nreturn self.fc(out)",
        )
        assert _fix_of(tmp_path, src, "RNN101") is None, call


def test_rnn101_no_fix_without_a_spelling_for_gru(tmp_path: Path) -> None:
    src = (
        "from torch.nn import RNN, Module\n\n\nclass SentimentClassifier(Module):\n"
        "    def __init__(self, vocab, num_classes):\n        super().__init__()\n"
        "        self.rnn = RNN(128, 256, batch_first=True)\n\n    def forward(self, x):\n        return self.rnn(x)[0]\n"
    )
    assert _fix_of(tmp_path, src, "RNN101") is None  # no `nn` or `torch` name to reach GRU through


def test_rnn101_name_import_reaches_gru_through_an_alias(tmp_path: Path) -> None:
    imports = "import torch\nfrom torch import nn\nfrom torch.nn import RNN\n"
    src = _model(
        "self.rnn = RNN(128, hidden, batch_first=True)\nself.fc = nn.Linear(hidden, num_classes)",
        "out, _ = self.rnn(self.embed(x))\nreturn self.fc(out[:, -1])",
        imports,
    )
    message = _fix_of(tmp_path, src, "RNN101")
    assert message is not None and message.startswith("replace `RNN` with `nn.GRU`")


def test_rnn101_keras_third_positional_differs(tmp_path: Path) -> None:
    src = (
        "from tensorflow import keras\nfrom tensorflow.keras import layers\n"
        "model = keras.Sequential([layers.SimpleRNN(64, 'tanh', False), layers.Dense(1)])\n"
        "model.compile(optimizer='adam', loss='mse')\nmodel.fit(x, y, epochs=3)\n"
    )
    assert _fix_of(tmp_path, src, "RNN101") is None  # SimpleRNN's 3rd is use_bias, GRU's recurrent_activation


# -- RNN102 ---------------------------------------------------------------------------------------
LSTM = "self.lstm = nn.LSTM(128, hidden, num_layers=2, dropout=0.5, batch_first=True)"


def test_rnn102_fix_doubles_the_consumer(tmp_path: Path) -> None:
    src = _model(
        f"{LSTM}\nself.fc = nn.Linear(hidden, num_classes)",
        "out, (h, c) = self.lstm(self.embed(x))\nreturn self.fc(out.mean(dim=1))",
    )
    message = _fix_of(tmp_path, src, "RNN102")
    assert message is not None and "2 * hidden" in message


def test_rnn102_no_fix_when_the_final_state_is_used(tmp_path: Path) -> None:
    src = _model(
        f"{LSTM}\nself.fc = nn.Linear(hidden, num_classes)", "out, (h, c) = self.lstm(self.embed(x))\nreturn self.fc(h[-1])"
    )
    assert _fix_of(tmp_path, src, "RNN102") is None


def test_rnn102_no_fix_when_the_consumer_is_out_of_sight(tmp_path: Path) -> None:
    src = _model(f"{LSTM}\nself.fc = nn.Linear(hidden, num_classes)", "out, _ = self.lstm(self.embed(x))\nreturn out")
    assert _fix_of(tmp_path, src, "RNN102") is None


def test_rnn102_no_fix_when_sizes_do_not_match(tmp_path: Path) -> None:
    for init, forward in (
        (
            f"{LSTM}\nself.fc = nn.Linear(hidden + 8, num_classes)",
            "out, _ = self.lstm(self.embed(x))\nreturn self.fc(out[:, -1])",
        ),
        (
            f"{LSTM}\nself.fc = nn.Linear(2 * hidden, num_classes)",
            "out, _ = self.lstm(self.embed(x))\nreturn self.fc(torch.cat([out[:, -1], out[:, 0]], -1))",
        ),
        (
            f"{LSTM}\nself.fc = nn.Linear(hidden, num_classes)",
            "out, _ = self.lstm(self.embed(x), self.h0)\nreturn self.fc(out[:, -1])",
        ),
        (
            f"{LSTM}\nself.fc = nn.Linear(hidden, num_classes)",
            "out, _ = self.lstm(self.embed(x))\nreturn self.fc(out[:, :, :hidden])",
        ),
    ):
        assert _fix_of(tmp_path, _model(init, forward), "RNN102") is None, forward


def test_rnn102_keras_no_fix_with_return_state(tmp_path: Path) -> None:
    src = (
        "from tensorflow import keras\nfrom tensorflow.keras import layers\n"
        "inputs = keras.Input(shape=(None,))\nx = layers.Embedding(100, 32)(inputs)\n"
        "x, h, c = layers.LSTM(64, return_state=True)(x)\noutputs = layers.Dense(3)(h)\n"
        "classifier = keras.Model(inputs, outputs)\nclassifier.compile(optimizer='adam', loss='sparse_categorical_crossentropy')\n"
        "classifier.fit(x_train, y_train, epochs=3)\n"
    )
    assert _fix_of(tmp_path, src, "RNN102") is None


# -- RNN107 ---------------------------------------------------------------------------------------
ONE = "self.lstm = nn.LSTM(128, hidden, dropout=0.5, batch_first=True, bidirectional=True)\nself.fc = nn.Linear(2 * hidden, num_classes)"


def test_rnn107_no_fix_when_the_output_is_discarded(tmp_path: Path) -> None:
    src = _model(ONE, "_, (h, _) = self.lstm(self.embed(x))\nreturn self.fc(torch.cat([h[-2], h[-1]], -1))")
    assert _fix_of(tmp_path, src, "RNN107") is None


def test_rnn107_no_fix_when_the_layer_is_used_twice_or_packed(tmp_path: Path) -> None:
    twice = "out, _ = self.lstm(self.embed(x))\nout, _ = self.lstm(out[:, :, :128])\nreturn self.fc(out)"
    packed = (
        "packed = nn.utils.rnn.pack_padded_sequence(self.embed(x), x.ne(0).sum(1).cpu(), batch_first=True, enforce_sorted=False)\n"
        "out, _ = self.lstm(packed)\nout, _ = nn.utils.rnn.pad_packed_sequence(out, batch_first=True)\nreturn self.fc(out)"
    )
    for forward in (twice, packed):
        assert _fix_of(tmp_path, _model(ONE, forward), "RNN107") is None, forward


def test_rnn107_no_fix_when_the_name_is_taken(tmp_path: Path) -> None:
    src = _model(
        ONE + "\nself.lstm_dropout = nn.Dropout(0.1)", "out, _ = self.lstm(self.embed(x))\nreturn self.fc(self.lstm_dropout(out))"
    )
    assert _fix_of(tmp_path, src, "RNN107") is None


def test_rnn107_fix_keeps_the_rate_expression(tmp_path: Path) -> None:
    init = ONE.replace("dropout=0.5", "dropout=p").replace("hidden=256", "")
    src = _model(init, "out, _ = self.lstm(self.embed(x))\nreturn self.fc(out)").replace("hidden=256)", "hidden=256, p=0.5)")
    message = _fix_of(tmp_path, src, "RNN107")
    assert message is not None and "nn.Dropout(p)" in message


# -- RNN204 ---------------------------------------------------------------------------------------
MODEL = _model(
    "self.lstm = nn.LSTM(128, hidden, num_layers=2, dropout=0.5, batch_first=True, bidirectional=True)\n"
    "self.fc = nn.Linear(2 * hidden, num_classes)",
    "out, _ = self.lstm(self.embed(x))\nreturn self.fc(out[:, -1])",
).split("\ndef train")[0]


def _loop(epoch_tail: str, before_loop: str = "") -> str:
    tail = "\n".join("        " + line for line in epoch_tail.strip().splitlines())
    head = "\n".join("    " + line for line in before_loop.strip().splitlines())
    return (
        MODEL
        + "\ndef evaluate(model, loader):\n    return sum(nn.functional.cross_entropy(model(x), y).item() for x, y in loader)\n\n\n"
        "def train(model, loader, val_loader, epochs=10):\n"
        "    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3, weight_decay=1e-5)\n"
        f"{head}\n"
        "    for epoch in range(epochs):\n"
        "        for x, y in loader:\n"
        "            optimizer.zero_grad()\n"
        "            loss = nn.functional.cross_entropy(model(x), y)\n"
        "            loss.backward()\n"
        "            torch.nn.utils.clip_grad_norm_(model.parameters(), 5.0)\n"
        "            optimizer.step()\n"
        f"{tail}\n"
    )


def test_rnn204_steps_on_the_validation_loss(tmp_path: Path) -> None:
    message = _fix_of(tmp_path, _loop("val_loss = evaluate(model, val_loader)\nprint(val_loss)"), "RNN204")
    assert message is not None and "scheduler.step(val_loss)" in message and "patience=2" in message


def test_rnn204_picks_a_free_scheduler_name(tmp_path: Path) -> None:
    message = _fix_of(tmp_path, _loop("val_loss = evaluate(model, val_loader)", "scheduler = 'cosine'"), "RNN204")
    assert message is not None and "lr_scheduler = " in message and "lr_scheduler.step(val_loss)" in message


def test_rnn204_no_fix_without_a_validation_loss_every_epoch(tmp_path: Path) -> None:
    for tail in ("print(loss.item())", "if epoch % 2 == 0:\n    val_loss = evaluate(model, val_loader)"):
        assert _fix_of(tmp_path, _loop(tail), "RNN204") is None, tail


def test_rnn204_no_fix_when_the_optimizer_is_chosen_in_a_branch(tmp_path: Path) -> None:
    src = _loop("val_loss = evaluate(model, val_loader)").replace(
        "    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3, weight_decay=1e-5)\n",
        "    if epochs > 5:\n        optimizer = torch.optim.Adam(model.parameters(), lr=1e-3, weight_decay=1e-5)\n"
        "    else:\n        optimizer = torch.optim.Adam(model.parameters(), lr=3e-4, weight_decay=1e-5)\n",
    )
    assert _fix_of(tmp_path, src, "RNN204") is None


KERAS = """
from tensorflow import keras
from tensorflow.keras import layers

classifier = keras.Sequential([layers.Embedding(100, 32), layers.Bidirectional(layers.LSTM(128, dropout=0.3)), layers.Dense(3)])
classifier.compile(optimizer=keras.optimizers.Adam(1e-3, global_clipnorm=5.0), loss="sparse_categorical_crossentropy")
"""


def test_rnn204_keras_needs_validation_and_a_visible_list(tmp_path: Path) -> None:
    assert _fix_of(tmp_path, KERAS + "classifier.fit(x, y, epochs=30)\n", "RNN204") is None
    assert _fix_of(tmp_path, KERAS + "classifier.fit(x, y, validation_split=0.1, callbacks=cbs)\n", "RNN204") is None
    in_a_loop = "for round in range(5):\n    classifier.fit(x, y, validation_split=0.1, epochs=1)\n"
    assert _fix_of(tmp_path, KERAS + in_a_loop, "RNN204") is None  # each fit would restart the callback's patience
    message = _fix_of(tmp_path, KERAS + "classifier.fit(x, y, validation_split=0.1, callbacks=[])\n", "RNN204")
    assert message is not None and "keras.callbacks.ReduceLROnPlateau(factor=0.5, patience=2)" in message


def test_rnn204_constants_come_from_settings(tmp_path: Path) -> None:
    settings = Settings.model_validate({"fix": {"decay-factor": 0.3, "patience": 4}})
    d = _finding(strict_lint(tmp_path, _loop("val_loss = evaluate(model, val_loader)"), settings=settings), "RNN204")
    assert d.fix is not None and "factor=0.3, patience=4" in d.fix.message


# -- the runnable reference scripts ------------------------------------------------------------------
def _lint(root: Path) -> Result:
    return Linter(Settings(), [root]).run(list(discover([root], [])))


def test_reference_scripts_take_the_unsafe_fixes_and_still_parse(tmp_path: Path) -> None:
    root = tmp_path / "ref"
    root.mkdir()
    for name in ("torch_recall.py", "keras_recall.py"):
        shutil.copy(REFERENCE / name, root / name)
    plain, _, _ = fix_files(lambda: _lint(root), False, False, io.StringIO(), io.StringIO())
    assert {"RNN101", "RNN204"} <= {d.code for d in plain.diagnostics}  # plain --fix leaves the unsafe ones
    result, applied, _ = fix_files(lambda: _lint(root), True, False, io.StringIO(), io.StringIO())
    assert applied >= 3
    for name in ("torch_recall.py", "keras_recall.py"):
        ast.parse((root / name).read_text())
    left = {(Path(d.loc.path).name, d.code) for d in result.diagnostics}
    assert not {("keras_recall.py", "RNN101"), ("keras_recall.py", "RNN102"), ("keras_recall.py", "RNN204")} & left
    assert ("torch_recall.py", "RNN204") not in left
    torch_text = (root / "torch_recall.py").read_text()
    assert "scheduler.step(val_loss)" in torch_text
    assert ("torch_recall.py", "RNN107") in left  # its output is discarded (`_, (h, _) = ...`): no fix offered
