"""YAML config fixes: one key set by a minimal text edit, comments kept; no fix where unsure."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from rnnlint.analysis.yamlsites import setting, yaml_number
from rnnlint.fix.command import fix_files
from rnnlint.run.discovery import discover
from rnnlint.run.engine import Linter, Result
from rnnlint.settings.model import Settings

RECIPE = """\
model:
  cell: lstm
  hidden_size: 256
optim:
  name: adam
  lr: 1.0e-3
  clip_norm: 0   # off
"""


def _lint(root: Path) -> Result:
    return Linter(Settings(), [root]).run(list(discover([root], [])))


def _fix(root: Path) -> Result:
    return fix_files(lambda: _lint(root), False, False, io.StringIO(), io.StringIO())[0]


def _applied(text: str, mapping: tuple[str, ...], key: str, value: float = 5.0) -> str | None:
    site = setting(text, mapping, key)
    fix = site.fix("c.yaml", value) if site is not None else None
    if fix is None:
        return None
    (edit,) = fix.edits
    lines = text.splitlines(keepends=True)
    assert edit.loc.line == edit.loc.end_line
    line = lines[edit.loc.line - 1]
    lines[edit.loc.line - 1] = line[: edit.loc.col - 1] + edit.content + line[edit.loc.end_col - 1 :]
    return "".join(lines)


@pytest.mark.parametrize(("value", "text"), [(5.0, "5.0"), (1e-5, "1.0e-5"), (0.5, "0.5"), (1e20, "1.0e+20")])
def test_yaml_numbers_read_back_as_floats(value: float, text: str) -> None:
    assert yaml_number(value) == text


def test_an_existing_value_is_replaced_in_place() -> None:
    assert _applied(RECIPE, ("optim",), "clip_norm") == RECIPE.replace("clip_norm: 0 ", "clip_norm: 5.0 ")


def test_a_missing_key_gets_a_line_at_the_mappings_indentation() -> None:
    text = "trainer:\n  max_epochs: 3  # short\n  callbacks:\n    - a: 1\n# end\nmodel: x\n"
    expected = "trainer:\n  max_epochs: 3  # short\n  callbacks:\n    - a: 1\n  gradient_clip_val: 5.0\n# end\nmodel: x\n"
    assert _applied(text, ("trainer",), "gradient_clip_val") == expected


@pytest.mark.parametrize(
    "text",
    [
        "optim: {name: adam, clip_norm: 0}\n",  # flow style
        "optim:\n  name: adam\n  note: |\n    literal\n",  # ends in a block scalar
        "base: &b {x: 1}\noptim:\n  name: adam\n  more: *b\n",  # ends in an alias
        "optim:\n  clip_norm: '0'\n",  # a quoted value is a string, not ours to rewrite
        "optim:\n  clip_norm:\n",  # an empty value has no span to replace
        "optim:\n  clip_norm: 0\n  clip_norm: 0\n",  # duplicated key
    ],
)
def test_no_fix_where_unsure(text: str) -> None:
    assert _applied(text, ("optim",), "clip_norm") is None


def test_flow_style_config_gets_no_fix(tmp_path: Path) -> None:
    (tmp_path / "recipe.json").write_text('{"model": {"cell": "lstm"}, "optim": {"name": "adam", "clip_norm": 0}}\n')
    found = [d for d in _lint(tmp_path).diagnostics if d.code == "RNN201"]
    assert found and found[0].fix is None


def test_crlf_and_bom_are_kept(tmp_path: Path) -> None:
    target = tmp_path / "recipe.yaml"
    target.write_bytes(b"\xef\xbb\xbf" + RECIPE.replace("\n", "\r\n").encode())
    result = _fix(tmp_path)
    assert "RNN201" not in {d.code for d in result.diagnostics}
    assert (
        target.read_bytes() == b"\xef\xbb\xbf" + RECIPE.replace("clip_norm: 0 ", "clip_norm: 5.0 ").replace("\n", "\r\n").encode()
    )


def test_clipping_by_value_gets_no_trainer_fix(tmp_path: Path) -> None:
    (tmp_path / "config.yaml").write_text(
        "trainer:\n  max_epochs: 3\n  gradient_clip_algorithm: value\n"
        "model:\n  class_path: torch.nn.LSTM\n  init_args:\n    input_size: 8\n    hidden_size: 128\n"
        "optimizer:\n  class_path: torch.optim.Adam\n"
    )
    assert all(d.fix is None for d in _lint(tmp_path).diagnostics if d.code == "RNN201")


def test_a_trainer_section_without_lightning_evidence_gets_no_fix(tmp_path: Path) -> None:
    (tmp_path / "config.yaml").write_text(
        "trainer:\n  max_epochs: 3\n"
        "model:\n  _target_: torch.nn.LSTM\n  input_size: 8\n  hidden_size: 128\n"
        "optimizer:\n  _target_: torch.optim.Adam\n"
    )
    found = [d for d in _lint(tmp_path).diagnostics if d.code == "RNN201"]
    assert found and all(d.fix is None for d in found)
