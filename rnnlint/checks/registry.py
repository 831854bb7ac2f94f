"""The rule registry: :func:`rule` registers a check under its code; the rule modules fill it when
:mod:`rnnlint.checks.rules` loads them."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from rnnlint.diagnostics import Fix, Loc, Severity
from rnnlint.facts import UnitFacts
from rnnlint.settings.model import Settings


@dataclass(frozen=True)
class Report:
    loc: Loc
    message: str
    fix: Fix | None = None
    lowered: Severity | None = None  # below the rule's severity: the guideline applies only weakly here


Check = Callable[[UnitFacts, Settings], Iterator[Report]]
REGISTRY: dict[str, Check] = {}


def rule(code: str) -> Callable[[Check], Check]:
    """Register ``fn`` as the implementation of ``code``."""

    def register(fn: Check) -> Check:
        REGISTRY[code] = fn
        return fn

    return register
