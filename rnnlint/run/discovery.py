"""Which files to lint: explicit files, folders walked with .gitignore and excludes."""

from __future__ import annotations

import contextlib
import json
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path, PurePath
from typing import TYPE_CHECKING, Any

from rnnlint.settings.files import relative_inside

if TYPE_CHECKING:
    import pathspec

    from rnnlint.run.cachefiles import StatTrace

SUFFIXES = (".py", ".ipynb", ".yaml", ".yml", ".json")
# Never descend into these: environments, caches and VCS metadata.
DEFAULT_EXCLUDES = (
    ".git",
    ".hg",
    ".svn",
    ".venv",
    "venv",
    ".env",
    "env",
    "__pycache__",
    "node_modules",
    ".tox",
    ".nox",
    ".mypy_cache",
    ".ruff_cache",
    ".pytest_cache",
    ".rnnlint_cache",
    "build",
    "dist",
    "site-packages",
    ".eggs",
    ".ipynb_checkpoints",
)


class MissingPathError(Exception):
    """A path given on the command line does not exist."""


@dataclass(frozen=True)
class _Ignore:
    root: str  # a resolved folder
    spec: pathspec.GitIgnoreSpec | None  # None: no patterns (most runs' excludes), matches nothing
    anchored_only: bool = True

    def matches(self, path: str, is_dir: bool) -> bool:
        """Does a pattern match ``path`` (resolved), taken relative to ``root``?"""
        if self.spec is None:
            return False
        rel = relative_inside(path, self.root)
        if rel is None:
            if self.anchored_only:
                return False
            rel = PurePath(path.lstrip(os.sep)).as_posix()  # outside the config's folder: unanchored patterns still apply
        return self.spec.match_file(rel + "/" if is_dir else rel)


def _gitignore(folder: str, trace: StatTrace | None = None) -> _Ignore | None:
    f = os.path.join(folder, ".gitignore")
    if not os.path.isfile(f):
        return None
    if trace is not None:
        trace.note(f)
    try:
        with open(f, encoding="utf-8", errors="replace") as handle:
            lines = handle.read().splitlines()
    except OSError:
        return None
    return _Ignore(folder, _spec(lines))


def excluded_by(patterns: list[str], folder: Path) -> _Ignore:
    """``exclude``-style patterns anchored at ``folder`` (resolved): they match nothing outside it."""
    return _Ignore(str(folder), _spec(patterns))


def _spec(lines: list[str]) -> pathspec.GitIgnoreSpec | None:
    """Compiled gitignore patterns; pathspec is imported only when there are some (its import is a fifth of a
    cached run)."""
    if not any(line.strip() and not line.startswith("#") for line in lines):
        return None
    import pathspec

    return pathspec.GitIgnoreSpec.from_lines(lines)


def discover_files(
    targets: list[Path], exclude: list[str], respect_gitignore: bool, base: Path, cache_dir: Path | None
) -> list[Path]:
    """``discover``'s files, remembered in the cache for folder targets while no folder or .gitignore it looked at
    has changed (a run where nothing changed lists no folder and imports no pattern matcher)."""
    if cache_dir is None or not targets or not all(t.is_dir() for t in targets):
        return list(discover(targets, exclude, respect_gitignore, base))
    from rnnlint.run import cachefiles

    key = json.dumps([cachefiles.build_id(), os.getcwd(), [os.fspath(t) for t in targets], exclude, respect_gitignore, str(base)])
    memo = cachefiles.memo_path(cache_dir, key, ".files")
    old = cachefiles.read_json(memo)
    if _still_valid(old, key):
        return [Path(f) for f in old["files"]]
    trace = cachefiles.StatTrace(time.time_ns())
    files = list(discover(targets, exclude, respect_gitignore, base, trace))
    if not trace.racy:
        with contextlib.suppress(OSError):
            cachefiles.write_json(memo.parent, memo, {"key": key, "stats": trace.stats, "files": [os.fspath(f) for f in files]})
    return files


def _still_valid(old: Any, key: str) -> bool:
    from rnnlint.run.cachefiles import unchanged

    try:
        return old["key"] == key and all(isinstance(f, str) for f in old["files"]) and unchanged(old["stats"])
    except (TypeError, KeyError):
        return False


def discover(
    targets: list[Path],
    exclude: list[str],
    respect_gitignore: bool = True,
    base: Path | None = None,
    trace: StatTrace | None = None,
) -> Iterator[Path]:
    """Yield lintable files under ``targets`` in a stable order, each once (``trace`` notes what the walk read)."""
    base = (base or Path.cwd()).resolve()
    excluded = _Ignore(str(base), _spec(exclude), anchored_only=False)
    seen: set[str] = set()  # resolved paths, as strings: the walk meets every entry of the tree
    for target in targets:
        if not target.exists() and not target.is_symlink():
            raise MissingPathError(str(target))
        try:  # issue 7: resolve() raised RuntimeError (an internal error) on a symlink loop given as a path (Python < 3.13)
            real = str(target.resolve())
        except (OSError, RuntimeError):
            raise MissingPathError(f"{target} (a symlink loop)") from None
        if target.is_file():
            if real not in seen:
                seen.add(real)
                yield target
            continue
        ignores = _parent_gitignores(Path(real), trace) if respect_gitignore else []
        seen.add(real)  # a link back to the walked folder is a loop, not more files
        yield from _walk(os.fspath(target), excluded, ignores, respect_gitignore, seen, real, trace)


def _parent_gitignores(folder: Path, trace: StatTrace | None) -> list[_Ignore]:
    out = []
    for parent in reversed(folder.parents):
        if trace is not None:
            trace.note(str(parent))  # a .gitignore or .git made or removed there changes it
        ig = _gitignore(str(parent), trace)
        if ig is not None:
            out.append(ig)
        if (parent / ".git").exists():
            out = [ig] if ig is not None else []
    ig = _gitignore(str(folder), trace)
    return out + ([ig] if ig is not None else [])


def _walk(
    folder: str, excluded: _Ignore, ignores: list[_Ignore], use_git: bool, seen: set[str], real: str, trace: StatTrace | None
) -> Iterator[Path]:
    """``real`` is ``folder`` resolved: an entry that is no symlink resolves to ``real``/name without a syscall."""
    if trace is not None:
        trace.note(real)
    try:
        entries = sorted(os.scandir(folder), key=lambda e: e.name)
    except OSError:
        return
    for entry in entries:
        try:
            is_dir = entry.is_dir()  # a symlink loop raises here (ELOOP): skipped
        except OSError:
            continue
        if entry.name in DEFAULT_EXCLUDES and is_dir:
            continue
        try:
            resolved = os.path.realpath(entry.path) if entry.is_symlink() else os.path.join(real, entry.name)
        except OSError:
            continue
        if excluded.matches(resolved, is_dir) or any(ig.matches(resolved, is_dir) for ig in ignores):
            continue
        if is_dir:
            if resolved in seen:  # symlink loop
                continue
            seen.add(resolved)
            sub = _gitignore(resolved, trace) if use_git else None
            yield from _walk(entry.path, excluded, [*ignores, sub] if sub else ignores, use_git, seen, resolved, trace)
        elif entry.name.endswith(SUFFIXES) and resolved not in seen:
            seen.add(resolved)
            yield Path(entry.path)
