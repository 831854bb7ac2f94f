"""The CLI contract: exit codes, formats, selection, config, bad input."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import BAD_SCRIPT as BAD

from rnnlint.cli import main


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Run from a temporary folder: the cache of an ``--isolated`` run goes beside the working directory."""
    monkeypatch.chdir(tmp_path)


@pytest.fixture
def bad(tmp_path: Path) -> Path:
    p = tmp_path / "train.py"
    p.write_text(BAD)
    return p


def run_json(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, list[dict[str, object]]]:
    code = main([*args, "--output-format", "json", "--isolated"])
    return code, json.loads(capsys.readouterr().out)


def test_json_contract(bad: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, items = run_json(capsys, str(bad))
    assert code == 1
    keys = {"code", "name", "severity", "group", "message", "path", "line", "column", "end_line", "end_column", "fix", "url"}
    assert items and all(set(i) == keys for i in items)
    by_code = {i["code"]: i for i in items}
    assert by_code["RNN101"]["line"] == 7 and by_code["RNN101"]["column"] == 20
    assert by_code["RNN101"]["name"] == "vanilla-rnn" and by_code["RNN101"]["severity"] == "warning"
    assert by_code["RNN107"]["severity"] == "error"


def test_select_and_ignore_prefixes(bad: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _, items = run_json(capsys, str(bad), "--select", "RNN1")
    assert items and all(str(i["code"]).startswith("RNN1") for i in items)
    _, items = run_json(capsys, str(bad), "--select", "RNN1", "--ignore", "RNN107")
    assert "RNN107" not in {i["code"] for i in items} and "RNN101" in {i["code"] for i in items}
    _, items = run_json(capsys, str(bad), "--select", "RNN101", "--extend-select", "RNN201")
    assert {i["code"] for i in items} == {"RNN101", "RNN201"}


def test_severity_threshold_sets_exit_code(bad: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main([str(bad), "--select", "RNN103", "--isolated"]) == 0  # info only, default threshold warning
    capsys.readouterr()
    assert main([str(bad), "--select", "RNN103", "--severity-threshold", "info", "--isolated"]) == 1
    capsys.readouterr()
    assert main([str(bad), "--exit-zero", "--isolated"]) == 0


def test_clean_file_exits_zero(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    p = tmp_path / "util.py"
    p.write_text("def add(a, b):\n    return a + b\n")
    assert main([str(p), "--isolated"]) == 0
    assert "All checks passed" in capsys.readouterr().out


def test_missing_path_is_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main([str(tmp_path / "nope.py")]) == 2
    assert "path not found" in capsys.readouterr().err


def test_syntax_error_is_rnn001_and_run_goes_on(tmp_path: Path, bad: Path, capsys: pytest.CaptureFixture[str]) -> None:
    broken = tmp_path / "broken.py"
    broken.write_text("import torch\ndef f(:\n    pass\n")
    code, items = run_json(capsys, str(tmp_path))
    assert code == 1
    rnn001 = [i for i in items if i["code"] == "RNN001"]
    assert len(rnn001) == 1 and str(rnn001[0]["path"]).endswith("broken.py") and rnn001[0]["line"] == 2
    assert any(i["code"] == "RNN101" for i in items)


def test_binary_file_is_rnn001(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "blob.py").write_bytes(b"torch\x00\x01\x02")
    _, items = run_json(capsys, str(tmp_path / "blob.py"))
    assert [i["code"] for i in items] == ["RNN001"]


def test_invalid_config_names_the_key(tmp_path: Path, bad: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "rnnlint.toml").write_text('hidden-size = [512, 128]\nslect = ["RNN1"]\n')
    assert main([str(bad)]) == 2
    err = capsys.readouterr().err
    assert "hidden-size" in err and "slect" in err and "unknown key" in err


def test_config_thresholds_and_ignore(tmp_path: Path, bad: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.rnnlint]\nhidden-size = [64, 2048]\nignore = ["RNN101"]\n')
    main([str(bad), "--output-format", "json"])
    found = {i["code"] for i in json.loads(capsys.readouterr().out)}
    assert "RNN104" not in found and "RNN101" not in found and "RNN107" in found


def test_per_file_ignores(tmp_path: Path, bad: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "rnnlint.toml").write_text('[per-file-ignores]\n"train.py" = ["RNN1"]\n')
    main([str(bad), "--output-format", "json"])
    found = {i["code"] for i in json.loads(capsys.readouterr().out)}
    assert not any(c.startswith("RNN1") for c in found) and "RNN201" in found


def test_gitignore_and_exclude(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / ".gitignore").write_text("ignored/\n")
    for sub in ("ignored", "excluded", "kept"):
        (tmp_path / sub).mkdir()
        (tmp_path / sub / "train.py").write_text(BAD)
    code, items = run_json(capsys, str(tmp_path), "--exclude", "excluded/")
    paths = {Path(str(i["path"])).parent.name for i in items}
    assert code == 1 and paths == {"kept"}


def test_stdin(bad: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    import io

    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(BAD.encode())))
    code = main(["-", "--stdin-filename", "mine.py", "--output-format", "json", "--isolated"])
    items = json.loads(capsys.readouterr().out)
    assert code == 1 and {i["path"] for i in items} == {"mine.py"}


def test_concise_and_full_formats(bad: Path, capsys: pytest.CaptureFixture[str]) -> None:
    main([str(bad), "--output-format", "concise", "--isolated"])
    out = capsys.readouterr().out
    assert ":7:20: RNN101 [warning]" in out and "Found" in out
    main([str(bad), "--isolated"])
    out = capsys.readouterr().out
    assert "self.rnn = nn.RNN(64, 1024, dropout=0.5)" in out and "^^^" in out and "\x1b[" not in out


def test_github_format(bad: Path, capsys: pytest.CaptureFixture[str]) -> None:
    main([str(bad), "--output-format", "github", "--isolated"])
    line = next(x for x in capsys.readouterr().out.splitlines() if "RNN101" in x)
    assert line.startswith("::warning file=") and ",line=7,col=20," in line


def test_rules_and_explain(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["rules", "--output-format", "json"]) == 0
    rules = json.loads(capsys.readouterr().out)
    assert {r["code"] for r in rules} >= {"RNN001", "RNN101", "RNN201", "RNN503"}
    assert main(["explain", "RNN201"]) == 0
    assert "no-gradient-clipping" in capsys.readouterr().out
    assert main(["explain", "RNN999"]) == 2


def test_unknown_flag_is_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--bogus"]) == 2


def test_console_script_never_prints_a_traceback(tmp_path: Path) -> None:
    (tmp_path / "rnnlint.toml").write_text("this is = not toml [")
    p = tmp_path / "t.py"
    p.write_text("import torch\n")
    proc = subprocess.run([sys.executable, "-m", "rnnlint", str(p)], capture_output=True, text=True, cwd=tmp_path)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr and "invalid TOML" in proc.stderr


def test_fix_diff_and_cache_flags(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "train.py"
    target.write_text(BAD.replace("nn.RNN", "nn.LSTM").replace(", dropout=0.5", ", 2, dropout=0.5"))
    before = target.read_text()
    assert main([str(target), "--diff", "--isolated", "--no-cache"]) == 1
    assert "+    torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm=5.0)" in capsys.readouterr().out
    assert target.read_text() == before
    cache = tmp_path / "cache"
    assert main([str(target), "--fix", "--isolated", "--cache-dir", str(cache), "--output-format", "json"]) == 1
    out = capsys.readouterr()
    assert "fixed 2 findings" in out.err and "clip_grad_norm_" in target.read_text()
    assert not {"RNN201", "RNN301"} & {i["code"] for i in json.loads(out.out)}
    assert main([str(target), "--diff", "--isolated", "--cache-dir", str(cache)]) == 0  # nothing left to fix
    assert any(cache.rglob("*.json")) and (cache / ".gitignore").read_text().strip().endswith("*")
    assert main(["clean", "--cache-dir", str(cache)]) == 0 and not cache.exists()


def test_jobs_give_the_same_findings(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for i in range(45):
        (tmp_path / f"t{i}.py").write_text(BAD)
    one = run_json(capsys, str(tmp_path), "--jobs", "1", "--no-cache")
    two = run_json(capsys, str(tmp_path), "--jobs", "2", "--no-cache")
    assert one == two and len(one[1]) >= 45


def test_reference_commands_are_delegated(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["verify", "--help"]) == 0
    assert "--quick" in capsys.readouterr().out
    assert main(["train"]) == 2  # the reference CLI's own usage error
