"""The correctness rules of issue 17 (RNN109-111, RNN209-211, RNN306-308, RNN501 for layers and TF1 cells):
firing cases in each framework where the bug exists, and traps that must stay silent."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import line_of, lines, lint_files
from helpers import strict_lint as lint_strict

from rnnlint.settings.model import Settings


def found(tmp: Path, code: str, source: str) -> list[int]:
    return lines(lint_strict(tmp, source, settings=Settings(select=[code])), code)


TORCH_LM = """\
import torch
import torch.nn as nn


class LanguageModel(nn.Module):
    def __init__(self):
        super().__init__()
        self.embedding = nn.Embedding(10000, 256)
        self.lstm = nn.LSTM(256, 256, num_layers=2, dropout=0.5)
        self.decoder = nn.Linear(256, 10000)

    def forward(self, tokens, hidden):
        out, hidden = self.lstm(self.embedding(tokens), hidden)
        return self.decoder(out), hidden

    def init_hidden(self, bsz):
        return (torch.zeros(2, bsz, 256), torch.zeros(2, bsz, 256))


def repackage_hidden(h):
    return h.detach() if isinstance(h, torch.Tensor) else tuple(repackage_hidden(v) for v in h)


model = LanguageModel()
optimizer = torch.optim.SGD(model.parameters(), lr=1.0, weight_decay=1e-5)
criterion = nn.CrossEntropyLoss()
for epoch in range(40):
    hidden = model.init_hidden(20)
    for data, targets in batches:
        optimizer.zero_grad()
        BEFORE
        output, hidden = model(data, hidden)
        loss = criterion(output.view(-1, 10000), targets.view(-1))
        loss.backward()
        optimizer.step()
"""


# -- RNN109 ---------------------------------------------------------------------------------------------
def test_rnn109_fires_on_a_state_carried_across_batches(tmp_path: Path) -> None:
    src = TORCH_LM.replace("        BEFORE\n", "")
    assert found(tmp_path, "RNN109", src) == [line_of(src, "output, hidden = model(data, hidden)")]


@pytest.mark.parametrize(
    "before",
    [
        "hidden = repackage_hidden(hidden)",  # the word-language-model example
        "hidden = model.init_hidden(20)",  # reset each batch
        "hidden = tuple(h.detach() for h in hidden)",
    ],
)
def test_rnn109_silent_when_the_loop_cuts_or_resets_the_state(tmp_path: Path, before: str) -> None:
    assert found(tmp_path, "RNN109", TORCH_LM.replace("BEFORE", before)) == []


def test_rnn109_silent_in_an_evaluation_loop(tmp_path: Path) -> None:
    src = TORCH_LM.replace("        BEFORE\n", "") + """
def evaluate(data_source):
    hidden = model.init_hidden(10)
    with torch.no_grad():
        for data, targets in data_source:
            output, hidden = model(data, hidden)
"""
    assert found(tmp_path, "RNN109", src) == [line_of(src, "output, hidden = model(data, hidden)")]


STATEFUL = """\
import torch
import torch.nn as nn


class Tagger(nn.Module):
    def __init__(self):
        super().__init__()
        self.lstm = nn.LSTM(64, 128)
        self.fc = nn.Linear(128, 10)
        self.hidden = None

    def forward(self, x):
        out, self.hidden = self.lstm(x, self.hidden)
        return self.fc(out)


model = Tagger()
optimizer = torch.optim.Adam(model.parameters(), weight_decay=1e-5)
for x, y in loader:
    optimizer.zero_grad()
    RESET
    loss = nn.functional.cross_entropy(model(x).flatten(0, 1), y.flatten())
    loss.backward()
    optimizer.step()
"""


def test_rnn109_fires_on_a_state_kept_on_the_model(tmp_path: Path) -> None:
    src = STATEFUL.replace("    RESET\n", "")
    assert found(tmp_path, "RNN109", src) == [line_of(src, "out, self.hidden = self.lstm")]


def test_rnn109_silent_when_the_kept_state_is_reset_per_batch(tmp_path: Path) -> None:
    assert found(tmp_path, "RNN109", STATEFUL.replace("RESET", "model.hidden = None")) == []


# -- RNN110 ---------------------------------------------------------------------------------------------
BIDI = """\
import torch
import torch.nn as nn


class Classifier(nn.Module):
    def __init__(self):
        super().__init__()
        self.lstm = nn.LSTM(128, 256, num_layers=2, LAYOUT bidirectional=BIDI)
        self.fc = nn.Linear(512, 2)

    def forward(self, x):
        out, (h_n, c_n) = self.lstm(x)
        return self.fc(READ)
