"""What a selector (``--select``, ``ignore``, ``per-file-ignores``, ``# noqa``-style codes) may name, read from
the catalogue: ``ALL``, a documented code, a prefix of one (``RNN2``), or a rule group from the docs' ``group:``
front matter (``correctness`` ...). A selector that names none of them selects nothing: it is a typo to report
with the closest known name, not a silent no-op."""

from __future__ import annotations

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
    close = closest(wanted, list(known))
    hint = f"; did you mean {known[close]!r}?" if close else "; `rnnlint rules` lists the codes"
    return f"{selector!r} matches no rule{hint}"


_LOOKALIKE = str.maketrans({"O": "0", "I": "1", "L": "1"})  # RNN1O1 is RNN101 typed with a letter O


def closest(wanted: str, known: list[str]) -> str | None:
    """The known selector fewest edits away (at most a third of its length), ties to the longest shared prefix:
    RNN2011 is RNN201 with a key pressed twice, not RNN211."""
    if wanted.startswith("RNN"):
        wanted = "RNN" + wanted[3:].translate(_LOOKALIKE)
    scored = []
    for name in known:
        distance = _edits(wanted, name)
        if distance <= max(1, len(name) // 3):
            prefix = next((i for i, (a, b) in enumerate(zip(wanted, name, strict=False)) if a != b), min(len(wanted), len(name)))
            scored.append((distance, -prefix, -len(name), name))
    return min(scored)[3] if scored else None


def _edits(a: str, b: str) -> int:
    """Levenshtein distance."""
    row = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        prev, row[0] = row[0], i
        for j, cb in enumerate(b, 1):
            prev, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, prev + (ca != cb))
    return row[-1]
