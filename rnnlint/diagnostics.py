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

    def short(self) -> str:
        return f"{self.path}:{self.line}"


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

    def sort_key(self) -> tuple[str, int, int, str, str]:
        return (self.loc.path, self.loc.line, self.loc.col, self.code, self.message)
