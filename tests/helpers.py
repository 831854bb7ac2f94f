"""Shared test helpers: lint source snippets written to a temporary folder."""

from __future__ import annotations

import textwrap
from pathlib import Path

from rnnlint.diagnostics import Diagnostic
from rnnlint.engine import Linter
from rnnlint.settings import Settings


def lint_files(
    tmp: Path, files: dict[str, str], settings: Settings | None = None, only: list[str] | None = None
) -> list[Diagnostic]:
    """Write ``files`` (name -> source) under ``tmp`` and lint them all; ``only`` lints just those names."""
    for name, text in files.items():
        p = tmp / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(textwrap.dedent(text), encoding="utf-8")
    targets = [tmp / n for n in (only or files)]
    return Linter(settings or Settings(), [tmp]).run(targets).diagnostics


def codes(diags: list[Diagnostic], code: str | None = None) -> list[str]:
    """Codes found, optionally only those starting with ``code``."""
    return [d.code for d in diags if code is None or d.code.startswith(code)]


def lint(tmp: Path, source: str, **kw: object) -> list[Diagnostic]:
    """Lint one script named train.py."""
    return lint_files(tmp, {"train.py": source}, **kw)  # type: ignore[arg-type]
