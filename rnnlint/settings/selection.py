"""Rule selection: which codes ``select``/``ignore``/``per-file-ignores`` enable for a path, and the error a
config that cannot be used raises. Shared by the plain run settings (:mod:`rnnlint.settings.files`) and the
pydantic model (:mod:`rnnlint.settings.model`), so that neither imports the other for it."""

from __future__ import annotations

import fnmatch
import functools
from pathlib import PurePath
from typing import Protocol

from rnnlint.ruledocs import GROUPS, group_of


class ConfigError(Exception):
    """A config file that cannot be used; the CLI exits 2 with this message."""


class Selects(Protocol):
    @property
    def per_file_ignores(self) -> dict[str, list[str]]: ...

    def enabled(self, code: str, path: str | None = None) -> bool: ...


PathGlobs = tuple[tuple[str, tuple[str, ...]], ...]  # per-file-ignores, hashable: (glob, codes) pairs


def path_globs(per_file_ignores: dict[str, list[str]]) -> PathGlobs:
    return tuple((glob, tuple(codes)) for glob, codes in per_file_ignores.items())


def known_selector(text: str) -> str | None:
    """``text`` as a selector (``ALL``, a code or prefix like ``RNN2``, a group like ``correctness``), normalised;
    None when it is none of them. The one place that says what a selector can be."""
    c = text.strip()
    if c.lower() in GROUPS:
        return c.lower()
    c = c.upper()
    if c == "ALL" or c == "RNN" or (c.startswith("RNN") and c[3:].isdigit()):
        return c
    return None


def selected(code: str, chosen: list[str], ignored: list[str], per_file_ignores: PathGlobs, path: str | None) -> bool:
    """Is ``code`` selected by ``chosen`` and not ignored (for ``path``)? The most specific selector wins, as in
    ruff: a code over a prefix over a group over ``ALL``."""
    best_select = max((specificity(code, c) for c in chosen), default=-1.0)
    if best_select < 0:
        return False
    if path is not None and per_file_ignores:
        ignored = [*ignored, *_path_ignores(path, per_file_ignores)]
    return best_select > max((specificity(code, c) for c in ignored), default=-1.0)


def specificity(code: str, selector: str) -> float:
    """How specifically ``selector`` names ``code``: -1 when it does not; ``ALL``/``RNN`` 3, a group 3.5 (it picks
    rules across families, so any family prefix is more specific), a prefix or code its length."""
    if selector == "ALL":
        return 3.0
    if selector in GROUPS:
        return 3.5 if group_of(code) == selector else -1.0
    return float(len(selector)) if code.startswith(selector) else -1.0


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
