"""What the detectors share: a metric's finite values on one axis, and number formatting."""

from __future__ import annotations

import math
from dataclasses import dataclass
from statistics import median

from rnnlint.diagnose.run import Point, Run


@dataclass(frozen=True)
class Curve:
    """The finite values of one metric before its first non-finite one, with their x (step, else epoch, else index)."""

    name: str
    points: list[Point]
    xs: list[float]
    ys: list[float]

    def __len__(self) -> int:
        return len(self.ys)


def curve(run: Run, name: str) -> Curve:
    points = []
    for p in run.series(name):
        if not p.finite:
            break  # after a NaN the run is broken: RNN601 reports it, the trends judge what came before
        points.append(p)
    use_step = bool(points) and all(p.step is not None for p in points)
    use_epoch = bool(points) and all(p.epoch is not None for p in points)
    xs = [float(p.step if use_step else p.epoch if use_epoch else i) for i, p in enumerate(points)]  # type: ignore[arg-type]
    return Curve(name, points, xs, [p.value for p in points])


def head(ys: list[float], w: int) -> float:
    return median(ys[:w])


def tail(ys: list[float], w: int) -> float:
    return median(ys[-w:])


def fmt(x: float) -> str:
    if not math.isfinite(x):
        return str(x)
    return f"{x:.3g}"


def edge(n: int, window: int) -> int:
    """The width of a run's first and last windows: a tenth of it, at least ``window`` points... when it has them."""
    return max(min(window, n // 2), n // 10, 1)


def point_at(c: Curve, x: float) -> Point:
    """The first point of ``c`` at or after ``x`` (a downsampled block's x is a median of the originals)."""
    from bisect import bisect_left

    return c.points[min(bisect_left(c.xs, x), len(c.points) - 1)]
