"""Config discovery: nearest [tool.rnnlint] per file, ``extend``, nested globs, ``rnnlint config --show``."""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path

import pytest
from helpers import BAD_SCRIPT as BAD

from rnnlint.cli import main
from rnnlint.settings.files import ConfigFinder, load_config
from rnnlint.settings.model import Settings

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib



def write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        p = root / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)


def lint(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict[str, set[str]]]:
    code = main([*args, "--output-format", "json"])
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err
    found: dict[str, set[str]] = {}
    for item in json.loads(captured.out) if captured.out.strip() else []:
        found.setdefault(Path(item["path"]).as_posix(), set()).add(item["code"])
    return code, found


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    write(
        tmp_path,
        {
            "pyproject.toml": '[tool.rnnlint]\nignore = ["RNN101"]\n',
            "train.py": BAD,
            "sub/pyproject.toml": '[project]\nname = "sub"\n\n[tool.rnnlint]\nhidden-size = [64, 2048]\n',
            "sub/train.py": BAD,
            "plain/train.py": BAD,  # no config of its own: the root's applies
        },
    )
    return tmp_path


def test_nearest_config_wins_per_file(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, found = lint(capsys, ".")
    assert code == 1
    assert "RNN101" not in found["train.py"] and "RNN104" in found["train.py"]
    assert "RNN101" not in found["plain/train.py"] and "RNN104" in found["plain/train.py"]
    assert "RNN101" in found["sub/train.py"] and "RNN104" not in found["sub/train.py"]
    # the same, whatever the order of the paths given
    _, again = lint(capsys, "sub", "train.py")
    assert again["sub/train.py"] == found["sub/train.py"] and again["train.py"] == found["train.py"]


def test_config_flag_and_isolated_still_use_one_settings(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _, found = lint(capsys, ".", "--config", "pyproject.toml")
    assert all("RNN101" not in codes and "RNN104" in codes for codes in found.values())
    _, found = lint(capsys, ".", "--isolated")
    assert all({"RNN101", "RNN104"} <= codes for codes in found.values())
    _, found = lint(capsys, ".", "--ignore", "RNN104")  # flags apply over every config
    assert all("RNN104" not in codes for codes in found.values()) and "RNN101" in found["sub/train.py"]


def test_extend_inherits_and_overrides(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(
        repo,
        {
            "exp/rnnlint.toml": 'extend = "../pyproject.toml"\nhidden-size = [64, 2048]\nextend-select = []\n',
            "exp/train.py": BAD,
        },
    )
    _, found = lint(capsys, "exp")
    assert "RNN101" not in found["exp/train.py"]  # inherited ignore
    assert "RNN104" not in found["exp/train.py"]  # own threshold
    raw = load_config(repo / "exp" / "rnnlint.toml")
    assert raw["ignore"] == ["RNN101"] and raw["hidden-size"] == [64, 2048] and "extend" not in raw


def test_extend_lists_add_up_and_chains_nest(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "base.toml": 'extend-select = ["RNN1"]\nignore = ["RNN2"]\n',
            "mid/rnnlint.toml": 'extend = "../base.toml"\nextend-select = ["RNN3"]\n',
            "mid/leaf/rnnlint.toml": 'extend = "../rnnlint.toml"\nignore = []\n',
        },
    )
    chain: list[Path] = []
    raw = load_config(tmp_path / "mid" / "leaf" / "rnnlint.toml", chain)
    assert raw == {"extend-select": ["RNN1", "RNN3"], "ignore": []}
    assert [p.name for p in chain] == ["rnnlint.toml", "rnnlint.toml", "base.toml"]


@pytest.mark.parametrize(
    ("files", "message"),
    [
        ({"rnnlint.toml": 'extend = "other.toml"\n', "other.toml": 'extend = "rnnlint.toml"\n'}, "circular"),
        ({"rnnlint.toml": 'extend = "missing.toml"\n'}, "not found"),
        ({"rnnlint.toml": "extend = 3\n"}, "extend"),
        ({"rnnlint.toml": 'extend = "base.toml"\n', "base.toml": 'slect = ["RNN1"]\n'}, "slect"),
    ],
)
def test_bad_extend_is_exit_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], files: dict[str, str], message: str
) -> None:
    monkeypatch.chdir(tmp_path)
    write(tmp_path, {**files, "train.py": BAD})
    assert main(["train.py"]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_nested_per_file_ignores_and_exclude_are_relative_to_their_config(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # issue 15: code under tests/ is no training script, so the per-file-ignores folder is experiments/
    write(
        repo,
        {
            "sub/pyproject.toml": '[tool.rnnlint]\nexclude = ["legacy/"]\n\n[tool.rnnlint.per-file-ignores]\n"experiments/*" = ["RNN1"]\n',
            "sub/experiments/train.py": BAD,
            "sub/legacy/train.py": BAD,
        },
    )
    _, found = lint(capsys, ".")
    assert "sub/legacy/train.py" not in found
    assert not any(c.startswith("RNN1") for c in found["sub/experiments/train.py"]) and "RNN201" in found["sub/experiments/train.py"]
    assert "RNN104" in found["sub/train.py"]
    _, found = lint(capsys, "sub/legacy/train.py")  # a file named on the command line is linted anyway
    assert "sub/legacy/train.py" in found


def test_threshold_of_the_nearest_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    warnings_only = BAD.replace("nn.RNN(64, 1024, dropout=0.5)", "nn.RNN(64, 1024)")
    write(tmp_path, {"clean.py": "x = 1\n", "lab/rnnlint.toml": 'severity-threshold = "error"\n', "lab/train.py": warnings_only})
    code, found = lint(capsys, ".")
    assert found["lab/train.py"] and code == 0


def test_stdin_uses_the_config_nearest_its_name(repo: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(BAD.encode())))
    _, found = lint(capsys, "-", "--stdin-filename", "sub/new.py")
    assert "RNN101" in found["sub/new.py"] and "RNN104" not in found["sub/new.py"]


def test_finder_caches_and_skips_pyprojects_without_a_table(tmp_path: Path) -> None:
    write(tmp_path, {"rnnlint.toml": "", "a/pyproject.toml": '[project]\nname = "a"\n', "a/b/c.py": ""})
    finder = ConfigFinder()
    assert finder.find(tmp_path / "a" / "b" / "c.py") == (tmp_path / "rnnlint.toml").resolve()
    assert finder.find(tmp_path / "a") == (tmp_path / "rnnlint.toml").resolve()


def test_config_show_toml_round_trips(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(
        repo,
        {
            "exp/rnnlint.toml": 'extend = "../pyproject.toml"\nhidden-size = [64, 2048]\n'
            '[per-file-ignores]\n"tests/*" = ["RNN4"]\n[max-learning-rate]\nadam = 0.02\n',
        },
    )
    assert main(["config", "--show", "exp"]) == 0
    out = capsys.readouterr().out
    assert "# config: " in out and "exp" in out and "# extends: " in out
    table = tomllib.loads(out)["tool"]["rnnlint"]
    settings = Settings.model_validate(table)
    assert settings.ignore == ["RNN101"] and settings.hidden_size == (64, 2048)
    assert settings.per_file_ignores == {"tests/*": ["RNN4"]} and settings.max_learning_rate == {"adam": 0.02}
    assert settings == Settings.model_validate({"ignore": ["RNN101"], "hidden-size": [64, 2048],
                                                "per-file-ignores": {"tests/*": ["RNN4"]}, "max-learning-rate": {"adam": 0.02}})


def test_config_show_json_and_defaults(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["config", "--show", "sub/train.py", "--output-format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["config"].endswith("pyproject.toml") and Path(data["config"]).parent.name == "sub"
    assert data["settings"]["hidden-size"] == [64, 2048] and data["settings"]["ignore"] == []
    assert main(["config", "--isolated"]) == 0
    assert "# config: none (defaults)" in capsys.readouterr().out
    assert main(["config", "--show", "nope"]) == 2
    assert main(["config", "--config", "nope.toml"]) == 2
    capsys.readouterr()


def test_a_folder_named_config_is_still_linted(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    write(tmp_path, {"config/train.py": BAD})
    assert main(["config", "--isolated", "--output-format", "concise"]) == 1
    assert "RNN101" in capsys.readouterr().out
    assert main(["config", "--show"]) == 0
    assert "[tool.rnnlint]" in capsys.readouterr().out
