"""Rule metadata read from the rule docs in ``rules/`` (the single source of truth).

Each doc starts with flat front matter (``code``, ``name``, ``severity``, ``group``,
``guideline``, ``fix``, ``summary``). The same text backs ``rnnlint rules``,
``rnnlint explain`` and every diagnostic's name and default severity.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

from rnnlint.diagnostics import Severity
from rnnlint.ruledocs import DEFAULT_GROUP, GROUPS, front_matter, parse_front_matter, rules_dir

__all__ = ["RuleInfo", "catalogue", "parse_front_matter", "rules_dir"]


@dataclass(frozen=True)
class RuleInfo:
    code: str
    name: str
    severity: Severity
    guideline: str
    fix: str
    summary: str
    path: Path
    group: str = DEFAULT_GROUP  # correctness | suspicious | guideline | perf | advice

    def body(self) -> str:
        """The doc without its front matter."""
        text = self.path.read_text(encoding="utf-8")
        return text.split("---", 2)[2].lstrip("\n") if text.startswith("---") else text


@cache
def catalogue() -> dict[str, RuleInfo]:
    """Every documented rule, by code."""
    rules: dict[str, RuleInfo] = {}
    for code, meta in front_matter().items():
        group = meta.get("group", DEFAULT_GROUP)
        rules[code] = RuleInfo(
            code,
            meta.get("name", code),
            Severity.parse(meta.get("severity", "warning")),
            meta.get("guideline", "-"),
            meta.get("fix", "none"),
            meta.get("summary", ""),
            Path(meta["_path"]),
            group if group in GROUPS else DEFAULT_GROUP,
        )
    return rules
