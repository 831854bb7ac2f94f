"""The cache index (each file's stat and digest, the last import grouping) never serves stale findings."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

import pytest

from rnnlint.run import cachefiles, runner
from rnnlint.run.discovery import discover
from rnnlint.run.runner import lint_files
from rnnlint.settings.model import Settings

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"

TRAIN = "import torch.nn as nn\nfrom model import Net\nnet = Net()\nrnn = nn.LSTM(8, {h}, 2, dropout=0.5)\n"
MODEL = "import torch.nn as nn\nclass Net(nn.Module):\n    def __init__(self):\n        super().__init__()\n        self.rnn = nn.LSTM(8, {h}, 2, dropout=0.5)\n"
OTHER = "import torch.nn as nn\nrnn = nn.GRU(8, {h}, 2, dropout=0.5)\n"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "p"
    root.mkdir()
    (root / "train.py").write_text(TRAIN.format(h=256))
    (root / "model.py").write_text(MODEL.format(h=64))
    (root / "other.py").write_text(OTHER.format(h=256))
    return root


@pytest.fixture
def trusting(monkeypatch: pytest.MonkeyPatch) -> None:
    """Trust every stat at once: the files written a moment ago are not racy (as they would be after ~2 s)."""
    monkeypatch.setattr(cachefiles, "RACY_NS", -(10**12))


class Runs:
    """Lints the project with a cache, recording which groups were analysed (cache misses)."""

    def __init__(self, root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        self.root = root
        self.cache = root.parent / "cache"
        self.analysed: list[list[str]] = []
        real = runner._run_group

        def spy(group: runner.Group, settings: Settings, roots: list[Path]) -> Any:
            self.analysed.append(sorted(p.name for p in group.files))
            return real(group, settings, roots)

        monkeypatch.setattr(runner, "_run_group", spy)

    def __call__(self, *names: str) -> list[tuple[str, str, int, str]]:
        """Findings as (file name, code, line, message)."""
        self.analysed = []
        files = [self.root / n for n in names or sorted(p.name for p in self.root.glob("*.py"))]
        result = lint_files(files, Settings(), [self.root], cache_dir=self.cache)
        return [(Path(d.loc.path).name, d.code, d.loc.line, d.message) for d in result.diagnostics]

    def fresh(self, *names: str) -> list[tuple[str, str, int, str]]:
        files = [self.root / n for n in names or sorted(p.name for p in self.root.glob("*.py"))]
        result = lint_files(files, Settings(), [self.root])
        return [(Path(d.loc.path).name, d.code, d.loc.line, d.message) for d in result.diagnostics]

    def index(self) -> Path:
        found = list(self.cache.rglob("*.index"))
        assert len(found) == 1, found
        return found[0]


@pytest.fixture
def runs(project: Path, monkeypatch: pytest.MonkeyPatch) -> Runs:
    return Runs(project, monkeypatch)


def _at(found: list[tuple[str, str, int, str]]) -> list[tuple[str, str, int]]:
    return [f[:3] for f in found]


def _same_size_edit(path: Path, old: str, new: str) -> None:
    """Replace ``old`` by ``new`` (same length) and put the mtime back, as a fast editor or a checkout may."""
    assert len(old) == len(new)
    st = path.stat()
    path.write_text(path.read_text().replace(old, new))
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert path.stat().st_size == st.st_size and path.stat().st_mtime_ns == st.st_mtime_ns


@pytest.mark.usefixtures("trusting")
def test_a_warm_run_with_nothing_changed_reads_no_source_and_matches(runs: Runs, monkeypatch: pytest.MonkeyPatch) -> None:
    first = runs()
    assert sorted(runs.analysed) == [["model.py", "train.py"], ["other.py"]]
    assert first == runs.fresh() and first

    def no_grouping(*args: Any, **kw: Any) -> Any:
        raise AssertionError("the index's grouping should have been used")

    monkeypatch.setattr(runner, "_groups", no_grouping)
    read: list[str] = []
    real_read = runner.read_regular

    def spy_read(path: Path | str) -> bytes:
        read.append(str(path))
        return real_read(path)

    monkeypatch.setattr(runner, "read_regular", spy_read)
    assert runs() == first and runs.analysed == []
    assert not [p for p in read if p.endswith(".py")], read  # only the index and the entries were read


def test_a_same_size_edit_with_the_mtime_put_back_is_caught_in_the_racy_window(runs: Runs) -> None:
    """Written just now, the files are racy: their stats are not trusted, so the edit is seen even though
    size and mtime match (the ctime alone would catch it, but not on every file system)."""
    runs()
    _same_size_edit(runs.root / "other.py", "GRU(8, 256", "GRU(8, 999")
    assert runs() == runs.fresh() and ("other.py", "RNN104", 2) in _at(runs())
    assert runs.analysed == []  # the second run after the edit is served from the cache


def test_a_racy_stat_is_never_trusted_even_when_ctime_cannot_tell(runs: Runs, monkeypatch: pytest.MonkeyPatch) -> None:
    """Same size, same mtime, and a stat that reports the ctime unchanged too (coarse file systems): within the
    racy window the file is hashed again."""
    runs()
    real_stat = os.stat
    frozen = {str(runs.root / "other.py"): real_stat(runs.root / "other.py")}

    def stale_stat(path: Any, *args: Any, **kw: Any) -> os.stat_result:
        return frozen.get(str(path)) or real_stat(path, *args, **kw)

    _same_size_edit(runs.root / "other.py", "GRU(8, 256", "GRU(8, 999")
    monkeypatch.setattr(runner.os, "stat", stale_stat)
    assert ("other.py", "RNN104", 2) in _at(runs())


@pytest.mark.usefixtures("trusting")
def test_a_same_size_edit_outside_the_racy_window_is_caught_by_the_ctime(runs: Runs) -> None:
    runs()
    _same_size_edit(runs.root / "other.py", "GRU(8, 256", "GRU(8, 999")
    assert ("other.py", "RNN104", 2) in _at(runs()) and runs.analysed == [["other.py"]]


@pytest.mark.usefixtures("trusting")
def test_a_changed_file_invalidates_its_group_only(runs: Runs) -> None:
    runs()
    (runs.root / "model.py").write_text(MODEL.format(h=4096))
    assert runs() == runs.fresh() and ("model.py", "RNN104", 5) in _at(runs())
    runs()
    assert runs.analysed == []
    (runs.root / "model.py").write_text(MODEL.format(h=8192))
    runs()
    assert runs.analysed == [["model.py", "train.py"]]  # other.py's group is served from the cache


@pytest.mark.usefixtures("trusting")
def test_deleted_and_added_files(runs: Runs) -> None:
    runs()
    (runs.root / "other.py").unlink()
    assert runs() == runs.fresh() and not [f for f in runs() if f[0] == "other.py"]
    (runs.root / "extra.py").write_text(OTHER.format(h=4096))
    assert runs() == runs.fresh() and ("extra.py", "RNN104", 2) in _at(runs())
    (runs.root / "model.py").unlink()  # imported: train.py's group loses a member
    assert runs() == runs.fresh()


@pytest.mark.usefixtures("trusting")
def test_a_new_module_that_shadows_an_import_regroups(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``pkg/train.py`` imports ``model``: first the root's, then a ``pkg/model.py`` that is not linted itself."""
    root = tmp_path / "p"
    (root / "pkg").mkdir(parents=True)
    (root / "pkg" / "train.py").write_text(TRAIN.format(h=256))
    (root / "model.py").write_text(MODEL.format(h=256))
    runs = Runs(root, monkeypatch)
    files = ("pkg/train.py", "model.py")
    runs(*files)
    assert runs.analysed == [["model.py", "train.py"]]
    (root / "pkg" / "model.py").write_text(MODEL.format(h=4096))
    found = runs(*files)
    assert sorted(runs.analysed) == [["model.py"], ["train.py"]]
    assert found == runs.fresh(*files)


