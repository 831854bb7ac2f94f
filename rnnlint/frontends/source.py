"""Reading Python source text the way the interpreter would (PEP 263, BOM)."""

from __future__ import annotations

import io
import tokenize
from dataclasses import dataclass


@dataclass(frozen=True)
class SourceError:
    """Why a file could not be read or parsed; becomes RNN001."""

    message: str
    line: int = 1
    col: int = 1
    cell: int | None = None  # notebooks: the cell ``line`` counts in


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
