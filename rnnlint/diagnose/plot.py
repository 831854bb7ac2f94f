"""``--plot out.png``: each run's curves, with the window that decided each finding shaded (matplotlib)."""

from __future__ import annotations

from pathlib import Path

from rnnlint.diagnose.findings import RunDiagnostic
from rnnlint.diagnose.run import Point, Run

CURVES = ("loss", "val_loss", "grad_norm", "lr")


class PlotError(Exception):
    pass


def _x(p: Point, i: int, by_step: bool) -> float:
    if by_step and p.step is not None:
        return float(p.step)
    return float(p.epoch if p.epoch is not None else i)


def plot_runs(runs: list[Run], diags: list[RunDiagnostic], out: Path) -> None:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError as exc:
        raise PlotError("--plot needs matplotlib: pip install 'rnnlint[logs]'") from exc
    fig, axes = plt.subplots(len(runs), 1, figsize=(9, 3.6 * len(runs)), squeeze=False)
    for ax, run in zip(axes[:, 0], runs, strict=True):
        by_step = all(p.step is not None for name in ("loss", "val_loss") for p in run.series(name))
        for name in CURVES[:2]:
            points = run.series(name)
            if points:
                ax.plot([_x(p, i, by_step) for i, p in enumerate(points)], [p.value for p in points], label=run.shown(name))
        ax.set_yscale("log" if all(p.value > 0 for n in CURVES[:2] for p in run.series(n) if p.finite) else "linear")
        colours = plt.rcParams["axes.prop_cycle"].by_key()["color"]
        for k, d in enumerate(x for x in diags if x.loc.path == run.path):
            lo = d.step if by_step and d.step is not None else d.epoch
            hi = d.end_step if by_step and d.end_step is not None else d.end_epoch
            if lo is None or hi is None:
                continue
            colour = colours[(k + 2) % len(colours)]
            ax.axvspan(lo, max(hi, lo + 0.5), alpha=0.15, color=colour)
            ax.text(
                lo, 0.98 - 0.08 * k, f" {d.code} {d.name}", transform=ax.get_xaxis_transform(), va="top", fontsize=8, color=colour
            )
        ax.set_title("/".join(Path(run.path).parts[-2:]), fontsize=10)
        ax.set_xlabel("step" if by_step else "epoch")
        ax.set_ylabel("loss")
        ax.legend(loc="upper right", fontsize=8)
    fig.tight_layout()
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(out, dpi=110)
    except OSError as exc:
        raise PlotError(f"cannot write {out}: {exc.strerror or exc}") from exc
    finally:
        plt.close(fig)
