"""Settings remembered in the cache: a run the cache serves whole imports no pydantic, and remembered values are
used only for the very config table (and rnnlint build) that pydantic validated."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from rnnlint.settings.files import RunSettings, plain_settings_ok
from rnnlint.settings.model import Settings

REPO = Path(__file__).resolve().parent.parent
TRAIN = "import torch\nimport torch.nn as nn\nrnn = nn.LSTM(8, 2048, 2, dropout=0.5)\nopt = torch.optim.Adam(rnn.parameters(), lr=1e-3)\n"
CONFIG = '[tool.rnnlint]\nselect = ["RNN1", "RNN2"]\nper-file-ignores = {"skip_*.py" = ["RNN104"]}\n'
# Run the CLI in a fresh interpreter and report which heavy modules the run imported.
RUN = (
    "import sys\n"
    "from rnnlint.cli import main\n"
    "rc = main(sys.argv[1:])\n"
    "sys.stdout.flush()\n"
    "heavy = ('pydantic', 'rnnlint.settings.model', 'rnnlint.checks.rules')\n"
    "sys.stderr.write('\\nLOADED ' + ' '.join(m for m in heavy if m in sys.modules) + '\\n')\n"
    "sys.exit(rc)\n"
)


def _cli(project: Path, *args: str) -> tuple[int, str, str, list[str]]:
    done = subprocess.run(
        [sys.executable, "-c", RUN, *args], cwd=project, capture_output=True, text=True, timeout=120, env=_env()
    )
    loaded = done.stderr.rsplit("LOADED", 1)[-1].split()
    return done.returncode, done.stdout, done.stderr.rsplit("\nLOADED", 1)[0], loaded


def _env() -> dict[str, str]:
    import os

    return {**os.environ, "PYTHONPATH": str(REPO)}


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "p"
    root.mkdir()
    (root / "pyproject.toml").write_text(CONFIG)
    (root / "train.py").write_text(TRAIN)
    (root / "skip_me.py").write_text(TRAIN)
    return root


def _codes(stdout: str) -> list[tuple[str, str]]:
    return sorted((f["path"], f["code"]) for f in json.loads(stdout))


def test_a_run_the_cache_serves_whole_imports_no_pydantic_and_matches(project: Path) -> None:
    args = ("--output-format", "json", ".")
    rc, cold, _, loaded = _cli(project, *args)
    assert rc == 1 and "pydantic" in loaded and "rnnlint.checks.rules" in loaded
    found = _codes(cold)
    assert ("train.py", "RNN104") in found and ("skip_me.py", "RNN104") not in found  # per-file-ignores held
    assert all(code.startswith(("RNN1", "RNN2")) for _, code in found)
    assert list((project / ".rnnlint_cache").rglob("*.settings"))
    rc, warm, _, loaded = _cli(project, *args)
    assert (rc, warm) == (1, cold)
    assert loaded == []  # no pydantic, no settings model, no rules
    rc, none, _, _ = _cli(project, *args, "--no-cache")
    assert (rc, none) == (1, cold)


def test_an_edited_config_is_validated_again(project: Path) -> None:
    rc, before, _, _ = _cli(project, "--output-format", "json", ".")
    assert rc == 1 and ("train.py", "RNN104") in _codes(before)
    (project / "pyproject.toml").write_text('[tool.rnnlint]\nselect = ["RNN9x"]\n')
    for _ in range(2):  # a bad table is never remembered: every run says why
        rc, out, err, _ = _cli(project, "--output-format", "json", ".")
        assert rc == 2 and out == ""
        assert "select:" in err and "RNN9x" in err
    (project / "pyproject.toml").write_text('[tool.rnnlint]\nignore = ["RNN104"]\n')
    rc, out, _, loaded = _cli(project, "--output-format", "json", ".")
    assert "pydantic" in loaded
    assert (rc, _codes(out)) == (0, [])


@pytest.mark.parametrize(
    "content",
    ["", "[]", "null", '{"select": ["ALL"]}', '{"select": 5}', "[" * 50_000 + "]" * 50_000, "\xff\xfe"],
)
def test_a_damaged_memo_is_validated_again(project: Path, content: str) -> None:
    rc, cold, _, _ = _cli(project, "--output-format", "json", ".")
    memos = list((project / ".rnnlint_cache").rglob("*.settings"))
    assert len(memos) == 1
    memos[0].write_text(content, encoding="latin-1")
    rc, out, err, loaded = _cli(project, "--output-format", "json", ".")
    assert (rc, out) == (1, cold), err
    assert "pydantic" in loaded
    assert plain_settings_ok(json.loads(memos[0].read_text()))  # written again from pydantic's values


def test_run_settings_select_as_the_model_does() -> None:
    tables = [
        {},
        {"select": ["RNN2"], "ignore": ["RNN201"]},
        {"select": ["RNN"], "ignore": ["RNN2"], "extend-select": ["RNN202"]},
        {"ignore": ["ALL"]},
        {"per-file-ignores": {"tests/*.py": ["RNN1"], "skip_*.py": ["RNN103", "RNN2"]}},
    ]
    codes = ["RNN001", "RNN101", "RNN103", "RNN201", "RNN202", "RNN301"]
    paths = [None, "train.py", "tests/test_x.py", "skip_me.py", "deep/skip_me.py", "deep/tests/a.py"]
    for table in tables:
        model = Settings.model_validate(table)
        values = json.loads(json.dumps(model.model_dump(mode="json")))  # as read back from the cache file
        assert plain_settings_ok(values)
        plain = RunSettings(table, "t", values)
        for code in codes:
            for path in paths:
                assert plain.enabled(code, path) == model.enabled(code, path), (table, code, path)
        assert plain.model() == model  # built from the table when analysis needs it


def test_report_only_settings_do_not_split_the_cache() -> None:
    full = RunSettings.of(Settings.model_validate({"output-format": "full", "severity-threshold": "error"}))
    other = RunSettings.of(Settings.model_validate({"output-format": "json"}))
    assert full.cache_salt() == other.cache_salt()
    assert full.cache_salt() != RunSettings.of(Settings.model_validate({"select": ["RNN2"]})).cache_salt()
