"""What every live callback shares: a growing in-memory run, judged at each epoch's end, and the
actions it asks for (framework-neutral: the callbacks carry them out)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from rnnlint.diagnose.findings import Finding, RunDiagnostic
from rnnlint.diagnose.run import Point, Run
from rnnlint.diagnose.settings import DiagnoseSettings

OnNan = Literal["halve_lr"] | None
OnPlateau = Literal["decay"] | None
OnDivergence = Literal["stop"] | None


@dataclass
class Actions:
    """What the callback should do now."""

    restore_and_halve: bool = False  # D6.1: restore the last good weights, halve the LR
    decay: float | None = None  # D6.2: multiply the LR by this
    stop: bool = False


@dataclass
class LiveJudge:
    on_nan: OnNan = None
    on_plateau: OnPlateau = None
    on_divergence: OnDivergence = None
    settings: DiagnoseSettings = field(default_factory=DiagnoseSettings)
    framework: str = "torch"
    overfit_check: bool = False  # T2 mode: the run trains on a tiny subset; judge whether it memorised it (RNN610)
    run: Run = field(init=False)
    seen: set[tuple[str, int | None]] = field(default_factory=set)
    findings: list[Finding] = field(default_factory=list)
    epoch: int = 0
    step: int = 0

    def __post_init__(self) -> None:
        self.run = Run("<live>", "live", self.framework)

    def log(self, name: str, value: float, per_step: bool = True) -> None:
        self.run.add(name, name, Point(self.step if per_step else None, self.epoch, float(value)))

    def after_step(self, loss: float | None) -> Actions:
        """A non-finite training loss asks for the NaN action at once (a fact, not a trend)."""
        self.step += 1
        if loss is not None and not math.isfinite(loss) and self.on_nan == "halve_lr":
            return Actions(restore_and_halve=True)
        return Actions()

    def end_epoch(self) -> Actions:
        """Judge the run so far; new findings are kept, and the actions asked for are returned."""
        from rnnlint.diagnose.detectors import judge

        self.run.finish()
        found, _ = judge(self.run, self.settings, lambda code: True, self.overfit_check)
        actions = Actions()
        for f in found:
            key = (f.code, f.start.epoch)
            if key in self.seen:
                continue
            self.seen.add(key)
            self.findings.append(f)
            if f.code == "RNN605" and self.on_plateau == "decay":
                actions.decay = self.settings.decay_factor
            if f.code in ("RNN601", "RNN602") and self.on_divergence == "stop":
                actions.stop = True
        self.epoch += 1
        return actions

    def diagnostics(self) -> list[RunDiagnostic]:
        from rnnlint.checks.catalogue import catalogue
        from rnnlint.diagnose.advice import advice
        from rnnlint.diagnose.findings import to_diagnostic

        rules = catalogue()
        return [
            to_diagnostic(f, self.run, rules[f.code].name, rules[f.code].severity, advice(f.code, self.framework, self.settings))
            for f in self.findings
        ]

    def write_report(self, path: Path) -> None:
        """The findings in the linter's JSON, and the curves as a CSV that ``rnnlint diagnose`` reads back."""
        import csv
        import json

        from rnnlint.diagnose.command import as_json

        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps([as_json(d) for d in self.diagnostics()], indent=2) + "\n")
        names = sorted(self.run.metrics)
        rows: dict[tuple[int, int], dict[str, float]] = {}
        for name in names:
            for p in self.run.series(name):
                rows.setdefault((p.epoch or 0, p.step if p.step is not None else -1), {})[name] = p.value
        with path.with_suffix(".csv").open("w", newline="") as fh:
            writer = csv.writer(fh)
            writer.writerow(["epoch", "step", *names])
            for (epoch, step), values in sorted(rows.items()):
                writer.writerow([epoch, step if step >= 0 else "", *(values.get(n, "") for n in names)])
