"""How the curves move together: plateau (RNN605), over- and underfitting (RNN606, RNN607),
slow convergence (RNN609), and no validation curve at all (RNN611)."""

from __future__ import annotations

from bisect import bisect_right
from statistics import median

from rnnlint.diagnose.detectors.common import Curve, curve, edge, fmt, head, point_at, tail
from rnnlint.diagnose.findings import Finding, TooShort
from rnnlint.diagnose.run import Point, Run
from rnnlint.diagnose.settings import DiagnoseSettings
from rnnlint.diagnose.stats import MAX_POINTS, downsample, smooth, trend

Verdict = Finding | TooShort


def _has_validation(run: Run) -> bool:
    return bool(run.series("val_loss") or run.series("val_acc"))


def no_validation(run: Run, s: DiagnoseSettings) -> list[Verdict]:
    if _has_validation(run) or not run.series("loss"):
        return []
    points = run.series("loss")
    logged = ", ".join(sorted(run.shown(n) for n in run.metrics))
    return [Finding("RNN611", "loss", points[0], points[-1], f"the log has no validation metric (it logs: {logged})")]


def _lr_between(run: Run, start: Point, end: Point) -> list[float]:
    """The learning rates logged from ``start`` to ``end`` (by step when both have one, else by epoch)."""
    out = []
    for p in run.series("lr"):
        if start.step is not None and end.step is not None and p.step is not None:
            inside = start.step <= p.step <= end.step
        elif start.epoch is not None and end.epoch is not None and p.epoch is not None:
            inside = start.epoch <= p.epoch <= end.epoch
        else:
            continue
        if inside and p.finite:
            out.append(p.value)
    return out


def plateau(run: Run, s: DiagnoseSettings) -> list[Verdict]:
    """The validation loss has not improved (by ``min-delta`` of its range) for ``patience`` values and the LR stayed fixed."""
    name = "val_loss" if run.series("val_loss") else "loss"
    c = curve(run, name)
    if len(c) < s.min_points:
        return [TooShort("RNN605", name, len(c), s.min_points)] if c.ys else []
    if not run.series("lr"):
        return [TooShort("RNN605", "lr", 0, 1)]  # without the learning rate, "stayed fixed" cannot be seen
    xs, ys = downsample(c.xs, c.ys)
    sm, _ = smooth(ys)
    span = max(sm) - min(sm)
    best = min(sm)
    first_best = next(i for i, v in enumerate(sm) if v <= best + s.min_delta * span)
    stalled = len(sm) - 1 - first_best
    if stalled < s.patience:
        return []
    start, end = point_at(c, xs[first_best]), c.points[-1]
    lrs = _lr_between(run, start, end)
    stalled = sum(1 for x in c.xs if x > xs[first_best])  # in logged values, not the downsampled ones
    if len(lrs) < 2 or max(lrs) > min(lrs) * (1 + 1e-6):
        return []
    what = (
        f"{run.shown(name)} has not improved on {fmt(sm[first_best])} for {stalled} values "
        f"while {run.shown('lr')} stayed at {fmt(lrs[0])}"
    )
    return [Finding("RNN605", name, start, end, what, {"best": sm[first_best], "stalled": stalled, "lr": lrs[0]})]


