"""Fixes inside Jupyter notebooks: edit a code cell's source strings in the .ipynb JSON, nothing else.

Edits arrive in the coordinates of the joined code cells (``Loc.line``/``col``; the cell
fields say the same in cell terms). Each is mapped to an offset in its cell's source
text, the cell text is edited, and only the JSON string elements of that cell's
``"source"`` that changed are re-encoded (one line per element, as nbformat writes
them); keys, indentation, outputs and metadata stay byte for byte. Edits that touch a
blanked magic line or span two cells are not applied.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from rnnlint.diagnostics import Diagnostic, Edit
from rnnlint.fix.textedit import choose, splice
from rnnlint.read.notebook import FLAGS, Notebook, read_notebook
from rnnlint.read.source import SourceError
from rnnlint.read.textpos import line_starts, split_bom

_WS = re.compile(r"[ \t\n\r]*")
_ESCAPED_NON_ASCII = re.compile(r"\\u(?:00[89a-fA-F]|0[1-9a-fA-F][0-9a-fA-F]|[1-9a-fA-F][0-9a-fA-F]{2})[0-9a-fA-F]")
_DECODER = json.JSONDecoder()


@dataclass
class CellSource:
    """A code cell's ``"source"`` in the file: a list of strings, or one string."""

    is_list: bool
    elements: list[tuple[int, int, str]]  # (start, end) of each JSON string in the file text, and its value
    inner: tuple[int, int]  # a list's text between "[" and "]"

    @property
    def text(self) -> str:
        return "".join(v for _, _, v in self.elements)


class _Bad(Exception):
    pass


def _ws(text: str, i: int) -> int:
    m = _WS.match(text, i)
    return m.end() if m else i


def _expect(text: str, i: int, ch: str) -> int:
    if text[i : i + 1] != ch:
        raise _Bad(f"expected {ch!r} at {i}")
    return i + 1


def _value(text: str, i: int) -> tuple[Any, int]:
    try:
        return _DECODER.raw_decode(text, i)
    except (ValueError, RecursionError) as exc:
        raise _Bad(str(exc)) from exc


def _members(text: str, i: int, visit: Callable[[str, int], int]) -> int:
    """Walk an object at ``i``; ``visit(key, at)`` reads each value and returns where it ends."""
    i = _ws(text, _expect(text, i, "{"))
    if text[i : i + 1] == "}":
        return i + 1
    while True:
        key, i = _value(text, i)
        if not isinstance(key, str):
            raise _Bad("key is not a string")
        i = _ws(text, _expect(text, _ws(text, i), ":"))
        i = _ws(text, visit(key, i))
        if text[i : i + 1] == "}":
            return i + 1
        i = _ws(text, _expect(text, i, ","))


def locate(text: str) -> dict[int, CellSource]:
    """Cell number (from 1, over all cells, as the frontend counts) -> its source's place in the file."""
    found: dict[int, CellSource] = {}

    def top(key: str, at: int) -> int:
        if key != "cells":
            return _value(text, at)[1]
        found.clear()  # a repeated "cells" key: the last one counts, as for json.loads
        return _cells(text, at, found)

    try:
        _members(text, _ws(text, 0), top)
    except (_Bad, IndexError, RecursionError):
        return {}
    return found


def _cells(text: str, i: int, found: dict[int, CellSource]) -> int:
    i = _ws(text, _expect(text, i, "["))
    number = 0
    while text[i : i + 1] != "]":
        number += 1
        if text[i : i + 1] == "{":
            info: dict[str, Any] = {}

            def member(key: str, at: int, info: dict[str, Any] = info) -> int:
                if key == "source":
                    info["source"], end = _source(text, at)
                    return end
                value, end = _value(text, at)
                info[key] = value
                return end

            i = _members(text, i, member)
            if info.get("cell_type") == "code" and isinstance(info.get("source"), CellSource):
                found[number] = info["source"]
        else:
            i = _value(text, i)[1]
        i = _ws(text, i)
        if text[i : i + 1] == ",":
            i = _ws(text, i + 1)
        elif text[i : i + 1] != "]":
            raise _Bad("expected , or ]")
    return i + 1


