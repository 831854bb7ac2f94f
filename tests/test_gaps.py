"""Checks that breaking the engine on purpose showed to be missing (issue 23, item 12): the single RNN201 fix under
AMP as an editor or code scanning applies it, YAML python tags that would import a module, BOM files, SARIF levels."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import pytest

from rnnlint.checks.catalogue import catalogue
from rnnlint.cli import main
from rnnlint.diagnostics import Diagnostic
from rnnlint.fix.apply import fix_bytes
from rnnlint.run.engine import Linter
from rnnlint.settings.model import Settings

ROOT = Path(__file__).resolve().parent.parent
AMP = ROOT / "fixtures" / "fixes" / "torch_clip_amp"


def _lint(path: Path) -> list[Diagnostic]:
    return Linter(Settings(), [path.parent]).run([path]).diagnostics


# --- the RNN201 fix under AMP, one round, as offered --------------------------------------------------------


@pytest.fixture
def amp(tmp_path: Path) -> tuple[Path, Diagnostic]:
    target = tmp_path / "train.py"
    shutil.copy(AMP / "before" / "train.py", target)
    found = [d for d in _lint(target) if d.code == "RNN201"]
    assert len(found) == 1 and found[0].fix is not None
    return target, found[0]


def test_amp_clip_fix_alone_unscales_first(amp: tuple[Path, Diagnostic]) -> None:
    """The one fix (no second --fix round to repair it) must unscale before clipping: clipping scaled gradients
    clips at the wrong norm, which RNN202 reports."""
    target, d = amp
    fixed, applied = fix_bytes(d.loc.path, target.read_bytes(), [d], unsafe=False)
    assert applied == [d]
    text = fixed.decode()
    assert text == (AMP / "after" / "train.py").read_text()
    assert text.index("scaler.unscale_(optimizer)") < text.index("clip_grad_norm_") < text.index("scaler.step(optimizer)")
    target.write_bytes(fixed)
    assert not [x for x in _lint(target) if x.code in ("RNN201", "RNN202")]


def test_amp_clip_fix_as_the_language_server_offers_it(amp: tuple[Path, Diagnostic]) -> None:
    pytest.importorskip("pygls", reason="the lsp extra")
    from lsprotocol import types as lsp

    from rnnlint.lsp import code_actions

    target, d = amp
    source = target.read_text()
    lines = source.splitlines(keepends=True)
    actions = code_actions(
        "file:///train.py", [d], [line.rstrip("\r\n") for line in lines], lsp.Range(lsp.Position(0, 0), lsp.Position(999, 0))
    )
    assert len(actions) == 1 and actions[0].edit is not None and actions[0].edit.changes is not None
    edits = actions[0].edit.changes["file:///train.py"]
    offsets = [sum(len(x) for x in lines[: p.line]) + p.character for p in (e.range.start for e in edits)]
    ends = [sum(len(x) for x in lines[: p.line]) + p.character for p in (e.range.end for e in edits)]
    text = source
    # LSP: edits at the same position are inserted in the order of the array; apply from the end backwards
    order = sorted(range(len(edits)), key=lambda i: (-offsets[i], -i))
    for i in order:
        text = text[: offsets[i]] + edits[i].new_text + text[ends[i] :]
    assert "scaler.unscale_(optimizer)" in text and text == (AMP / "after" / "train.py").read_text()


def test_amp_clip_fix_as_sarif_offers_it(amp: tuple[Path, Diagnostic]) -> None:
    from rnnlint.report.formats import sarif_log

    _, d = amp
    fixes = sarif_log([d], "0")["runs"][0]["results"][0]["fixes"]
    inserted = "".join(r["insertedContent"]["text"] for c in fixes[0]["artifactChanges"] for r in c["replacements"])
    assert "unscale_(optimizer)" in inserted and "clip_grad_norm_" in inserted
    assert inserted.index("unscale_") < inserted.index("clip_grad_norm_")


# --- YAML: a scalar python tag must not import its module ----------------------------------------------------

CANARY_MODULE = "rnnlint_canary_pkg"


@pytest.fixture
def canary(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A package on sys.path that records its own import in a file."""
    record = tmp_path / "imported"
    pkg = tmp_path / "site" / CANARY_MODULE
    pkg.mkdir(parents=True)
    (pkg / "__init__.py").write_text(f"open({str(record)!r}, 'w').close()\nx = 1\n")
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    monkeypatch.delitem(sys.modules, CANARY_MODULE, raising=False)
    return record


CANARY_YAML = f"""model:
  cell: lstm
  hidden_size: 256
  act: !!python/name:{CANARY_MODULE}.x ""
  mod: !!python/module:{CANARY_MODULE} ""
optim:
  fn: !!python/name:{CANARY_MODULE}.x
"""


def test_the_canary_would_catch_an_unsafe_reader(canary: Path) -> None:
    import yaml

    yaml.unsafe_load(CANARY_YAML)
    assert canary.exists()  # a reader that constructed tags would import the package


