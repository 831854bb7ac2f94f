"""A progress bar on stderr for long runs (over 300 files), only when stderr is a terminal.

rich is imported only when a bar is actually shown, so short runs and pipes pay nothing.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Protocol, TextIO

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
