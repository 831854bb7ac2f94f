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


def scan(source: str) -> Suppressions:
    """Find suppression comments; real comments only, never text inside strings."""
    found = Suppressions()
    lowered = source.lower()
    if "noqa" not in lowered and "rnnlint" not in lowered:
        return found
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(source).readline))
    except (tokenize.TokenError, SyntaxError, IndentationError):
        return found
    for tok in tokens:
        if tok.type != tokenize.COMMENT:
            continue
        for m in _DIRECTIVE.finditer(tok.string):
            if m.group("file"):
                found.whole_file = True
                continue
            raw = m.group("codes") if m.group("codes") is not None else m.group("noqa")
            codes = frozenset(_CODE.findall(raw.upper())) if raw else None
            if codes is not None and not codes:
                codes = None
            line = tok.start[0]
            old = found.lines.get(line, frozenset())
            found.lines[line] = None if codes is None or old is None else old | codes
    return found