def _source(text: str, i: int) -> tuple[CellSource | None, int]:
    if text[i : i + 1] == '"':
        value, end = _value(text, i)
        return CellSource(False, [(i, end, value)], (i, end)), end
    if text[i : i + 1] != "[":
        return None, _value(text, i)[1]
    start = i + 1
    i = _ws(text, start)
    elements: list[tuple[int, int, str]] = []
    ok = True
    while text[i : i + 1] != "]":
        value, end = _value(text, i)
        ok = ok and isinstance(value, str)
        elements.append((i, end, value if isinstance(value, str) else ""))
        i = _ws(text, end)
        if text[i : i + 1] == ",":
            i = _ws(text, i + 1)
        elif text[i : i + 1] != "]":
            raise _Bad("expected , or ]")
    return (CellSource(True, elements, (start, i)) if ok else None), i + 1


# -- mapping edits -----------------------------------------------------------------------------------
@dataclass
class _Cells:
    notebook: Notebook
    sources: dict[int, CellSource]
    blanked: set[int]  # joined lines whose text is not the cell's (magics)
    starts: dict[int, list[int]]  # cell -> offset of each of its lines in its text

    def offset(self, line: int, col: int, end_of: int | None = None) -> tuple[int, int] | None:
        """(cell, offset in its text) of a joined position; ``end_of`` lets an end fall just past that cell."""
        where = self.notebook.cells
        if end_of is not None and col == 1 and 1 < line <= len(where) + 1 and where[line - 2][0] == end_of:
            if line > len(where) or where[line - 1][0] != end_of:
                return end_of, len(self.sources[end_of].text)  # the end of the cell's last line
        if not 0 < line <= len(where) or (line in self.blanked and (end_of is None or col > 1)):
            return None
        cell, cell_line = where[line - 1]
        if cell not in self.sources or (end_of is not None and cell != end_of):
            return None
        starts = self.starts[cell]
        if cell_line >= len(starts):
            return None
        text = self.sources[cell].text
        line_text = text[starts[cell_line - 1] : starts[cell_line]]
        body = len(line_text.splitlines()[0]) if line_text else 0  # the line without its line break
        return cell, starts[cell_line - 1] + min(col - 1, body)


def _index(data: bytes) -> tuple[str, bytes, _Cells] | None:
    bom, rest = split_bom(data)
    try:
        text = rest.decode("utf-8")
    except UnicodeDecodeError:
        return None
    nb = read_notebook(data)
    if isinstance(nb, SourceError):
        return None
    sources = locate(text)
    joined = nb.source.split("\n")
    blanked: set[int] = set()
    starts: dict[int, list[int]] = {}
    for number, src in sources.items():
        starts[number] = line_starts(src.text.splitlines(keepends=True) or [""])
    for n, (cell, cell_line) in enumerate(nb.cells, start=1):
        found = sources.get(cell)
        if found is None:
            continue
        raw = found.text.splitlines() or [""]
        if cell_line > len(raw) or raw[cell_line - 1] != joined[n - 1]:
            blanked.add(n)
    return text, bom, _Cells(nb, sources, blanked, starts)


def _span(cells: _Cells, edit: Edit) -> tuple[int, int, int] | None:
    start = cells.offset(edit.loc.line, edit.loc.col)
    if start is None:
        return None
    end = cells.offset(edit.loc.end_line, edit.loc.end_col, end_of=start[0])
    if end is None or end[1] < start[1]:
        return None
    return start[0], start[1], end[1]


