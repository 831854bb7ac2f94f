"""File discovery honours .gitignore files as git does, and ``exclude`` patterns relative to the config's folder."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from rnnlint.discovery import SUFFIXES, discover

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
