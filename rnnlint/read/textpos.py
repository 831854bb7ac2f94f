"""Positions in text: 1-based (line, column) to offsets, line starts, and the UTF-8 byte-order mark. Shared by
the readers' position bookkeeping, the fix sites and the fix appliers."""

from __future__ import annotations

from collections.abc import Iterable

BOM = b"\xef\xbb\xbf"


def split_bom(data: bytes) -> tuple[bytes, bytes]:
    """(the UTF-8 byte-order mark or b"", the rest): fixed files keep the mark they had."""
    return (BOM, data[len(BOM) :]) if data.startswith(BOM) else (b"", data)


def line_starts(lines: Iterable[str]) -> list[int]:
    """The offset where each line starts (lines with their line breaks), then the text's length."""
    starts = [0]
    for line in lines:
        starts.append(starts[-1] + len(line))
    return starts


def offset(starts: list[int], text: str, line: int, col: int) -> int:
    """A 1-based (line, column) as an offset into ``text``; past the last line is the end of the text."""
    if line - 1 >= len(starts) - 1:
        return len(text)
    return min(starts[line - 1] + col - 1, len(text))
