"""``rnnlint diagnose PATH...``: read logs, judge them, report with the linter's formats and exit codes.

Exit codes as the linter's: 0 nothing at or above the severity threshold, 1 findings,
2 a usage error, a log that cannot be read, or an internal error (never a traceback).
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any, TextIO, cast

from rnnlint.diagnose.findings import RunDiagnostic, TooShort
from rnnlint.diagnose.run import Run

FORMATS = ("full", "concise", "json", "json-lines", "github", "sarif")


def build_parser(parser_class: type[argparse.ArgumentParser] = argparse.ArgumentParser) -> argparse.ArgumentParser:
    p = parser_class(prog="rnnlint diagnose", description="Read training logs and report what the curves show (RNN601-RNN611).")
    p.add_argument("paths", nargs="+", type=Path, help="run folders or log files (TensorBoard, CSV, History JSON, MLflow)")
    p.add_argument(
        "--column",
        action="append",
        default=[],
        metavar="METRIC=NAME",
        help="read NAME as METRIC (loss, val_loss, lr, grad_norm, ...)",
    )
    p.add_argument("--select", type=_codes, help="runtime codes or prefixes to enable (e.g. RNN603,RNN606)")
    p.add_argument("--ignore", type=_codes, help="runtime codes or prefixes to disable")
    p.add_argument("--output-format", choices=FORMATS, default="full", help="report format (default: full)")
    p.add_argument(
        "--severity-threshold", choices=("info", "warning", "error"), default="warning", help="lowest severity that fails"
    )
    p.add_argument("--config", type=Path, help="a pyproject.toml or rnnlint.toml whose [diagnose] table to use")
    p.add_argument(
        "--overfit-check", action="store_true", help="the run trained on a tiny subset: judge whether it memorised it (T2)"
    )
    p.add_argument("--code", type=Path, action="append", default=[], help="the training script: point at the line to change")
    p.add_argument("--plot", type=Path, help="draw the curves with each finding's window to this PNG (needs matplotlib)")
    p.add_argument("--exit-zero", action="store_true", help="exit 0 even when findings are reported")
    p.add_argument("-o", "--output-file", type=Path, help="write the report to this file instead of stdout")
    return p


def _codes(text: str) -> list[str]:
    return [c.strip().upper() for c in text.split(",") if c.strip()]


def _mapping(pairs: list[str]) -> dict[str, str]:
    from rnnlint.diagnose.names import SYNONYMS

    out: dict[str, str] = {}
    for pair in pairs:
        metric, sep, raw = pair.partition("=")
        if not sep or not raw or metric not in SYNONYMS:
            raise ValueError(f"--column {pair!r}: expected METRIC=NAME with METRIC one of {', '.join(SYNONYMS)}")
        out[metric] = raw
    return out


def _settings(args: argparse.Namespace) -> tuple[Any, list[str], list[str]]:
    """The [diagnose] table of the config (given, or found from the first path), and its select/ignore."""
    from rnnlint.diagnose.settings import make_diagnose_settings
    from rnnlint.settings.files import find_config, load_config

    path = args.config if args.config is not None else find_config(args.paths[0] if args.paths[0].exists() else Path.cwd())
    if args.config is not None and not args.config.is_file():
        raise ValueError(f"config file not found: {args.config}")
    table = dict(load_config(path).get("diagnose", {})) if path is not None else {}
    select = table.pop("select", ["RNN6"])
    ignore = table.pop("ignore", [])
    settings = make_diagnose_settings(table, str(path) if path else "defaults")
    return settings, args.select or select, [*ignore, *(args.ignore or [])]


def main(argv: list[str], parser_class: type[argparse.ArgumentParser] = argparse.ArgumentParser) -> int:
    from rnnlint.diagnose.settings import DiagnoseSettingsError
    from rnnlint.settings.selection import ConfigError

    args = build_parser(parser_class).parse_args(argv)
    try:
        mapping = _mapping(args.column)
        settings, select, ignore = _settings(args)
    except (ValueError, ConfigError, DiagnoseSettingsError) as exc:
        sys.stderr.write(f"rnnlint diagnose: {exc}\n")
        return 2
    runs, failed = _read_all(args.paths, mapping)
    if not runs:
        if not failed:
            sys.stderr.write("rnnlint diagnose: no training log found under the given paths\n")
        return 2
    diags, short = diagnose_runs(runs, settings, select, ignore, args.overfit_check)
    if args.code:
        missing = [str(p) for p in args.code if not p.is_file()]
        if missing:
            sys.stderr.write(f"rnnlint diagnose: --code: file not found: {', '.join(missing)}\n")
            return 2
        diags = point_at_code(diags, args.code)
    for run in runs:
        for warning in run.warnings:
            sys.stderr.write(f"rnnlint diagnose: warning: {warning}\n")
    for path, item in short:
        sys.stderr.write(
            f"rnnlint diagnose: {path}: too short to judge {item.code} ({item.have} values of {item.metric}, needs {item.need})\n"
        )
    if args.plot is not None:
        from rnnlint.diagnose.plot import PlotError, plot_runs

        try:
            plot_runs(runs, diags, args.plot)
        except PlotError as exc:
            sys.stderr.write(f"rnnlint diagnose: {exc}\n")
            return 2
    try:
        if args.output_file is not None:
            args.output_file.parent.mkdir(parents=True, exist_ok=True)
            with open(args.output_file, "w", encoding="utf-8", newline="\n") as out:
                write_report(diags, runs, args.output_format, out)
        else:
            write_report(diags, runs, args.output_format, sys.stdout)
    except OSError as exc:
        sys.stderr.write(f"rnnlint diagnose: cannot write the report: {exc.strerror or exc}\n")
        return 2
    if failed:
        return 2
    from rnnlint.diagnostics import Severity

    threshold = Severity.parse(args.severity_threshold)
    return 1 if not args.exit_zero and any(d.severity >= threshold for d in diags) else 0


def _read_all(paths: list[Path], mapping: dict[str, str]) -> tuple[list[Run], bool]:
    """Every readable run; a named log that cannot be read is an error, an unrelated CSV inside a folder is skipped."""
    from rnnlint.diagnose.readers import ReadError, find_logs, read_log

    runs: list[Run] = []
    failed = False
    for path in paths:
        if not path.exists():
            sys.stderr.write(f"rnnlint diagnose: path not found: {path}\n")
            failed = True
            continue
        for kind, log, folders in find_logs(path):
            try:
                runs.append(read_log(kind, log, folders, mapping))
            except ReadError as exc:
                if path.is_dir() and kind in ("csv", "history") and "no known metric" in str(exc):
                    continue  # a data file next to the logs
                sys.stderr.write(f"rnnlint diagnose: {exc}\n")
                failed = True
            except (OSError, UnicodeError, ValueError) as exc:
                sys.stderr.write(f"rnnlint diagnose: {log}: cannot read: {exc}\n")
                failed = True
    return runs, failed


def diagnose_runs(
    runs: list[Run], settings: Any, select: list[str], ignore: list[str], overfit_check: bool = False
) -> tuple[list[RunDiagnostic], list[tuple[str, TooShort]]]:
    """Findings of every run as diagnostics (name and severity from the rule docs), and the verdicts not given."""
    from rnnlint.checks.catalogue import catalogue
    from rnnlint.diagnose.advice import advice
    from rnnlint.diagnose.detectors import judge
    from rnnlint.diagnose.findings import to_diagnostic
    from rnnlint.diagnostics import Severity
    from rnnlint.settings.selection import path_globs, selected

    rules = catalogue()
    no_globs = path_globs({})
    diags: list[RunDiagnostic] = []
    short: list[tuple[str, TooShort]] = []
    for run in runs:
        findings, too_short = judge(run, settings, lambda code: selected(code, select, ignore, no_globs, None), overfit_check)
        for f in findings:
            info = rules.get(f.code)
            name, severity = (info.name, info.severity) if info else (f.code, Severity.WARNING)
            diags.append(to_diagnostic(f, run, name, severity, advice(f.code, run.framework, settings)))
        short.extend((run.path, t) for t in too_short)
    return sorted(diags, key=lambda d: d.sort_key()), short


def point_at_code(diags: list[RunDiagnostic], code_files: list[Path]) -> list[RunDiagnostic]:
    """Add to each finding the line of the training script the static linter would change."""
    from rnnlint.diagnose.code_sites import site_for, static_sites

    sites = static_sites(code_files)
    out = []
    for d in diags:
        site = site_for(d.code, sites)
        if site is None:
            out.append(d)
            continue
        where = f"{site.loc.short()}:{site.loc.col}"
        extra = f"the code to change is {where} ({site.code} {site.name})"
        out.append(replace(d, message=f"{d.message}; {extra}", notes=(*d.notes, extra)))
    return out


def as_json(d: RunDiagnostic) -> dict[str, Any]:
    """The linter's JSON object plus the window (``step``/``epoch`` and their ends), the metric and the numbers."""
    from rnnlint.report import formats as reporters

    return {
        **reporters.as_json(d),
        "step": d.step,
        "end_step": d.end_step,
        "epoch": d.epoch,
        "end_epoch": d.end_epoch,
        "metric": d.metric,
        "numbers": _finite(d.numbers),
        "advice": d.advice,
    }


