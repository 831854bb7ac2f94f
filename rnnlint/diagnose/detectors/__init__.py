"""The detectors, one function per code (data: the table below), and the order they run in."""

from __future__ import annotations

from collections.abc import Callable

from rnnlint.diagnose.detectors import fit, gradients, loss, overfit_check
from rnnlint.diagnose.findings import Finding, TooShort
from rnnlint.diagnose.run import Run
from rnnlint.diagnose.settings import DiagnoseSettings

Detector = Callable[[Run, DiagnoseSettings], list[Finding | TooShort]]

DETECTORS: dict[str, Detector] = {
    "RNN601": loss.nonfinite,
    "RNN602": loss.diverging,
    "RNN603": gradients.exploding,
    "RNN604": gradients.vanishing,
    "RNN605": fit.plateau,
    "RNN606": fit.overfitting,
    "RNN607": fit.underfitting,
    "RNN608": loss.oscillating,
    "RNN609": fit.slow_convergence,
    "RNN610": overfit_check.not_memorised,
    "RNN611": fit.no_validation,
}
# A tiny-subset run (--overfit-check) is judged only on whether it memorised and whether it broke.
OVERFIT_CHECK_CODES = ("RNN601", "RNN602", "RNN603", "RNN610")
# Symptoms of a broken run that the breaking finding already explains.
MASKED_BY = {
    "RNN607": ("RNN601", "RNN602"),
    "RNN608": ("RNN601", "RNN602"),
    "RNN609": ("RNN601", "RNN602"),
    "RNN605": ("RNN601", "RNN602"),
}


def judge(
    run: Run, settings: DiagnoseSettings, enabled: Callable[[str], bool], overfit_check: bool = False
) -> tuple[list[Finding], list[TooShort]]:
    """Every enabled detector's findings on ``run``, and the verdicts it was too short to give."""
    codes = OVERFIT_CHECK_CODES if overfit_check else tuple(c for c in DETECTORS if c != "RNN610")
    findings: list[Finding] = []
    short: list[TooShort] = []
    for code in codes:
        if not enabled(code):
            continue
        if any(f.code in MASKED_BY.get(code, ()) for f in findings):
            continue
        for verdict in DETECTORS[code](run, settings):
            (findings if isinstance(verdict, Finding) else short).append(verdict)  # type: ignore[arg-type]
    return findings, short
