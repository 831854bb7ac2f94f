"""Which files to lint: explicit files, folders walked with .gitignore and excludes."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pathspec

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
        prefix = self.root if self.root.endswith(os.sep) else self.root + os.sep
        if path.startswith(prefix):
            rel = path[len(prefix) :]
        elif path == self.root:
            rel = "."
        elif self.anchored_only:
            return False
        else:
            rel = path.lstrip(os.sep)  # outside the config's folder: unanchored patterns still apply
        if os.sep != "/":
            rel = rel.replace(os.sep, "/")
        return self.spec.match_file(rel + "/" if is_dir else rel)


def _gitignore(folder: str) -> _Ignore | None:
    f = os.path.join(folder, ".gitignore")
    if not os.path.isfile(f):
        return None
    try:
        with open(f, encoding="utf-8", errors="replace") as handle:
            lines = handle.read().splitlines()
    except OSError:
        return None
    return _Ignore(folder, _spec(lines))


def _spec(lines: list[str]) -> pathspec.GitIgnoreSpec | None:
    """Compiled gitignore patterns; pathspec is imported only when there are some (its import is a fifth of a
    cached run)."""
    if not any(line.strip() and not line.startswith("#") for line in lines):
        return None
    import pathspec

    return pathspec.GitIgnoreSpec.from_lines(lines)


def discover(targets: list[Path], exclude: list[str], respect_gitignore: bool = True, base: Path | None = None) -> Iterator[Path]:
    """Yield lintable files under ``targets`` in a stable order, each once."""
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
        ignores = _parent_gitignores(Path(real)) if respect_gitignore else []
        seen.add(real)  # a link back to the walked folder is a loop, not more files
        yield from _walk(os.fspath(target), excluded, ignores, respect_gitignore, seen, real)


def _parent_gitignores(folder: Path) -> list[_Ignore]:
    out = []
    for parent in reversed(folder.parents):
        ig = _gitignore(str(parent))
        if ig is not None:
            out.append(ig)
        if (parent / ".git").exists():
            out = [ig] if ig is not None else []
    ig = _gitignore(str(folder))
    return out + ([ig] if ig is not None else [])


def _walk(folder: str, excluded: _Ignore, ignores: list[_Ignore], use_git: bool, seen: set[str], real: str) -> Iterator[Path]:
    """``real`` is ``folder`` resolved: an entry that is no symlink resolves to ``real``/name without a syscall."""
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
            sub = _gitignore(resolved) if use_git else None
            yield from _walk(entry.path, excluded, [*ignores, sub] if sub else ignores, use_git, seen, resolved)
        elif entry.name.endswith(SUFFIXES) and resolved not in seen:
            seen.add(resolved)
            yield Path(entry.path)
