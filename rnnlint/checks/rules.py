"""Every rule, loaded: :func:`run_checks` runs the selected ones on one training unit."""

from __future__ import annotations

from rnnlint.checks import data, losses, model, performance, training  # noqa: F401  (they register their rules)
from rnnlint.checks.registry import REGISTRY
from rnnlint.diagnostics import Diagnostic
from rnnlint.facts import UnitFacts
from rnnlint.settings.model import Settings

__all__ = ["REGISTRY", "run_checks"]


def run_checks(facts: UnitFacts, settings: Settings) -> list[Diagnostic]:
    """Run every selected rule on one unit."""
    out: list[Diagnostic] = []
    if not facts.recurrent:
        return out  # not RNN training code (or its model is out of sight): stay silent
    for code, check in sorted(REGISTRY.items()):
        if not settings.enabled(code):
            continue
        for report in check(facts, settings):
            out.append(Diagnostic(code, report.message, report.loc, fix=report.fix, lowered=report.lowered))
    return out