"""


@pytest.mark.parametrize(
    ("layout", "read"),
    [("batch_first=True,", "out[:, -1, :]"), ("batch_first=True,", "out[:, -1]"), ("", "out[-1]"), ("", "h_n[-1]")],
)
def test_rnn110_fires_on_last_step_reads(tmp_path: Path, layout: str, read: str) -> None:
    src = BIDI.replace("LAYOUT", layout).replace("BIDI", "True").replace("READ", read)
    assert found(tmp_path, "RNN110", src) == [line_of(src, "return self.fc(")]


@pytest.mark.parametrize(
    ("layout", "bidi", "read"),
    [
        ("batch_first=True,", "True", "torch.cat((h_n[-2], h_n[-1]), dim=1)"),  # both directions
        ("batch_first=True,", "False", "out[:, -1]"),  # unidirectional
        ("batch_first=True,", "True", "out.mean(dim=1)"),  # pooled
        ("batch_first=True,", "True", "out[-1]"),  # the last sample, not the last step: not this rule
        ("", "True", "out[:, -1]"),  # time-major: the last batch element
    ],
)
def test_rnn110_silent_traps(tmp_path: Path, layout: str, bidi: str, read: str) -> None:
    src = BIDI.replace("LAYOUT", layout).replace("BIDI", bidi).replace("READ", read)
    assert found(tmp_path, "RNN110", src) == []


KERAS_BIDI = """\
from tensorflow import keras

inputs = keras.Input(shape=(None,), dtype="int64")
x = keras.layers.Embedding(20000, 128)(inputs)
x = keras.layers.Bidirectional(keras.layers.LSTM(64, return_sequences=SEQ))(x)
x = READ
outputs = keras.layers.Dense(1, activation="sigmoid")(x)
model = keras.Model(inputs, outputs)
model.compile("adam", "binary_crossentropy")
model.fit(x_train, y_train, epochs=2, validation_split=0.1)
"""


def test_rnn110_keras_functional_sequences_read_at_the_end(tmp_path: Path) -> None:
    src = KERAS_BIDI.replace("SEQ", "True").replace("READ", "x[:, -1, :]")
    assert found(tmp_path, "RNN110", src) == [line_of(src, "x = x[:, -1, :]")]
    src = KERAS_BIDI.replace("SEQ", "False").replace("READ", "x")  # final states of both directions: fine
    assert found(tmp_path, "RNN110", src) == []
    src = KERAS_BIDI.replace("SEQ", "True").replace("READ", "keras.layers.GlobalMaxPooling1D()(x)")
    assert found(tmp_path, "RNN110", src) == []


FLAX_BIDI = """\
import flax.linen as nn
import jax
import optax


class Classifier(nn.Module):
    def setup(self):
        self.birnn = nn.Bidirectional(nn.RNN(nn.LSTMCell(128)), nn.RNN(nn.LSTMCell(128)))
        self.head = nn.Dense(2)

    def __call__(self, x):
        out = self.birnn(x)
        return self.head(READ)


model = Classifier()
tx = optax.adam(1e-3)


def train_step(params, opt_state, x, y):
    loss, grads = jax.value_and_grad(lambda p: optax.softmax_cross_entropy(model.apply(p, x), y).mean())(params)
    updates, opt_state = tx.update(grads, opt_state)
    return optax.apply_updates(params, updates), opt_state, loss
"""


def test_rnn110_flax_bidirectional(tmp_path: Path) -> None:
    src = FLAX_BIDI.replace("READ", "out[:, -1]")
    assert found(tmp_path, "RNN110", src) == [line_of(src, "return self.head(")]
    assert found(tmp_path, "RNN110", FLAX_BIDI.replace("READ", "out.mean(axis=1)")) == []


# -- RNN111 ---------------------------------------------------------------------------------------------
PACK = """\
import torch
import torch.nn as nn
from torch.nn.utils.rnn import pack_padded_sequence


class Encoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.gru = nn.GRU(64, 256, batch_first=True)

    def forward(self, x, lengths):
        return self.gru(pack_padded_sequence(x, LENGTHS, batch_first=True EXTRA))[1]


model = Encoder()
optimizer = torch.optim.Adam(model.parameters())
for x, lengths, y in loader:
    optimizer.zero_grad()
    loss = model(x, lengths).sum()
    loss.backward()
    optimizer.step()
