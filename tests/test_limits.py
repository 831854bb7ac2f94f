"""A training unit that takes too long is said on stderr (never RNN001: the file parses) and the run goes on."""

from __future__ import annotations

from pathlib import Path

import pytest

import rnnlint.run.engine as engine
from rnnlint.settings.model import Settings


def test_unit_time_limit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    slow = tmp_path / "slow.py"
    slow.write_text("import torch\n" + "".join(f"x{i} = torch.nn.LSTM(10, {i})\n" for i in range(4000)))
    normal = tmp_path / "train.py"
    normal.write_text("import torch.nn as nn\nrnn = nn.LSTM(8, 4096, 2, dropout=0.5)\n")
    monkeypatch.setattr(engine, "UNIT_TIME_LIMIT", 0.05)
    monkeypatch.setattr(engine, "FILE_TIME_LIMIT", 0.05)
    result = engine.Linter(Settings(), [tmp_path]).run([slow, normal])
    found = result.diagnostics
    # issue 15: rnnlint's own limit is not the user's syntax error; it is said once, and the file is skipped
    assert [d for d in found if d.code == "RNN001"] == []
    assert not any(d.loc.path.endswith("slow.py") for d in found)
    assert len(result.notices) == 2 and all("slow.py" in n and "time limit" in n for n in result.notices)
    assert any(d.code == "RNN104" and d.loc.path.endswith("train.py") for d in found)


def test_many_functions_calling_their_parameters_do_not_exhaust_the_stack(tmp_path: Path) -> None:
    """Each `cb()` on a parameter asks for the unit's call sites; that once rebuilt the index inside itself."""
    helpers = "\n".join(f"def apply{i}(cb, x):\n    return cb(x)\n" for i in range(400))
    (tmp_path / "train.py").write_text(
        "import torch\nfrom torch import nn\n\n" + helpers + "\nrnn = apply0(nn.LSTM, 16)\nrnn2 = nn.LSTM(16, 2048)\n"
    )
    result = engine.Linter(Settings(), [tmp_path]).run([tmp_path / "train.py"])
    codes = {d.code for d in result.diagnostics}
    assert "RNN001" not in codes and "RNN104" in codes


def test_an_infinite_layer_count_is_no_count(tmp_path: Path) -> None:
    """Found by benchmarks/fuzz.py: `num_layers=1e999` made a rule convert infinity to int."""
    (tmp_path / "train.py").write_text(
        "import torch\nfrom torch import nn\nrnn = nn.LSTM(16, 256, num_layers=1e999)\n"
        "opt = torch.optim.Adam(rnn.parameters(), lr=0.5)\n"
        "for x, y in data:\n    opt.zero_grad()\n    loss = (rnn(x)[0] - y).pow(2).mean()\n    loss.backward()\n    opt.step()\n"
    )
    result = engine.Linter(Settings(), [tmp_path]).run([tmp_path / "train.py"])
    codes = {d.code for d in result.diagnostics}
    assert "RNN001" not in codes and "RNN206" in codes
