"""Robust trend statistics in plain Python (runs are short after downsampling; no numpy needed).

Theil-Sen slope with Sen's confidence bound, the Mann-Kendall trend test, a running
median whose width is chosen from the series' own noise, and block downsampling.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from statistics import NormalDist, median

# A trend test over more points than this would cost n^2 pairs for no extra evidence: blocks first.
MAX_POINTS = 240


@dataclass(frozen=True)
class Trend:
    """Theil-Sen slope per x unit with its (lo, hi) bound, and Mann-Kendall's z and two-sided p."""

    slope: float
    lo: float
    hi: float
    z: float
    p: float
    n: int

    @property
    def rising(self) -> bool:
        return self.lo > 0

    @property
    def falling(self) -> bool:
        return self.hi < 0


def downsample(xs: Sequence[float], ys: Sequence[float], limit: int = MAX_POINTS) -> tuple[list[float], list[float]]:
    """Block medians, so that a long per-step log becomes at most ``limit`` points."""
    n = len(ys)
    if n <= limit:
        return list(xs), list(ys)
    size = math.ceil(n / limit)
    bx, by = [], []
    for start in range(0, n, size):
        bx.append(median(xs[start : start + size]))
        by.append(median(ys[start : start + size]))
    return bx, by


def mann_kendall(ys: Sequence[float]) -> tuple[int, float, float]:
    """(S, z, two-sided p); ties reduce the variance as in Kendall (1975)."""
    n = len(ys)
    s = 0
    for i in range(n - 1):
        yi = ys[i]
        for j in range(i + 1, n):
            d = ys[j] - yi
            s += (d > 0) - (d < 0)
    counts: dict[float, int] = {}
    for y in ys:
        counts[y] = counts.get(y, 0) + 1
    var = (n * (n - 1) * (2 * n + 5) - sum(t * (t - 1) * (2 * t + 5) for t in counts.values())) / 18
    if var <= 0:
        return s, 0.0, 1.0
    z = (s - 1) / math.sqrt(var) if s > 0 else (s + 1) / math.sqrt(var) if s < 0 else 0.0
    p = 2 * (1 - NormalDist().cdf(abs(z)))
    return s, z, p


def trend(xs: Sequence[float], ys: Sequence[float], confidence: float = 0.95) -> Trend:
    """Theil-Sen slope of ``ys`` on ``xs`` with Sen's distribution-free bound at ``confidence``."""
    xs, ys = downsample(xs, ys)
    n = len(ys)
    slopes = sorted((ys[j] - ys[i]) / (xs[j] - xs[i]) for i in range(n - 1) for j in range(i + 1, n) if xs[j] != xs[i])
    _, z, p = mann_kendall(ys)
    if not slopes:
        return Trend(0.0, 0.0, 0.0, z, p, n)
    big_n = len(slopes)
    var = n * (n - 1) * (2 * n + 5) / 18
    c = NormalDist().inv_cdf(0.5 + confidence / 2) * math.sqrt(var)
    lo_i = max(math.floor((big_n - c) / 2), 0)
    hi_i = min(math.ceil((big_n + c) / 2), big_n - 1)
    return Trend(median(slopes), slopes[lo_i], slopes[hi_i], z, p, n)


def noise(ys: Sequence[float]) -> float:
    """Point-to-point noise: the MAD of first differences, scaled to a standard deviation of one point."""
    if len(ys) < 3:
        return 0.0
    diffs = [b - a for a, b in itertools.pairwise(ys)]
    centre = median(diffs)
    return 1.4826 * median(abs(d - centre) for d in diffs) / math.sqrt(2)


def running_median(ys: Sequence[float], width: int) -> list[float]:
    half = width // 2
    return [median(ys[max(0, i - half) : i + half + 1]) for i in range(len(ys))]


def smooth(ys: Sequence[float]) -> tuple[list[float], int]:
    """A running median, as wide as the noise needs: the narrowest odd width whose output
    moves by less than a tenth of the series' range between neighbours (at most n/4)."""
    n = len(ys)
    spread = (max(ys) - min(ys)) if ys else 0.0
    width = 1
    out = list(ys)
    while width + 2 <= max(1, n // 4) and spread > 0:
        rough = median(abs(b - a) for a, b in itertools.pairwise(out)) if n > 1 else 0.0
        if rough <= 0.1 * spread:
            break
        width += 2
        out = running_median(ys, width)
    return out, width
