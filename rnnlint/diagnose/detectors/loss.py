"""The loss itself: non-finite (RNN601), diverging (RNN602), oscillating (RNN608)."""

from __future__ import annotations

import itertools
from statistics import median

from rnnlint.diagnose.detectors.common import curve, edge, fmt, head, point_at, tail
from rnnlint.diagnose.findings import Finding, TooShort
from rnnlint.diagnose.run import Run
from rnnlint.diagnose.settings import DiagnoseSettings
from rnnlint.diagnose.stats import downsample, smooth, trend

Verdict = Finding | TooShort


def training_loss(run: Run) -> str:
    return "loss" if run.series("loss") else "val_loss"


def nonfinite(run: Run, s: DiagnoseSettings) -> list[Verdict]:
    """A NaN or infinite loss is a fact, not a trend: reported where it first appears."""
    out: list[Verdict] = []
    for name in ("loss", "val_loss"):
        points = run.series(name)
        bad = [i for i, p in enumerate(points) if not p.finite]
        if not bad:
            continue
        first = bad[0]
        last_good = next((points[i].value for i in range(first - 1, -1, -1) if points[i].finite), None)
        before = f" (last finite value {fmt(last_good)})" if last_good is not None else ""
        what = f"{run.shown(name)} became {points[first].value} and was non-finite in {len(bad)} of {len(points)} values{before}"
        out.append(Finding("RNN601", name, points[first], points[-1], what, {"first_index": first, "non_finite": len(bad)}))
    return out


def diverging(run: Run, s: DiagnoseSettings) -> list[Verdict]:
    """The smoothed loss ends far above its best and stays there for the whole last window."""
    name = training_loss(run)
    c = curve(run, name)
    if len(c) < s.min_points:
        return [TooShort("RNN602", name, len(c), s.min_points)] if c.ys else []
    xs, ys = downsample(c.xs, c.ys)
    sm, _ = smooth(ys)
    w = edge(len(sm), s.window)
    best_i = min(range(len(sm)), key=sm.__getitem__)
    best, start = sm[best_i], head(sm, w)
    threshold = best + max(s.divergence_ratio * (start - best), 0.5 * abs(best))
    end_part = sm[-w:]
    if best_i >= len(sm) - w or min(end_part) <= threshold or tail(ys, w) <= threshold:
        return []
    what = (
        f"{run.shown(name)} rose from its best {fmt(best)} to {fmt(tail(ys, w))} (start {fmt(start)}) "
        f"and stayed above {fmt(threshold)} for the last {w} values"
    )
    numbers = {"best": best, "start": start, "end": tail(ys, w), "threshold": threshold}
    return [Finding("RNN602", name, point_at(c, xs[best_i]), c.points[-1], what, numbers)]


def oscillating(run: Run, s: DiagnoseSettings) -> list[Verdict]:
    """In the run's second half the loss swings up and down by more than the progress it made, without settling."""
    name = training_loss(run)
    c = curve(run, name)
    if len(c) < 2 * s.min_points:
        return [TooShort("RNN608", name, len(c), 2 * s.min_points)] if c.ys else []
    xs, ys = downsample(c.xs, c.ys)
    half = len(ys) // 2
    late = ys[half:]
    diffs = [b - a for a, b in itertools.pairwise(late)]
    swing = median(abs(d) for d in diffs)
    flips = sum(1 for a, b in itertools.pairwise(diffs) if a * b < 0) / max(len(diffs) - 1, 1)
    level = median(late)
    start = head(ys, edge(len(ys), s.window))
    progress = max(start - level, 1e-12)
    t = trend(xs[half:], late, s.confidence)
    if swing / progress < s.oscillation or swing < 0.1 * abs(level) or flips < 0.5 or t.falling:
        return []
    what = (
        f"{run.shown(name)} swings by {fmt(swing)} between neighbouring values (median, {flips:.0%} of them reversing) "
        f"around {fmt(level)}, while the run only went from {fmt(start)} to {fmt(level)}"
    )
    numbers = {"swing": swing, "level": level, "start": start, "reversals": flips, "slope": t.slope}
    return [Finding("RNN608", name, point_at(c, xs[half]), c.points[-1], what, numbers)]
