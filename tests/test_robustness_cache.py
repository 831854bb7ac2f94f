"""The cache is never trusted blindly, and a cache that cannot be used never fails a run.

Extends tests/test_runner.py: entries written by another rnnlint version, cache format or
settings are ignored even when planted under the current key; entries that are FIFOs,
devices, folders or junk are ignored (without blocking); a cache folder that is a file, a
loop, or cannot be written leaves the findings exactly those of a run without a cache.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rnnlint.run import cachefiles, runner
from rnnlint.run.runner import lint_files
from rnnlint.settings.files import RunSettings
from rnnlint.settings.model import Settings

REPO = Path(__file__).resolve().parent.parent
FIXTURES = REPO / "fixtures"
IS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0
POISON = "POISON: this finding came from a cache entry that must not be trusted"


def _found(result: Any) -> list[tuple[str, str, int, int, str]]:
    return [(d.code, d.loc.path, d.loc.line, d.loc.col, d.message) for d in result.diagnostics]


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, list[tuple[str, str, int, int, str]]]:
    root = tmp_path / "p"
    root.mkdir()
    monkeypatch.chdir(root)  # findings name paths relative to the working directory, as the CLI run below does
    shutil.copy(FIXTURES / "sentiment" / "train.py", root / "train.py")
    fresh = _found(lint_files([root / "train.py"], Settings(), [root]))
    assert fresh
    return root, fresh


def _entry(cache: Path) -> Path:
    """The one findings entry, with the pack removed so that the next run reads the entry itself."""
    entries = list(cache.rglob("*.json"))
    assert len(entries) == 1, entries
    for pack in _packs(cache):
        pack.unlink()
    return entries[0]


def _packs(cache: Path) -> list[Path]:
    return list(cache.rglob("*.pack"))


def _pack(cache: Path) -> Path:
    packs = _packs(cache)
    assert len(packs) == 1, packs
    return packs[0]


def _poisoned(entry: dict[str, Any]) -> dict[str, Any]:
    loc = ["train.py", 1, 1, 1, 2, None, None, None]
    bogus = {"code": "RNN104", "message": POISON, "name": "x", "severity": 2, "loc": loc, "notes": [], "fix": None}
    return {**entry, "result": {"files": 1, "sources": {}, "diagnostics": [bogus]}}


@pytest.mark.parametrize("other", ["version", "format", "settings"])
def test_an_entry_from_another_version_format_or_settings_is_ignored(
    project: tuple[Path, list[Any]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, other: str
) -> None:
    root, fresh = project
    files = [root / "train.py"]
    cache = tmp_path / "cache"
    # The entry the current rnnlint writes: its path is where a foreign entry gets planted.
    lint_files(files, Settings(), [root], cache_dir=cache)
    current = _entry(cache)
    # An entry for the same files, written by another rnnlint.
    foreign_dir = tmp_path / "foreign"
    with monkeypatch.context() as m:
        if other == "version":
            m.setattr(cachefiles, "__version__", "0.0.1-other")
        elif other == "format":
            m.setattr(cachefiles, "CACHE_FORMAT", cachefiles.CACHE_FORMAT + 1)
        written = lint_files(files, Settings(**({"hidden-size": [64, 2048]} if other == "settings" else {})), [root], cache_dir=foreign_dir)
    foreign = json.loads(_entry(foreign_dir).read_text())
    if other == "version":
        assert _entry(foreign_dir).parent.name.startswith("v0.0.1-other-")  # another version uses another folder
    assert _found(written) or other == "settings"
    # Planted under the current key, with findings that the real ones would never include.
    current.write_text(json.dumps(_poisoned(foreign)))
    again = lint_files(files, Settings(), [root], cache_dir=cache)
    assert _found(again) == fresh and POISON not in json.dumps(_found(again))
    assert POISON not in current.read_text()  # and the entry was rewritten with the real findings
    assert _found(lint_files(files, Settings(), [root], cache_dir=cache)) == fresh


def test_a_genuine_entry_is_used(project: tuple[Path, list[Any]], tmp_path: Path) -> None:
    """Control for the test above: the same poisoning with the current salt and format is a cache hit."""
    root, _ = project
    cache = tmp_path / "cache"
    lint_files([root / "train.py"], Settings(), [root], cache_dir=cache)
    entry = _entry(cache)
    entry.write_text(json.dumps(_poisoned(json.loads(entry.read_text()))))
    assert POISON in json.dumps(_found(lint_files([root / "train.py"], Settings(), [root], cache_dir=cache)))


@pytest.mark.parametrize("salt", ["current", "foreign"])
def test_a_pack_is_used_only_under_its_own_salt(project: tuple[Path, list[Any]], tmp_path: Path, salt: str) -> None:
    """One file with the last run's entries: read instead of each entry, trusted exactly as they are."""
    root, fresh = project
    cache = tmp_path / "cache"
    lint_files([root / "train.py"], Settings(), [root], cache_dir=cache)
    pack = _pack(cache)
    data = json.loads(pack.read_text())
    assert len(data["entries"]) == 1
    data["entries"] = {key: _poisoned(entry) for key, entry in data["entries"].items()}
    if salt == "foreign":
        data["salt"] = "0" * 64
    pack.write_text(json.dumps(data))
    again = _found(lint_files([root / "train.py"], Settings(), [root], cache_dir=cache))
    assert (POISON in json.dumps(again)) == (salt == "current")  # the control: a genuine pack is read, not the entry
    assert salt == "current" or again == fresh