def test_scalar_python_tags_do_not_import(tmp_path: Path, canary: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from rnnlint.read.yamlnodes import load

    (tmp_path / "recipe.yaml").write_text(CANARY_YAML)
    (tmp_path / "train.py").write_text(
        "import yaml\nimport torch.nn as nn\ncfg = yaml.safe_load(open('recipe.yaml'))\nrnn = nn.LSTM(8, cfg['model']['hidden_size'])\n"
    )
    assert not isinstance(load(CANARY_YAML.encode()), Exception)
    main([str(tmp_path), "--isolated", "--no-cache", "--output-format", "json"])
    json.loads(capsys.readouterr().out)
    assert not canary.exists() and CANARY_MODULE not in sys.modules


# --- BOM ------------------------------------------------------------------------------------------------------

BOM = b"\xef\xbb\xbf"
RNN_SCRIPT = "import torch\nimport torch.nn as nn\nrnn = nn.RNN(8, 4096)\n"


def _json(capsys: pytest.CaptureFixture[str], *args: str) -> list[dict[str, object]]:
    main([*args, "--isolated", "--no-cache", "--output-format", "json"])
    return list(json.loads(capsys.readouterr().out))


def _where(items: list[dict[str, object]]) -> list[tuple[object, ...]]:
    return sorted((i["code"], i["line"], i["column"], i["end_column"]) for i in items)


def test_bom_python_positions_match_the_plain_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "plain.py").write_text(RNN_SCRIPT)
    (tmp_path / "bom.py").write_bytes(BOM + RNN_SCRIPT.encode())
    plain, bom = _json(capsys, str(tmp_path / "plain.py")), _json(capsys, str(tmp_path / "bom.py"))
    assert plain and _where(plain) == _where(bom)
    assert ("RNN101", 3, 7, 22) in _where(bom)  # the column counts characters after the BOM, not the BOM


def test_bom_yaml_config_is_read_with_the_same_lines(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = (ROOT / "fixtures" / "configs_own_schema" / "bad.yaml").read_text()
    (tmp_path / "plain.yaml").write_text(text)
    (tmp_path / "bom.yaml").write_bytes(BOM + text.encode())
    plain, bom = _json(capsys, str(tmp_path / "plain.yaml")), _json(capsys, str(tmp_path / "bom.yaml"))
    assert {"RNN002", "RNN003"} <= {i["code"] for i in bom}
    assert _where(plain) == _where(bom) and "RNN001" not in {i["code"] for i in bom}


def test_bom_survives_fix_from_stdin_and_diff(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    source = BOM + (AMP / "before" / "train.py").read_bytes()
    target = tmp_path / "train.py"
    target.write_bytes(source)
    monkeypatch.chdir(tmp_path)
    main(["train.py", "--diff", "--isolated", "--no-cache"])
    diff = capsys.readouterr().out
    assert "+            scaler.unscale_(optimizer)" in diff and "\ufeff" not in diff  # the BOM is no change
    main(["train.py", "--fix", "--isolated", "--no-cache", "--select", "RNN201"])
    capsys.readouterr()
    assert target.read_bytes() == BOM + (AMP / "after" / "train.py").read_bytes()


# --- SARIF levels -----------------------------------------------------------------------------------------------

SARIF_LEVEL = {"error": "error", "warning": "warning", "info": "note"}


@pytest.mark.parametrize("code", sorted(catalogue()))
def test_sarif_rule_default_level_is_the_rules_severity(code: str) -> None:
    from rnnlint.report.formats import sarif_rule

    assert sarif_rule(code)["defaultConfiguration"]["level"] == SARIF_LEVEL[catalogue()[code].severity.label]


def test_sarif_result_levels_match_the_json_severities(capsys: pytest.CaptureFixture[str]) -> None:
    targets = [
        str(ROOT / "fixtures" / name) for name in ("sentiment", "notebook_sentiment", "configs_own_schema", "ctc_phonemes")
    ]
    items = _json(capsys, *targets)
    main([*targets, "--isolated", "--no-cache", "--output-format", "sarif"])
    results = json.loads(capsys.readouterr().out)["runs"][0]["results"]
    assert len(results) == len(items) and {i["severity"] for i in items} == {"error", "warning", "info"}
    assert [r["level"] for r in results] == [SARIF_LEVEL[str(i["severity"])] for i in items]
    assert [r["ruleId"] for r in results] == [i["code"] for i in items]


def test_sarif_level_follows_a_threshold_free_run(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The level is the finding's severity, not whether it fails the run: an info finding is a note also when
    --severity-threshold info makes it fail."""
    (tmp_path / "train.py").write_text(RNN_SCRIPT)
    assert (
        main(
            [
                str(tmp_path / "train.py"),
                "--isolated",
                "--no-cache",
                "--output-format",
                "sarif",
                "--select",
                "RNN103",
                "--severity-threshold",
                "info",
            ]
        )
        == 1
    )
    results = json.loads(capsys.readouterr().out)["runs"][0]["results"]
    assert [r["level"] for r in results] == ["note"]
