"""Value resolution with provenance: what reaches a fact, and what the message says."""

from __future__ import annotations

from pathlib import Path

from helpers import lint, lint_files

from rnnlint.settings.model import Settings


def _msg(diags: list, code: str) -> str:
    hits = [d.message for d in diags if d.code == code]
    assert len(hits) == 1, hits
    return hits[0]


def test_module_constant_and_arithmetic(tmp_path: Path) -> None:
    diags = lint(
        tmp_path,
        "import torch.nn as nn\nBASE = 512\nHIDDEN = BASE * 2\nrnn = nn.LSTM(10, HIDDEN, 2)\n",
        settings=Settings(select=["RNN104"]),
    )
    assert "1024 (HIDDEN at" in _msg(diags, "RNN104")


def test_tuple_unpacking(tmp_path: Path) -> None:
    src = "import torch.nn as nn\nemb, hid = 100, 64\nrnn = nn.GRU(emb, hid, 2)\n"
    assert "64" in _msg(lint(tmp_path, src, settings=Settings(select=["RNN104"])), "RNN104")


def test_dict_and_class_configs(tmp_path: Path) -> None:
    src = """\
        import torch.nn as nn
        from dataclasses import dataclass

        cfg = {"model": {"hidden": 1024}}

        @dataclass
        class Config:
            hidden: int = 32
            layers: int = 2

        c = Config(layers=3)
        a = nn.LSTM(10, cfg["model"]["hidden"], 2)
        b = nn.LSTM(10, c.hidden, c.layers)
        """
    diags = [d for d in lint(tmp_path, src, settings=Settings(select=["RNN104"]))]
    assert sorted(d.loc.line for d in diags) == [12, 13]


def test_keyword_default_of_user_function(tmp_path: Path) -> None:
    src = "import torch.nn as nn\ndef build(hidden=2048):\n    return nn.LSTM(10, hidden, 2)\nmodel = build()\n"
    assert "default of hidden in build()" in _msg(lint(tmp_path, src, settings=Settings(select=["RNN104"])), "RNN104")


def test_call_site_overrides_default(tmp_path: Path) -> None:
    src = "import torch.nn as nn\ndef build(hidden=256):\n    return nn.LSTM(10, hidden, 2)\nmodel = build(hidden=64)\n"
    msg = _msg(lint(tmp_path, src, settings=Settings(select=["RNN104"])), "RNN104")
    assert "64 (passed as hidden at" in msg


def test_disagreeing_call_sites_stay_silent(tmp_path: Path) -> None:
    src = "import torch.nn as nn\ndef build(hidden):\n    return nn.LSTM(10, hidden, 2)\na = build(64)\nb = build(256)\n"
    assert not lint(tmp_path, src, settings=Settings(select=["RNN104"]))


def test_argparse_through_a_parse_function_and_model_module(tmp_path: Path) -> None:
    files = {
        "model.py": """\
            import torch.nn as nn
            class Net(nn.Module):
                def __init__(self, hidden=256, layers=2):
                    super().__init__()
                    self.rnn = nn.LSTM(32, hidden, layers)
            """,
        "train.py": """\
            import argparse
            from model import Net
            def get_args():
                p = argparse.ArgumentParser()
                p.add_argument("--hidden-size", type=int, default=2048)
                return p.parse_args()
            args = get_args()
            net = Net(hidden=args.hidden_size)
            """,
    }
    diags = lint_files(tmp_path, files, settings=Settings(select=["RNN104"]), only=["train.py"])
    assert len(diags) == 1 and diags[0].loc.path.endswith("model.py") and diags[0].loc.line == 5
    assert "2048 (argparse default of --hidden-size, " in diags[0].message


def test_unknown_values_keep_rules_silent(tmp_path: Path) -> None:
    src = "import sys\nimport torch.nn as nn\nrnn = nn.LSTM(10, int(sys.argv[1]), int(sys.argv[3]), dropout=float(sys.argv[2]))\n"
    assert not lint(tmp_path, src, settings=Settings(select=["RNN104", "RNN107", "RNN103"]))


def test_long_sequences_tighten_the_lr_bound(tmp_path: Path) -> None:
    base = "import torch\nimport torch.nn as nn\nSEQ_LEN = {n}\nrnn = nn.LSTM(10, 256, 2)\nopt = torch.optim.Adam(rnn.parameters(), lr=0.008)\n"
    assert not lint(tmp_path, base.format(n=100), settings=Settings(select=["RNN206"]))
    msg = _msg(lint(tmp_path, base.format(n=500), settings=Settings(select=["RNN206"])), "RNN206")
    assert "above 0.005" in msg and "500-step sequences" in msg