@pytest.mark.usefixtures("trusting")
@pytest.mark.parametrize(
    "content",
    [
        b"",
        b"\x00garbage",
        b"[]",
        b'{"format": 2}',
        b"{" * 50_000,
        None,  # the real index with its grouping's members broken
    ],
)
def test_a_corrupt_index_is_ignored(runs: Runs, content: Any) -> None:
    first = runs()
    index = runs.index()
    if content is None:
        data = json.loads(index.read_text())
        data["groups"]["members"] = ["train.py", [], [1]]
        index.write_text(json.dumps(data))
    else:
        index.write_bytes(content)
    assert runs() == first
    assert runs() == first  # and the index was rewritten in a usable form


def test_the_index_is_not_written_when_nothing_changed(runs: Runs, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cachefiles, "RACY_NS", -(10**12))
    runs()
    index = runs.index()
    before = index.stat().st_mtime_ns, index.stat().st_ino
    runs()
    assert (index.stat().st_mtime_ns, index.stat().st_ino) == before


@pytest.mark.usefixtures("trusting")
def test_the_fixtures_warm_from_the_index_match_a_run_without_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every fixture project (packages, relative imports, configs): the index's grouping gives the same findings."""
    corpus = tmp_path / "corpus"
    shutil.copytree(FIXTURES, corpus, ignore=shutil.ignore_patterns("configs_hostile"))
    files = list(discover([corpus], []))
    fresh = lint_files(files, Settings(), [corpus])
    cache = tmp_path / "cache"
    cold = lint_files(files, Settings(), [corpus], cache_dir=cache)
    monkeypatch.setattr(runner, "_groups", None)  # the warm run must not group again
    warm = lint_files(files, Settings(), [corpus], cache_dir=cache)
    assert _full(fresh) and _full(fresh) == _full(cold) == _full(warm)
    assert fresh.files == warm.files == len(files)


def _full(result: runner.Result) -> list[tuple[Any, ...]]:
    return [(d.code, d.loc, d.message, d.fix) for d in result.diagnostics]
