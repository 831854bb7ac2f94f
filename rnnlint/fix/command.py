"""``--fix`` / ``--unsafe-fixes`` / ``--diff``: lint, fix, lint again until nothing changes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol, TextIO, TypeVar

from rnnlint.diagnostics import Diagnostic
from rnnlint.fix import apply


class Linted(Protocol):
    """A lint run's result (:class:`rnnlint.run.engine.Result`): what the fix loop reads of it."""

    @property
    def diagnostics(self) -> list[Diagnostic]: ...


Result = TypeVar("Result", bound=Linted)

MAX_ROUNDS = 5  # fixes that unlock other fixes converge in a round or two; this bounds a pathological loop


def fix_files(lint: Callable[[], Result], unsafe: bool, diff_only: bool, err: TextIO, out: TextIO) -> tuple[Result, int, bool]:
    """Apply (or, with ``diff_only``, show) fixes; returns the final lint result, fixes applied, and whether a diff was shown."""
    result = lint()
    if diff_only:
        plan = apply.plan(result.diagnostics, unsafe)
        text = apply.diff(plan)
        out.write(text)
        _report_dropped(plan, err)
        return result, plan.applied, bool(text)
    applied = 0
    for _ in range(MAX_ROUNDS):
        plan = apply.plan(result.diagnostics, unsafe)
        written = apply.write(plan)
        _report_dropped(written, err)
        if not written.applied:
            break
        applied += written.applied
        result = lint()
    return result, applied, False


def _report_dropped(outcome: apply.Outcome, err: TextIO) -> None:
    for path, why in outcome.dropped:
        err.write(f"rnnlint: fix not applied to {path}: {why}\n")
