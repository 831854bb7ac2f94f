"""Model-shape rules RNN101-RNN108 on realistic PyTorch snippets (see .notes/detection.md)."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from helpers import codes, line_of, lines, only
from helpers import strict_lint as lint
from helpers import strict_lint_files as lint_files

from rnnlint.diagnostics import Diagnostic, Severity
from rnnlint.settings.model import Settings


def where(diags: list[Diagnostic], code: str) -> list[tuple[str, int]]:
    """(file name, line) of every ``code`` diagnostic, in report order."""
    return [(Path(d.loc.path).name, d.loc.line) for d in diags if d.code == code]


# A complete training script skeleton around a model definition, with clipping, decay,
# validation, logging and a NaN guard so that only the model rules are in play.
TRAIN_TAIL = """

def evaluate(model, loader, criterion):
    model.eval()
    with torch.no_grad():
        return sum(criterion(model(x), y).item() for x, y in loader)


def fit(model, train_loader, val_loader, epochs=10):
    criterion = nn.CrossEntropyLoss()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3, weight_decay=1e-5)
    scheduler = torch.optim.lr_scheduler.ReduceLROnPlateau(optimizer, factor=0.5)
    history = []
    for epoch in range(epochs):
        model.train()
        for x, y in train_loader:
            optimizer.zero_grad()
            loss = criterion(model(x), y)
            if not torch.isfinite(loss):
                continue
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm=5.0)
            optimizer.step()
        val_loss = evaluate(model, val_loader, criterion)
        scheduler.step(val_loss)
        history.append(val_loss)
    return history
"""


# ---------------------------------------------------------------------------------------------
# RNN101 vanilla-rnn
# ---------------------------------------------------------------------------------------------

VANILLA_FIRING = {
    "nn.RNN in a module": (
        """
        import torch
        import torch.nn as nn


        class CharModel(nn.Module):
            def __init__(self, n_chars, hidden=256):
                super().__init__()
                self.embed = nn.Embedding(n_chars, 64)
                self.rnn = nn.RNN(64, hidden, num_layers=2, dropout=0.5, batch_first=True)
                self.out = nn.Linear(hidden, n_chars)

            def forward(self, x):
                h, _ = self.rnn(self.embed(x))
                return self.out(h)
        """,
        "nn.RNN(",
        "`RNN`",
    ),
    "from torch.nn import RNN": (
        """
        import torch
        from torch.nn import RNN

        rnn = RNN(input_size=40, hidden_size=256, num_layers=2, dropout=0.4)
        out, h = rnn(torch.randn(5, 3, 40))
        """,
        "RNN(input_size",
        "`RNN`",
    ),
    "RNNCell through an aliased module": (
        """
        import torch
        from torch import nn as tnn

        cell = tnn.RNNCell(32, 256)
        h = torch.zeros(8, 256)
        """,
        "tnn.RNNCell",
        "`RNNCell`",
    ),
    "fully qualified torch.nn.modules.rnn.RNN": (
        """
        import torch

        layer = torch.nn.modules.rnn.RNN(16, 256, 2, dropout=0.5)
        """,
        "torch.nn.modules.rnn.RNN",
        "`RNN`",
    ),
}


@pytest.mark.parametrize("source,needle,shown", VANILLA_FIRING.values(), ids=VANILLA_FIRING.keys())
def test_rnn101_fires_on_plain_rnn(tmp_path: Path, source: str, needle: str, shown: str) -> None:
    diags = lint(tmp_path, source)
    d = only(diags, "RNN101")
    assert d.loc.line == line_of(source, needle)
    assert shown in d.message and "LSTM" in d.message
    assert d.severity is Severity.WARNING


VANILLA_SILENT = {
    "LSTM and GRU": """
        import torch.nn as nn


        class Encoder(nn.Module):
            def __init__(self):
                super().__init__()
                self.lstm = nn.LSTM(64, 256, num_layers=2, dropout=0.5, bidirectional=True)
                self.gru = nn.GRU(512, 256, num_layers=2, dropout=0.5, bidirectional=True)
        """,
    "local class named RNN": """
        import torch
        import torch.nn as nn


        class RNN(nn.Module):
            '''A hand-written LSTM wrapper that happens to be called RNN.'''

            def __init__(self, n_in, n_hidden):
                super().__init__()
                self.lstm = nn.LSTM(n_in, n_hidden, num_layers=2, dropout=0.5)

            def forward(self, x):
                return self.lstm(x)[0]


        model = RNN(40, 256)
        """,
    "rnn utilities are not layers": """
        import torch
        import torch.nn as nn
        from torch.nn.utils.rnn import pack_padded_sequence, pad_sequence

        lstm = nn.LSTM(10, 256, num_layers=2, dropout=0.5)
        batch = pad_sequence([torch.randn(3, 10), torch.randn(5, 10)])
        packed = pack_padded_sequence(batch, [3, 5], enforce_sorted=False)
        """,
}


@pytest.mark.parametrize("source", VANILLA_SILENT.values(), ids=VANILLA_SILENT.keys())
def test_rnn101_silent_for_gated_cells(tmp_path: Path, source: str) -> None:
    diags = lint(tmp_path, source)
    assert codes(diags, "RNN101") == []
    assert codes(diags, "RNN104") == []  # layers were seen (hidden 256 in range) ...
    assert codes(diags, "RNN103") == []  # ... and counted: never a single layer here


# ---------------------------------------------------------------------------------------------
# Import styles resolve to the torch layers
# ---------------------------------------------------------------------------------------------

IMPORT_STYLES = {
    "import torch.nn as nn": ("import torch.nn as nn", "nn.LSTM", "LSTM"),
    "from torch import nn, optim": ("from torch import nn, optim", "nn.LSTM", "LSTM"),
    "from torch.nn import LSTM as L": ("from torch.nn import LSTM as L", "L", "LSTM"),
    "torch.nn.modules.rnn.LSTM": ("import torch", "torch.nn.modules.rnn.LSTM", "LSTM"),
    "from torch.nn.modules.rnn import GRU": ("from torch.nn.modules.rnn import GRU", "GRU", "GRU"),
    "import torch.nn": ("import torch.nn", "torch.nn.GRU", "GRU"),
    "from torch.nn import RNN": ("from torch.nn import RNN", "RNN", "RNN"),
}


@pytest.mark.parametrize("imports,call,shown", IMPORT_STYLES.values(), ids=IMPORT_STYLES.keys())
def test_import_styles_resolve(tmp_path: Path, imports: str, call: str, shown: str) -> None:
    source = f"{imports}\n\nlayer = {call}(40, 64)\n"
    diags = lint(tmp_path, source)
    # hidden size 64 is out of range: proves the call resolved to a torch recurrent layer
    d = only(diags, "RNN104")
    assert d.loc.line == 3
    assert f"`{shown}`" in d.message and "64" in d.message
    assert codes(diags, "RNN101") == (["RNN101"] if shown == "RNN" else [])


def test_unrelated_lstm_name_is_not_torch(tmp_path: Path) -> None:
    source = """
    import torch
    from mylib.layers import LSTM

    layer = LSTM(40, 64)
    """
    diags = lint(tmp_path, source)
    assert codes(diags, "RNN1") == []


# ---------------------------------------------------------------------------------------------
# RNN102 unidirectional-encoder
# ---------------------------------------------------------------------------------------------

SENTIMENT = """
import torch
import torch.nn as nn