def _finite(numbers: dict[str, float]) -> dict[str, float | None]:
    import math

    return {k: (v if math.isfinite(v) else None) for k, v in numbers.items()}


def write_report(diags: list[RunDiagnostic], runs: list[Run], fmt: str, out: TextIO) -> None:
    from rnnlint import __version__
    from rnnlint.report import formats as reporters

    plain: list[Any] = list(diags)
    if fmt == "json":
        json.dump([as_json(d) for d in diags], out, indent=2)
        out.write("\n")
    elif fmt == "json-lines":
        for d in diags:
            out.write(json.dumps(as_json(d)) + "\n")
    elif fmt == "concise":
        reporters.write_concise(plain, out)
        out.write(_summary(diags, runs) + "\n")
    elif fmt == "github":
        reporters.write_github(plain, out)
    elif fmt == "sarif":
        log = reporters.sarif_log(plain, __version__)
        for result, d in zip(log["runs"][0]["results"], diags, strict=True):
            props = result.setdefault("properties", {})
            props.update(
                {k: v for k, v in as_json(d).items() if k in ("step", "end_step", "epoch", "end_epoch", "metric", "numbers")}
            )
        json.dump(log, out, indent=2)
        out.write("\n")
    else:
        sources = {r.path: r.text for r in runs if r.text is not None}
        reporters.write_full(plain, sources, len(runs), cast(TextIO, _Renamed(out, len(runs))))


