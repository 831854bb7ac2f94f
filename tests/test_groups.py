"""Rule groups: every rule has one; selection by group; the human report leads with bugs and folds advice."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from helpers import BAD_SCRIPT as SOURCE

from rnnlint.checks.catalogue import catalogue
from rnnlint.cli import main
from rnnlint.ruledocs import GROUPS, front_matter
from rnnlint.settings.model import Settings, make_settings
from rnnlint.settings.selection import ConfigError, known_selector

# ineffective dropout (correctness), plain RNN + hidden size (guideline), single layer / unidirectional (advice)


@pytest.fixture
def script(tmp_path: Path) -> Path:
    p = tmp_path / "train.py"
    p.write_text(SOURCE)
    return p


def test_every_rule_doc_names_a_known_group() -> None:
    for code, meta in front_matter().items():
        assert meta.get("group") in GROUPS, f"{code} has no valid `group:` in its front matter"
    assert {info.group for info in catalogue().values()} == set(GROUPS)


def test_errors_are_correctness_and_info_rules_are_never_correctness_by_accident() -> None:
    for info in catalogue().values():
        if info.severity.label == "error":
            assert info.group == "correctness", info.code


def test_group_names_are_selectors_and_unknown_names_are_not() -> None:
    assert known_selector(" Correctness ") == "correctness"
    assert known_selector("rnn2") == "RNN2"
    assert known_selector("all") == "ALL"
    assert known_selector("bugs") is None and known_selector("RNNx") is None
    with pytest.raises(ConfigError, match="group"):
        make_settings({"select": ["correctness", "nonsense"]}, "test")


def test_selection_by_group_with_prefix_and_code_precedence() -> None:
    s = Settings(select=["correctness"])
    assert s.enabled("RNN107") and s.enabled("RNN202") and not s.enabled("RNN201")
    s = Settings(ignore=["advice"])
    assert s.enabled("RNN201") and not s.enabled("RNN103")
    s = Settings(ignore=["advice"], extend_select=["RNN103"])  # a code is more specific than a group
    assert s.enabled("RNN103") and not s.enabled("RNN102")
    s = Settings(select=["RNN1"], ignore=["guideline"])  # a family prefix is more specific than a group
    assert s.enabled("RNN101")
    s = Settings(select=["ALL"], ignore=["guideline"])
    assert not s.enabled("RNN101") and s.enabled("RNN107")


def test_config_file_accepts_groups(script: Path) -> None:
    (script.parent / "rnnlint.toml").write_text('select = ["correctness"]\n')
    assert main([str(script), "--output-format", "json", "--no-cache"]) == 1


def _concise(capsys: pytest.CaptureFixture[str], *args: str) -> list[str]:
    main([*args, "--output-format", "concise", "--isolated", "--no-cache"])
    return capsys.readouterr().out.splitlines()


def test_human_report_lists_bugs_first_and_folds_advice(script: Path, capsys: pytest.CaptureFixture[str]) -> None:
    lines = _concise(capsys, str(script))
    codes = [line.split(": ")[1].split()[0] for line in lines if ": RNN" in line]
    assert codes[0] == "RNN107", codes  # the bug leads; RNN101 and RNN104 on the same line follow it
    assert "RNN103" not in codes and "RNN102" not in codes
    assert re.fullmatch(r"\d+ advice findings? not shown .*--show-advice lists them", lines[-1]), lines[-1]
    shown = _concise(capsys, str(script), "--show-advice")
    assert any(" RNN103 " in line for line in shown) and not any("not shown" in line for line in shown)


def test_advice_is_listed_when_it_can_fail_the_run_or_is_selected(script: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert any(" RNN103 " in line for line in _concise(capsys, str(script), "--severity-threshold", "info"))
    assert any(" RNN103 " in line for line in _concise(capsys, str(script), "--select", "RNN103"))
    assert any(" RNN103 " in line for line in _concise(capsys, str(script), "--select", "advice"))


def test_machine_formats_carry_every_finding_with_its_group(script: Path, capsys: pytest.CaptureFixture[str]) -> None:
    main([str(script), "--output-format", "json", "--isolated", "--no-cache"])
    items = json.loads(capsys.readouterr().out)
    assert {i["code"]: i["group"] for i in items}["RNN103"] == "advice"
    main([str(script), "--output-format", "sarif", "--isolated", "--no-cache"])
    run = json.loads(capsys.readouterr().out)["runs"][0]
    assert all(r["properties"]["group"] in GROUPS for r in run["results"])
    assert {r["id"]: r["properties"]["group"] for r in run["tool"]["driver"]["rules"]}["RNN107"] == "correctness"


def test_rules_command_shows_groups(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["rules", "--output-format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert {r["code"]: r["group"] for r in data}["RNN202"] == "correctness"
    assert main(["rules"]) == 0
    assert "correctness" in capsys.readouterr().out


def test_info_findings_of_other_groups_fold_with_the_advice(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    # RNN301 (guideline) lowered to info on a 2-epoch run, RNN503 (perf, info): hints, folded with the advice
    src = SOURCE.replace("for x, y in []:", "for epoch in range(2):\n  for x, y in []:").replace("\n    ", "\n      ")
    src = src.replace("nn.RNN(64, 1024, dropout=0.5)", "nn.LSTM(64, 256, num_layers=2, dropout=0.5)")
    p = tmp_path / "train.py"
    p.write_text(src)
    codes = [line.split(": ")[1].split()[0] for line in _concise(capsys, str(p)) if ": RNN" in line]
    assert "RNN301" not in codes
    assert any(" RNN301 [info]" in line for line in _concise(capsys, str(p), "--show-advice"))
