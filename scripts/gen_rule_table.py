#!/usr/bin/env python3
"""Write the README's rule table from the rule docs' front matter (rules/*.md).

    python scripts/gen_rule_table.py            # rewrite the table in README.md
    python scripts/gen_rule_table.py --check    # exit 1 if README.md is stale (CI)

The table sits between ``<!-- rules-table:start -->`` and ``<!-- rules-table:end -->``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from rnnlint.checks.catalogue import catalogue  # noqa: E402  (after the path set-up, so a checkout's own rnnlint is used)

START = "<!-- rules-table:start -->"
END = "<!-- rules-table:end -->"


def _cell(text: str) -> str:
    return " ".join(text.replace("|", "\\|").split())


def table() -> str:
    """The Markdown table, one row per documented rule, linked to its doc."""
    rows = [
        "| Code | Name | Severity | Group | Guideline | Fix | What fires it |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for info in catalogue().values():
        rows.append(
            f"| [{info.code}](rules/{info.code}.md) | `{info.name}` | {info.severity.label} | {info.group} | {_cell(info.guideline)} "
            f"| {_cell(info.fix)} | {_cell(info.summary)} |"
        )
    return "\n".join(rows)


def render(readme: str) -> str:
    """``readme`` with the text between the markers replaced by the current table."""
    if START not in readme or END not in readme or readme.index(START) > readme.index(END):
        raise ValueError(f"the README lacks the markers {START} ... {END}")
    head, rest = readme.split(START, 1)
    _, tail = rest.split(END, 1)
    return f"{head}{START}\n{table()}\n{END}{tail}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--check", action="store_true", help="exit 1 when the README's table is stale; write nothing")
    parser.add_argument("--readme", type=Path, default=ROOT / "README.md", help="the file holding the markers")
    args = parser.parse_args(argv)
    current = args.readme.read_text(encoding="utf-8")
    try:
        wanted = render(current)
    except ValueError as exc:
        print(f"gen_rule_table: {args.readme}: {exc}", file=sys.stderr)
        return 2
    if current == wanted:
        return 0
    if args.check:
        print(f"gen_rule_table: the rule table in {args.readme} is stale; run: python scripts/gen_rule_table.py", file=sys.stderr)
        return 1
    args.readme.write_text(wanted, encoding="utf-8")
    print(f"gen_rule_table: wrote the rule table in {args.readme}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
