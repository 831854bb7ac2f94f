"""Rows for the API table: the row type and helpers shared by the per-framework modules."""

from __future__ import annotations

from typing import Any

# (role, kind, framework, qualified names, signature as Python source, renames to canonical names, extra)
Row = tuple[str, str, str, tuple[str, ...], str, dict[str, str], dict[str, Any]]


def names(prefixes: tuple[str, ...] | str, items: str) -> tuple[str, ...]:
    """Every ``prefix + item`` for whitespace-separated ``items``."""
    if isinstance(prefixes, str):
        prefixes = (prefixes,)
    return tuple(p + n for p in prefixes for n in items.split())
