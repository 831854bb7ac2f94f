"""Parallel runs and the cache give exactly the serial findings; a bad cache is never trusted."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from rnnlint.run.discovery import discover
from rnnlint.run.runner import PARALLEL_MIN_FILES, clean, lint_files
from rnnlint.settings.model import Settings

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("corpus")
    for i in range(2):  # enough files for the pool to be used
        shutil.copytree(FIXTURES, root / f"copy{i}", ignore=shutil.ignore_patterns("configs_hostile"))
    return root


def _found(result: object) -> list[tuple[str, str, int, int, str]]:
    return [(d.code, d.loc.path, d.loc.line, d.loc.col, d.message) for d in result.diagnostics]  # type: ignore[attr-defined]


def test_parallel_and_cached_runs_match_serial(corpus: Path, tmp_path: Path) -> None:
    files = list(discover([corpus], []))
    assert len(files) >= PARALLEL_MIN_FILES
    serial = lint_files(files, Settings(), [corpus], jobs=1)
    parallel = lint_files(files, Settings(), [corpus], jobs=2)
    cold = lint_files(files, Settings(), [corpus], jobs=2, cache_dir=tmp_path / "cache")
    warm = lint_files(files, Settings(), [corpus], jobs=2, cache_dir=tmp_path / "cache")
    assert _found(serial) and _found(serial) == _found(parallel) == _found(cold) == _found(warm)
    assert serial.files == warm.files == len(files)


def test_cache_is_invalidated_by_any_member_or_dependency(tmp_path: Path) -> None:
    project = tmp_path / "p"
    project.mkdir()
    (project / "model.py").write_text(
        "import torch.nn as nn\nclass Net(nn.Module):\n    def __init__(self, h=256):\n        super().__init__()\n        self.rnn = nn.LSTM(8, h, 2, dropout=0.5)\n"
    )
    (project / "train.py").write_text("from model import Net\nnet = Net(h=256)\n")
    cache = tmp_path / "cache"
    only_train = [project / "train.py"]
    assert lint_files(only_train, Settings(), [project], cache_dir=cache).diagnostics == []
    (project / "train.py").write_text("from model import Net\nnet = Net(h=4096)\n")
    assert [d.code for d in lint_files(only_train, Settings(), [project], cache_dir=cache).diagnostics] == ["RNN104"]
    # model.py is not linted itself, but train.py's findings depend on it
    (project / "model.py").write_text((project / "model.py").read_text().replace("nn.LSTM(8, h", "nn.LSTM(8, 300"))
    assert lint_files(only_train, Settings(), [project], cache_dir=cache).diagnostics == []
    # settings are part of the key
    wide = Settings(**{"hidden-size": [64, 128]})
    assert [d.code for d in lint_files(only_train, wide, [project], cache_dir=cache).diagnostics] == ["RNN104"]


def test_corrupt_or_foreign_cache_entries_are_ignored(tmp_path: Path) -> None:
    (tmp_path / "train.py").write_text("import torch.nn as nn\nrnn = nn.LSTM(8, 4096, 2, dropout=0.5)\n")
    cache = tmp_path / "cache"
    first = lint_files([tmp_path / "train.py"], Settings(), [tmp_path], cache_dir=cache)
    entries = list(cache.rglob("*.json"))
    assert len(entries) == 1
    for junk in ("{not json", '{"format": 1, "salt": "other", "deps": {}, "result": {}}', '{"format": 1}', "[]"):
        entries[0].write_text(junk)
        again = lint_files([tmp_path / "train.py"], Settings(), [tmp_path], cache_dir=cache)
        assert _found(again) == _found(first)
    assert clean(cache) >= 1 and not cache.exists()


def test_a_serial_uncached_run_still_goes_group_by_group(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Memory holds one import group's trees at a time: `--no-cache --jobs 1` must not lint the corpus as one unit."""
    from rnnlint import cli
    from rnnlint.run import runner

    for i in range(3):
        (tmp_path / f"train{i}.py").write_text("import torch\nrnn = torch.nn.LSTM(16, 2048)\n")
    seen: list[int] = []
    real = runner._run_group

    def spy(group: runner.Group, settings: object, roots: list[Path]) -> object:
        seen.append(len(group.files))
        return real(group, settings, roots)  # type: ignore[arg-type]

    monkeypatch.setattr(runner, "_run_group", spy)
    assert cli.main(["--no-cache", "--jobs", "1", "--output-format", "concise", str(tmp_path)]) == 1
    assert seen == [1, 1, 1]
