"""Command line: ``rnnlint [check] PATH...``, ``rnnlint rules``, ``rnnlint explain CODE``.

Exit codes: 0 nothing at or above the severity threshold; 1 diagnostics at or
above it; 2 usage error, unreadable config or internal error. Never a traceback
unless ``RNNLINT_DEBUG`` is set.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

from rnnlint import __version__

COMMANDS = ("check", "rules", "explain")


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> Any:  # exit 2 with a one-line message, as argparse does, never raise
        self.print_usage(sys.stderr)
        sys.stderr.write(f"rnnlint: error: {message}\n")
        raise SystemExit(2)


def _codes(text: str) -> list[str]:
    return [c.strip() for c in text.split(",") if c.strip()]


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="rnnlint", description="Lint RNN (LSTM/GRU) training code against RNN training guidelines.")
    parser.add_argument("--version", action="version", version=f"rnnlint {__version__}")
    sub = parser.add_subparsers(dest="command", parser_class=_Parser)

    check = sub.add_parser("check", help="lint files and folders (the default command)")
    check.add_argument("paths", nargs="*", type=Path, help="files or folders (default: .); `-` reads stdin")
    check.add_argument("--select", type=_codes, help="rule codes or prefixes to enable (e.g. RNN2,RNN101)")
    check.add_argument("--ignore", type=_codes, help="rule codes or prefixes to disable")
    check.add_argument("--extend-select", type=_codes, help="codes to enable in addition to the selection")
    check.add_argument("--severity-threshold", choices=("info", "warning", "error"), help="lowest severity that fails the run")
    check.add_argument("--output-format", choices=("full", "concise", "json", "github"), help="report format (default: full)")
    check.add_argument("--config", type=Path, help="a pyproject.toml or rnnlint.toml to use instead of discovery")
    check.add_argument("--isolated", action="store_true", help="ignore every config file")
    check.add_argument("--exclude", type=_codes, help="glob patterns of paths to skip (replaces the config's)")
    check.add_argument("--extend-exclude", type=_codes, help="glob patterns to skip in addition")
    check.add_argument("--no-respect-gitignore", action="store_true", help="lint files that .gitignore lists")
    check.add_argument("--stdin-filename", help="the name to report for source read from stdin")
    check.add_argument("--exit-zero", action="store_true", help="exit 0 even when diagnostics are found")

    rules = sub.add_parser("rules", help="list every rule")
    rules.add_argument("--output-format", choices=("table", "json"), default="table")

    explain = sub.add_parser("explain", help="print a rule's documentation")
    explain.add_argument("code", help="a rule code such as RNN201, or its name")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``rnnlint`` console script."""
    args_list = list(sys.argv[1:] if argv is None else argv)
    if not args_list or (args_list[0] not in COMMANDS and args_list[0] not in ("-h", "--help", "--version")):
        args_list.insert(0, "check")
    try:
        args = build_parser().parse_args(args_list)
        if args.command == "rules":
            return _rules(args.output_format)
        if args.command == "explain":
            return _explain(args.code)
        return _check(args)
    except SystemExit as exc:
        return int(exc.code) if isinstance(exc.code, int) else 2
    except KeyboardInterrupt:
        sys.stderr.write("rnnlint: interrupted\n")
        return 130
    except Exception as exc:  # the last line of defence: a message, not a traceback
        if os.environ.get("RNNLINT_DEBUG"):
            raise
        sys.stderr.write(f"rnnlint: internal error: {exc.__class__.__name__}: {exc}\n(set RNNLINT_DEBUG=1 for a traceback)\n")
        return 2


