"""Reading Python source text the way the interpreter would (PEP 263, BOM)."""

from __future__ import annotations

import errno
import io
import os
import re
import stat
import tokenize
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class SourceError:
    """Why a file could not be read or parsed; becomes RNN001."""

    message: str
    line: int = 1
    col: int = 1
    cell: int | None = None  # notebooks: the cell ``line`` counts in
    internal: bool = False  # rnnlint's own failure on a file that is fine: a notice on stderr, never RNN001


def read_regular(path: Path | str) -> bytes:
    """Read a file's bytes; anything but a regular file is an OSError.

    Robustness fix (issue 7): ``Path.read_bytes()`` on a FIFO named ``x.py`` blocks
    forever waiting for a writer, so a lint run hung. Opening with O_NONBLOCK returns at
    once for a FIFO, and fstat tells it apart from a regular file (where O_NONBLOCK has
    no effect).
    """
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    with os.fdopen(fd, "rb") as handle:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise OSError(errno.EINVAL, "not a regular file", str(path))
        return handle.read()


_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+\Z")


def python_lines(text: str, keepends: bool = False) -> list[str]:
    """The lines of ``text`` as Python numbers them: only ``\\n``, ``\\r\\n`` and ``\\r`` end a line.

    Robustness fix (issue 7): ``str.splitlines()`` also splits at form feeds, ``\\v``,
    ``\\x1c``-``\\x1e``, ``\\x85`` and U+2028/U+2029, so after one of them (a form feed
    in a comment) its line N was not ast's line N, and ``--fix`` edited the wrong lines:
    it deleted code and still produced a file that parses.
    """
    lines = _LINE.findall(text)
    if keepends:
        return lines
    return [line[:-2] if line.endswith("\r\n") else line.rstrip("\r\n") for line in lines]


def decode(data: bytes) -> str | SourceError:
    """Decode bytes per their coding cookie or BOM; binary data is an error."""
    if b"\x00" in data:
        return SourceError("file contains NUL bytes: not Python source")
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    except SyntaxError as exc:
        return SourceError(f"cannot determine encoding: {exc}")
    try:
        text = data.decode(encoding)
    except (UnicodeDecodeError, LookupError) as exc:
        return SourceError(f"cannot decode as {encoding}: {exc.__class__.__name__}")
    return text.removeprefix("\ufeff")


def char_col(line_text: str, byte_col: int) -> int:
    """Convert ast's UTF-8 byte offset into a character offset on that line."""
    if line_text.isascii():
        return byte_col
    return len(line_text.encode("utf-8")[:byte_col].decode("utf-8", errors="replace"))
