"""Inline suppressions: ``# rnnlint: ignore[CODE]``, ``# noqa: CODE``, ``# rnnlint: ignore-file``."""

from __future__ import annotations

import io
import re
import tokenize
from dataclasses import dataclass, field

_DIRECTIVE = re.compile(
    r"#\s*(?:(?P<file>rnnlint:\s*ignore-file)|rnnlint:\s*ignore(?:\[(?P<codes>[^\]]*)\])?|noqa(?::\s*(?P<noqa>[A-Z0-9,\s]+))?)",
    re.IGNORECASE,
)
_CODE = re.compile(r"[A-Z]+[0-9]*")


@dataclass
class Suppressions:
    whole_file: bool = False
    lines: dict[int, frozenset[str] | None] = field(default_factory=dict)  # None: every code

    def covers(self, code: str, line: int, end_line: int) -> bool:
        """Is ``code`` suppressed on the first or last line of the span?"""
        if self.whole_file:
            return True
        for n in {line, end_line}:
            if n in self.lines:
                codes = self.lines[n]
                if codes is None or any(code.startswith(c) for c in codes):
                    return True
        return False


def _comments(source: str, python: bool) -> list[tuple[int, str]]:
    """(line, comment text): Python comments by tokenizing; YAML comments by `#` after a space."""
    if not python:
        out = []
        for n, line in enumerate(source.splitlines(), start=1):
            m = re.search(r"(^|\s)(#.*)$", line)
            if m:
                out.append((n, m.group(2)))
        return out
    try:
        return [
            (t.start[0], t.string) for t in tokenize.generate_tokens(io.StringIO(source).readline) if t.type == tokenize.COMMENT
        ]
    except (tokenize.TokenError, SyntaxError, IndentationError):
        return []


def scan(source: str, python: bool = True) -> Suppressions:
    """Find suppression comments; real comments only, never text inside strings."""
    found = Suppressions()
    lowered = source.lower()
    if "noqa" not in lowered and "rnnlint" not in lowered:
        return found
    for line, comment in _comments(source, python):
        for m in _DIRECTIVE.finditer(comment):
            if m.group("file"):
                found.whole_file = True
                continue
            raw = m.group("codes") if m.group("codes") is not None else m.group("noqa")
            codes = frozenset(_CODE.findall(raw.upper())) if raw else None
            if codes is not None and not codes:
                codes = None
            old = found.lines.get(line, frozenset())
            found.lines[line] = None if codes is None or old is None else old | codes
    return found
