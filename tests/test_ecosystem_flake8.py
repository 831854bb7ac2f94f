"""The flake8 plugin, through the real flake8 (the ``flake8.extension`` entry point ``RNN``)."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

from rnnlint.flake8_plugin import RnnlintChecker

BAD = """\
import torch
import torch.nn as nn

class SentimentClassifier(nn.Module):
    def __init__(self):
        super().__init__()
        self.rnn = nn.RNN(64, 1024, dropout=0.5)

model = SentimentClassifier()
opt = torch.optim.Adam(model.parameters(), lr=1e-3)
for x, y in []:
    loss = model(x).sum()
    loss.backward()
    opt.step()
"""


def flake8(cwd: Path, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    pytest.importorskip("flake8", reason="flake8 is a dev dependency")
    return subprocess.run(
        [sys.executable, "-m", "flake8", "--isolated", *args], cwd=cwd, capture_output=True, text=True, input=stdin, timeout=120
    )


def test_plugin_protocol(tmp_path: Path) -> None:
    path = tmp_path / "train.py"
    path.write_text(BAD)
    found = list(RnnlintChecker(ast.parse(BAD), str(path)).run())
    assert found
    by_code = {msg.split()[0]: (line, col, msg, kind) for line, col, msg, kind in found}
    line, col, msg, kind = by_code["RNN101"]
    assert (line, col) == (7, 19) and msg.startswith("RNN101 ") and kind is RnnlintChecker
    assert RnnlintChecker.name == "rnnlint" and RnnlintChecker.version


def test_flake8_reports_rnn_codes(tmp_path: Path) -> None:
    (tmp_path / "train.py").write_text(BAD)
    proc = flake8(tmp_path, "--select", "RNN", "train.py")
    assert proc.returncode == 1, proc.stderr
    lines = proc.stdout.splitlines()
    assert "train.py:7:20: RNN101 " in "\n".join(lines)
    assert all(line.split(": ", 1)[1].startswith("RNN") for line in lines)
    assert any(": RNN201 " in line for line in lines)
    # another selection leaves rnnlint out
    other = flake8(tmp_path, "--select", "F", "train.py")
    assert "RNN" not in other.stdout


def test_noqa_through_flake8(tmp_path: Path) -> None:
    (tmp_path / "train.py").write_text(BAD.replace("    loss.backward()\n", "    loss.backward()  # noqa: RNN201\n"))
    proc = flake8(tmp_path, "--select", "RNN", "train.py")
    assert ": RNN201 " not in proc.stdout and ": RNN101 " in proc.stdout
    (tmp_path / "train.py").write_text(BAD.replace("    loss.backward()\n", "    loss.backward()  # noqa: E501\n"))
    proc = flake8(tmp_path, "--select", "RNN", "train.py")
    assert ": RNN201 " in proc.stdout


def test_clean_file_and_stdin(tmp_path: Path) -> None:
    (tmp_path / "util.py").write_text("def add(a, b):\n    return a + b\n")
    proc = flake8(tmp_path, "--select", "RNN", "util.py")
    assert proc.returncode == 0 and proc.stdout == ""
    proc = flake8(tmp_path, "--select", "RNN", "-", stdin=BAD)
    assert "stdin:7:20: RNN101 " in proc.stdout


def test_settings_come_from_the_nearest_config(tmp_path: Path) -> None:
    (tmp_path / "train.py").write_text(BAD)
    (tmp_path / "pyproject.toml").write_text("[tool.rnnlint]\nhidden-size = [64, 2048]\n")
    proc = flake8(tmp_path, "--select", "RNN", "train.py")
    assert ": RNN101 " in proc.stdout and ": RNN104 " not in proc.stdout


def test_per_file_ignores_are_relative_to_the_config(tmp_path: Path) -> None:
    (tmp_path / "exp").mkdir()
    (tmp_path / "exp" / "train.py").write_text(BAD)
    (tmp_path / "pyproject.toml").write_text('[tool.rnnlint.per-file-ignores]\n"exp/*" = ["RNN1"]\n')
    proc = flake8(tmp_path / "exp", "--select", "RNN", "train.py")  # run from inside the folder
    assert ": RNN201 " in proc.stdout and ": RNN1" not in proc.stdout