def _check(args: argparse.Namespace) -> int:
    from rnnlint.diagnostics import Severity
    from rnnlint.discovery import MissingPathError, discover
    from rnnlint.engine import Linter
    from rnnlint.settings import ConfigError, find_config, load_config, make_settings

    paths: list[Path] = args.paths or [Path(".")]
    use_stdin = any(str(p) == "-" for p in paths)
    paths = [p for p in paths if str(p) != "-"]
    raw: dict[str, Any] = {}
    source = "defaults"
    config_path: Path | None = None
    try:
        if args.config is not None:
            config_path = args.config
            if not config_path.is_file():
                sys.stderr.write(f"rnnlint: config file not found: {config_path}\n")
                return 2
        elif not args.isolated:
            config_path = find_config(paths[0] if paths else Path.cwd())
        if config_path is not None:
            raw = load_config(config_path)
            source = str(config_path)
        for key, value in (
            ("select", args.select),
            ("ignore", args.ignore),
            ("severity-threshold", args.severity_threshold),
            ("output-format", args.output_format),
            ("exclude", args.exclude),
        ):
            if value is not None:
                raw[key] = value
        if args.extend_select:
            raw["extend-select"] = [*raw.get("extend-select", []), *args.extend_select]
        if args.extend_exclude:
            raw["extend-exclude"] = [*raw.get("extend-exclude", []), *args.extend_exclude]
        if args.no_respect_gitignore:
            raw["respect-gitignore"] = False
        settings = make_settings(raw, source)
    except ConfigError as exc:
        sys.stderr.write(f"rnnlint: {exc}\n")
        return 2

    base = config_path.resolve().parent if config_path else Path.cwd()
    try:
        files = list(discover(paths, [*settings.exclude, *settings.extend_exclude], settings.respect_gitignore, base))
    except MissingPathError as exc:
        sys.stderr.write(f"rnnlint: path not found: {exc}\n")
        return 2
    stdin = None
    if use_stdin:
        stdin = (args.stdin_filename or "<stdin>.py", sys.stdin.buffer.read())
    elif not files:
        sys.stderr.write("rnnlint: warning: no Python files found under the given paths\n")
    result = Linter(settings, [base]).run(files, stdin)

    from rnnlint import reporters

    out = sys.stdout
    fmt = settings.output_format
    if fmt == "json":
        reporters.write_json(result.diagnostics, out)
    elif fmt == "concise":
        reporters.write_concise(result.diagnostics, out)
        out.write(reporters.summary(result.diagnostics, result.files) + "\n")
    elif fmt == "github":
        reporters.write_github(result.diagnostics, out)
    else:
        reporters.write_full(result.diagnostics, result.sources, result.files, out)
    threshold = Severity.parse(settings.severity_threshold)
    failing = any(d.severity >= threshold for d in result.diagnostics)
    return 1 if failing and not args.exit_zero else 0


def _rules(fmt: str) -> int:
    from rnnlint.catalogue import catalogue
    from rnnlint.checks import REGISTRY, _load_rules

    _load_rules()
    rules = catalogue().values()
    if fmt == "json":
        data = [
            {
                "code": r.code,
                "name": r.name,
                "severity": r.severity.label,
                "guideline": r.guideline,
                "fix": r.fix,
                "summary": r.summary,
                "implemented": r.code in REGISTRY or r.code == "RNN001",
            }
            for r in rules
        ]
        json.dump(data, sys.stdout, indent=2)
        sys.stdout.write("\n")
        return 0
    from rich.console import Console
    from rich.table import Table

    table = Table("code", "name", "severity", "guideline", "fix", "what fires it", box=None)
    for r in rules:
        table.add_row(r.code, r.name, r.severity.label, r.guideline, r.fix, r.summary)
    Console(soft_wrap=False).print(table)
    return 0


def _explain(code: str) -> int:
    from rnnlint.catalogue import catalogue

    rules = catalogue()
    wanted = code.strip()
    info = rules.get(wanted.upper()) or next((r for r in rules.values() if r.name == wanted), None)
    if info is None:
        sys.stderr.write(f"rnnlint: unknown rule {code!r}; `rnnlint rules` lists them\n")
        return 2
    from rich.console import Console
    from rich.markdown import Markdown

    console = Console()
    header = f"# {info.code} {info.name}\n\nSeverity: {info.severity.label} - Guideline: {info.guideline} - Fix: {info.fix}\n\n"
    console.print(Markdown(header + info.body()))
    return 0