class SentimentClassifier(nn.Module):
    def __init__(self, vocab_size, num_classes=2):
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, 100)
        self.lstm = nn.LSTM(100, 256, num_layers=2, dropout=0.5, batch_first=True{bidir})
        self.fc = nn.Linear(256, num_classes)

    def forward(self, x):
        _, (h, _) = self.lstm(self.embedding(x))
        return self.fc(h[-1])
"""


def test_rnn102_fires_on_a_classifier(tmp_path: Path) -> None:
    source = SENTIMENT.format(bidir="")
    diags = lint(tmp_path, source)
    d = only(diags, "RNN102")
    assert d.loc.line == line_of(source, "nn.LSTM(")
    assert "SentimentClassifier" in d.message and "bidirectional=True" in d.message
    assert d.severity is Severity.INFO


def test_rnn102_fires_on_a_tagger_with_a_classification_loss(tmp_path: Path) -> None:
    source = """
    import torch
    import torch.nn as nn


    class PosModel(nn.Module):
        def __init__(self, vocab_size, tagset_size):
            super().__init__()
            self.word_embeddings = nn.Embedding(vocab_size, 128)
            self.gru = nn.GRU(128, 256, num_layers=2, dropout=0.5)
            self.hidden2tag = nn.Linear(256, tagset_size)

        def forward(self, sentence):
            out, _ = self.gru(self.word_embeddings(sentence))
            return self.hidden2tag(out)


    model = PosModel(5000, 17)
    loss_function = nn.CrossEntropyLoss()
    """
    diags = lint(tmp_path, source)
    assert lines(diags, "RNN102") == [line_of(source, "nn.GRU(")]
    assert "`GRU`" in only(diags, "RNN102").message


def test_rnn102_fires_on_the_encoder_of_a_seq2seq_but_not_its_decoder(tmp_path: Path) -> None:
    source = """
    import torch
    import torch.nn as nn


    class EncoderRNN(nn.Module):
        def __init__(self, input_size, hidden_size=256):
            super().__init__()
            self.embedding = nn.Embedding(input_size, hidden_size)
            self.gru = nn.GRU(hidden_size, hidden_size, num_layers=2, dropout=0.5)

        def forward(self, src):
            return self.gru(self.embedding(src))


    class DecoderRNN(nn.Module):
        def __init__(self, hidden_size, output_size):
            super().__init__()
            self.embedding = nn.Embedding(output_size, hidden_size)
            self.gru = nn.GRU(hidden_size, hidden_size, num_layers=2, dropout=0.5)
            self.out = nn.Linear(hidden_size, output_size)

        def forward(self, tgt, hidden):
            output, hidden = self.gru(self.embedding(tgt), hidden)
            return self.out(output), hidden
    """
    diags = lint(tmp_path, source)
    assert lines(diags, "RNN102") == [line_of(source, "nn.GRU(", 1)]
    assert "EncoderRNN" in only(diags, "RNN102").message


def test_rnn102_encoder_keeps_its_role_beside_a_teacher_forced_decoder(tmp_path: Path) -> None:
    # `teacher_forcing_ratio` is a causal word for the unit, but the explicit encoder still reads the whole input
    source = """
    import random

    import torch
    import torch.nn as nn

    teacher_forcing_ratio = 0.5


    class EncoderRNN(nn.Module):
        def __init__(self, input_size, hidden_size=256):
            super().__init__()
            self.embedding = nn.Embedding(input_size, hidden_size)
            self.gru = nn.GRU(hidden_size, hidden_size, num_layers=2, dropout=0.5)


    class DecoderRNN(nn.Module):
        def __init__(self, hidden_size, output_size):
            super().__init__()
            self.embedding = nn.Embedding(output_size, hidden_size)
            self.gru = nn.GRU(hidden_size, hidden_size, num_layers=2, dropout=0.5)
            self.out = nn.Linear(hidden_size, output_size)

        def forward(self, tgt, hidden):
            use_teacher_forcing = random.random() < teacher_forcing_ratio
            return self.out(self.gru(self.embedding(tgt), hidden)[0]), use_teacher_forcing
    """
    diags = lint(tmp_path, source)
    assert lines(diags, "RNN102") == [line_of(source, "nn.GRU(", 1)]
    assert "EncoderRNN" in only(diags, "RNN102").message


def test_rnn102_encoder_attribute_beside_a_decoder_attribute_in_one_class(tmp_path: Path) -> None:
    source = """
    import torch.nn as nn


    class Seq2Seq(nn.Module):
        def __init__(self, src_dim=64, tgt_dim=64, hidden=256):
            super().__init__()
            self.drop = nn.Dropout(0.5)
            self.encoder = nn.GRU(src_dim, hidden, num_layers=2)
            self.decoder = nn.GRU(tgt_dim, hidden, num_layers=2)

        def forward(self, src, tgt):
            _, h = self.encoder(self.drop(src))
            out, _ = self.decoder(self.drop(tgt), h)
            return out
    """
    diags = lint(tmp_path, source)
    assert lines(diags, "RNN102") == [line_of(source, "self.encoder = nn.GRU(")]


def test_rnn102_fires_on_a_ctc_acoustic_model(tmp_path: Path) -> None:
    source = """
    import torch
    import torch.nn as nn


    class AcousticModel(nn.Module):
        def __init__(self, n_mels=80, n_tokens=30):
            super().__init__()
            self.lstm = nn.LSTM(n_mels, 320, num_layers=3, dropout=0.3)
            self.proj = nn.Linear(320, n_tokens)

        def forward(self, feats):
            out, _ = self.lstm(feats)
            return self.proj(out).log_softmax(-1)


    model = AcousticModel()
    ctc = nn.CTCLoss(blank=0, zero_infinity=True)
    """
    diags = lint(tmp_path, source)
    assert lines(diags, "RNN102") == [line_of(source, "nn.LSTM(")]
    assert "CTC" in only(diags, "RNN102").message


WORD_LM = """
import argparse
import torch
import torch.nn as nn

