"""Findings: what a detector decided, and the Diagnostic the reporters print for it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from rnnlint.diagnose.run import Point, Run
from rnnlint.diagnostics import Diagnostic, Loc


@dataclass(frozen=True)
class Finding:
    """A detector's verdict: the window that decided it and the numbers it rests on."""

    code: str
    metric: str
    start: Point
    end: Point
    what: str  # the observation with its numbers, e.g. "val_loss rose 31% above its best (0.52 -> 0.68)"
    numbers: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class TooShort:
    """A verdict not given: the run has too few values of ``metric`` to judge ``code``."""

    code: str
    metric: str
    have: int
    need: int


@dataclass(frozen=True)
class RunDiagnostic(Diagnostic):
    """A Diagnostic about a log: its window in steps and epochs, and the numbers behind it."""

    step: int | None = None
    end_step: int | None = None
    epoch: int | None = None
    end_epoch: int | None = None
    metric: str = ""
    numbers: dict[str, float] = field(default_factory=dict, compare=False)
    advice: str = ""


def window_text(start: Point, end: Point) -> str:
    """``epochs 12-30``, ``steps 400-900`` or ``epoch 3`` (what the log counts in)."""
    if start.epoch is not None and end.epoch is not None and start.step is None:
        return f"epoch {start.epoch}" if start.epoch == end.epoch else f"epochs {start.epoch}-{end.epoch}"
    if start.step is not None and end.step is not None:
        span = f"step {start.step}" if start.step == end.step else f"steps {start.step}-{end.step}"
        if start.epoch is not None and end.epoch is not None:
            span += f" (epoch {start.epoch})" if start.epoch == end.epoch else f" (epochs {start.epoch}-{end.epoch})"
        return span
    return "the whole run"


def to_diagnostic(finding: Finding, run: Run, name: str, severity: Any, advice_text: str) -> RunDiagnostic:
    line = finding.start.line or 1
    end_line = max(finding.end.line or line, line)
    message = f"{finding.what} over {window_text(finding.start, finding.end)}; {advice_text}"
    return RunDiagnostic(
        code=finding.code,
        message=message,
        loc=Loc(run.path, line, 1, end_line, 1),
        name=name,
        severity=severity,
        notes=(advice_text,),
        step=finding.start.step,
        end_step=finding.end.step,
        epoch=finding.start.epoch,
        end_epoch=finding.end.epoch,
        metric=run.shown(finding.metric),
        numbers=finding.numbers,
        advice=advice_text,
    )
