"""Diagnostics, locations and fixes: what rules return and reporters print."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum
from typing import Literal


class Severity(IntEnum):
    """Ordered so that a threshold compares with ``>=``."""

    INFO = 1
    WARNING = 2
    ERROR = 3

    @property
    def label(self) -> str:
        return self.name.lower()

    @classmethod
    def parse(cls, text: str) -> Severity:
        return cls[text.upper()]


@dataclass(frozen=True, order=True)
class Loc:
    """A source span; lines and columns are 1-based, end column exclusive."""

    path: str
    line: int
    col: int
    end_line: int
    end_col: int
    # Notebooks: ``line`` counts through the joined code cells; these say where that is.
    cell: int | None = None
    cell_line: int = 0
    cell_end_line: int = 0

    def short(self) -> str:
        return f"{self.path}:{self.where()}"

    def where(self) -> str:
        """``12`` in a file, ``cell 3:5`` in a notebook."""
        return f"cell {self.cell}:{self.cell_line}" if self.cell is not None else str(self.line)

    @property
    def shown_line(self) -> int:
        return self.cell_line if self.cell is not None else self.line

    @property
    def shown_end_line(self) -> int:
        return self.cell_end_line if self.cell is not None else self.end_line


@dataclass(frozen=True)
class Edit:
    """Replace the text in ``loc`` with ``content`` (an insertion when empty)."""

    loc: Loc
    content: str


@dataclass(frozen=True)
class Fix:
    """A fix attached to a diagnostic; applied by ``--fix`` (later issue)."""

    applicability: Literal["safe", "unsafe"]
    message: str
    edits: tuple[Edit, ...] = ()


@dataclass(frozen=True)
class Diagnostic:
    """One finding. ``name`` and ``severity`` come from the rule's doc."""

    code: str
    message: str
    loc: Loc
    name: str = ""
    severity: Severity = Severity.WARNING
    fix: Fix | None = None
    notes: tuple[str, ...] = field(default=(), compare=False)
    group: str = field(default="", compare=False)  # the rule's group (correctness ... advice), from its doc
    lowered: Severity | None = field(default=None, compare=False)  # a rule's own lower severity for this finding

    def sort_key(self) -> tuple[str, int, int, str, str]:
        return (self.loc.path, self.loc.line, self.loc.col, self.code, self.message)
