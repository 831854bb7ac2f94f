"""Shared test helpers: lint source snippets written to a temporary folder."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

from rnnlint.diagnostics import Diagnostic
from rnnlint.run.engine import Linter
from rnnlint.settings.model import Settings


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


# Strict variants for the per-rule tests: a snippet that does not parse fails instead of passing a silent check.
def strict_lint(tmp: Path, source: str, **kw: Any) -> list[Diagnostic]:
    """helpers.lint, but a snippet that does not parse fails the test instead of passing a silent check."""
    diags = lint(tmp, source, **kw)
    assert "RNN001" not in codes(diags), [d.message for d in diags if d.code == "RNN001"]
    return diags


def strict_lint_files(tmp: Path, files: dict[str, str], **kw: Any) -> list[Diagnostic]:
    diags = lint_files(tmp, files, **kw)
    assert "RNN001" not in codes(diags), [d.message for d in diags if d.code == "RNN001"]
    return diags


def line_of(source: str, needle: str, nth: int = 1) -> int:
    """1-based line of the ``nth`` line of ``source`` (dedented as the helpers write it) containing ``needle``."""
    hits = [i for i, text in enumerate(textwrap.dedent(source).splitlines(), 1) if needle in text]
    assert len(hits) >= nth, f"{needle!r} not found {nth} time(s)"
    return hits[nth - 1]


def lines(diags: list[Diagnostic], code: str) -> list[int]:
    return [d.loc.line for d in diags if d.code == code]


def only(diags: list[Diagnostic], code: str) -> Diagnostic:
    found = [d for d in diags if d.code == code]
    assert len(found) == 1, [(d.code, d.loc.line, d.message) for d in diags]
    return found[0]


# A torch script with one finding of each kind the CLI tests look at: ineffective dropout (correctness), a plain RNN
# and hidden size 1024 (guideline), a single unidirectional layer (advice).
BAD_SCRIPT = """\
import torch
import torch.nn as nn

class SentimentClassifier(nn.Module):
    def __init__(self):
        super().__init__()
        self.rnn = nn.RNN(64, 1024, dropout=0.5)

model = SentimentClassifier()
opt = torch.optim.Adam(model.parameters(), lr=1e-3)
for x, y in []:
    opt.zero_grad()
    loss = model(x).sum()
    loss.backward()
    opt.step()
"""
