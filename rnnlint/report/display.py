"""What the human report shows first: findings ordered by group (bugs, then likely bugs, guidelines,
performance), and the advice group folded into one count unless asked for.

Machine formats (JSON, SARIF, JUnit, ...) carry every finding with its group; only ``full`` and ``concise``
are arranged here, because a reader acts on the first screen.
"""

from __future__ import annotations

from collections.abc import Sequence

from rnnlint.diagnostics import Diagnostic, Severity
from rnnlint.ruledocs import GROUPS
from rnnlint.settings.selection import specificity

ARRANGED_FORMATS = ("full", "concise")
_RANK = {g: i for i, g in enumerate(GROUPS)}


def arrange(
    diags: list[Diagnostic], show_advice: bool, threshold: str, selectors: Sequence[str] = ()
) -> tuple[list[Diagnostic], int]:
    """The findings to list, most actionable group first (each group in file order), and how many advice
    findings were folded. Advice is listed when asked for: ``show_advice``, a severity threshold of ``info``
    (then advice can fail the run, so it must be seen), or a selector that names it more precisely than
    ``ALL`` (``--select advice``, ``--select RNN103``)."""
    show = show_advice or Severity.parse(threshold) <= Severity.INFO
    kept = [d for d in diags if show or not is_advice(d) or any(specificity(d.code, s) > 3 for s in selectors)]
    kept.sort(key=lambda d: (_RANK.get(d.group, len(GROUPS)), *d.sort_key()))
    return kept, len(diags) - len(kept)


def is_advice(d: Diagnostic) -> bool:
    """The advice group, and any finding at ``info`` (a guideline its rule found only weakly applicable, a
    performance hint): hints, not things to act on first."""
    return d.group == "advice" or d.severity <= Severity.INFO


def folded_line(count: int) -> str:
    """The one line that stands for the folded advice."""
    s = "" if count == 1 else "s"
    return f"{count} advice finding{s} not shown (info-level hints); --show-advice lists them"