def _paired(run: Run) -> tuple[list[Point], list[float], list[float]]:
    """(validation points, validation values, training loss at each) — the training loss averaged since the previous validation."""
    val, train = curve(run, "val_loss"), curve(run, "loss")
    if not val.ys or not train.ys:
        return [], [], []
    out_p, out_v, out_t = [], [], []
    by_epoch = all(p.epoch is not None for p in val.points + train.points)
    if by_epoch:
        groups: dict[int | None, list[float]] = {}
        for t in train.points:
            groups.setdefault(t.epoch, []).append(t.value)
    steps = [t.step if t.step is not None else 0 for t in train.points]
    previous = -1
    for p in val.points:
        if by_epoch:
            here = groups.get(p.epoch, [])
        else:
            key = p.step if p.step is not None else 0
            lo, hi = bisect_right(steps, previous), bisect_right(steps, key)
            here = [t.value for t in train.points[lo:hi]]  # the training loss logged since the previous validation
            previous = key
        if here:
            out_p.append(p)
            out_v.append(p.value)
            out_t.append(median(here))
    if len(out_p) > MAX_POINTS:  # one value per block keeps the trend tests cheap on a huge log
        size = -(-len(out_p) // MAX_POINTS)
        out_p, out_v, out_t = (
            out_p[::size],
            [median(out_v[i : i + size]) for i in range(0, len(out_v), size)],
            [median(out_t[i : i + size]) for i in range(0, len(out_t), size)],
        )
    return out_p, out_v, out_t


def overfitting(run: Run, s: DiagnoseSettings) -> list[Verdict]:
    """After its best value the validation loss rises (Theil-Sen bound above 0) by ``overfit-rise``
    while the training loss does not rise: sustained over a window, never one epoch."""
    points, val, train = _paired(run)
    if not run.series("val_loss") or not run.series("loss"):
        return []
    if len(points) < s.min_points:
        return [TooShort("RNN606", "val_loss", len(points), s.min_points)]
    sm, _ = smooth(val)
    best_i = min(range(len(sm)), key=sm.__getitem__)
    window = list(range(best_i, len(sm)))
    if len(window) < s.window:
        return []
    xs = [float(i) for i in window]
    tv = trend(xs, [val[i] for i in window], s.confidence)
    tt = trend(xs, [train[i] for i in window], s.confidence)
    best, end = sm[best_i], tail(val, min(s.window, len(window)))
    rise = (end - best) / max(abs(best), 1e-12)
    if not tv.rising or rise < s.overfit_rise or tt.rising:
        return []
    gap0, gap1 = val[best_i] - train[best_i], end - tail(train, min(s.window, len(window)))
    what = (
        f"{run.shown('val_loss')} rose {rise:.0%} above its best ({fmt(best)} -> {fmt(end)}, slope {fmt(tv.slope)}/value, "
        f"95% bound {fmt(tv.lo)}..{fmt(tv.hi)}) while {run.shown('loss')} did not rise "
        f"({fmt(train[best_i])} -> {fmt(train[-1])}); the gap grew from {fmt(gap0)} to {fmt(gap1)}"
    )
    numbers = {"best": best, "end": end, "rise": rise, "slope": tv.slope, "slope_lo": tv.lo, "gap_start": gap0, "gap_end": gap1}
    return [Finding("RNN606", "val_loss", points[best_i], points[-1], what, numbers)]


def _late_flat(c: Curve, s: DiagnoseSettings) -> tuple[float, float, float, bool]:
    xs, ys = downsample(c.xs, c.ys)
    w = edge(len(ys), s.window)
    start, end = head(ys, w), tail(ys, w)
    half = len(ys) // 2
    t = trend(xs[half:], ys[half:], s.confidence)
    expected_drop = -t.slope * (xs[-1] - xs[half]) if len(xs) > 1 else 0.0
    return start, end, expected_drop, (not t.falling) or expected_drop < 0.05 * abs(end)


def underfitting(run: Run, s: DiagnoseSettings) -> list[Verdict]:
    """The training loss is flat over the run's second half while still above ``underfit-fraction`` of where it started."""
    c = curve(run, "loss")
    if not c.ys:
        return []
    if len(c) < s.min_points:
        return [TooShort("RNN607", "loss", len(c), s.min_points)]
    start, end, drop, flat = _late_flat(c, s)
    if start <= 0 or end < s.underfit_fraction * start or not flat or end > 2 * start:
        return []
    what = (
        f"{run.shown('loss')} went only from {fmt(start)} to {fmt(end)} ({end / start:.0%} of its start) and is flat "
        f"over the second half (it would fall {fmt(drop)} more at that rate)"
    )
    i0 = len(c.points) // 2
    return [Finding("RNN607", "loss", c.points[i0], c.points[-1], what, {"start": start, "end": end, "late_drop": drop})]


def slow_convergence(run: Run, s: DiagnoseSettings) -> list[Verdict]:
    """The loss still falls at the end almost as fast as at the start: another run this long would remove much more."""
    name = "loss" if run.series("loss") else "val_loss"
    c = curve(run, name)
    if not c.ys:
        return []
    if len(c) < s.min_points:
        return [TooShort("RNN609", name, len(c), s.min_points)]
    xs, ys = downsample(c.xs, c.ys)
    third = max(len(ys) // 3, 3)
    early = trend(xs[:third], ys[:third], s.confidence)
    late = trend(xs[-third:], ys[-third:], s.confidence)
    end = tail(ys, edge(len(ys), s.window))
    length = xs[-1] - xs[0]
    remaining = -late.slope * length / max(abs(end), 1e-12)
    if not late.falling or early.slope >= 0 or late.slope / early.slope < s.slow_ratio or remaining < s.slow_remaining:
        return []
    what = (
        f"{run.shown(name)} still falls at {fmt(late.slope)}/step in the last third, {late.slope / early.slope:.0%} of its "
        f"early rate, ending at {fmt(end)}: as long again at that rate would remove {min(remaining, 9.99):.0%} more"
    )
    numbers = {"early_slope": early.slope, "late_slope": late.slope, "end": end, "remaining": remaining}
    return [Finding("RNN609", name, point_at(c, xs[-third]), c.points[-1], what, numbers)]
