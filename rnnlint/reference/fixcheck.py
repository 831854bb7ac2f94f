"""Fix checks: the runnable fixtures train before and after ``rnnlint --fix``.

:func:`prepare` copies ``fixtures/reference_runnable``'s scripts into a temporary folder,
lints the copies, and runs rnnlint's own command line on them (``--fix``, and
``--unsafe-fixes`` on a second copy), so the check takes whatever fixes rnnlint has today.
:func:`run_script` trains one copy for a few steps on its synthetic data, in the calling
process (a worker that has already imported the framework). :func:`entry` puts the two
together: a check passes when both scripts run, the fixed one ends with a finite loss, and
every code whose findings all offered an applicable fix is gone.
"""

from __future__ import annotations

import contextlib
import difflib
import io
import json
import math
import os
import runpy
import shutil
import subprocess
import sys
import time
import warnings
from pathlib import Path
from typing import Any

FIXTURES = {"torch": "torch_recall.py", "tensorflow": "keras_recall.py"}
# A few steps: 2 epochs of 2 batches on 64 generated samples (plus 256 for validation).
SCRIPT_ARGS = ("--epochs", "2", "--samples", "64", "--batch-size", "32")
VARIANTS = {"safe": "--fix", "unsafe": "--unsafe-fixes"}
APPLICABLE = {"safe": ("safe",), "unsafe": ("safe", "unsafe")}
LINT_ARGS = ("--isolated", "--no-cache", "-j", "1", "--exit-zero", "--output-format", "json")


def fixtures_dir() -> Path:
    """Installed wheels carry the scripts as ``rnnlint/_reference_runnable``; a checkout has ``fixtures/``."""
    here = Path(__file__).resolve().parent.parent
    packaged = here / "_reference_runnable"
    return packaged if packaged.is_dir() else here.parent / "fixtures" / "reference_runnable"


def _start(paths: list[Path], flags: list[str], report: Path) -> subprocess.Popen[str]:
    """rnnlint's own command line on ``paths``, in a child process running this very rnnlint."""
    package_parent = str(Path(__file__).resolve().parent.parent.parent)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [package_parent, os.environ.get("PYTHONPATH")]))}
    command = [sys.executable, "-m", "rnnlint", *map(str, paths), *flags, *LINT_ARGS, "-o", str(report)]
    return subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env)


def _findings(proc: subprocess.Popen[str], report: Path, label: str) -> tuple[list[dict[str, Any]], str | None]:
    """The findings the command left in its JSON report, and an error when it failed."""
    _, err = proc.communicate()
    if proc.returncode != 0 or not report.is_file():
        return [], f"{label} exited {proc.returncode}: {err.strip()[-500:]}"
    found: list[dict[str, Any]] = json.loads(report.read_text(encoding="utf-8"))
    return found, None


def _by_file(found: list[dict[str, Any]], name: str) -> list[dict[str, Any]]:
    return [d for d in found if Path(d["path"]).name == name]


def prepare(frameworks: list[str], out: Path, work: Path) -> dict[str, Any]:
    """Copy, lint, fix and lint again; returns, per "framework/variant", the findings before and after.

    The copies live in ``work`` (a temporary folder: fixed scripts full of findings do not
    belong in the output). ``out/fix_checks`` keeps rnnlint's JSON findings and one
    ``.diff`` per script and variant."""
    record = out / "fix_checks"
    shutil.rmtree(record, ignore_errors=True)
    record.mkdir(parents=True)
    source = fixtures_dir()
    names = [FIXTURES[f] for f in frameworks]
    copies: dict[str, list[Path]] = {}
    for folder in ("before", *VARIANTS):
        (work / folder).mkdir(parents=True)
        copies[folder] = [Path(shutil.copy2(source / name, work / folder / name)) for name in names]
    # the three commands touch separate copies: run them side by side
    reports = {folder: record / f"findings_{folder}.json" for folder in copies}
    procs = {
        folder: _start(copies[folder], [VARIANTS[folder]] if folder in VARIANTS else [], reports[folder]) for folder in copies
    }
    before, before_error = _findings(procs["before"], reports["before"], "rnnlint")
    prepared: dict[str, Any] = {}
    for variant, flag in VARIANTS.items():
        after, error = _findings(procs[variant], reports[variant], f"rnnlint {flag}")
        for framework, name in zip(frameworks, names, strict=True):
            old = (work / "before" / name).read_text(encoding="utf-8")
            new = (work / variant / name).read_text(encoding="utf-8")
            diff = record / f"{Path(name).stem}_{variant}.diff"
            diff.write_text(
                "".join(difflib.unified_diff(old.splitlines(True), new.splitlines(True), f"before/{name}", f"{variant}/{name}")),
                encoding="utf-8",
            )
            prepared[f"{framework}/{variant}"] = {
                "framework": framework,
                "variant": variant,
                "fixture": f"fixtures/reference_runnable/{name}",
                "command": f"rnnlint {flag} --isolated",
                "before_path": str(work / "before" / name),
                "after_path": str(work / variant / name),
                "diff": str(diff.relative_to(out)),
                "findings_before": _by_file(before, name),
                "findings_after": _by_file(after, name),
                "lint_error": before_error or error,
            }
    return prepared