def _plant(entry: Path, kind: str) -> None:
    entry.unlink()
    if kind == "fifo":
        os.mkfifo(entry)
    elif kind == "dev-zero":
        entry.symlink_to("/dev/zero")
    elif kind == "folder":
        entry.mkdir()
    elif kind == "loop":
        entry.symlink_to(entry.name)
    elif kind == "binary":
        entry.write_bytes(bytes(range(256)) * 64)
    elif kind == "empty":
        entry.write_bytes(b"")
    elif kind == "deep":
        entry.write_text("[" * 100_000 + "]" * 100_000)
    elif kind == "huge-number":
        entry.write_text('{"format": 1e999999, "salt": null}')


ENTRY_KINDS = ["fifo", "dev-zero", "folder", "loop", "binary", "empty", "deep", "huge-number"]


@pytest.mark.parametrize("where", ["entry", "pack"])
@pytest.mark.parametrize("kind", ENTRY_KINDS)
def test_an_entry_that_is_not_a_cache_file_is_ignored_without_blocking(
    project: tuple[Path, list[Any]], tmp_path: Path, kind: str, where: str
) -> None:
    if kind == "fifo" and not hasattr(os, "mkfifo"):
        pytest.skip("no FIFOs on this platform")
    if kind == "dev-zero" and not Path("/dev/zero").exists():
        pytest.skip("no /dev/zero")
    root, fresh = project
    cache = tmp_path / "cache"
    lint_files([root / "train.py"], Settings(), [root], cache_dir=cache)
    _plant(_pack(cache) if where == "pack" else _entry(cache), kind)
    # Through the CLI, with a timeout: a FIFO read would block forever, /dev/zero would fill memory.
    cmd = [sys.executable, "-m", "rnnlint", "train.py", "--isolated", "--output-format", "json", "--cache-dir", str(cache)]
    done = subprocess.run(cmd, cwd=root, capture_output=True, text=True, timeout=60, env={**os.environ, "PYTHONPATH": str(REPO)})
    assert done.returncode == 1, done.stderr
    got = [(f["code"], f["path"], f["line"], f["column"], f["message"]) for f in json.loads(done.stdout)]
    assert got == fresh


def _bad_cache_dir(tmp_path: Path, kind: str) -> Path:
    if kind == "a file":
        target = tmp_path / "cachefile"
        target.write_text("not a folder\n")
    elif kind == "a symlink loop":
        target = tmp_path / "cacheloop"
        target.symlink_to("cacheloop")
    elif kind == "a dangling symlink":
        target = tmp_path / "cachelink"
        target.symlink_to(tmp_path / "nowhere" / "deeper")
    elif kind == "/proc (unwritable, even by root)":
        target = Path("/proc")
    elif kind == "a read-only folder":
        target = tmp_path / "ro"
        target.mkdir()
        target.chmod(0o555)
    else:
        raise AssertionError(kind)
    return target