"""


@pytest.mark.parametrize(
    ("lengths", "extra", "n"),
    [
        ("lengths.cuda()", ", enforce_sorted=False", 1),
        ("lengths.to(device)", ", enforce_sorted=False", 1),
        ("lengths", "", 1),
        ("lengths.cuda()", "", 2),
    ],
)
def test_rnn111_fires(tmp_path: Path, lengths: str, extra: str, n: int) -> None:
    assert len(found(tmp_path, "RNN111", PACK.replace("LENGTHS", lengths).replace(" EXTRA", extra))) == n


@pytest.mark.parametrize(
    ("lengths", "extra", "more"),
    [
        ("lengths.cpu()", ", enforce_sorted=False", ""),
        ("lengths", "", "\ndef collate(batch):\n    return sorted(batch, key=len, reverse=True)\n"),
    ],
)
def test_rnn111_silent(tmp_path: Path, lengths: str, extra: str, more: str) -> None:
    assert found(tmp_path, "RNN111", PACK.replace("LENGTHS", lengths).replace(" EXTRA", extra) + more) == []


def test_rnn111_unsorted_case_needs_the_training_in_sight(tmp_path: Path) -> None:
    inference = PACK.replace("LENGTHS", "lengths").replace(" EXTRA", "").split("model = Encoder()")[0]
    assert found(tmp_path, "RNN111", inference + "model = Encoder()\nprint(model(x, lengths))\n") == []


# -- RNN209 ---------------------------------------------------------------------------------------------
STEP = """\
import torch
import torch.nn as nn

model = nn.LSTM(8, 128, batch_first=True)
head = nn.Linear(128, 1)
optimizer = torch.optim.Adam(list(model.parameters()) + list(head.parameters()), weight_decay=1e-5)
ZEROING


def train_step(x, y):
    loss = nn.functional.mse_loss(head(model(x)[0][:, -1]), y)
    loss.backward()
    optimizer.step()


for epoch in range(10):
    for x, y in loader:
        CALLER
        train_step(x, y)
"""


def test_rnn209_fires_when_nothing_zeroes(tmp_path: Path) -> None:
    src = STEP.replace("ZEROING\n", "").replace("        CALLER\n", "")
    assert found(tmp_path, "RNN209", src) == [line_of(src, "loss.backward()")]


@pytest.mark.parametrize(
    ("zeroing", "caller"),
    [
        ("", "optimizer.zero_grad()"),  # in the caller of the step
        ("", "model.zero_grad(set_to_none=True)"),
        ("", "for p in model.parameters(): p.grad = None"),
        ("accumulation_steps = 4", "pass"),  # accumulation on purpose
    ],
)
def test_rnn209_silent(tmp_path: Path, zeroing: str, caller: str) -> None:
    assert found(tmp_path, "RNN209", STEP.replace("ZEROING", zeroing).replace("CALLER", caller)) == []


# -- RNN210 ---------------------------------------------------------------------------------------------
LIGHTNING = """\
import pytorch_lightning as pl
import torch
import torch.nn as nn


class Tagger(pl.LightningModule):
    def __init__(self):
        super().__init__()
        self.lstm = nn.LSTM(64, 256, batch_first=True)
        self.fc = nn.Linear(256, 5)
        INIT

    def training_step(self, batch, batch_idx):
        x, y = batch
        loss = nn.functional.cross_entropy(self.fc(self.lstm(x)[0]).flatten(0, 1), y.flatten())
        self.log("loss", loss)
        BODY

    def configure_optimizers(self):
        return torch.optim.Adam(self.parameters())


pl.Trainer(max_epochs=3).fit(Tagger(), loader)
"""


def test_rnn210_fires_when_training_step_returns_nothing(tmp_path: Path) -> None:
    src = LIGHTNING.replace("        INIT\n", "").replace("        BODY\n", "")
    assert found(tmp_path, "RNN210", src) == [line_of(src, "def training_step")]


@pytest.mark.parametrize(
    ("init", "body"),
    [
        ("", "return loss"),
        ("", 'return {"loss": loss}'),
        ("self.automatic_optimization = False", "self.manual_backward(loss)"),
    ],
)
def test_rnn210_silent(tmp_path: Path, init: str, body: str) -> None:
    assert found(tmp_path, "RNN210", LIGHTNING.replace("INIT", init or "pass").replace("BODY", body)) == []


def test_rnn210_silent_on_an_abstract_step(tmp_path: Path) -> None:
    src = LIGHTNING.replace("        INIT\n", "").replace("        BODY\n", "") + """

class Base(pl.LightningModule):
    def training_step(self, batch, batch_idx):
        raise NotImplementedError
"""
    assert found(tmp_path, "RNN210", src) == [line_of(src, "def training_step")]


# -- RNN211 ---------------------------------------------------------------------------------------------
SCHED = """\
import torch
import torch.nn as nn

model = nn.GRU(64, 256)
optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=1e-5)
scheduler = SCHEDULER
for epoch in range(90):
    for x, y in loader:
        optimizer.zero_grad()
        loss = model(x)[0].pow(2).mean()
        loss.backward()
        optimizer.step()
        BATCH
    EPOCH
