"""Jupyter notebooks: code cells joined into one module, in order, magics blanked out.

Line numbers of the joined source map back to (cell, line in cell); cells are
numbered from 1 over all cells of the notebook, as they appear.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from rnnlint.read.source import SourceError

# IPython syntax that is not Python: line magics, shell escapes, help, cell magics.
_MAGIC = re.compile(r"^\s*(%|!|\?|[\w.]+\?\??\s*$)")


@dataclass(frozen=True)
class Notebook:
    source: str
    cells: list[tuple[int, int]]  # joined line (1-based) -> (cell number, line in cell)


def read_notebook(data: bytes) -> Notebook | SourceError:
    """Join a notebook's code cells; a notebook that is not valid nbformat JSON is an error."""
    try:
        doc = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        return SourceError(f"not a readable notebook: {exc.__class__.__name__}: {exc}")
    cells = doc.get("cells") if isinstance(doc, dict) else None
    if not isinstance(cells, list):
        return SourceError("not a Jupyter notebook: no list of cells")
    lines: list[str] = []
    where: list[tuple[int, int]] = []
    for number, cell in enumerate(cells, start=1):
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        text = cell.get("source", "")
        if isinstance(text, list):
            text = "".join(str(t) for t in text)
        if not isinstance(text, str):
            return SourceError(f"not a Jupyter notebook: cell {number} has no text source")
        cell_lines = text.splitlines() or [""]
        cell_magic = cell_lines[0].lstrip().startswith("%%")
        for i, line in enumerate(cell_lines, start=1):
            if cell_magic and i == 1:
                line = "pass  # cell magic"
            elif _MAGIC.match(line):
                indent = line[: len(line) - len(line.lstrip())]
                line = f"{indent}pass  # magic"
            lines.append(line)
            where.append((number, i))
    return Notebook("\n".join(lines) + "\n", where)
