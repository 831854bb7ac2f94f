"""What a selector (``--select``, ``ignore``, ``per-file-ignores``, ``# noqa``-style codes) may name, read from
the catalogue: ``ALL``, a documented code, a prefix of one (``RNN2``), or a rule group from the docs' ``group:``
front matter (``correctness`` ...). A selector that names none of them selects nothing: it is a typo to report
with the closest known name, not a silent no-op."""

from __future__ import annotations

import difflib
from functools import cache

from rnnlint.checks.catalogue import catalogue


@cache
def known_selectors() -> dict[str, str]:
    """Every valid selector, by its upper-case form, as written in its canonical case."""
    known = {"ALL": "ALL"}
    for code, info in catalogue().items():
        for end in range(3, len(code) + 1):  # RNN, RNN2, RNN20, RNN201
            known[code[:end].upper()] = code[:end]
        group = getattr(info, "group", None)  # the docs' `group:` key, where the catalogue reads one
        if isinstance(group, str) and group:
            known[group.upper()] = group
    return known


def unknown_selector(selector: str) -> str | None:
    """None when ``selector`` names at least one rule; else why not, with the closest known selector."""
    wanted = selector.strip().upper()
    known = known_selectors()
    if wanted in known:
        return None
    candidates = [name for name in known if len(name) >= min(len(wanted), 6)] or list(known)
    close = difflib.get_close_matches(wanted, candidates, n=5, cutoff=0.5)
    # a typo is most often one wrong character: among the close names, fewest differing positions first
    close.sort(key=lambda name: sum(a != b for a, b in zip(name, wanted, strict=False)) + abs(len(name) - len(wanted)))
    hint = f"; did you mean {known[close[0]]!r}?" if close else "; `rnnlint rules` lists the codes"
    return f"{selector!r} matches no rule{hint}"
