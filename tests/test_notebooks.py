"""Jupyter notebooks: cells analysed as one unit, magics tolerated, cell coordinates reported."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rnnlint.cli import main


def _notebook(*cells: tuple[str, str]) -> str:
    return json.dumps(
        {
            "nbformat": 4,
            "nbformat_minor": 5,
            "metadata": {},
            "cells": [
                {"cell_type": kind, "metadata": {}, "source": text.splitlines(keepends=True), "outputs": [], "execution_count": None}
                if kind == "code"
                else {"cell_type": kind, "metadata": {}, "source": text}
                for kind, text in cells
            ],
        }
    )


NB = _notebook(
    ("markdown", "# Sentiment"),
    ("code", "!pip install torch\n%matplotlib inline\nimport torch\nimport torch.nn as nn"),
    ("code", "%%time\nx = 1"),
    ("code", "class Net(nn.Module):\n    def __init__(self):\n        super().__init__()\n        self.rnn = nn.LSTM(32, 1024, dropout=0.5)"),
    ("code", "net = Net()\nnet.rnn?\nlen??"),
)


def _json(capsys: pytest.CaptureFixture[str], *args: str) -> list[dict[str, object]]:
    main([*args, "--output-format", "json", "--isolated", "--no-cache"])
    return json.loads(capsys.readouterr().out)


def test_cells_magics_and_coordinates(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    nb = tmp_path / "train.ipynb"
    nb.write_text(NB)
    items = _json(capsys, str(tmp_path))
    assert "RNN001" not in {i["code"] for i in items}
    hit = next(i for i in items if i["code"] == "RNN107")
    assert (hit["cell"], hit["line"], hit["column"]) == (4, 4, 20)
    main([str(nb), "--output-format", "concise", "--isolated", "--no-cache", "--select", "RNN104"])
    assert "train.ipynb:cell 4:4:20: RNN104" in capsys.readouterr().out
    main([str(nb), "--isolated", "--no-cache", "--select", "RNN104"])
    assert "self.rnn = nn.LSTM(32, 1024, dropout=0.5)" in capsys.readouterr().out


def test_broken_notebooks_are_rnn001(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "truncated.ipynb").write_text(NB[: len(NB) // 2])
    (tmp_path / "not_a_notebook.ipynb").write_text('{"torch": [1, 2, 3]}')
    (tmp_path / "bad_cell.ipynb").write_text(_notebook(("markdown", "x"), ("code", "import torch\ndef f(:\n  pass")))
    items = _json(capsys, str(tmp_path))
    by_file = {Path(str(i["path"])).name: i for i in items}
    assert set(by_file) == {"truncated.ipynb", "not_a_notebook.ipynb", "bad_cell.ipynb"}
    assert all(i["code"] == "RNN001" for i in items)
    assert (by_file["bad_cell.ipynb"]["cell"], by_file["bad_cell.ipynb"]["line"]) == (2, 2)


def test_noqa_in_a_cell(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    nb = tmp_path / "train.ipynb"
    nb.write_text(NB.replace("dropout=0.5)", "dropout=0.5)  # noqa: RNN107"))
    assert "RNN107" not in {i["code"] for i in _json(capsys, str(nb))}