"""


@pytest.mark.parametrize(
    ("scheduler", "batch", "epoch"),
    [
        ("torch.optim.lr_scheduler.StepLR(optimizer, step_size=30, gamma=0.1)", "scheduler.step()", "pass"),
        ("torch.optim.lr_scheduler.MultiStepLR(optimizer, milestones=[30, 60])", "scheduler.step()", "pass"),
        ("torch.optim.lr_scheduler.ExponentialLR(optimizer, gamma=0.95)", "scheduler.step()", "pass"),
        ("torch.optim.lr_scheduler.ReduceLROnPlateau(optimizer, factor=0.5)", "pass", "scheduler.step()"),
    ],
)
def test_rnn211_fires(tmp_path: Path, scheduler: str, batch: str, epoch: str) -> None:
    src = SCHED.replace("SCHEDULER", scheduler).replace("BATCH", batch).replace("EPOCH", epoch)
    assert len(found(tmp_path, "RNN211", src)) == 1


@pytest.mark.parametrize(
    ("scheduler", "batch", "epoch"),
    [
        ("torch.optim.lr_scheduler.StepLR(optimizer, step_size=30, gamma=0.1)", "pass", "scheduler.step()"),
        ("torch.optim.lr_scheduler.StepLR(optimizer, step_size=2000, gamma=0.5)", "scheduler.step()", "pass"),
        ("torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=0.1, total_steps=1000)", "scheduler.step()", "pass"),
        ("torch.optim.lr_scheduler.ReduceLROnPlateau(optimizer, factor=0.5)", "pass", "scheduler.step(val_loss)"),
    ],
)
def test_rnn211_silent(tmp_path: Path, scheduler: str, batch: str, epoch: str) -> None:
    src = SCHED.replace("SCHEDULER", scheduler).replace("BATCH", batch).replace("EPOCH", epoch)
    assert found(tmp_path, "RNN211", src) == []


# -- RNN306 / RNN307 --------------------------------------------------------------------------------------
OPTAX = """\
import flax.linen as nn
import jax
import optax


class Model(nn.Module):
    @nn.compact
    def __call__(self, x):
        return nn.Dense(2)(nn.RNN(nn.GRUCell(256))(x))


model = Model()
tx = CHAIN


def train_step(params, opt_state, x, y):
    loss, grads = jax.value_and_grad(lambda p: optax.softmax_cross_entropy(model.apply(p, x), y).mean())(params)
    updates, opt_state = tx.update(grads, opt_state, params)
    return optax.apply_updates(params, updates), opt_state, loss
"""


@pytest.mark.parametrize(
    "chain",
    [
        "optax.chain(optax.sgd(0.1), optax.add_decayed_weights(1e-4))",
        "optax.chain(optax.clip_by_global_norm(1.0), optax.adam(1e-3), optax.add_decayed_weights(1e-4))",
        "optax.chain(optax.scale_by_adam(), optax.scale_by_learning_rate(1e-3), optax.add_decayed_weights(1e-4))",
    ],
)
def test_rnn306_fires_on_decay_after_the_learning_rate(tmp_path: Path, chain: str) -> None:
    src = OPTAX.replace("CHAIN", chain)
    assert found(tmp_path, "RNN306", src) == [line_of(src, "tx = ")]


@pytest.mark.parametrize(
    "chain",
    [
        "optax.chain(optax.add_decayed_weights(1e-4), optax.sgd(0.1))",
        "optax.adamw(1e-3, weight_decay=1e-4)",
        "optax.chain(optax.scale_by_adam(), optax.add_decayed_weights(1e-4), optax.scale_by_learning_rate(1e-3))",
    ],
)
def test_rnn306_silent(tmp_path: Path, chain: str) -> None:
    assert found(tmp_path, "RNN306", OPTAX.replace("CHAIN", chain)) == []


KERAS_DECAY = """\
from tensorflow import keras

model = keras.Sequential([
    keras.layers.Embedding(20000, 128),
    keras.layers.LSTM(256 REG),
    keras.layers.Dense(1, activation="sigmoid"),
])
model.compile(optimizer=OPT, loss="binary_crossentropy")
model.fit(x_train, y_train, validation_split=0.1, epochs=10)
"""


def test_rnn307_keras_decay_twice(tmp_path: Path) -> None:
    src = KERAS_DECAY.replace(" REG", ", kernel_regularizer=keras.regularizers.l2(1e-4)").replace(
        "OPT", "keras.optimizers.Adam(1e-3, weight_decay=1e-4)"
    )
    assert found(tmp_path, "RNN307", src) == [line_of(src, "model.compile")]


@pytest.mark.parametrize(
    ("reg", "opt"),
    [
        (", kernel_regularizer=keras.regularizers.l2(1e-4)", '"adamw"'),  # Keras' default decay, not chosen
        (", kernel_regularizer=keras.regularizers.l2(1e-4)", "keras.optimizers.Adam(1e-3)"),
        ("", "keras.optimizers.AdamW(1e-3, weight_decay=1e-4)"),
    ],
)
def test_rnn307_silent(tmp_path: Path, reg: str, opt: str) -> None:
    assert found(tmp_path, "RNN307", KERAS_DECAY.replace(" REG", reg).replace("OPT", opt)) == []


# -- RNN308 ---------------------------------------------------------------------------------------------
CTC = """\
import torch
import torch.nn as nn
import torch.nn.functional as F

