"""Findings on instantiation configs sit at the key that makes the call, never at 1:1 (issue 23, item 8)."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import lint_files


@pytest.mark.parametrize(
    ("name", "text", "where"),
    [
        ("late.yaml", "# encoder\ninput_size: 8\nhidden_size: 2048\n_target_: torch.nn.RNN\n", (4, 1)),
        ("group.json", '{\n  "hidden_size": 2048,\n  "_target_": "torch.nn.RNN"\n}\n', (3, 3)),
        ("cli.yaml", "init_args:\n  hidden_size: 2048\nclass_path: torch.nn.RNN\n", (3, 1)),
        ("nested.yaml", "# model\n\nencoder:\n  rnn:\n    hidden_size: 2048\n    _target_: torch.nn.RNN\n", (4, 3)),
    ],
)
def test_findings_sit_at_the_calls_key(tmp_path: Path, name: str, text: str, where: tuple[int, int]) -> None:
    found = [d for d in lint_files(tmp_path, {name: text}) if d.code in ("RNN101", "RNN104")]
    assert {d.code for d in found} == {"RNN101", "RNN104"}
    assert {(d.loc.line, d.loc.col) for d in found} == {where}