# -- applying -------------------------------------------------------------------------------------------
def apply(original: bytes, diags: list[Diagnostic]) -> tuple[bytes, list[Diagnostic]]:
    """The notebook with the fixes that map into code cells applied (others wait or are left out)."""
    indexed = _index(original)
    if indexed is None:
        return original, []
    text, bom, cells = indexed
    chosen, applied = choose(diags, lambda e: _span(cells, e))
    if not applied:
        return original, []
    ensure_ascii = text.isascii() and _ESCAPED_NON_ASCII.search(text) is not None
    replacements: list[tuple[int, int, str]] = []
    for number in sorted({region for region, *_ in chosen}):
        src = cells.sources[number]
        newline = "\r\n" if "\r\n" in src.text else "\n"
        edits = [(s, e, content.replace("\n", newline), order) for region, s, e, content, order in chosen if region == number]
        new_text = splice(src.text, edits)
        replacements += _reencode(text, src, new_text, ensure_ascii)
    for s, e, content in sorted(replacements, reverse=True):
        text = text[:s] + content + text[e:]
    return bom + text.encode("utf-8"), applied


def _reencode(text: str, src: CellSource, new_text: str, ensure_ascii: bool) -> list[tuple[int, int, str]]:
    """The JSON replacements that turn ``src`` into ``new_text``, keeping the unchanged elements' bytes."""

    def dump(value: str) -> str:
        return json.dumps(value, ensure_ascii=ensure_ascii)

    if not src.is_list:
        s, e, _ = src.elements[0]
        return [(s, e, dump(new_text))]
    old = [v for _, _, v in src.elements]
    new = new_text.splitlines(keepends=True)  # one line per element, as nbformat splits them
    p = 0
    while p < min(len(old), len(new)) and old[p] == new[p]:
        p += 1
    q = 0
    while q < min(len(old), len(new)) - p and old[-1 - q] == new[-1 - q]:
        q += 1
    old_mid, new_mid = src.elements[p : len(old) - q], new[p : len(new) - q]
    sep = _separator(text, src)
    joined = sep.join(dump(v) for v in new_mid)
    if old_mid and new_mid:
        return [(old_mid[0][0], old_mid[-1][1], joined)]
    if old_mid:  # whole elements removed, with one separator
        if p > 0:
            return [(src.elements[p - 1][1], old_mid[-1][1], "")]
        if q > 0:
            return [(old_mid[0][0], src.elements[len(old) - q][0], "")]
        return [(src.inner[0], src.inner[1], "")]
    if not new_mid:
        return []
    if p > 0:
        at = src.elements[p - 1][1]
        return [(at, at, sep + joined)]
    if q > 0:
        at = src.elements[0][0]
        return [(at, at, joined + sep)]
    return [(src.inner[0], src.inner[1], joined)]


def _separator(text: str, src: CellSource) -> str:
    """The text between two elements of this list (``,\\n    `` as nbformat writes it)."""
    if len(src.elements) >= 2:
        return text[src.elements[0][1] : src.elements[1][0]]
    if src.elements:
        return "," + text[src.inner[0] : src.elements[0][0]]
    return ", "


def valid(data: bytes, original: bytes | None = None) -> bool:
    """Still a notebook, every code cell parses, and (given the original) nothing but code sources changed."""
    nb = read_notebook(data)
    if isinstance(nb, SourceError):
        return False
    before = read_notebook(original) if original is not None else None
    if len(nb.errors) > (len(before.errors) if isinstance(before, Notebook) else 0):
        return False  # a cell that parsed no longer does (the reader blanks broken cells, so the join alone can't tell)
    try:
        compile(nb.source, "<notebook>", "exec", FLAGS)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    if original is None:
        return True
    return bool(_without_code(data) == _without_code(original))


def _without_code(data: bytes) -> Any:
    try:
        doc = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        return None
    for cell in doc.get("cells", []) if isinstance(doc, dict) else []:
        if isinstance(cell, dict) and cell.get("cell_type") == "code":
            cell["source"] = None
    return doc
