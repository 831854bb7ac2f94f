"""Gradient norms: exploding (RNN603) and vanishing (RNN604)."""

from __future__ import annotations

import math
from statistics import median

from rnnlint.diagnose.detectors.common import curve, edge, fmt, head, tail
from rnnlint.diagnose.findings import Finding, TooShort
from rnnlint.diagnose.run import Point, Run
from rnnlint.diagnose.settings import DiagnoseSettings

Verdict = Finding | TooShort


def exploding(run: Run, s: DiagnoseSettings) -> list[Verdict]:
    """Repeated spikes far above the typical norm, norms grown by orders of magnitude, or clipping on most steps."""
    out: list[Verdict] = []
    points = run.series("grad_norm")
    if points:
        if len(points) < s.min_points:
            out.append(TooShort("RNN603", "grad_norm", len(points), s.min_points))
        else:
            finite = [p.value for p in points if p.finite]
            typical = median(finite) if finite else 0.0
            size = max(11, len(points) // 50)
            start_scale = median(finite[:size]) if finite else 0.0
            # Compared with its neighbourhood (the median of its block of the run), not the whole run: early
            # training's large norms are typical for early training; an outlier batch is typical nowhere.
            spikes: list[Point] = []
            for start in range(0, len(points), size):
                block = points[start : start + size]
                values = [p.value for p in block if p.finite]
                # ... and above the scale the run started at: once a run has converged its norms shrink towards zero,
                # and an ordinary step is then many times its tiny neighbours without anything exploding.
                around = max(median(values) if values else 0.0, start_scale)
                spikes.extend(p for p in block if not p.finite or (around > 0 and p.value > s.spike_factor * around))
            if len(spikes) >= s.min_spikes:
                top = max((p.value for p in spikes), key=lambda v: v if math.isfinite(v) else math.inf)
                what = (
                    f"{run.shown('grad_norm')} spiked above {s.spike_factor:g}x the median of their part of the run and the run's starting norm ({fmt(start_scale)}) "
                    f"on {len(spikes)} of {len(points)} steps (largest {fmt(top)})"
                )
                out.append(
                    Finding(
                        "RNN603",
                        "grad_norm",
                        spikes[0],
                        spikes[-1],
                        what,
                        {"median": typical, "start_scale": start_scale, "spikes": len(spikes), "max": top},
                    )
                )
            else:
                c = curve(run, "grad_norm")
                w = edge(len(c), s.window)
                first, last = head(c.ys, w), tail(c.ys, w)
                if first > 0 and last > s.growth_factor * first:
                    what = f"{run.shown('grad_norm')} grew from {fmt(first)} to {fmt(last)} ({last / first:.0f}x, first to last {w} values)"
                    out.append(Finding("RNN603", "grad_norm", c.points[0], c.points[-1], what, {"first": first, "last": last}))
    clip = curve(run, "clip_rate")
    if len(clip) >= s.min_points and not any(f.code == "RNN603" for f in out if isinstance(f, Finding)):
        half = clip.ys[len(clip) // 2 :]
        share = median(half)
        if share >= s.clip_share:
            i0 = len(clip) // 2
            what = f"gradient clipping was active on {share:.0%} of steps (median over the run's second half)"
            out.append(Finding("RNN603", "clip_rate", clip.points[i0], clip.points[-1], what, {"clip_rate": share}))
    return out


def vanishing(run: Run, s: DiagnoseSettings) -> list[Verdict]:
    """Recurrent-weight gradients negligible against input-weight ones, or the norm decaying to nothing while the loss stays high."""
    hh, ih = run.series("grad_norm_hh"), run.series("grad_norm_ih")
    if hh and ih:
        by_step = {p.step: p for p in ih if p.finite}
        pairs = [(p, p.value / by_step[p.step].value) for p in hh if p.finite and p.step in by_step and by_step[p.step].value > 0]
        if len(pairs) < s.min_points:
            return [TooShort("RNN604", "grad_norm_hh", len(pairs), s.min_points)]
        late = pairs[len(pairs) // 2 :]
        ratio = median(r for _, r in late)
        if ratio < s.vanishing_ratio:
            what = (
                f"the recurrent weights' gradient norm was {ratio:.2g}x the input weights' "
                f"(median over the run's second half, below {s.vanishing_ratio:g})"
            )
            return [Finding("RNN604", "grad_norm_hh", late[0][0], late[-1][0], what, {"hh_over_ih": ratio})]
        return []
    c = curve(run, "grad_norm")
    loss = curve(run, "loss")
    if not c.ys:
        return []
    if len(c) < s.min_points or len(loss) < s.min_points:
        return [TooShort("RNN604", "grad_norm", min(len(c), len(loss)), s.min_points)]
    w = edge(len(c), s.window)
    first, last = head(c.ys, w), tail(c.ys, w)
    lw = edge(len(loss), s.window)
    l0, l1 = head(loss.ys, lw), tail(loss.ys, lw)
    if first > 0 and last < s.vanishing_decay * first and l1 > s.underfit_fraction * l0:
        what = (
            f"{run.shown('grad_norm')} decayed from {fmt(first)} to {fmt(last)} while {run.shown('loss')} "
            f"stayed high ({fmt(l0)} -> {fmt(l1)})"
        )
        return [Finding("RNN604", "grad_norm", c.points[0], c.points[-1], what, {"first": first, "last": last, "loss_end": l1})]
    return []