def run_script(path: str) -> dict[str, Any]:
    """Train one fixture script for a few steps in this process; its last JSON line gives the loss."""
    started = time.perf_counter()
    stdout = io.StringIO()
    result: dict[str, Any] = {"ran": False, "final_loss": None, "val_loss": None, "metrics": None, "error": None}
    argv = sys.argv
    sys.argv = [path, *SCRIPT_ARGS]
    try:
        with warnings.catch_warnings(record=True) as caught, contextlib.redirect_stdout(stdout):
            warnings.simplefilter("always")
            runpy.run_path(path, run_name="__main__")
        result["warnings"] = sorted({str(w.message).splitlines()[0][:200] for w in caught})
        metrics = _last_json(stdout.getvalue())
        if metrics is None:
            result["error"] = "the script printed no JSON metrics line"
        else:
            result.update(ran=True, metrics=metrics, val_loss=_number(metrics.get("val_loss")))
            # torch_recall.py prints its last batch's train_loss, Keras' history the epoch's mean loss
            result["final_loss"] = _number(metrics.get("train_loss", metrics.get("loss")))
    except BaseException as exc:  # a fixed script that crashes (or exits) is the finding, not a crash of verify
        if isinstance(exc, KeyboardInterrupt):
            raise
        result["error"] = f"{type(exc).__name__}: {str(exc)[:500]}"
    finally:
        sys.argv = argv
    result["wall_s"] = time.perf_counter() - started
    return result


def _last_json(text: str) -> dict[str, Any] | None:
    for line in reversed(text.strip().splitlines()):
        try:
            value = json.loads(line)
        except ValueError:
            continue
        if isinstance(value, dict):
            return value
    return None


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) else None


def entry(prep: dict[str, Any], before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    """One fix check: what the fix changed, both runs, and whether it passed."""
    codes_before = {d["code"] for d in prep["findings_before"]}
    codes_after = {d["code"] for d in prep["findings_after"]}
    applicable = APPLICABLE[prep["variant"]]
    # a code counts as fixable when every one of its findings offered a fix this variant applies
    fixable = {
        code
        for code in codes_before
        if all(
            d["fix"] is not None and d["fix"]["applicability"] in applicable for d in prep["findings_before"] if d["code"] == code
        )
    }
    unresolved = sorted(fixable & codes_after)
    fixed = sorted(codes_before - codes_after)
    problems = []
    if prep["lint_error"]:
        problems.append(prep["lint_error"])
    if not fixed:
        problems.append("no finding was fixed")
    if unresolved:
        problems.append(f"fixed findings still reported: {', '.join(unresolved)}")
    for label, run in (("before", before), ("after", after)):
        if not run["ran"]:
            problems.append(f"the script did not run {label} the fix: {run['error']}")
    loss = after.get("final_loss")
    if after["ran"] and (loss is None or not math.isfinite(loss)):
        problems.append(f"the fixed script's final loss is not finite: {loss}")
    return {
        "fixture": prep["fixture"],
        "framework": prep["framework"],
        "variant": prep["variant"],
        "unsafe": prep["variant"] == "unsafe",
        "command": prep["command"],
        "codes_before": sorted(codes_before),
        "codes_fixed": fixed,
        "codes_unresolved": unresolved,
        "codes_new": sorted(codes_after - codes_before),
        "fixes": sorted(
            {d["fix"]["message"] for d in prep["findings_before"] if d["fix"] and d["fix"]["applicability"] in applicable}
        ),
        "diff": prep["diff"],
        "script_args": list(SCRIPT_ARGS),
        "before": before,
        "after": after,
        "ok": not problems,
        "problems": problems,
    }
