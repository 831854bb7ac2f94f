"""Rules: small pure functions over a unit's facts, registered by code.

A rule yields :class:`Report` objects; the engine adds the rule's name and
severity from its doc, applies selection and suppressions, and de-duplicates
findings in modules shared by several units.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from rnnlint.diagnostics import Diagnostic, Fix, Loc
from rnnlint.facts import UnitFacts
from rnnlint.settings import Settings


@dataclass(frozen=True)
class Report:
    loc: Loc
    message: str
    fix: Fix | None = None


Check = Callable[[UnitFacts, Settings], Iterator[Report]]
REGISTRY: dict[str, Check] = {}


def rule(code: str) -> Callable[[Check], Check]:
    """Register ``fn`` as the implementation of ``code``."""

    def register(fn: Check) -> Check:
        REGISTRY[code] = fn
        return fn

    return register


def run_checks(facts: UnitFacts, settings: Settings) -> list[Diagnostic]:
    """Run every selected rule on one unit."""
    _load_rules()
    out: list[Diagnostic] = []
    if not facts.recurrent:
        return out  # not RNN training code (or its model is out of sight): stay silent
    for code, check in sorted(REGISTRY.items()):
        if not settings.enabled(code):
            continue
        for report in check(facts, settings):
            out.append(Diagnostic(code, report.message, report.loc, fix=report.fix))
    return out


def _load_rules() -> None:
    from rnnlint.checks import data, losses, model, performance, training  # noqa: F401  (registration)
