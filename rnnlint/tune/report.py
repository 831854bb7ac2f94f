"""The study's report: the best trial with its command line or recipe, every trial with its verdict, parameter
importances (Optuna's evaluator) and PNG plots, as ``report.md`` and ``report.json`` in the output folder."""

from __future__ import annotations

import json
import math
import warnings
from pathlib import Path
from typing import Any

import optuna

from rnnlint.reference.curves import jsonable, plot_available, read_csv


def _trial_row(t: optuna.trial.FrozenTrial) -> dict[str, Any]:
    attrs = t.user_attrs
    seconds = t.duration.total_seconds() if t.duration is not None else None
    return {
        "number": t.number,
        "state": t.state.name.lower(),
        "value": t.value,
        "params": t.params,
        "verdict": attrs.get("verdict", ""),
        "seconds": seconds,
        "train_seconds": attrs.get("train_seconds"),
        "command": attrs.get("command"),
        "recipe": attrs.get("recipe"),
        "dir": attrs.get("dir"),
        "worker": attrs.get("worker"),
        "curve": attrs.get("curve"),
    }


def importances(study: optuna.Study) -> tuple[dict[str, float], str | None]:
    """Optuna's parameter importances, or why there are none (too few finished trials, nothing varied)."""
    complete = [t for t in study.get_trials(deepcopy=False) if t.state == optuna.trial.TrialState.COMPLETE]
    if len(complete) < 2:
        return {}, "needs at least two finished trials"
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            found = optuna.importance.get_param_importances(study)
    except (ValueError, RuntimeError, ZeroDivisionError) as exc:
        return {}, f"not computed: {exc}"
    return {k: float(v) for k, v in found.items()}, None


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _plots(study: optuna.Study, best: dict[str, Any] | None, have_importances: bool, out: Path) -> dict[str, str]:
    if not plot_available():
        return {}
    plt = _pyplot()
    made: dict[str, str] = {}
    from optuna.visualization import matplotlib as ovm

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # Optuna's matplotlib plots are "experimental"
        figures: list[tuple[str, Any]] = [("history", ovm.plot_optimization_history)]
        if have_importances:
            figures.append(("importances", ovm.plot_param_importances))
        for name, plot in figures:
            try:
                ax: Any = plot(study)
            except (ValueError, RuntimeError):
                continue
            fig = ax.figure
            fig.set_size_inches(7, 4)
            fig.tight_layout()
            path = out / f"{name}.png"
            fig.savefig(path, dpi=90)
            plt.close(fig)
            made[name] = path.name
    if best is not None:
        curves = _best_curves(best, out)
        if curves is not None:
            made["best_curves"] = curves.name
    return made


def _best_curves(best: dict[str, Any], out: Path) -> Path | None:
    """The best trial's curves: the reference trainer's loss and accuracy, or the tuned metric per report."""
    from rnnlint.reference.curves import plot_run

    folder = Path(best["dir"]) if best.get("dir") else None
    csv = folder / "curves.csv" if folder is not None else None
    if csv is not None and csv.is_file():
        rows = [{k: (float(v) if v not in ("", None) else None) for k, v in r.items()} for r in read_csv(csv)]
        for r in rows:
            r["epoch"] = int(r["epoch"] or 0)
        return plot_run(out / "best_curves.png", rows, f"best trial {best['number']}")
    curve = best.get("curve")
    if not curve:
        return None
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(5.5, 3.4))
    ax.plot(range(1, len(curve) + 1), [math.nan if v is None else v for v in curve], marker="o", markersize=3)
    ax.set_xlabel("report")
    ax.set_ylabel(best.get("metric", "metric"))
    ax.set_title(f"best trial {best['number']}")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    path = out / "best_curves.png"
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return path


def write_report(study: optuna.Study, meta: dict[str, Any], out: Path) -> dict[str, Any]:
    """report.json and report.md (with the plots beside them); returns the JSON's content."""
    trials = [_trial_row(t) for t in study.get_trials(deepcopy=False)]
    complete = [r for r in trials if r["state"] == "complete"]
    best = None
    if complete:
        b = study.best_trial
        best = next(r for r in trials if r["number"] == b.number)
        best = {**best, "metric": meta.get("metric")}
    found, why_not = importances(study)
    out.mkdir(parents=True, exist_ok=True)
    plots = _plots(study, best, bool(found), out)
    counts: dict[str, int] = {}
    for r in trials:
        counts[r["state"]] = counts.get(r["state"], 0) + 1
    report = {
        **meta,
        "study": study.study_name,
        "direction": study.direction.name.lower(),
        "counts": counts,
        "best": best,
        "importances": found,
        "importances_note": why_not,
        "plots": plots,
        "trials": trials,
    }
    (out / "report.json").write_text(json.dumps(jsonable(report), indent=2, default=str) + "\n")
    (out / "report.md").write_text(markdown(report))
    return report


def _fmt(v: Any) -> str:
    if v is None:
        return "-"
    if isinstance(v, float):
        return f"{v:.4g}"
    return str(v)


def markdown(report: dict[str, Any]) -> str:
    lines = [f"# rnnlint tune: {report['target']}", ""]
    lines.append(
        f"Study `{report['study']}` in `{report['storage']}`, sampler {report['sampler']}, "
        f"{report['direction']} `{report['metric']}`. Trials: "
        + ", ".join(f"{n} {s}" for s, n in sorted(report["counts"].items()))
        + "."
    )
    lines.append("")
    best = report["best"]
    lines.append("## Best trial")
    lines.append("")
    if best is None:
        lines.append("No trial finished.")
    else:
        lines.append(f"Trial {best['number']}: `{report['metric']}` = {_fmt(best['value'])}.")
        lines.append("")
        if best.get("command"):
            lines += ["```sh", best["command"], "```"]
        if best.get("recipe"):
            lines.append(f"Recipe: `{best['recipe']}`")
        lines.append("")
        lines += ["| parameter | value |", "| --- | --- |"]
        lines += [f"| {k} | {_fmt(v)} |" for k, v in best["params"].items()]
    lines += ["", "## Parameter importances", ""]
    if report["importances"]:
        lines += ["| parameter | importance |", "| --- | --- |"]
        lines += [f"| {k} | {v:.3f} |" for k, v in report["importances"].items()]
    else:
        lines.append(f"None: {report['importances_note']}.")
    if report["plots"]:
        lines += ["", "## Plots", ""]
        lines += [f"![{name}]({file})" for name, file in report["plots"].items()]
    lines += ["", "## Trials", ""]
    names = sorted({k for r in report["trials"] for k in r["params"]})
    lines.append("| # | state | " + report["metric"] + " | " + " | ".join(names) + " | seconds | verdict |")
    lines.append("| --- " * (len(names) + 5) + "|")
    for r in report["trials"]:
        cells = [str(r["number"]), r["state"], _fmt(r["value"]), *(_fmt(r["params"].get(n)) for n in names)]
        cells += [_fmt(r["seconds"]), str(r["verdict"]).replace("|", "/").replace("\n", " ")]
        lines.append("| " + " | ".join(cells) + " |")
    lines.append("")
    return "\n".join(lines)
