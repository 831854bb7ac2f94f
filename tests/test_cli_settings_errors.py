"""Settings a newcomer gets wrong: each is exit 2 with a message naming where the mistake is, never a silent
default (issue 23, item 4)."""

from __future__ import annotations

from pathlib import Path

import pytest

from rnnlint.cli import main

SCRIPT = "import torch\nimport torch.nn as nn\nrnn = nn.RNN(8, 16)\n"


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "train.py").write_text(SCRIPT)
    return tmp_path


def test_malformed_pyproject_is_exit_2_with_file_and_line(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (project / "pyproject.toml").write_text('[project]\nname = "x"\n\n[tool.rnnlint]\nselect = ["RNN2"\nignore = []\n')
    assert main(["train.py", "--no-cache"]) == 2
    err = capsys.readouterr().err
    assert "pyproject.toml" in err and "invalid TOML" in err and "line 6" in err and "Traceback" not in err
    assert main(["config", "--show", "train.py"]) == 2  # never "none (defaults)"
    err = capsys.readouterr().err
    assert "pyproject.toml" in err and "line 6" in err


def test_another_tools_broken_pyproject_is_not_rnnlints(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (project / "pyproject.toml").write_text("[tool.black]\nline-length = \n")  # no rnnlint table: not ours to judge
    assert main(["train.py", "--no-cache", "--output-format", "concise"]) == 1
    assert "RNN101" in capsys.readouterr().out


def test_malformed_pyproject_is_named_like_a_malformed_rnnlint_toml(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (project / "rnnlint.toml").write_text('select = ["RNN2"\n')
    assert main(["train.py", "--no-cache"]) == 2
    toml_err = capsys.readouterr().err
    (project / "rnnlint.toml").unlink()
    (project / "pyproject.toml").write_text('[tool.rnnlint]\nselect = ["RNN2"\n')
    assert main(["train.py", "--no-cache"]) == 2
    pyproject_err = capsys.readouterr().err
    assert toml_err.replace("rnnlint.toml", "X").replace("line 2", "L") == pyproject_err.replace("pyproject.toml", "X").replace(
        "line 3", "L"
    )


@pytest.mark.parametrize(
    ("flag", "value", "hint"),
    [
        ("--select", "RNN999", None),
        ("--select", "RNN2011", "RNN201"),
        ("--ignore", "RNN1O1", "RNN101"),
        ("--extend-select", "RNN9", None),
        ("--select", "FOO", None),
    ],
)
def test_a_selector_that_matches_no_rule_is_exit_2(
    project: Path, capsys: pytest.CaptureFixture[str], flag: str, value: str, hint: str | None
) -> None:
    assert main(["train.py", "--no-cache", flag, value]) == 2
    err = capsys.readouterr().err
    assert "the command line" in err and flag in err and repr(value) in err and "matches no rule" in err
    assert "defaults" not in err
    if hint is not None:
        assert f"did you mean {hint!r}" in err


def test_a_bad_selector_among_good_ones_names_the_command_line(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["train.py", "--no-cache", "--select", "RNN2,FOO"]) == 2
    err = capsys.readouterr().err
    assert "invalid configuration in the command line" in err and "'FOO'" in err and "defaults" not in err


def test_known_codes_prefixes_and_all_still_select(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for selector in ("RNN101", "RNN1", "RNN", "ALL", "rnn1"):
        assert main(["train.py", "--no-cache", "--output-format", "concise", "--select", selector]) == 1, selector
        assert "RNN101" in capsys.readouterr().out


def test_a_config_selector_that_matches_no_rule_names_the_file(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (project / "rnnlint.toml").write_text('ignore = ["RNN2O1"]\nper-file-ignores = { "t*.py" = ["RNN77"] }\n')
    assert main(["train.py", "--no-cache"]) == 2
    err = capsys.readouterr().err
    assert "rnnlint.toml" in err and "ignore: 'RNN2O1' matches no rule; did you mean 'RNN201'?" in err
    assert "per-file-ignores.t*.py: 'RNN77'" in err


def test_group_names_from_the_docs_front_matter_are_selectors(monkeypatch: pytest.MonkeyPatch) -> None:
    """The one predicate reads groups from the catalogue: a doc's ``group:`` makes its name a selector."""
    from dataclasses import dataclass

    from rnnlint.checks import selectors

    @dataclass
    class Info:
        group: str

    monkeypatch.setattr(selectors, "catalogue", lambda: {"RNN201": Info("correctness"), "RNN503": Info("perf")})
    selectors.known_selectors.cache_clear()
    try:
        assert selectors.unknown_selector("correctness") is None and selectors.unknown_selector("perf") is None
        assert "did you mean 'correctness'" in (selectors.unknown_selector("corectness") or "")
        assert selectors.unknown_selector("RNN1") is not None  # no RNN1xx rule in this catalogue
    finally:
        selectors.known_selectors.cache_clear()
