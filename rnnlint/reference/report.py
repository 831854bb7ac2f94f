"""``report.md`` of ``rnnlint verify``: verdicts with their intervals, the speed ratios, the fix checks."""

from __future__ import annotations

import json
import math
from typing import Any

SMOKE = "smoke test, not evidence"


def fmt(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return f"{value:.2e}" if 0 < abs(value) < 0.01 else f"{value:.3f}"
    return str(value)


def _mean(values: list[float]) -> float | None:
    return sum(values) / len(values) if values else None


def verdict_text(entry: dict[str, Any], smoke: bool) -> str:
    outcome = str(entry["outcome"])
    shown = f"**{outcome}**" if outcome in ("supported", "contradicted", "invalid design", "error") else outcome
    return f"{shown} ({SMOKE})" if smoke else shown


def environment_line(report: dict[str, Any]) -> str:
    env = report["environment"]
    parts = []
    for framework, fenv in env["frameworks"].items():
        if not fenv:
            parts.append(f"{framework}: no run")
            continue
        extra = f", CUDA {fenv['cuda']}, cuDNN {fenv['cudnn']}" if fenv.get("cuda") else ""
        parts.append(
            f"{framework} {fenv['version']} on {fenv['device']} ({fenv['device_name']}), {fenv['threads']} thread(s) per "
            f"worker, deterministic kernels {fmt(fenv.get('deterministic'))}{extra}"
        )
    return (
        f"Python {env['python']}, numpy {next((f['numpy'] for f in env['frameworks'].values() if f), '-')}, "
        f"{env['cpus']} CPUs, {env['workers']} worker processes; " + "; ".join(parts) + "."
    )


def render_markdown(report: dict[str, Any]) -> str:
    smoke = bool(report["smoke_test"])
    seeds = report["seeds"]
    lines = ["# rnnlint verify: guideline on vs off", ""]
    if smoke:
        lines += [f"**Quick mode: a {SMOKE}.** One seed and tiny budgets; no verdict below may be quoted.", ""]
    lines += [
        f"Mode {report['mode']}, {len(seeds)} seed(s) ({', '.join(map(str, seeds))}), {report['date']}, "
        f"wall time {report['wall_s']:.0f} s.",
        "",
        environment_line(report),
        "",
    ]
    if report.get("command"):
        lines += ["Command:", "", "```sh", str(report["command"]), "```", ""]
    lines += [
        "Each experiment trains one recipe twice per seed, changing one setting; the seed fixes the data, the "
        "initialisation and the batch order, so the arms are paired by seed. Its manipulation check must pass, or "
        "the experiment is an *invalid design*. The difference is oriented so that a positive value favours the "
        "guideline; the interval is a 95% paired bootstrap interval of its mean. *Supported*: the interval lies "
        "above 0 and the mean reaches the smallest effect that matters; *contradicted*: the mirror image; "
        "otherwise *inconclusive*. d_z is the mean difference over its standard deviation across seeds.",
        "",
        "| rule | framework | experiment | statistic | guideline (mean) | baseline (mean) | difference [95% CI] | d_z | check | verdict |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for e in report["experiments"]:
        c = e.get("comparison")
        per = e.get("per_seed", [])
        g = _mean([p["guideline"] for p in per])
        b = _mean([p["baseline"] for p in per])
        diff = f"{fmt(c['mean_difference'])} [{fmt(c['ci_low'])}, {fmt(c['ci_high'])}]" if c else "-"
        check = "-" if "check" not in e else ("passed" if e["check"]["passed"] else "**failed**")
        lines.append(
            f"| {e['rule']} ({e['guideline_section']}) | {e['framework']} | {e['title']} | {e['statistic']} | {fmt(g)} | "
            f"{fmt(b)} | {diff} | {fmt(c['effect_size_dz']) if c else '-'} | {check} | {verdict_text(e, smoke)} |"
        )
    lines += _performance_lines(report.get("performance"), smoke)
    lines += _fix_check_lines(report.get("fix_checks", []))
    lines += ["", "## Details", ""]
    for e in report["experiments"]:
        lines += _detail_lines(e, smoke)
    lines.append(f"Base recipe (each experiment overrides parts of it): `{json.dumps(report['base_recipe'])}`")
    lines.append("")
    return "\n".join(lines)


def _detail_lines(e: dict[str, Any], smoke: bool) -> list[str]:
    b = e["budget"]
    lines = [
        f"### {e['rule']} / {e['framework']}: {e['title']}",
        "",
        f"- claim: {e['claim']}",
        f"- task: {e['task_description']}",
        f"- change: {e['change']}",
        f"- budget per arm and seed: {b['steps']} steps ({b['epochs']} epochs of {b['train_examples']} examples, batch "
        f"{b['batch_size']}), hidden {b['hidden_size']} x {b['num_layers']} layer(s), {b['optimizer']}",
        f"- statistic: {e['statistic']} ({'higher' if e['higher_is_better'] else 'lower'} is better; smallest effect that "
        f"matters {fmt(e['smallest_effect'])})",
        f"- manipulation check: {e['manipulation_check']}",
    ]
    if "error" in e:
        return [*lines, f"- error: `{e['error']}`", ""]
    check, c = e["check"], e["comparison"]
    lines.append(f"  - {'passed' if check['passed'] else 'FAILED'}: {check['seen']}")
    lines += [f"- note: {n}" for n in e.get("notes", [])]
    lines += [
        "",
        "| seed | guideline | baseline | difference | guideline run | baseline run |",
        "|---|---|---|---|---|---|",
    ]
    for p, d in zip(e["per_seed"], c["differences"], strict=True):
        lines.append(
            f"| {p['seed']} | {fmt(p['guideline'])} | {fmt(p['baseline'])} | {fmt(d)} | {_run_text(p['guideline_run'])} | "
            f"{_run_text(p['baseline_run'])} |"
        )
    lines += [
        "",
        f"- difference {fmt(c['mean_difference'])}, 95% CI [{fmt(c['ci_low'])}, {fmt(c['ci_high'])}], d_z "
        f"{fmt(c['effect_size_dz'])}; {c['favours_guideline']} seed(s) favour the guideline, {c['favours_baseline']} the "
        f"baseline",
        f"- verdict: {verdict_text(e, smoke)}: "
        + (c["why"] if check["passed"] else "the manipulation check failed, so the comparison says nothing"),
    ]
    if e.get("plot"):
        lines.append(f"\n![{e['rule']} {e['framework']}]({e['plot']})")
    return [*lines, ""]


def _run_text(run: dict[str, Any]) -> str:
    keys = ("val_loss", "val_acc", "val_balanced_acc", "val_ler", "max_grad_norm", "decays")
    shown = [f"{k} {fmt(run.get(k))}" for k in keys if run.get(k) is not None]
    if run.get("diverged"):
        shown.insert(0, "diverged")
    return ", ".join(shown)


def _performance_lines(perf: dict[str, Any] | None, smoke: bool) -> list[str]:
    """RNN501/RNN502: how much faster the fused layer is on this device."""
    if not perf:
        return []
    lines = ["", "## RNN501/RNN502: fused `nn.LSTM` vs a Python loop over `nn.LSTMCell`", ""]
    if "error" in perf:
        return [*lines, f"error: `{perf['error']}`"]
    lines += [
        f"Forward and backward, median of {perf['repeats']} timed passes after a warm-up, on {perf['device']} "
        f"({perf['device_name']}), {perf['threads']} thread(s), torch {perf['torch']}"
        + (f", cuDNN {perf['cudnn']}" if perf.get("cudnn") else "")
        + ". Ratio = loop time / fused time: above 1 the fused layer is faster."
        + (f" ({SMOKE}: one tiny shape.)" if smoke else ""),
        "",
        "| batch | steps | hidden | layers | fused (s) | loop (s) | ratio |",
        "|---|---|---|---|---|---|---|",
    ]
    for s in perf["shapes"]:
        lines.append(
            f"| {s['batch']} | {s['steps']} | {s['hidden']} | {s['layers']} | {s['fused_s']:.4f} | {s['loop_s']:.4f} | "
            f"{s['ratio']:.2f}x |"
        )
    return lines


def _fix_check_lines(checks: list[dict[str, Any]]) -> list[str]:
    """The fix checks: each runnable fixture trained before and after ``rnnlint --fix`` (and ``--unsafe-fixes``)."""
    if not checks:
        return []
    lines = [
        "",
        "## Fix checks",
        "",
        f"Each fixture was copied, fixed by rnnlint and trained for a few steps (`{' '.join(checks[0]['script_args'])}`) "
        "before and after the fix. A check passes when both runs finish, the fixed run ends with a finite loss and "
        "every finding whose fix was applied is gone.",
        "",
        "| fixture | framework | command | codes fixed | final loss before | final loss after | ok |",
        "|---|---|---|---|---|---|---|",
    ]
    for c in checks:
        lines.append(
            f"| {c['fixture']} | {c['framework']} | `{c['command']}` | {', '.join(c['codes_fixed']) or '-'} | "
            f"{fmt(c['before']['final_loss'])} | {fmt(c['after']['final_loss'])} | {'yes' if c['ok'] else '**no**'} |"
        )
    for c in checks:
        if c["problems"]:
            lines.append(f"\n- {c['fixture']} (`{c['command']}`): " + "; ".join(c["problems"]))
    lines.append("\nThe diffs are in `fix_checks/`.")
    return lines