class _Renamed:
    """The full format's last line says "N files checked"; for logs it says "N runs checked"."""

    def __init__(self, out: TextIO, runs: int) -> None:
        self._out, self._runs = out, runs

    def write(self, text: str) -> int:
        files = f"{self._runs} file{'s' if self._runs != 1 else ''} checked"
        return self._out.write(text.replace(files, f"{self._runs} run{'s' if self._runs != 1 else ''} checked"))

    def flush(self) -> None:
        self._out.flush()

    def isatty(self) -> bool:
        return bool(getattr(self._out, "isatty", lambda: False)())

    def __getattr__(self, name: str) -> Any:
        return getattr(self._out, name)


def _summary(diags: list[RunDiagnostic], runs: list[Run]) -> str:
    from rnnlint.report import formats as reporters

    n = len(runs)
    return reporters.summary(list(diags), n).replace(
        f"{n} file{'s' if n != 1 else ''} checked", f"{n} run{'s' if n != 1 else ''} checked"
    )


def run_cli(argv: list[str], parser_class: type[argparse.ArgumentParser] = argparse.ArgumentParser) -> int:
    """``main`` behind the linter's last line of defence: a message and exit 2, never a traceback."""
    import os

    try:
        return main(argv, parser_class)
    except SystemExit as exc:
        return int(exc.code) if isinstance(exc.code, int) else 2
    except KeyboardInterrupt:
        sys.stderr.write("rnnlint: interrupted\n")
        return 130
    except Exception as exc:
        if os.environ.get("RNNLINT_DEBUG"):
            raise
        sys.stderr.write(
            f"rnnlint diagnose: internal error: {exc.__class__.__name__}: {exc}\n(set RNNLINT_DEBUG=1 for a traceback)\n"
        )
        return 2