BAD_DIRS = [
    "a file",
    "a symlink loop",
    "a dangling symlink",
    pytest.param("/proc (unwritable, even by root)", marks=pytest.mark.skipif(not Path("/proc/self").is_dir(), reason="no /proc")),
    pytest.param("a read-only folder", marks=pytest.mark.skipif(IS_ROOT, reason="running as root: permissions do not stop writes")),
]


@pytest.mark.parametrize("kind", BAD_DIRS)
def test_a_cache_dir_that_cannot_be_used_still_gives_the_findings(project: tuple[Path, list[Any]], tmp_path: Path, kind: str) -> None:
    root, fresh = project
    cache = _bad_cache_dir(tmp_path, kind)
    before = cache.read_bytes() if cache.is_file() else None
    cmd = [sys.executable, "-m", "rnnlint", "train.py", "--isolated", "--output-format", "json", "--cache-dir", str(cache)]
    try:
        for _ in range(2):  # a cold run and a "warm" one
            done = subprocess.run(cmd, cwd=root, capture_output=True, text=True, timeout=60, env={**os.environ, "PYTHONPATH": str(REPO)})
            assert done.returncode == 1, done.stderr
            assert "internal error" not in done.stderr and "Traceback" not in done.stderr
            assert [(f["code"], f["path"], f["line"], f["column"], f["message"]) for f in json.loads(done.stdout)] == fresh
    finally:
        if kind == "a read-only folder":
            cache.chmod(0o755)
    if before is not None:
        assert cache.read_bytes() == before  # a file in the cache's place is never overwritten
    if kind == "a read-only folder":
        assert list(cache.iterdir()) == []