lstm = nn.LSTM(80, 256, num_layers=3, dropout=0.3, bidirectional=True)
fc = nn.Linear(512, 29)
ctc = nn.CTCLoss(zero_infinity=True)
optimizer = torch.optim.Adam(list(lstm.parameters()) + list(fc.parameters()), weight_decay=1e-5)
for spec, targets, input_lengths, target_lengths in loader:
    optimizer.zero_grad()
    logits = fc(lstm(spec)[0])
    log_probs = LOGPROBS
    loss = ctc(log_probs, targets, input_lengths, target_lengths)
    loss.backward()
    optimizer.step()
"""


@pytest.mark.parametrize("expr", ["logits.log_softmax(dim=1)", "F.log_softmax(logits, dim=0)", "F.log_softmax(logits, 1).float()"])
def test_rnn308_fires(tmp_path: Path, expr: str) -> None:
    src = CTC.replace("LOGPROBS", expr)
    assert found(tmp_path, "RNN308", src) == [line_of(src, "log_probs = ")]


@pytest.mark.parametrize(
    "expr", ["logits.log_softmax(dim=-1)", "F.log_softmax(logits, dim=2)", "F.log_softmax(logits, dim=1).transpose(0, 1)"]
)
def test_rnn308_silent(tmp_path: Path, expr: str) -> None:
    assert found(tmp_path, "RNN308", CTC.replace("LOGPROBS", expr)) == []


# -- RNN501: whole layers and TF1 cells --------------------------------------------------------------------
TF1 = """\
import tensorflow.compat.v1 as tf


class PTBModel:
    def __init__(self, inputs, num_steps, size):
        cell = CELL
        state = cell.zero_state(20, tf.float32)
        outputs = []
        for time_step in range(num_steps):
            (cell_output, state) = cell(inputs[:, time_step, :], state)
            outputs.append(cell_output)
        self.loss = tf.reduce_mean(tf.concat(outputs, 1))
        self.train_op = tf.train.GradientDescentOptimizer(1.0).minimize(self.loss)
"""


@pytest.mark.parametrize(
    "cell",
    [
        "tf.nn.rnn_cell.LSTMCell(size)",
        "tf.nn.rnn_cell.MultiRNNCell([tf.nn.rnn_cell.LSTMCell(size) for _ in range(2)])",
    ],
)
def test_rnn501_tf1_cell_stepped_over_time(tmp_path: Path, cell: str) -> None:
    src = TF1.replace("CELL", cell)
    assert found(tmp_path, "RNN501", src) == [line_of(src, "(cell_output, state) = cell(")]


def test_rnn501_tf1_dynamic_rnn_is_silent(tmp_path: Path) -> None:
    src = """\
import tensorflow.compat.v1 as tf

cell = tf.nn.rnn_cell.LSTMCell(256)
outputs, state = tf.nn.dynamic_rnn(cell, inputs, dtype=tf.float32)
loss = tf.reduce_mean(outputs)
train_op = tf.train.AdamOptimizer(1e-3).minimize(loss)
"""
    assert found(tmp_path, "RNN501", src) == []


LAYER_LOOP = """\
import torch
import torch.nn as nn


class Decoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.gru = nn.GRU(64, 256, batch_first=True)
        self.out = nn.Linear(256, 64)

    def forward(self, x, h=None):
        outs = []
        for t in range(x.size(1)):
            o, h = self.gru(INPUT, h)
            outs.append(o)
        return self.out(torch.cat(outs, 1))
"""


def test_rnn501_torch_layer_stepped_per_time_step(tmp_path: Path) -> None:
    src = LAYER_LOOP.replace("INPUT", "x[:, t:t + 1]")
    assert found(tmp_path, "RNN501", src) == [line_of(src, "o, h = self.gru(")]
    assert "layer is called one time step" in lint_strict(tmp_path, src, settings=Settings(select=["RNN501"]))[0].message


def test_rnn501_torch_layer_fed_its_own_output_is_silent(tmp_path: Path) -> None:
    src = LAYER_LOOP.replace("INPUT", "self.out(o) if t else x[:, :1]").replace("outs = []", "outs = []\n        o = None")
    assert found(tmp_path, "RNN501", src) == []


# -- RNN305: an attention softmax is not the loss input ------------------------------------------------------
ATTENTION = """\
import torch
import torch.nn as nn
import torch.nn.functional as F