parser = argparse.ArgumentParser(description="word-level language model")
parser.add_argument("--emsize", type=int, default=200)
parser.add_argument("--nhid", type=int, default=256)
parser.add_argument("--nlayers", type=int, default=2)
parser.add_argument("--dropout", type=float, default=0.5)
parser.add_argument("--bptt", type=int, default=35)
args = parser.parse_args()


class RNNModel(nn.Module):
    def __init__(self, ntoken, ninp, nhid, nlayers, dropout=0.5):
        super().__init__()
        self.drop = nn.Dropout(dropout)
        self.encoder = nn.Embedding(ntoken, ninp)
        self.rnn = nn.LSTM(ninp, nhid, nlayers, dropout=dropout)
        self.decoder = nn.Linear(nhid, ntoken)

    def forward(self, input, hidden):
        emb = self.drop(self.encoder(input))
        output, hidden = self.rnn(emb, hidden)
        return self.decoder(self.drop(output)), hidden


def repackage_hidden(h):
    if isinstance(h, torch.Tensor):
        return h.detach()
    return tuple(repackage_hidden(v) for v in h)


def get_batch(source, i):
    seq_len = min(args.bptt, len(source) - 1 - i)
    return source[i:i + seq_len], source[i + 1:i + 1 + seq_len].view(-1)


ntokens = 10000
model = RNNModel(ntokens, args.emsize, args.nhid, args.nlayers, args.dropout)
criterion = nn.CrossEntropyLoss()
"""


def test_rnn102_never_for_a_word_language_model(tmp_path: Path) -> None:
    diags = lint(tmp_path, WORD_LM)
    assert codes(diags, "RNN102") == []
    # the LSTM was analysed: its values flowed from argparse (no size/dropout complaints)
    assert codes(diags, "RNN10") == []


LABELS_TAIL = """

def train_step(data, labels, hidden):
    output, hidden = model(data, hidden)
    return criterion(output.view(-1, ntokens), labels), hidden
"""


def test_rnn102_never_for_a_word_language_model_even_with_classification_names(tmp_path: Path) -> None:
    # CE loss + a `labels` identifier is whole-input evidence; bptt/repackage/the tied head are causal and win
    source = WORD_LM + LABELS_TAIL
    assert codes(lint(tmp_path / "lm", source), "RNN102") == []
    # control: strip the causal signals and the same code reads as a classifier
    stripped = (
        source.replace("bptt", "seq_len_arg")
        .replace("repackage_hidden", "detach_state")
        .replace("self.decoder = nn.Linear(nhid, ntoken)", "self.decoder = nn.Linear(nhid, 2)")
    )
    assert lines(lint(tmp_path / "control", stripped), "RNN102") == [line_of(stripped, "nn.LSTM(")]


TIED_HEAD = """
import torch.nn as nn


class RNNModel(nn.Module):
    def __init__(self, ntoken, ninp, nhid, nlayers, num_classes):
        super().__init__()
        self.embed = nn.Embedding(ntoken, ninp)
        self.rnn = nn.LSTM(ninp, nhid, nlayers, dropout=0.5)
        self.head = nn.Linear(nhid, {out})


