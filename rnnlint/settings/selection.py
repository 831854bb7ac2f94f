"""Rule selection: which codes ``select``/``ignore``/``per-file-ignores`` enable for a path, and the error a
config that cannot be used raises. Shared by the plain run settings (:mod:`rnnlint.settings.files`) and the
pydantic model (:mod:`rnnlint.settings.model`), so that neither imports the other for it."""

from __future__ import annotations

import fnmatch
import functools
from pathlib import PurePath
from typing import Protocol


class ConfigError(Exception):
    """A config file that cannot be used; the CLI exits 2 with this message."""


class Selects(Protocol):
    @property
    def per_file_ignores(self) -> dict[str, list[str]]: ...

    def enabled(self, code: str, path: str | None = None) -> bool: ...


PathGlobs = tuple[tuple[str, tuple[str, ...]], ...]  # per-file-ignores, hashable: (glob, codes) pairs


def path_globs(per_file_ignores: dict[str, list[str]]) -> PathGlobs:
    return tuple((glob, tuple(codes)) for glob, codes in per_file_ignores.items())


def selected(code: str, chosen: list[str], ignored: list[str], per_file_ignores: PathGlobs, path: str | None) -> bool:
    """Is ``code`` selected by ``chosen`` and not ignored (for ``path``)? The most specific prefix wins, as in ruff."""
    best_select = max((len(c) for c in chosen if _matches(code, c)), default=-1)
    if best_select < 0:
        return False
    if path is not None and per_file_ignores:
        ignored = [*ignored, *_path_ignores(path, per_file_ignores)]
    return best_select > max((len(c) for c in ignored if _matches(code, c)), default=-1)


def _matches(code: str, prefix: str) -> bool:
    return prefix == "ALL" or code.startswith(prefix)


@functools.lru_cache(maxsize=4096)
def _path_ignores(path: str, per_file_ignores: PathGlobs) -> tuple[str, ...]:
    """The codes that the per-file-ignores globs matching ``path`` (its POSIX form, or its name) ignore: asked for
    every finding, the same few paths each time."""
    pure = PurePath(path)
    posix, name = pure.as_posix(), pure.name
    return tuple(
        code
        for pattern, codes in per_file_ignores
        if fnmatch.fnmatch(posix, pattern) or fnmatch.fnmatch(name, pattern)
        for code in codes
    )