class ATTN(nn.Module):
    def __init__(self, enc_hid_dim, dec_hid_dim):
        super().__init__()
        self.attn = nn.Linear(enc_hid_dim * 2 + dec_hid_dim, dec_hid_dim)
        self.v = nn.Linear(dec_hid_dim, 1, bias=False)

    def forward(self, hidden, encoder_outputs):
        energy = torch.tanh(self.attn(torch.cat((hidden, encoder_outputs), dim=2)))
        attention = self.v(energy).squeeze(2)
        return F.softmax(attention, dim=1)


class Decoder(nn.Module):
    def __init__(self, output_dim, attention):
        super().__init__()
        self.attention = attention
        self.rnn = nn.GRU(256, 512)
        self.fc_out = nn.Linear(512, output_dim)

    def forward(self, inp, hidden, encoder_outputs):
        a = self.attention(hidden, encoder_outputs).unsqueeze(1)
        weighted = torch.bmm(a, encoder_outputs)
        output, hidden = self.rnn(weighted, hidden)
        return self.fc_out(output), hidden


attn = ATTN(256, 512)
dec = Decoder(1000, attn)
optimizer = torch.optim.Adam(dec.parameters())
criterion = nn.CrossEntropyLoss()
for src, trg in loader:
    optimizer.zero_grad()
    output, _ = dec(src, None, None)
    loss = criterion(output, trg)
    loss.backward()
    optimizer.step()
"""


@pytest.mark.parametrize("name", ["Attention", "Scores"])
def test_rnn305_silent_on_an_attention_softmax_feeding_bmm(tmp_path: Path, name: str) -> None:
    # bentrevett-style seq2seq: the attention module is built at module level and handed to the decoder
    assert found(tmp_path, "RNN305", ATTENTION.replace("ATTN", name)) == []
    nested = ATTENTION.replace("ATTN", name).replace("attn = " + name + "(256, 512)\ndec = Decoder(1000, attn)", "dec = Decoder(1000, " + name + "(256, 512))")
    assert found(tmp_path, "RNN305", nested) == []


def test_rnn305_still_fires_on_the_trained_model_returning_softmax(tmp_path: Path) -> None:
    src = ATTENTION.replace("ATTN", "Scores").replace("return self.fc_out(output), hidden", "return F.softmax(self.fc_out(output), -1), hidden")
    src = src.replace("output, _ = dec(src, None, None)", "output = dec(src, None, None)[0]")
    src += """

class Classifier(nn.Module):
    def __init__(self):
        super().__init__()
        self.rnn = nn.GRU(64, 128)
        self.fc = nn.Linear(128, 5)

    def forward(self, x):
        return F.softmax(self.fc(self.rnn(x)[0][-1]), dim=-1)


clf = Classifier()
loss2 = criterion(clf(x), y)
"""
    assert found(tmp_path, "RNN305", src) == [line_of(src, "return F.softmax(self.fc(self.rnn(x)")]


# -- less noise from guideline rules (issue 17, part 3) ------------------------------------------------------
NOISE = """\
import torch
import torch.nn as nn


class Tagger(nn.Module):
    def __init__(self):
        super().__init__()
        self.lstm = nn.LSTM(64, 256, num_layers=LAYERS, dropout=0.5, bidirectional=True, batch_first=True)
        self.fc = nn.Linear(512, 10)

    def forward(self, x):
        return self.fc(self.lstm(x)[0])


model = Tagger()
optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
for epoch in range(EPOCHS):
    for x, y in train_loader:
        optimizer.zero_grad()
        loss = nn.functional.cross_entropy(model(x).flatten(0, 1), y.flatten())
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 5.0)
        optimizer.step()
    with torch.no_grad():
        val_loss = sum(nn.functional.cross_entropy(model(x).flatten(0, 1), y.flatten()).item() for x, y in val_loader)
    PRINT