def test_a_cache_whose_writes_fail_midway_still_gives_the_findings(
    project: tuple[Path, list[Any]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """For root too: every way a write can fail (no temporary file, no rename, full disk)."""
    root, fresh = project

    def refuse(*args: Any, **kw: Any) -> Any:
        raise PermissionError(13, "Permission denied")

    for target, name in ((tempfile, "mkstemp"), (os, "replace"), (json, "dump")):
        cache = tmp_path / f"cache-{name}"
        with monkeypatch.context() as m:
            m.setattr(target, name, refuse)
            first = lint_files([root / "train.py"], Settings(), [root], cache_dir=cache)
            second = lint_files([root / "train.py"], Settings(), [root], cache_dir=cache)
        assert _found(first) == _found(second) == fresh
        assert not list(cache.rglob("*.json")), "no entry may exist after a failed write"


def test_a_read_only_cache_with_valid_entries_is_still_read(project: tuple[Path, list[Any]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root, _ = project
    cache = tmp_path / "cache"
    lint_files([root / "train.py"], Settings(), [root], cache_dir=cache)
    entry = _entry(cache)
    entry.write_text(json.dumps(_poisoned(json.loads(entry.read_text()))))  # marks a hit

    def refuse(*args: Any, **kw: Any) -> Any:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(tempfile, "mkstemp", refuse)
    assert POISON in json.dumps(_found(lint_files([root / "train.py"], Settings(), [root], cache_dir=cache)))


def test_a_dependency_replaced_by_a_fifo_is_a_miss_not_a_hang(tmp_path: Path) -> None:
    if not hasattr(os, "mkfifo"):
        pytest.skip("no FIFOs on this platform")
    root = tmp_path / "p"
    root.mkdir()
    (root / "model.py").write_text("import torch.nn as nn\nclass Net(nn.Module):\n    def __init__(self, h=4096):\n        super().__init__()\n        self.rnn = nn.LSTM(8, h, 2, dropout=0.5)\n")
    (root / "train.py").write_text("from model import Net\nnet = Net()\n")
    cache = tmp_path / "cache"
    first = lint_files([root / "train.py"], Settings(), [root], cache_dir=cache)
    assert [d.code for d in first.diagnostics] == ["RNN104"]
    (root / "model.py").unlink()
    os.mkfifo(root / "model.py")
    cmd = [sys.executable, "-m", "rnnlint", "train.py", "--isolated", "--output-format", "json", "--cache-dir", str(cache)]
    done = subprocess.run(cmd, cwd=root, capture_output=True, text=True, timeout=60, env={**os.environ, "PYTHONPATH": str(REPO)})
    assert done.returncode == 0 and json.loads(done.stdout) == [], done.stderr  # model.py is gone as a module: nothing to report


def test_a_run_from_another_folder_never_reuses_paths_relative_to_the_first(tmp_path: Path) -> None:
    """Regression (found for issue 7): the key had no working directory, but cached findings name paths relative
    to it, so a run from another folder reported the first run's paths and --fix edited the file they named there."""
    (tmp_path / "sub" / "sub").mkdir(parents=True)
    (tmp_path / "pyproject.toml").write_text("[tool.rnnlint]\n")  # one config, so one default cache for the whole tree
    shutil.copy(FIXTURES / "sentiment" / "train.py", tmp_path / "sub" / "train.py")
    other = (FIXTURES / "sentiment" / "train.py").read_bytes().replace(b"lr=0.05", b"lr=0.01")
    (tmp_path / "sub" / "sub" / "train.py").write_bytes(other)  # an older experiment, never named on the command line
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    rnnlint = [sys.executable, "-m", "rnnlint"]
    subprocess.run([*rnnlint, "sub/train.py"], cwd=tmp_path, env=env, capture_output=True, timeout=60, check=False)
    done = subprocess.run([*rnnlint, "train.py", "--fix"], cwd=tmp_path / "sub", env=env, capture_output=True, text=True, timeout=60, check=False)
    assert (tmp_path / "sub" / "sub" / "train.py").read_bytes() == other, "a file that was never linted was edited"
    assert b"clip_grad_norm_" in (tmp_path / "sub" / "train.py").read_bytes(), done.stderr


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=20,
)
DIAGNOSTIC = st.fixed_dictionaries(
    {},
    optional={
        "code": JSON,
        "message": JSON,
        "name": JSON,
        "severity": st.integers(-3, 5) | JSON,
        "loc": st.lists(JSON, max_size=9),
        "notes": JSON,
        "fix": st.none() | st.fixed_dictionaries({}, optional={"applicability": JSON, "message": JSON, "edits": st.lists(JSON, max_size=2)}),
    },
)
RESULT = st.fixed_dictionaries({}, optional={"files": JSON, "sources": JSON, "diagnostics": st.lists(DIAGNOSTIC, max_size=3) | JSON})


@settings(max_examples=300, derandomize=True, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(result=RESULT, deps=st.dictionaries(st.text(max_size=5), JSON, max_size=2) | JSON, fmt=st.just(cachefiles.CACHE_FORMAT) | JSON)
def test_an_entry_with_the_right_salt_and_any_shape_never_raises(tmp_path_factory: pytest.TempPathFactory, result: Any, deps: Any, fmt: Any) -> None:
    folder = tmp_path_factory.getbasetemp() / "fuzzed-cache"
    cache = runner._Cache(folder, RunSettings.of(Settings()))
    group = runner.Group([Path("train.py")], {"/x/train.py": b"import torch\n"})
    path = cache.folder / f"{cache._key(group)}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"format": fmt, "salt": cache.salt, "deps": deps, "result": result}))
    hit = cache.get(group)  # None (ignored) or a Result: never an exception
    assert hit is None or isinstance(hit, runner.Result)


def test_editing_rnnlint_itself_invalidates_the_cache() -> None:
    """An editable install: same version number, new code; findings cached by the old code must not be served."""
    from rnnlint.checks.catalogue import rules_dir

    cachefiles.build_id.cache_clear()
    before = cachefiles.build_id()
    doc = sorted(rules_dir().glob("*.md"))[0]
    stat = doc.stat()
    try:
        os.utime(doc, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
        cachefiles.build_id.cache_clear()
        assert cachefiles.build_id() != before
    finally:
        os.utime(doc, ns=(stat.st_atime_ns, stat.st_mtime_ns))
        cachefiles.build_id.cache_clear()
    assert cachefiles.build_id() == before
