"""A progress bar on stderr for long runs (over 300 files), only when stderr is a terminal.

rich is imported only when a bar is actually shown, so short runs and pipes pay nothing.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Protocol, TextIO

from rnnlint.engine import Linter
from rnnlint.settings import Settings

THRESHOLD = 300


class Bar(Protocol):
    def advance(self, n: int = 1) -> None: ...


class _NoBar:
    def advance(self, n: int = 1) -> None:
        pass


class _RichBar:
    def __init__(self, progress: Any, task: Any) -> None:
        self._progress = progress
        self._task = task

    def advance(self, n: int = 1) -> None:
        self._progress.advance(self._task, n)


def _is_tty(stream: TextIO) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError, OSError):
        return False


@contextmanager
def progress_bar(total: int, stream: TextIO | None = None, threshold: int | None = None) -> Iterator[Bar]:
    """A bar counting linted files when ``total`` exceeds ``threshold`` (300) and ``stream`` (stderr) is a TTY."""
    out = sys.stderr if stream is None else stream
    if total <= (THRESHOLD if threshold is None else threshold) or not _is_tty(out):
        yield _NoBar()
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    console = Console(file=out, force_terminal=True)
    columns = (TextColumn("rnnlint"), BarColumn(), MofNCompleteColumn(), TextColumn("files"), TimeElapsedColumn())
    with Progress(*columns, console=console, transient=True) as progress:
        task = progress.add_task("lint", total=total)
        yield _RichBar(progress, task)


class _CountingLinter(Linter):
    """Advances a bar once per input file (at the engine's relevance scan of it)."""

    bar: Bar = _NoBar()

    def _relevant(self, path: Path, data: bytes, depth: int = 0) -> bool:
        if depth == 0:
            self.bar.advance()
        return super()._relevant(path, data, depth)


def linter_with_progress(settings: Settings, roots: list[Path], bar: Bar) -> Linter:
    """A Linter whose file loop advances ``bar``; a plain Linter when there is no bar to feed."""
    if isinstance(bar, _NoBar):
        return Linter(settings, roots)
    linter = _CountingLinter(settings, roots)
    linter.bar = bar
    return linter