"""
PRINTED = 'print(f"epoch {epoch}: train loss {loss.item():.3f} val loss {val_loss:.3f}")'


def _noise(layers: str = "2", epochs: str = "30", printed: str = PRINTED) -> str:
    return NOISE.replace("LAYERS", layers).replace("EPOCHS", epochs).replace("PRINT", printed)


@pytest.mark.parametrize(("epochs", "fires"), [("3", False), ("1, 4", False), ("30", True), ("args.epochs", True)])
def test_rnn204_silent_on_a_run_too_short_to_decay(tmp_path: Path, epochs: str, fires: bool) -> None:
    src = _noise(epochs=epochs)
    if epochs == "args.epochs":
        src = "import argparse\nargs = argparse.ArgumentParser().parse_args()\n" + src
    assert bool(found(tmp_path, "RNN204", src)) is fires


def test_rnn301_is_info_and_names_the_dropout_when_the_model_has_strong_dropout(tmp_path: Path) -> None:
    diags = lint_strict(tmp_path, _noise(), settings=Settings(select=["RNN301"]))
    assert len(diags) == 1 and diags[0].severity.label == "info"
    assert "dropout: `LSTM(dropout=0.5)`" in diags[0].message and "weight_decay" in diags[0].message
    # a single torch layer's dropout= does nothing: no regularisation, the full warning
    diags = lint_strict(tmp_path, _noise(layers="1"), settings=Settings(select=["RNN301"]))
    assert len(diags) == 1 and diags[0].severity.label == "warning"


def test_rnn403_never_says_neither_logged_nor_kept_when_losses_are_printed(tmp_path: Path) -> None:
    diags = lint_strict(tmp_path, _noise(), settings=Settings(select=["RNN403"]))
    assert diags and all("neither logged nor kept" not in d.message for d in diags)
    assert "printed each epoch" in diags[0].message
    diags = lint_strict(tmp_path, _noise(printed="pass"), settings=Settings(select=["RNN403"]))
    assert diags and "neither logged nor kept" in diags[0].message


DEMO = """\
import numpy as np
from tensorflow import keras

inputs = np.random.random((32, 10, 8)).astype("float32")
simple_rnn = keras.layers.SimpleRNN(4)
output = simple_rnn(inputs)
print(output.shape)

model = keras.Sequential([keras.layers.Embedding(20000, 128), keras.layers.LSTM(128, dropout=0.3), keras.layers.Dense(1)])
model.compile(optimizer=keras.optimizers.Adam(1e-3, global_clipnorm=5.0), loss="binary_crossentropy")
model.fit(x_train, y_train, validation_split=0.1, epochs=10)
"""


def test_rnn101_silent_on_a_simplernn_demo_beside_the_trained_lstm(tmp_path: Path) -> None:
    assert found(tmp_path, "RNN101", DEMO) == []


def test_rnn101_fires_when_the_simplernn_is_part_of_the_model(tmp_path: Path) -> None:
    src = DEMO.replace("keras.layers.LSTM(128, dropout=0.3)", "simple_rnn")
    assert found(tmp_path, "RNN101", src) == [line_of(src, "simple_rnn = keras.layers.SimpleRNN(4)")]
    src = DEMO.replace("print(output.shape)", "logits = keras.layers.Dense(1)(output)")
    assert found(tmp_path, "RNN101", src) == [line_of(src, "simple_rnn = keras.layers.SimpleRNN(4)")]


GUARD_TRAIN = """\
import torch
import torch.nn as nn
from utils import train_epoch


class Tagger(nn.Module):
    def __init__(self):
        super().__init__()
        self.lstm = nn.LSTM(64, 256, num_layers=2, dropout=0.5)
        self.fc = nn.Linear(256, 10)

    def forward(self, x):
        return self.fc(self.lstm(x)[0])


model = Tagger()
optimizer = torch.optim.Adam(model.parameters(), weight_decay=1e-5)
for epoch in range(20):
    train_epoch(model, optimizer, loader)
    GUARD_HERE
"""
GUARD_UTILS = """\
import torch


def train_epoch(model, optimizer, loader):
    for x, y in loader:
        optimizer.zero_grad()
        loss = torch.nn.functional.cross_entropy(model(x).flatten(0, 1), y.flatten())
        GUARD_THERE
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 5.0)
        optimizer.step()
"""


@pytest.mark.parametrize(
    ("here", "there", "fires"),
    [
        ("pass", "if not torch.isfinite(loss): continue", False),  # the guard in the imported helper
        ("assert all(torch.isfinite(p).all() for p in model.parameters())", "pass", False),  # in the importer
        ("pass", "pass", True),
    ],
)
def test_rnn208_folder_and_single_script_modes_agree(tmp_path: Path, here: str, there: str, fires: bool) -> None:
    files = {"train.py": GUARD_TRAIN.replace("GUARD_HERE", here), "utils.py": GUARD_UTILS.replace("GUARD_THERE", there)}
    settings = Settings(select=["RNN208"])
    for only in (None, ["train.py"], ["utils.py"]):
        diags = lint_files(tmp_path, files, settings=settings, only=only)
        assert bool([d for d in diags if d.code == "RNN208"]) is fires, only  # the folder, the script, the helper


CHAR_RNN = """\
import argparse