criterion = nn.CrossEntropyLoss()
"""


def test_rnn102_never_for_an_lm_head_tied_to_the_vocabulary(tmp_path: Path) -> None:
    # no causal words at all; the CE loss + `num_classes` look like classification, but the
    # Linear(nhid, ntoken) head projecting back onto the Embedding(ntoken, ...) vocabulary makes it a language model
    assert codes(lint(tmp_path / "lm", TIED_HEAD.format(out="ntoken")), "RNN102") == []
    # control: the same model with a head over the classes is a classifier
    source = TIED_HEAD.format(out="num_classes")
    assert lines(lint(tmp_path / "cls", source), "RNN102") == [line_of(source, "nn.LSTM(")]


def test_rnn102_never_for_an_attention_decoder(tmp_path: Path) -> None:
    source = """
    import torch
    import torch.nn as nn
    import torch.nn.functional as F


    class AttnDecoderRNN(nn.Module):
        def __init__(self, hidden_size, output_size, dropout_p=0.5, max_length=10):
            super().__init__()
            self.embedding = nn.Embedding(output_size, hidden_size)
            self.attn = nn.Linear(hidden_size * 2, max_length)
            self.attn_combine = nn.Linear(hidden_size * 2, hidden_size)
            self.dropout = nn.Dropout(dropout_p)
            self.gru = nn.GRU(hidden_size, hidden_size)
            self.out = nn.Linear(hidden_size, output_size)

        def forward(self, input, hidden, encoder_outputs):
            embedded = self.dropout(self.embedding(input).view(1, 1, -1))
            attn_weights = F.softmax(self.attn(torch.cat((embedded[0], hidden[0]), 1)), dim=1)
            attn_applied = torch.bmm(attn_weights.unsqueeze(0), encoder_outputs.unsqueeze(0))
            output = F.relu(self.attn_combine(torch.cat((embedded[0], attn_applied[0]), 1)).unsqueeze(0))
            output, hidden = self.gru(output, hidden)
            return F.log_softmax(self.out(output[0]), dim=1), hidden, attn_weights
    """
    diags = lint(tmp_path / "a", source)
    assert codes(diags, "RNN102") == []
    assert lines(diags, "RNN103") == [line_of(source, "nn.GRU(")]  # the GRU itself was seen
    # inside a unit that also looks like classification (NLL loss over a label vocabulary) it is still a decoder
    with_labels = (
        textwrap.dedent(source) + '\n\ncriterion = nn.NLLLoss()\nlabels = ["<sos>", "<eos>", "play_music", "get_weather"]\n'
    )
    assert codes(lint(tmp_path / "b", with_labels), "RNN102") == []
    # the class name alone is enough: with an output head not tied to the embedding vocabulary ...
    untied = with_labels.replace("self.out = nn.Linear(hidden_size, output_size)", "self.out = nn.Linear(hidden_size, 4)")
    assert codes(lint(tmp_path / "c", untied), "RNN102") == []
    # ... and the control: the same module not named as a decoder is reported in that unit
    control = untied.replace("AttnDecoderRNN", "AttnReaderRNN")
    assert lines(lint(tmp_path / "d", control), "RNN102") == [line_of(control, "nn.GRU(")]


def test_rnn102_message_names_an_argparse_store_true_default(tmp_path: Path) -> None:
    source = """
    import argparse
    import torch.nn as nn

    parser = argparse.ArgumentParser()
    parser.add_argument("--bidirectional", action="store_true")
    args = parser.parse_args()


    class IntentClassifier(nn.Module):
        def __init__(self):
            super().__init__()
            self.drop = nn.Dropout(0.5)
            self.lstm = nn.LSTM(32, 256, num_layers=2, bidirectional=args.bidirectional)
    """
    diags = lint(tmp_path, source)
    d = only(diags, "RNN102")
    assert d.loc.line == line_of(source, "nn.LSTM(")
    assert "argparse default of --bidirectional" in d.message


RNN102_SILENT = {
    "bidirectional classifier": SENTIMENT.format(bidir=", bidirectional=True"),
    "forecaster with a regression loss": """
        import torch
        import torch.nn as nn


        class Forecaster(nn.Module):
            def __init__(self, n_features, hidden=256):
                super().__init__()
                self.lstm = nn.LSTM(n_features, hidden, num_layers=2, dropout=0.5, batch_first=True)
                self.head = nn.Linear(hidden, 1)

            def forward(self, x):
                out, _ = self.lstm(x)
                return self.head(out[:, -1])


        model = Forecaster(8)
        criterion = nn.MSELoss()
        """,
    "unknown task stays silent": """
        import torch.nn as nn


        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                self.lstm = nn.LSTM(32, 256, num_layers=2, dropout=0.5)

            def forward(self, x):
                return self.lstm(x)[0]
        """,
    "cells are never flagged": """
        import torch.nn as nn


        class SentimentClassifier(nn.Module):
            def __init__(self):
                super().__init__()
                self.cell = nn.LSTMCell(32, 256)
                self.cell2 = nn.LSTMCell(256, 256)
        """,
    "bidirectional not known": """
        import torch.nn as nn


        class TextClassifier(nn.Module):
            def __init__(self, bidirectional):
                super().__init__()
                self.lstm = nn.LSTM(32, 256, num_layers=2, dropout=0.5, bidirectional=bidirectional)
        """,
}


@pytest.mark.parametrize("source", RNN102_SILENT.values(), ids=RNN102_SILENT.keys())
def test_rnn102_silent(tmp_path: Path, source: str) -> None:
    assert codes(lint(tmp_path, source), "RNN102") == []


# ---------------------------------------------------------------------------------------------
# RNN103 single-layer
# ---------------------------------------------------------------------------------------------


def test_rnn103_fires_on_a_single_default_layer(tmp_path: Path) -> None:
    source = SENTIMENT.format(bidir="").replace("num_layers=2, dropout=0.5, ", "")
    diags = lint(tmp_path, source)
    d = only(diags, "RNN103")
    assert d.loc.line == line_of(source, "nn.LSTM(")
    assert "`LSTM`" in d.message


def test_rnn103_fires_when_the_layer_count_flows_from_argparse(tmp_path: Path) -> None:
    source = """
    import argparse
    import torch.nn as nn

    parser = argparse.ArgumentParser()
    parser.add_argument("--layers", type=int, default=1)
    args = parser.parse_args()


    class Tagger(nn.Module):
        def __init__(self, n_layers):
            super().__init__()
            self.drop = nn.Dropout(0.5)
            self.gru = nn.GRU(64, 256, num_layers=n_layers, bidirectional=True)


    model = Tagger(args.layers)
    """
    diags = lint(tmp_path, source)
    assert lines(diags, "RNN103") == [line_of(source, "nn.GRU(")]


def test_rnn103_counts_a_lone_cell_as_one_layer(tmp_path: Path) -> None:
    source = """
    import torch.nn as nn


    class Decoder(nn.Module):
        def __init__(self):
            super().__init__()
            self.drop = nn.Dropout(0.5)
            self.cell = nn.GRUCell(64, 256)
    """
    diags = lint(tmp_path, source)
    assert lines(diags, "RNN103") == [line_of(source, "nn.GRUCell(")]
    assert "`GRUCell`" in only(diags, "RNN103").message


RNN103_SILENT = {
    "two cells": """
        import torch.nn as nn

        drop = nn.Dropout(0.5)
        cells = [nn.LSTMCell(64, 256), nn.LSTMCell(256, 256)]
        """,
    "stacked": """
        import torch.nn as nn

        lstm = nn.LSTM(64, 256, num_layers=3, dropout=0.5)
        """,
    "two single layers add up": """
        import torch.nn as nn


        class Seq2Seq(nn.Module):
            def __init__(self):
                super().__init__()
                self.drop = nn.Dropout(0.5)
                self.encoder = nn.GRU(64, 256, bidirectional=True)
                self.decoder = nn.GRU(64, 256)
        """,
    "unknown layer count": """
        import torch.nn as nn


        class Net(nn.Module):
            def __init__(self, num_layers):
                super().__init__()
                self.lstm = nn.LSTM(64, 256, num_layers, dropout=0.5)
        """,
    "positional num_layers": """
        import torch.nn as nn

        lstm = nn.LSTM(64, 256, 2, dropout=0.5)
        """,
}


@pytest.mark.parametrize("source", RNN103_SILENT.values(), ids=RNN103_SILENT.keys())
def test_rnn103_silent(tmp_path: Path, source: str) -> None:
    diags = lint(tmp_path, source)
    assert codes(diags, "RNN103") == []
    assert codes(diags, "RNN105") == []  # the layers were seen: their dropout counted


# ---------------------------------------------------------------------------------------------
# RNN104 hidden-size-range
# ---------------------------------------------------------------------------------------------


def test_rnn104_fires_on_a_literal_small_hidden_size(tmp_path: Path) -> None:
    source = """
    import torch
    import torch.nn as nn


    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.lstm = nn.LSTM(input_size=28, hidden_size=64, num_layers=2, dropout=0.5, batch_first=True)
            self.fc = nn.Linear(64, 10)
    """
    diags = lint(tmp_path, source)
    d = only(diags, "RNN104")
    assert d.loc.line == line_of(source, "nn.LSTM(")
    assert "hidden size 64" in d.message and "[128, 512]" in d.message


def test_rnn104_message_names_the_argparse_default(tmp_path: Path) -> None:
    source = """
    import argparse
    import torch.nn as nn

    parser = argparse.ArgumentParser()
    parser.add_argument("--hidden", type=int, default=1024)
    parser.add_argument("--layers", type=int, default=2)
    args = parser.parse_args()

    rnn = nn.GRU(32, args.hidden, num_layers=args.layers, dropout=0.5)
    """
    diags = lint(tmp_path, source)
    d = only(diags, "RNN104")
    assert d.loc.line == line_of(source, "nn.GRU(")
    assert "1024" in d.message
    assert "argparse default of --hidden" in d.message
    assert f"train.py:{line_of(source, 'default=1024')}" in d.message


MODEL_PY = """
import torch.nn as nn


