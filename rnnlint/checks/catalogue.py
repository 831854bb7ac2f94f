"""Rule metadata read from the rule docs in ``rules/`` (the single source of truth).

Each doc starts with flat front matter (``code``, ``name``, ``severity``,
``guideline``, ``fix``, ``summary``). The same text backs ``rnnlint rules``,
``rnnlint explain`` and every diagnostic's name and default severity.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

from rnnlint.diagnostics import Severity


@dataclass(frozen=True)
class RuleInfo:
    code: str
    name: str
    severity: Severity
    guideline: str
    fix: str
    summary: str
    path: Path

    def body(self) -> str:
        """The doc without its front matter."""
        text = self.path.read_text(encoding="utf-8")
        return text.split("---", 2)[2].lstrip("\n") if text.startswith("---") else text


def rules_dir() -> Path:
    """Installed wheels carry the docs as ``rnnlint/_rules``; a checkout has ``rules/``."""
    package = Path(__file__).resolve().parent.parent
    packaged = package / "_rules"
    return packaged if packaged.is_dir() else package.parent / "rules"


def parse_front_matter(text: str) -> dict[str, str]:
    """Flat ``key: value`` front matter between ``---`` lines (values may be quoted)."""
    if not text.startswith("---"):
        return {}
    head = text.split("---", 2)[1]
    out: dict[str, str] = {}
    for line in head.splitlines():
        key, sep, value = line.partition(":")
        if sep and key.strip():
            value = value.strip()
            if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
                value = value[1:-1]
            out[key.strip()] = value
    return out


@cache
def catalogue() -> dict[str, RuleInfo]:
    """Every documented rule, by code."""
    rules: dict[str, RuleInfo] = {}
    for path in sorted(rules_dir().glob("RNN*.md")):
        meta = parse_front_matter(path.read_text(encoding="utf-8"))
        code = meta.get("code", path.stem)
        rules[code] = RuleInfo(
            code,
            meta.get("name", code),
            Severity.parse(meta.get("severity", "warning")),
            meta.get("guideline", "-"),
            meta.get("fix", "none"),
            meta.get("summary", ""),
            path,
        )
    return rules
