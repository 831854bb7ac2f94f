"""Report formats for the ecosystem: SARIF 2.1.0, json-lines, JUnit XML, --output-file, --statistics, summary, progress."""

from __future__ import annotations

import io
import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from rnnlint import __version__
from rnnlint.checks.catalogue import catalogue
from rnnlint.cli import main
from rnnlint.diagnostics import Diagnostic, Edit, Fix, Loc, Severity
from rnnlint.report import formats

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
URL = "https://github.com/rnnlint/rnnlint/blob/main/rules/{}.md"


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "train.py").write_text(BAD)
    (tmp_path / "util.py").write_text("def add(a, b):\n    return a + b\n")
    (tmp_path / "broken.py").write_text("import torch\ndef f(:\n")
    return tmp_path


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    code = main([*args, "--isolated"])
    return code, capsys.readouterr().out


# --- SARIF: the required properties of the SARIF 2.1.0 schema (sarif-schema-2.1.0.json), checked by hand ---

LEVELS = {"none", "note", "warning", "error"}


def _require(obj: Any, where: str, *keys: str) -> None:
    assert isinstance(obj, dict), f"{where} is not an object"
    for key in keys:
        assert key in obj, f"{where} lacks required property {key!r}"


def _message(msg: Any, where: str) -> None:
    assert isinstance(msg, dict) and ("text" in msg or "id" in msg), f"{where}: a message needs text or id"


def _mfms(obj: Any, where: str) -> None:  # multiformatMessageString
    _require(obj, where, "text")
    assert isinstance(obj["text"], str)


def _region(region: Any, where: str) -> None:
    assert isinstance(region, dict)
    for key in ("startLine", "startColumn", "endLine", "endColumn"):
        if key in region:
            assert isinstance(region[key], int) and region[key] >= 1, f"{where}.{key} must be an integer >= 1"
    if "startLine" in region and "endLine" in region:
        assert region["endLine"] >= region["startLine"]
        if region["endLine"] == region["startLine"] and "startColumn" in region and "endColumn" in region:
            assert region["endColumn"] >= region["startColumn"]


def _artifact_location(loc: Any, where: str) -> None:
    assert isinstance(loc, dict) and isinstance(loc.get("uri"), str) and loc["uri"], f"{where}: artifactLocation.uri"
    assert " " not in loc["uri"], "a uri is encoded"
    if "uriBaseId" in loc:
        assert isinstance(loc["uriBaseId"], str)


def check_sarif(log: Any) -> None:
    """Every object rnnlint writes, against the schema's required properties and constraints."""
    _require(log, "sarifLog", "version", "runs")
    assert log["version"] == "2.1.0"
    assert isinstance(log["runs"], list)
    for r, run_ in enumerate(log["runs"]):
        where = f"runs[{r}]"
        _require(run_, where, "tool")
        _require(run_["tool"], f"{where}.tool", "driver")
        driver = run_["tool"]["driver"]
        _require(driver, f"{where}.tool.driver", "name")
        rules = driver.get("rules", [])
        ids = [rule["id"] for rule in rules]
        assert len(ids) == len(set(ids)), "rule ids are unique"
        for i, rule in enumerate(rules):
            w = f"{where}.tool.driver.rules[{i}]"
            _require(rule, w, "id")
            for key in ("shortDescription", "fullDescription", "help"):
                if key in rule:
                    _mfms(rule[key], f"{w}.{key}")
            if "defaultConfiguration" in rule:
                assert rule["defaultConfiguration"].get("level", "warning") in LEVELS
            if "helpUri" in rule:
                assert re.match(r"^https?://", rule["helpUri"])
        for i, inv in enumerate(run_.get("invocations", [])):
            _require(inv, f"{where}.invocations[{i}]", "executionSuccessful")
        for key, base in run_.get("originalUriBaseIds", {}).items():
            assert isinstance(key, str) and base["uri"].endswith("/")
        for i, result in enumerate(run_.get("results", [])):
            w = f"{where}.results[{i}]"
            _require(result, w, "message")
            _message(result["message"], w)
            assert result.get("level", "warning") in LEVELS
            if "ruleIndex" in result:
                assert rules[result["ruleIndex"]]["id"] == result["ruleId"]
            for j, location in enumerate(result.get("locations", [])):
                phys = location.get("physicalLocation")
                if phys is not None:
                    assert "artifactLocation" in phys or "address" in phys, f"{w}.locations[{j}].physicalLocation"
                    _artifact_location(phys["artifactLocation"], w)
                    if "region" in phys:
                        _region(phys["region"], f"{w}.locations[{j}].region")
            for j, fix in enumerate(result.get("fixes", [])):
                fw = f"{w}.fixes[{j}]"
                _require(fix, fw, "artifactChanges")
                assert len(fix["artifactChanges"]) >= 1
                if "description" in fix:
                    _message(fix["description"], fw)
                for change in fix["artifactChanges"]:
                    _require(change, f"{fw}.artifactChange", "artifactLocation", "replacements")
                    _artifact_location(change["artifactLocation"], fw)
                    assert len(change["replacements"]) >= 1
                    for rep in change["replacements"]:
                        _require(rep, f"{fw}.replacement", "deletedRegion")
                        _region(rep["deletedRegion"], f"{fw}.deletedRegion")
                        if "insertedContent" in rep:
                            assert isinstance(rep["insertedContent"], dict)