class Model(nn.Module):
    def __init__(self, n=40, hidden=256, layers=2):
        super().__init__()
        self.lstm = nn.LSTM(n, hidden, layers, dropout=0.5, batch_first=True)
        self.head = nn.Linear(hidden, 10)

    def forward(self, x):
        out, _ = self.lstm(x)
        return self.head(out[:, -1])
"""

TRAIN_PY_2048 = """
import torch
from model import Model

model = Model(hidden=2048)
optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
"""


def test_rnn104_value_flows_from_the_script_into_model_py(tmp_path: Path) -> None:
    diags = lint_files(tmp_path, {"model.py": MODEL_PY, "train.py": TRAIN_PY_2048}, only=["train.py"])
    assert where(diags, "RNN104") == [("model.py", line_of(MODEL_PY, "nn.LSTM("))]
    d = only(diags, "RNN104")
    assert "2048" in d.message
    assert "passed as hidden at " in d.message
    assert f"train.py:{line_of(TRAIN_PY_2048, 'Model(hidden=2048)')})" in d.message  # where the value was passed


def test_rnn104_model_py_alone_is_judged_with_the_script_importing_it(tmp_path: Path) -> None:
    diags = lint_files(tmp_path, {"model.py": MODEL_PY, "train.py": TRAIN_PY_2048}, only=["model.py"])
    assert [Path(d.loc.path).name for d in diags if d.code == "RNN104"] == ["model.py"]
    assert "2048" in only(diags, "RNN104").message


def test_rnn104_model_py_without_importer_uses_its_defaults(tmp_path: Path) -> None:
    diags = lint_files(tmp_path, {"model.py": MODEL_PY})
    assert codes(diags, "RNN104") == []


def test_rnn104_value_flows_from_a_dataclass_config(tmp_path: Path) -> None:
    source = """
    from dataclasses import dataclass

    import torch.nn as nn


    @dataclass
    class Config:
        hidden_size: int = 2000
        num_layers: int = 3


    class Net(nn.Module):
        def __init__(self, cfg: Config):
            super().__init__()
            self.rnn = nn.LSTM(10, cfg.hidden_size, cfg.num_layers, dropout=0.5)


    net = Net(Config())
    """
    diags = lint(tmp_path, source)
    d = only(diags, "RNN104")
    assert d.loc.line == line_of(source, "nn.LSTM(")
    assert "2000" in d.message and "Config.hidden_size" in d.message


@pytest.mark.parametrize("hidden", [128, 256, 512])
def test_rnn104_silent_inside_the_range(tmp_path: Path, hidden: int) -> None:
    source = f"import torch.nn as nn\n\nrnn = nn.LSTM(32, {hidden}, num_layers=2, dropout=0.5)\n"
    assert codes(lint(tmp_path, source), "RNN104") == []


@pytest.mark.parametrize("hidden", [16, 127, 513, 4096])
def test_rnn104_fires_just_outside_the_range(tmp_path: Path, hidden: int) -> None:
    source = f"import torch.nn as nn\n\nrnn = nn.LSTM(32, {hidden}, num_layers=2, dropout=0.5)\n"
    diags = lint(tmp_path, source)
    assert lines(diags, "RNN104") == [3]
    assert f"hidden size {hidden}" in only(diags, "RNN104").message


def test_rnn104_silent_when_the_hidden_size_is_unknown(tmp_path: Path) -> None:
    source = """
    import argparse
    import torch.nn as nn

    parser = argparse.ArgumentParser()
    parser.add_argument("--hidden", type=int, required=True)
    args = parser.parse_args()
    rnn = nn.LSTM(32, args.hidden, num_layers=2, dropout=0.5)


    def build(hidden):
        return nn.GRU(32, hidden, num_layers=2, dropout=0.5)
    """
    assert codes(lint(tmp_path, source), "RNN104") == []


def test_rnn104_range_is_configurable(tmp_path: Path) -> None:
    source = "import torch.nn as nn\n\nrnn = nn.LSTM(32, 64, num_layers=2, dropout=0.5)\n"
    assert codes(lint(tmp_path, source, settings=Settings(hidden_size=(32, 128))), "RNN104") == []
    diags = lint(tmp_path, source.replace("64", "1024"), settings=Settings(hidden_size=(32, 128)))
    assert "[32, 128]" in only(diags, "RNN104").message


# ---------------------------------------------------------------------------------------------
# RNN105 no-dropout
# ---------------------------------------------------------------------------------------------


def test_rnn105_fires_at_the_first_recurrent_layer(tmp_path: Path) -> None:
    source = """
    import torch
    import torch.nn as nn


    class Seq2Seq(nn.Module):
        def __init__(self, vocab):
            super().__init__()
            self.embed = nn.Embedding(vocab, 128)
            self.encoder = nn.LSTM(128, 256, num_layers=2, bidirectional=True)
            self.decoder = nn.LSTM(128, 512, num_layers=2)
            self.out = nn.Linear(512, vocab)
    """
    diags = lint(tmp_path, source)
    assert lines(diags, "RNN105") == [line_of(source, "nn.LSTM(", 1)]
    assert "`LSTM`" in only(diags, "RNN105").message


def test_rnn105_fires_when_dropout_is_explicitly_zero(tmp_path: Path) -> None:
    source = """
    import torch.nn as nn
    import torch.nn.functional as F


    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.gru = nn.GRU(32, 256, num_layers=2, dropout=0.0)
            self.drop = nn.Dropout(p=0)

        def forward(self, x):
            out, _ = self.gru(F.dropout(x, p=0.0))
            return self.drop(out)
    """
    diags = lint(tmp_path, source)
    assert lines(diags, "RNN105") == [line_of(source, "nn.GRU(")]


RNN105_SILENT = {
    "nn.Dropout around the layer": """
        import torch.nn as nn


        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                self.lstm = nn.LSTM(32, 256, batch_first=True)
                self.drop = nn.Dropout(0.5)
                self.fc = nn.Linear(256, 4)

            def forward(self, x):
                out, _ = self.lstm(x)
                return self.fc(self.drop(out[:, -1]))
        """,
    "F.dropout in forward": """
        import torch.nn as nn
        import torch.nn.functional as F


        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                self.lstm = nn.LSTM(32, 256, batch_first=True)

            def forward(self, x):
                out, _ = self.lstm(x)
                return F.dropout(out, p=0.4, training=self.training)
        """,
    "dropout between stacked layers": """
        import torch.nn as nn

        lstm = nn.LSTM(32, 256, num_layers=2, dropout=0.5)
        """,
    "dropout rate unknown": """
        import torch.nn as nn


        def build(p):
            return nn.LSTM(32, 256, num_layers=2, dropout=p)
        """,
    "local LockedDropout class": """
        import torch
        import torch.nn as nn


        class LockedDropout(nn.Module):
            def forward(self, x, p=0.5):
                mask = x.new_empty(1, x.size(1), x.size(2)).bernoulli_(1 - p) / (1 - p)
                return x * mask


        class AWDLSTM(nn.Module):
            def __init__(self):
                super().__init__()
                self.lockdrop = LockedDropout()
                self.rnn = nn.LSTM(400, 256)
        """,
}


@pytest.mark.parametrize("source", RNN105_SILENT.values(), ids=RNN105_SILENT.keys())
def test_rnn105_silent(tmp_path: Path, source: str) -> None:
    assert codes(lint(tmp_path, source), "RNN105") == []


# ---------------------------------------------------------------------------------------------
# RNN106 dropout-range
# ---------------------------------------------------------------------------------------------


def test_rnn106_fires_on_a_layer_and_a_dropout_module(tmp_path: Path) -> None:
    source = """
    import torch.nn as nn


    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.lstm = nn.LSTM(32, 256, num_layers=2, dropout=0.1)
            self.drop = nn.Dropout(0.9)
    """
    diags = lint(tmp_path, source)
    assert lines(diags, "RNN106") == [line_of(source, "nn.LSTM("), line_of(source, "nn.Dropout(")]
    messages = [d.message for d in diags if d.code == "RNN106"]
    assert "dropout 0.1 " in messages[0] and "[0.3, 0.7]" in messages[0]
    assert "dropout 0.9 " in messages[1]


def test_rnn106_fires_on_a_functional_dropout_with_provenance(tmp_path: Path) -> None:
    source = """
    import argparse
    import torch.nn as nn
    import torch.nn.functional as F

    parser = argparse.ArgumentParser()
    parser.add_argument("--dropout", type=float, default=0.05)
    args = parser.parse_args()


    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.gru = nn.GRU(32, 256, num_layers=2, dropout=0.5)

        def forward(self, x):
            return F.dropout(self.gru(x)[0], p=args.dropout, training=self.training)
    """
    diags = lint(tmp_path, source)
    assert lines(diags, "RNN106") == [line_of(source, "F.dropout(")]
    assert "argparse default of --dropout" in only(diags, "RNN106").message


RNN106_SILENT = {
    "rates inside the range": """
        import torch.nn as nn

        lstm = nn.LSTM(32, 256, num_layers=2, dropout=0.3)
        drop = nn.Dropout(0.7)
        drop2 = nn.Dropout(p=0.5)
        """,
    "zero is no dropout, not a bad rate": """
        import torch.nn as nn

        lstm = nn.LSTM(32, 256, num_layers=2, dropout=0.0)
        drop = nn.Dropout(0.5)
        """,
    "unknown rate": """
        import torch.nn as nn


        def build(p):
            return nn.Sequential(nn.Dropout(p)), nn.LSTM(32, 256, num_layers=2, dropout=p)
        """,
    "dropout on a single layer is RNN107's business": """
        import torch.nn as nn

        lstm = nn.LSTM(32, 256, dropout=0.1)
        """,
}


@pytest.mark.parametrize("source", RNN106_SILENT.values(), ids=RNN106_SILENT.keys())
def test_rnn106_silent(tmp_path: Path, source: str) -> None:
    assert codes(lint(tmp_path, source), "RNN106") == []


# ---------------------------------------------------------------------------------------------
# RNN107 ineffective-dropout
# ---------------------------------------------------------------------------------------------


def test_rnn107_fires_on_dropout_with_the_default_single_layer(tmp_path: Path) -> None:
    source = """
    import torch.nn as nn


    class Classifier(nn.Module):
        def __init__(self):
            super().__init__()
            self.lstm = nn.LSTM(32, 256, dropout=0.5, batch_first=True, bidirectional=True)
            self.gru = nn.GRU(512, 256, num_layers=1, dropout=0.3, bidirectional=True)
    """
    diags = lint(tmp_path, source)
    assert lines(diags, "RNN107") == [line_of(source, "nn.LSTM("), line_of(source, "nn.GRU(")]
    assert all(d.severity is Severity.ERROR for d in diags if d.code == "RNN107")
    assert "num_layers=1" in diags[[d.code for d in diags].index("RNN107")].message


def test_rnn107_fires_through_argparse_values(tmp_path: Path) -> None:
    source = """
    import argparse
    import torch.nn as nn

    parser = argparse.ArgumentParser()
    parser.add_argument("--nlayers", type=int, default=1)
    parser.add_argument("--dropout", type=float, default=0.5)
    args = parser.parse_args()
    rnn = nn.RNN(256, 256, num_layers=args.nlayers, dropout=args.dropout)
    """
    diags = lint(tmp_path, source)
    d = only(diags, "RNN107")
    assert d.loc.line == line_of(source, "nn.RNN(")
    assert "argparse default of --dropout" in d.message


def test_rnn107_fires_on_positional_arguments(tmp_path: Path) -> None:
    # LSTM(input_size, hidden_size, num_layers, bias, batch_first, dropout)
    source = "import torch.nn as nn\n\nrnn = nn.LSTM(32, 256, 1, True, False, 0.5)\n"
    diags = lint(tmp_path, source)
    assert lines(diags, "RNN107") == [3]
    assert "dropout=0.5" in only(diags, "RNN107").message


CONDITIONAL_DROPOUT_ARGPARSE = """
import argparse
import torch.nn as nn

