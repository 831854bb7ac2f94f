"""T2 as a verdict (``--overfit-check``): a tiny training subset must be memorised (RNN610)."""

from __future__ import annotations

from rnnlint.diagnose.detectors.common import curve, edge, fmt, head, tail
from rnnlint.diagnose.findings import Finding, TooShort
from rnnlint.diagnose.run import Run
from rnnlint.diagnose.settings import DiagnoseSettings

Verdict = Finding | TooShort


def not_memorised(run: Run, s: DiagnoseSettings) -> list[Verdict]:
    c = curve(run, "loss")
    if len(c) < s.min_points:
        return [TooShort("RNN610", "loss", len(c), s.min_points)]
    w = edge(len(c), s.window)
    start, end = head(c.ys, w), tail(c.ys, w)
    goal = max(s.memorise_loss, s.memorise_fraction * start)
    if end <= goal:
        return []
    what = (
        f"the small-sample run did not memorise its data: {run.shown('loss')} ended at {fmt(end)} "
        f"(from {fmt(start)}; memorised means below {fmt(goal)}) after {len(c)} values"
    )
    return [Finding("RNN610", "loss", c.points[0], c.points[-1], what, {"start": start, "end": end, "goal": goal})]