def test_sarif_is_valid_and_complete(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out = run(capsys, ".", "--output-format", "sarif")
    assert code == 1
    log = json.loads(out)
    check_sarif(log)
    driver = log["runs"][0]["tool"]["driver"]
    assert driver["name"] == "rnnlint" and driver["version"] == __version__
    assert driver["informationUri"].startswith("https://")
    rules = {r["id"]: r for r in driver["rules"]}
    assert set(rules) == set(catalogue())
    rnn101 = rules["RNN101"]
    assert rnn101["name"] == "vanilla-rnn" and rnn101["helpUri"] == URL.format("RNN101")
    assert rnn101["shortDescription"]["text"] and rnn101["fullDescription"]["text"]
    assert rnn101["defaultConfiguration"]["level"] == "warning"
    assert rules["RNN107"]["defaultConfiguration"]["level"] == "error"
    assert rules["RNN103"]["defaultConfiguration"]["level"] == "note"
    results = log["runs"][0]["results"]
    by_rule = {r["ruleId"]: r for r in results}
    assert {"RNN001", "RNN101", "RNN107"} <= set(by_rule)
    hit = by_rule["RNN101"]
    assert hit["level"] == "warning" and "RNN" in hit["message"]["text"]
    phys = hit["locations"][0]["physicalLocation"]
    assert phys["artifactLocation"]["uri"] == "train.py"
    assert phys["region"] == {"startLine": 7, "startColumn": 20, "endLine": 7, "endColumn": 20 + len("nn.RNN(64, 1024, dropout=0.5)")}
    assert by_rule["RNN107"]["level"] == "error" and by_rule["RNN103"]["level"] == "note"
    assert by_rule["RNN001"]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "broken.py"


def test_sarif_carries_fixes_and_odd_paths() -> None:
    fix = Fix("safe", "clip the gradients", (Edit(Loc("my dir/train.py", 13, 5, 13, 5), "clip()\n    "),))
    diags = [
        Diagnostic("RNN201", "no clipping", Loc("my dir/train.py", 13, 5, 13, 20), "no-gradient-clipping", Severity.WARNING, fix),
        Diagnostic("RNN001", "NUL bytes", Loc("/abs/blob.py", 0, 0, 0, 0), "syntax-error", Severity.ERROR),
        Diagnostic("RNN101", "plain", Loc("nb.ipynb", 12, 1, 12, 5, cell=3, cell_line=2, cell_end_line=2), "vanilla-rnn"),
        Diagnostic("RNN201", "no edits", Loc("a.py", 1, 1, 1, 2), "no-gradient-clipping", Severity.WARNING, Fix("unsafe", "m")),
    ]
    log = formats.sarif_log(diags, "9.9")
    check_sarif(log)
    results = log["runs"][0]["results"]
    (fixed,) = results[0]["fixes"]
    change = fixed["artifactChanges"][0]
    assert change["artifactLocation"]["uri"] == "my%20dir/train.py"
    assert change["replacements"][0]["insertedContent"]["text"] == "clip()\n    "
    assert change["replacements"][0]["deletedRegion"] == {"startLine": 13, "startColumn": 5, "endLine": 13, "endColumn": 5}
    assert results[1]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "file:///abs/blob.py"
    assert results[2]["locations"][0]["physicalLocation"]["region"]["startLine"] == 2
    assert results[2]["properties"]["cell"] == 3
    assert "fixes" not in results[3]


def test_json_lines_are_the_json_objects(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _, out = run(capsys, "train.py", "--output-format", "json")
    as_list = json.loads(out)
    code, out = run(capsys, "train.py", "--output-format", "json-lines")
    lines = out.splitlines()
    assert code == 1 and len(lines) == len(as_list) > 3
    assert [json.loads(line) for line in lines] == as_list


def test_junit(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out = run(capsys, ".", "--output-format", "junit")
    assert code == 1 and out.startswith("<?xml")
    root = ET.fromstring(out)
    assert root.tag == "testsuites"
    (suite,) = root.findall("testsuite")
    cases = {c.get("name"): c for c in suite.findall("testcase")}
    assert set(cases) == {"broken.py", "train.py", "util.py"}
    assert suite.get("tests") == "3" and suite.get("failures") == "2"
    assert cases["util.py"].findall("failure") == []
    train = cases["train.py"].findall("failure")
    _, json_out = run(capsys, "train.py", "--output-format", "json")
    assert len(train) == len(json.loads(json_out))
    first = train[0]
    assert (first.get("message") or "").startswith("RNN") and "train.py:" in (first.text or "")
    assert URL.format("RNN101") in "".join(f.text or "" for f in train)


def test_junit_escapes_markup() -> None:
    d = Diagnostic("RNN101", 'a <b> & "c"', Loc("x.py", 1, 1, 1, 2), "vanilla-rnn")
    out = io.StringIO()
    formats.write_junit([d], ["x.py", "y.py"], out)
    root = ET.fromstring(out.getvalue())
    (failure,) = root.iter("failure")
    assert failure.get("message") == 'RNN101 a <b> & "c"'


def test_output_file(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out = run(capsys, "train.py", "--output-format", "sarif", "-o", "reports/rnnlint.sarif")
    assert code == 1 and out == ""
    check_sarif(json.loads((project / "reports" / "rnnlint.sarif").read_text()))
    code, out = run(capsys, "train.py", "--output-file", "full.txt")
    text = (project / "full.txt").read_text()
    assert code == 1 and out == "" and "RNN101" in text and "Found" in text and "\x1b[" not in text


def test_output_file_that_cannot_be_written(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (project / "taken").write_text("a file, not a folder")
    assert main(["train.py", "--isolated", "-o", "taken/out.json"]) == 2
    err = capsys.readouterr().err
    assert "cannot write" in err and "Traceback" not in err


def test_statistics(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out = run(capsys, "train.py", "--statistics")
    lines = out.splitlines()
    assert code == 1
    rows = [line.split("\t") for line in lines if "\t" in line]
    assert rows and all(row[0].strip() == "1" for row in rows)
    assert ["RNN101", "vanilla-rnn"] in [[row[1].strip(), row[2].strip()] for row in rows]
    assert lines[-1].startswith("Found")
    code, out = run(capsys, ".", "--statistics", "--output-format", "json")
    stats = json.loads(out)
    assert {s["code"] for s in stats} >= {"RNN001", "RNN101"}
    assert all(set(s) == {"code", "name", "count", "fixable", "url"} for s in stats)


def test_statistics_order_and_fix_marker() -> None:
    fix = Fix("safe", "f", (Edit(Loc("a.py", 1, 1, 1, 1), "x"),))
    diags = [
        Diagnostic("RNN201", "m", Loc("a.py", 1, 1, 1, 2), "no-gradient-clipping", fix=fix),
        Diagnostic("RNN201", "m", Loc("b.py", 1, 1, 1, 2), "no-gradient-clipping", fix=fix),
        Diagnostic("RNN101", "m", Loc("a.py", 2, 1, 2, 2), "vanilla-rnn"),
    ]
    out = io.StringIO()
    formats.write_statistics(diags, out)
    assert out.getvalue().splitlines() == ["2\tRNN201\t[*] no-gradient-clipping", "1\tRNN101\t    vanilla-rnn"]


def test_summary_counts_severities_and_fixes() -> None:
    safe = Fix("safe", "f", (Edit(Loc("a.py", 1, 1, 1, 1), "x"),))
    unsafe = Fix("unsafe", "f", (Edit(Loc("a.py", 1, 1, 1, 1), "x"),))
    diags = [
        Diagnostic("RNN107", "m", Loc("a.py", 1, 1, 1, 2), severity=Severity.ERROR, fix=safe),
        Diagnostic("RNN101", "m", Loc("a.py", 2, 1, 2, 2), fix=safe),
        Diagnostic("RNN104", "m", Loc("a.py", 3, 1, 3, 2), fix=unsafe),
        Diagnostic("RNN103", "m", Loc("a.py", 4, 1, 4, 2), severity=Severity.INFO),
    ]
    line = formats.summary(diags, 2)
    assert line.startswith("Found 4 diagnostics (1 error, 2 warnings, 1 info) in 2 files checked.")
    assert "2 fixable with --fix." in line and "1 more fixable with --unsafe-fixes." in line
    assert "fixable" not in formats.summary(diags[3:], 1)
    assert formats.summary([], 1) == "All checks passed (1 file checked)."


def test_json_objects_have_the_contract_keys(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _, out = run(capsys, "train.py", "--output-format", "json")
    for item in json.loads(out):
        assert {"code", "name", "severity", "message", "path", "line", "column", "end_line", "end_column", "fix"} <= set(item)
    assert formats.rule_url("RNN201") == URL.format("RNN201")


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_bar_only_for_long_runs_on_a_terminal() -> None:
    from rnnlint.report.progress import progress_bar

    for total, stream in ((301, io.StringIO()), (300, _Tty())):
        with progress_bar(total, stream) as bar:
            bar.advance(total)
        assert stream.getvalue() == ""
    tty = _Tty()
    with progress_bar(301, tty) as bar:
        bar.advance(301)
    assert "301/301" in tty.getvalue()


def test_progress_bar_counts_linted_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from rnnlint.report import progress

    for i in range(5):
        (tmp_path / f"m{i}.py").write_text(BAD if i == 0 else "x = 1\n")
    tty = _Tty()
    monkeypatch.setattr(progress.sys, "stderr", tty)
    monkeypatch.setattr(progress, "THRESHOLD", 3)
    code = main([str(tmp_path), "--isolated", "--no-cache", "--output-format", "json"])
    assert code == 1 and "5/5" in tty.getvalue()