parser = argparse.ArgumentParser()
parser.add_argument("--nlayers", type=int, default=1)
parser.add_argument("--dropout", type=float, default=0.5)
args = parser.parse_args()
nlayers = args.nlayers
dropout = 0 if nlayers == 1 else args.dropout
rnn = nn.LSTM(256, 256, num_layers=nlayers, dropout=dropout)
"""

CONDITIONAL_DROPOUT_UNKNOWN = """
import torch.nn as nn


class Encoder(nn.Module):
    def __init__(self, nlayers, p=0.5):
        super().__init__()
        dropout = 0 if nlayers == 1 else p
        self.rnn = nn.LSTM(256, 256, num_layers=nlayers, dropout=dropout, bidirectional=True)
        self.drop = nn.Dropout(p)
"""

RNN107_SILENT = {
    "conditional dropout, nlayers from argparse default 1": CONDITIONAL_DROPOUT_ARGPARSE,
    "conditional dropout, nlayers unknown": CONDITIONAL_DROPOUT_UNKNOWN,
    "stacked layers": "import torch.nn as nn\n\nrnn = nn.GRU(64, 256, num_layers=2, dropout=0.5)\n",
    "cells have no dropout argument": "import torch.nn as nn\n\ncell = nn.LSTMCell(64, 256)\ndrop = nn.Dropout(0.5)\n",
}


@pytest.mark.parametrize("source", RNN107_SILENT.values(), ids=RNN107_SILENT.keys())
def test_rnn107_silent(tmp_path: Path, source: str) -> None:
    assert codes(lint(tmp_path, source), "RNN107") == []


def test_rnn107_conditional_dropout_evaluates_to_no_dropout(tmp_path: Path) -> None:
    # with the argparse default of one layer the expression is 0: no dropout at all, which RNN105 reports instead
    diags = lint(tmp_path, CONDITIONAL_DROPOUT_ARGPARSE)
    assert lines(diags, "RNN105") == [line_of(CONDITIONAL_DROPOUT_ARGPARSE, "nn.LSTM(")]


# ---------------------------------------------------------------------------------------------
# RNN108 no-embedding
# ---------------------------------------------------------------------------------------------


def test_rnn108_fires_on_one_hot_passed_directly(tmp_path: Path) -> None:
    source = """
    import torch
    import torch.nn as nn
    import torch.nn.functional as F


    class CharRNN(nn.Module):
        def __init__(self, n_chars):
            super().__init__()
            self.n_chars = n_chars
            self.lstm = nn.LSTM(n_chars, 256, num_layers=2, dropout=0.5, batch_first=True)

        def forward(self, x):
            out, _ = self.lstm(F.one_hot(x, self.n_chars).float())
            return out
    """
    diags = lint(tmp_path, source)
    d = only(diags, "RNN108")
    assert d.loc.line == line_of(source, "F.one_hot(")
    assert "`LSTM`" in d.message and "Embedding" in d.message


def test_rnn108_fires_on_one_hot_through_a_variable(tmp_path: Path) -> None:
    source = """
    import torch
    import torch.nn as nn
    from torch.nn.functional import one_hot


    class CharGRU(nn.Module):
        def __init__(self, vocab):
            super().__init__()
            self.vocab = vocab
            self.gru = nn.GRU(vocab, 256, num_layers=2, dropout=0.5)

        def forward(self, tokens):
            x = one_hot(tokens, num_classes=self.vocab).float()
            out, h = self.gru(x)
            return out
    """
    diags = lint(tmp_path, source)
    assert lines(diags, "RNN108") == [line_of(source, "one_hot(tokens")]


def test_rnn108_fires_on_one_hot_rebound_before_the_layer(tmp_path: Path) -> None:
    source = """
    import torch
    import torch.nn as nn
    import torch.nn.functional as F


    class CharRNN(nn.Module):
        def __init__(self, n_chars):
            super().__init__()
            self.n_chars = n_chars
            self.rnn = nn.LSTM(n_chars, 256, 2, dropout=0.5)

        def forward(self, x, hidden):
            x = F.one_hot(x, self.n_chars)
            x = x.float()
            out, hidden = self.rnn(x, hidden)
            return out, hidden
    """
    diags = lint(tmp_path, source)
    assert lines(diags, "RNN108") == [line_of(source, "F.one_hot(")]


RNN108_SILENT = {
    "embedding input": """
        import torch.nn as nn
        import torch.nn.functional as F


        class CharRNN(nn.Module):
            def __init__(self, n_chars):
                super().__init__()
                self.embed = nn.Embedding(n_chars, 64)
                self.lstm = nn.LSTM(64, 256, num_layers=2, dropout=0.5)

            def forward(self, x):
                out, _ = self.lstm(self.embed(x))
                return out
        """,
    "one-hot used as a target, not as the input": """
        import torch.nn as nn
        import torch.nn.functional as F


        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                self.lstm = nn.LSTM(40, 256, num_layers=2, dropout=0.5)

            def forward(self, feats, labels):
                out, _ = self.lstm(feats)
                target = F.one_hot(labels, 10).float()
                return out, target
        """,
}


@pytest.mark.parametrize("source", RNN108_SILENT.values(), ids=RNN108_SILENT.keys())
def test_rnn108_silent(tmp_path: Path, source: str) -> None:
    assert codes(lint(tmp_path, source), "RNN108") == []


# ---------------------------------------------------------------------------------------------
# Model-only modules and full scripts
# ---------------------------------------------------------------------------------------------

TRAINING_ONLY_CODES = ["RNN201", "RNN202", "RNN204", "RNN208", "RNN301", "RNN402", "RNN403"]


def test_model_only_module_gets_no_training_rules(tmp_path: Path) -> None:
    model = """
    import torch
    import torch.nn as nn


    class Seq2Label(nn.Module):
        def __init__(self, input_size=9, hidden=64, num_classes=6):
            super().__init__()
            self.lstm = nn.LSTM(input_size, hidden, batch_first=True)
            self.classifier = nn.Linear(hidden, num_classes)

        def forward(self, x):
            out, _ = self.lstm(x)
            return self.classifier(out.mean(dim=1))

        def num_parameters(self):
            return sum(p.numel() for p in self.parameters() if p.requires_grad)
    """
    diags = lint_files(tmp_path, {"model.py": model}, only=["model.py"])
    found = set(codes(diags))
    assert found.isdisjoint(TRAINING_ONLY_CODES), found
    # but the model rules do run on it
    assert {"RNN103", "RNN104", "RNN105"} <= found


def test_model_module_imported_by_a_script_gets_training_rules_at_the_script(tmp_path: Path) -> None:
    model = """
    import torch.nn as nn


    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.lstm = nn.LSTM(9, 256, num_layers=2, dropout=0.5, batch_first=True)
    """
    train = """
    import torch
    from model import Net

    model = Net()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    for x, y in []:
        optimizer.zero_grad()
        loss = torch.nn.functional.mse_loss(model(x), y)
        loss.backward()
        optimizer.step()
    """
    diags = lint_files(tmp_path, {"model.py": model, "train.py": train}, only=["train.py"])
    assert where(diags, "RNN201") == [("train.py", line_of(train, "loss.backward()"))]


def test_a_clean_recipe_gets_no_model_rules(tmp_path: Path) -> None:
    source = (
        """
import torch
import torch.nn as nn


class Tagger(nn.Module):
    def __init__(self, vocab_size, num_tags):
        super().__init__()
        self.embed = nn.Embedding(vocab_size, 128)
        self.lstm = nn.LSTM(128, 256, num_layers=2, dropout=0.5, bidirectional=True, batch_first=True)
        self.out = nn.Linear(512, num_tags)

    def forward(self, x):
        h, _ = self.lstm(self.embed(x))
        return self.out(h)
"""
        + TRAIN_TAIL
    )
    diags = lint(tmp_path, source)
    assert codes(diags) == []
