"""File discovery honours .gitignore files as git does, and ``exclude`` patterns relative to the config's folder."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from rnnlint.run.discovery import SUFFIXES, discover

TREE = {
    ".gitignore": "*.log\nbuild_out/\n/top_only.py\n!keep.log\ngen_*.py\n!gen_keep.py\ndocs/**/draft*.py\n",
    "top_only.py": "",
    "a.py": "",
    "keep.log": "",
    "gen_x.py": "",
    "gen_keep.py": "",
    "cfg.yaml": "",
    "nb.ipynb": "{}",
    "notes.txt": "",
    "build_out/x.py": "",
    "pkg/top_only.py": "",
    "pkg/.gitignore": "local.py\n/anchored.py\n*.yml\n!important.yml\n",
    "pkg/local.py": "",
    "pkg/anchored.py": "",
    "pkg/sub/anchored.py": "",
    "pkg/sub/local.py": "",
    "pkg/sub/m.py": "",
    "pkg/a.yml": "",
    "pkg/important.yml": "",
    "docs/x/y/draft1.py": "",
    "docs/x/y/final.py": "",
    "deep/er/still/here.json": "{}",
    "space name/ok.py": "",
}


def _tree(root: Path) -> None:
    for rel, text in TREE.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def _found(root: Path, **kw: object) -> set[str]:
    return {p.resolve().relative_to(root.resolve()).as_posix() for p in discover([root], **kw)}  # type: ignore[arg-type]


@pytest.mark.skipif(shutil.which("git") is None, reason="git is the oracle")
def test_gitignore_files_are_read_as_git_reads_them(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    _tree(root)
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    listed = subprocess.run(
        ["git", "ls-files", "--others", "--exclude-standard", "-z"], cwd=root, capture_output=True, check=True
    ).stdout.decode().split("\0")
    expected = {p for p in listed if p.endswith(SUFFIXES)}
    assert "pkg/sub/m.py" in expected and "gen_keep.py" in expected and "pkg/anchored.py" not in expected
    assert _found(root, exclude=[], respect_gitignore=True, base=root) == expected
    every = {rel for rel in TREE if rel.endswith(SUFFIXES)}
    assert _found(root, exclude=[], respect_gitignore=False, base=root) == every


def test_exclude_patterns_are_relative_to_the_base_folder(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    _tree(root)
    found = _found(root, exclude=["/a.py", "pkg/sub/", "*.json", "# a comment"], respect_gitignore=False, base=root)
    assert "a.py" not in found and "pkg/sub/m.py" not in found and "deep/er/still/here.json" not in found
    assert "pkg/local.py" in found and "space name/ok.py" in found
    # from a base above the tree, an anchored pattern no longer names the file, an unanchored one still does
    found = _found(root, exclude=["/a.py", "gen_x.py"], respect_gitignore=False, base=tmp_path)
    assert "a.py" in found and "gen_x.py" not in found
    # from a base elsewhere, unanchored patterns still apply
    elsewhere = tmp_path / "other"
    elsewhere.mkdir()
    found = _found(root, exclude=["gen_x.py", "/a.py"], respect_gitignore=False, base=elsewhere)
    assert "gen_x.py" not in found and "a.py" in found


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="no symlinks")
def test_symlinks_are_followed_once_and_loops_skipped(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    (root / "real").mkdir(parents=True)
    (root / "real" / "m.py").write_text("")
    (root / "alias").symlink_to(root / "real")  # the same folder twice: its files once
    (root / "real" / "back").symlink_to(root)  # a loop back to the top
    (root / "self.py").symlink_to(root / "self.py")  # a link to itself
    (root / "dangling.py").symlink_to(root / "nowhere.py")
    files = list(discover([root], [], False, root))
    assert sorted(p.resolve().name for p in files if p.exists()) == ["m.py"]
    assert len([p for p in files if p.name == "m.py"]) == 1


# --- the remembered walk (discover_files with a cache folder) ---


@pytest.fixture
def trusting(monkeypatch: pytest.MonkeyPatch) -> None:
    """Trust every stat at once: the files written a moment ago are not racy (as they would be after ~2 s)."""
    from rnnlint.run import cachefiles

    monkeypatch.setattr(cachefiles, "RACY_NS", -(10**12))


def _names(files: list[Path], root: Path) -> set[str]:
    return {f.resolve().relative_to(root.resolve()).as_posix() for f in files}


def _remembered(root: Path, cache: Path, monkeypatch: pytest.MonkeyPatch) -> set[str]:
    """Files found with the walk forbidden: only the remembered list can answer."""
    from rnnlint.run import discovery

    def no_walk(*args: object, **kw: object) -> object:
        raise AssertionError("walked although nothing changed")

    with monkeypatch.context() as m:
        m.setattr(discovery, "discover", no_walk)
        return _names(discovery.discover_files([root], ["skip_*.py"], True, root, cache), root)


@pytest.mark.usefixtures("trusting")
def test_a_remembered_walk_is_used_only_while_nothing_it_read_changed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from rnnlint.run.discovery import discover_files

    root = tmp_path / "repo"
    _tree(root)
    cache = tmp_path / "cache"

    def fresh() -> set[str]:
        return _names(list(discover([root], ["skip_*.py"], True, root)), root)

    def cached() -> set[str]:
        return _names(discover_files([root], ["skip_*.py"], True, root, cache), root)

    first = cached()
    assert first == fresh() and "pkg/sub/m.py" in first
    assert cached() == first  # the first run made the cache folder next to the tree: a folder above it changed
    assert _remembered(root, cache, monkeypatch) == first
    edits = [
        lambda: (root / "pkg" / "sub" / "new.py").write_text(""),  # a file added deep down
        lambda: (root / "a.py").unlink(),  # a file removed
        lambda: (root / "pkg" / "newdir").mkdir(),  # an empty folder, then a file in it
        lambda: (root / "pkg" / "newdir" / "x.py").write_text(""),
        lambda: (root / "pkg" / ".gitignore").write_text("local.py\n"),  # a .gitignore edited in place
        lambda: (root / "docs" / "x" / ".gitignore").write_text("*.py\n"),  # a .gitignore added
        lambda: (root / "skip_me.py").write_text(""),  # excluded by the patterns: same files, new folder stat
        lambda: (tmp_path / ".gitignore").write_text("repo/gen_keep.py\n"),  # a .gitignore above the walked folder
        lambda: (root / "pkg" / "sub" / "m.py").rename(root / "pkg" / "sub" / "renamed.py"),
    ]
    for edit in edits:
        edit()
        assert cached() == fresh()  # walked again and remembered
        assert _remembered(root, cache, monkeypatch) == fresh()
    assert "pkg/sub/renamed.py" in fresh() and "pkg/anchored.py" in fresh() and "repo/gen_keep.py" not in fresh()


@pytest.mark.usefixtures("trusting")
@pytest.mark.parametrize("content", ["", "[]", "null", '{"key": 1}', '{"key": "x", "stats": {}, "files": ["a.py"]}', "[" * 50_000])
def test_a_damaged_remembered_walk_is_walked_again(tmp_path: Path, content: str) -> None:
    from rnnlint.run.discovery import discover_files

    root = tmp_path / "repo"
    _tree(root)
    cache = tmp_path / "cache"
    expected = _names(discover_files([root], [], True, root, cache), root)
    memos = list(cache.rglob("*.files"))
    assert len(memos) == 1
    memos[0].write_text(content)
    assert _names(discover_files([root], [], True, root, cache), root) == expected


def test_a_walk_of_files_changed_moments_ago_is_not_remembered(tmp_path: Path) -> None:
    from rnnlint.run.discovery import discover_files

    root = tmp_path / "repo"
    _tree(root)  # just written: a same-size edit within the mtime granularity could go unseen, so no memo
    cache = tmp_path / "cache"
    assert _names(discover_files([root], [], True, root, cache), root) == _found(root, exclude=[], respect_gitignore=True, base=root)
    assert not list(cache.rglob("*.files"))
