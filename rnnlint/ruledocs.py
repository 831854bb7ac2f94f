"""The rule docs in ``rules/`` as data: where they are, their front matter, and each rule's group.

Below every stage, because both the settings (``--select correctness``) and the checks' catalogue read them.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

# Rule groups, in the order the human report shows them: what to act on first.
GROUPS: tuple[str, ...] = ("correctness", "suspicious", "guideline", "perf", "advice")
DEFAULT_GROUP = "guideline"  # a doc that names no group (the seed's advice is the product)


def rules_dir() -> Path:
    """Installed wheels carry the docs as ``rnnlint/_rules``; a checkout has ``rules/``."""
    package = Path(__file__).resolve().parent
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
def front_matter() -> dict[str, dict[str, str]]:
    """Every rule doc's front matter, by code."""
    out: dict[str, dict[str, str]] = {}
    for path in sorted(rules_dir().glob("RNN*.md")):
        meta = parse_front_matter(path.read_text(encoding="utf-8"))
        meta["_path"] = str(path)  # the doc's file (its body is read when asked for)
        out[meta.get("code", path.stem)] = meta
    return out


def group_of(code: str) -> str:
    """The group a rule belongs to (``correctness`` ... ``advice``)."""
    group = front_matter().get(code, {}).get("group", DEFAULT_GROUP)
    return group if group in GROUPS else DEFAULT_GROUP
