"""A run as the detectors see it: named metric series of (step, epoch, value) points."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

# Which framework wrote a log decides the advice's spelling (ReduceLROnPlateau vs a torch scheduler).
FRAMEWORKS = ("torch", "lightning", "keras", "rnnlint", "unknown")


@dataclass(frozen=True)
class Point:
    """One logged value. ``line`` is the 1-based line of a text log that holds it."""

    step: int | None
    epoch: int | None
    value: float
    line: int | None = None

    @property
    def finite(self) -> bool:
        return math.isfinite(self.value)


@dataclass
class Run:
    """The metrics of one training run, by canonical name (see :mod:`rnnlint.diagnose.names`)."""

    path: str
    fmt: str
    framework: str = "unknown"
    metrics: dict[str, list[Point]] = field(default_factory=dict)
    raw_names: dict[str, str] = field(default_factory=dict)  # canonical -> the name in the log
    text: str | None = None  # a text log's content, for the report's code frames
    warnings: list[str] = field(default_factory=list)

    def series(self, name: str) -> list[Point]:
        return self.metrics.get(name, [])

    def add(self, name: str, raw: str, point: Point) -> None:
        self.metrics.setdefault(name, []).append(point)
        self.raw_names.setdefault(name, raw)

    def shown(self, name: str) -> str:
        """The metric's name as the log spells it."""
        return self.raw_names.get(name, name)

    def finish(self) -> None:
        """Points in logging order (by step, else epoch); one value per step: a restarted run's
        last, and per-layer gradient norms combined into one L2 norm per step."""
        for name, points in self.metrics.items():
            keyed: dict[float, list[Point]] = {}
            for i, p in enumerate(points):
                key = p.step if p.step is not None else (p.epoch if p.epoch is not None else i)
                keyed.setdefault(float(key), []).append(p)
            merged = []
            for at in sorted(keyed):
                group = keyed[at]
                if name in LAYERED and len(group) > 1:
                    first = group[0]
                    total = math.sqrt(sum(p.value * p.value for p in group))
                    merged.append(Point(first.step, first.epoch, total, first.line))
                else:
                    merged.append(group[-1])
            self.metrics[name] = merged


# Metrics logged once per layer (``grad_norm/lstm.weight_hh_l0``, ``..._l1``) that a run sums as one norm.
LAYERED = frozenset({"grad_norm_hh", "grad_norm_ih"})