import torch
import torch.nn as nn

parser = argparse.ArgumentParser()
parser.add_argument("--model", default="gru")
parser.add_argument("--n_layers", type=int, default=2)
parser.add_argument("--learning_rate", type=float, default=0.01)
args = parser.parse_args()


class CharRNN(nn.Module):
    def __init__(self, model="gru", n_layers=1):
        super().__init__()
        self.encoder = nn.Embedding(100, 256)
        if model == "gru":
            self.rnn = nn.GRU(256, 256, n_layers)
        elif model == "lstm":
            self.rnn = nn.LSTM(256, 256, n_layers)
        self.decoder = nn.Linear(256, 100)

    def forward(self, inp, hidden):
        output, hidden = self.rnn(self.encoder(inp).view(1, inp.size(0), -1), hidden)
        return self.decoder(output.view(inp.size(0), -1)), hidden


decoder = CharRNN(args.model, n_layers=args.n_layers)
optimizer = torch.optim.Adam(decoder.parameters(), lr=args.learning_rate)


def train(inp, target, hidden):
    optimizer.zero_grad()
    loss = 0
    for c in range(200):
        output, hidden = decoder(INPUT, hidden)
        loss += nn.functional.cross_entropy(output, target[:, c])
    loss.backward()
    optimizer.step()
"""


def test_rnn501_a_whole_model_stepped_per_character(tmp_path: Path) -> None:
    src = CHAR_RNN.replace("INPUT", "inp[:, c]")
    assert found(tmp_path, "RNN501", src) == [line_of(src, "output, hidden = decoder(")]
    fed_back = CHAR_RNN.replace("INPUT", "inp").replace("loss += ", "inp = output.argmax(-1)\n        loss += ")
    assert found(tmp_path, "RNN501", fed_back) == []


def test_rnn206_counts_alternative_cell_types_once(tmp_path: Path) -> None:
    # GRU or LSTM for one attribute is one 2-layer stack, not four layers: 0.01 is within Adam's bound
    assert found(tmp_path, "RNN206", CHAR_RNN.replace("INPUT", "inp[:, c]")) == []


def test_rnn301_is_info_on_a_run_too_short_to_overfit(tmp_path: Path) -> None:
    diags = lint_strict(tmp_path, _noise(layers="1", epochs="2"), settings=Settings(select=["RNN301"]))
    assert len(diags) == 1 and diags[0].severity.label == "info" and "run of 2 epochs" in diags[0].message


def test_rnn111_silent_when_a_loader_option_sorts_the_batches(tmp_path: Path) -> None:
    src = PACK.replace("LENGTHS", "lengths").replace(" EXTRA", "")
    src += "\nloader = BucketIterator(train_data, batch_size=64, sort_within_batch=True)\n"
    assert found(tmp_path, "RNN111", src) == []


TF1_BIDI = """\
import tensorflow.compat.v1 as tf
from tensorflow.contrib import rnn

x = tf.unstack(inputs, 28, 1)
lstm_fw_cell = rnn.BasicLSTMCell(128, forget_bias=1.0)
lstm_bw_cell = rnn.BasicLSTMCell(128, forget_bias=1.0)
outputs, _, _ = rnn.static_bidirectional_rnn(lstm_fw_cell, lstm_bw_cell, x, dtype=tf.float32)
logits = tf.matmul(READ, weights) + biases
loss = tf.reduce_mean(tf.nn.softmax_cross_entropy_with_logits(logits=logits, labels=y))
train_op = tf.train.AdamOptimizer(1e-3).minimize(loss)
"""


def test_rnn110_tf1_static_bidirectional_last_output(tmp_path: Path) -> None:
    # aymericdamien/TensorFlow-Examples#201
    src = TF1_BIDI.replace("READ", "outputs[-1]")
    assert found(tmp_path, "RNN110", src) == [line_of(src, "logits = tf.matmul(")]
    assert found(tmp_path, "RNN110", TF1_BIDI.replace("READ", "tf.reduce_mean(tf.stack(outputs), 0)")) == []


def test_rnn204_a_one_epoch_fit_in_a_loop_is_not_a_short_run(tmp_path: Path) -> None:
    src = KERAS_DECAY.replace(" REG", "").replace("OPT", "keras.optimizers.Adam(1e-3, global_clipnorm=5.0)")
    src = src.replace("model.fit(x_train, y_train, validation_split=0.1, epochs=10)", "for r in range(20):\n    model.fit(x_train, y_train, validation_split=0.1, epochs=1)")
    assert found(tmp_path, "RNN204", src) != []
    assert found(tmp_path, "RNN204", src.replace("for r in range(20):\n    ", "").replace("epochs=1", "epochs=2")) == []
