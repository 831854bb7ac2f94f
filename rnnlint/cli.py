"""Command line: ``rnnlint [check] PATH...``, ``rnnlint rules``, ``rnnlint explain CODE``,
``rnnlint config --show [PATH]``, ``rnnlint server`` (a Language Server on stdio),
``rnnlint diagnose LOG...`` (training logs; ``rnnlint.diagnose``).

Exit codes: 0 nothing at or above the severity threshold; 1 diagnostics at or
above it; 2 usage error, unreadable config or internal error. Never a traceback
unless ``RNNLINT_DEBUG`` is set.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rnnlint import __version__

if TYPE_CHECKING:
    from rnnlint.settings.files import RunSettings

COMMANDS = ("check", "rules", "explain", "server", "clean")
REFERENCE_COMMANDS = ("train", "verify", "overfit")  # the reference trainers (extras torch / tensorflow)
CHECK_FORMATS = ("full", "concise", "json", "json-lines", "github", "sarif", "junit")


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> Any:  # exit 2 with a one-line message, as argparse does, never raise
        self.print_usage(sys.stderr)
        sys.stderr.write(f"rnnlint: error: {message}\n")
        raise SystemExit(2)


class _TopParser(_Parser):
    """``rnnlint --help``: every registered command, then ``check``'s usage and options, since a bare ``rnnlint``
    is ``rnnlint check`` (as ``ruff --help`` leads to ``ruff check``)."""

    def format_help(self) -> str:
        commands = next(a for a in self._actions if isinstance(a, argparse._SubParsersAction))
        listed = [(c.dest, c.help or "") for c in commands._choices_actions]  # every add_parser(..., help=...)
        width = max(len(name) for name, _ in listed) + 2
        lines = [
            "usage: rnnlint [check] [OPTIONS] [PATH ...]",
            "       rnnlint COMMAND [ARGS ...]",
            "",
            self.description or "",
            "",
            "commands (`rnnlint COMMAND --help` for each):",
            *(f"  {name.ljust(width)}{text}" for name, text in listed),
            "",
            "options:",
            "  -h, --help  show this help and exit",
            "  --version   print rnnlint's version and exit",
            "",
            "`rnnlint [PATH ...]` is `rnnlint check [PATH ...]`:",
            "",
            commands.choices["check"].format_help().rstrip(),
        ]
        return "\n".join(lines) + "\n"


# Commands with their own parser in another stage, dispatched before this one parses anything (``main``); listed
# here so that ``rnnlint --help`` shows them. name -> help.
DELEGATED_COMMANDS: dict[str, str] = {
    "train": "train a recipe (rnnlint's YAML config schema) with a reference trainer (extra: torch or tensorflow)",
    "overfit": "only the small-sample overfit check (T2) of a recipe",
    "verify": "paired experiments, guideline on vs off, and fix checks; writes report.json and report.md",
    "diagnose": "read training logs (TensorBoard, CSV loggers, History JSON, MLflow) and report RNN601-RNN611",
    "tune": "search the guidelines' hyperparameter ranges for a recipe or a script's flags, with Optuna (extra: tune)",
}


def _codes(text: str) -> list[str]:
    return [c.strip() for c in text.split(",") if c.strip()]


def build_parser() -> argparse.ArgumentParser:
    parser = _TopParser(prog="rnnlint", description="Lint RNN (LSTM/GRU) training code against RNN training guidelines.")
    parser.add_argument("--version", action="version", version=f"rnnlint {__version__}")
    sub = parser.add_subparsers(dest="command", parser_class=_Parser)

    check = sub.add_parser("check", help="lint files and folders (the default command)")
    check.add_argument("paths", nargs="*", type=Path, help="files or folders (default: .); `-` reads stdin")
    check.add_argument(
        "--select", type=_codes, help="rule codes, prefixes or groups to enable (e.g. RNN2,RNN101 or correctness,guideline)"
    )
    check.add_argument("--ignore", type=_codes, help="rule codes, prefixes or groups to disable (e.g. advice)")
    check.add_argument("--extend-select", type=_codes, help="codes to enable in addition to the selection")
    check.add_argument("--severity-threshold", choices=("info", "warning", "error"), help="lowest severity that fails the run")
    check.add_argument("--output-format", choices=CHECK_FORMATS, help="report format (default: full)")
    check.add_argument(
        "--show-advice", action="store_true", default=None, help="list the advice group's findings instead of counting them"
    )
    check.add_argument("--config", type=Path, help="a pyproject.toml or rnnlint.toml to use instead of discovery")
    check.add_argument("--isolated", action="store_true", help="ignore every config file")
    check.add_argument("--exclude", type=_codes, help="glob patterns of paths to skip (replaces the config's)")
    check.add_argument("--extend-exclude", type=_codes, help="glob patterns to skip in addition")
    check.add_argument("--no-respect-gitignore", action="store_true", help="lint files that .gitignore lists")
    check.add_argument("--stdin-filename", help="the name to report for source read from stdin")
    check.add_argument("--exit-zero", action="store_true", help="exit 0 even when diagnostics are found")
    check.add_argument("-o", "--output-file", type=Path, help="write the report to this file instead of stdout")
    check.add_argument("--statistics", action="store_true", help="print how many times each code was found, not each finding")
    check.add_argument("--fix", action="store_true", help="apply safe fixes in place")
    check.add_argument("--unsafe-fixes", action="store_true", help="also apply unsafe fixes (they may change shapes or APIs)")
    check.add_argument("--diff", action="store_true", help="print the fixes as a unified diff and write nothing")
    check.add_argument("-j", "--jobs", type=int, default=None, help="processes to use (default: the number of cores)")
    check.add_argument("--no-cache", action="store_true", help="do not read or write the cache")
    check.add_argument("--cache-dir", type=Path, help="where the cache lives (default: .rnnlint_cache)")

    rules = sub.add_parser("rules", help="list every rule")
    rules.add_argument(
        "--output-format",
        choices=("table", "concise", "json"),
        help="table on a terminal; concise (one line per rule) when piped",
    )

    explain = sub.add_parser("explain", help="print a rule's documentation")
    explain.add_argument("code", help="a rule code such as RNN201, or its name")

    config = sub.add_parser("config", help="print the settings that apply to a path")
    config.add_argument("path", nargs="?", type=Path, default=Path("."), help="a file or folder (default: .)")
    config.add_argument("--show", action="store_true", help="print the resolved settings (the default action)")
    config.add_argument("--config", type=Path, help="a pyproject.toml or rnnlint.toml to use instead of discovery")
    config.add_argument("--isolated", action="store_true", help="ignore every config file")
    config.add_argument("--output-format", choices=("toml", "json"), default="toml")

    clean = sub.add_parser("clean", help="remove the cache")
    clean.add_argument("--cache-dir", type=Path, default=Path(".rnnlint_cache"))
    server = sub.add_parser("server", help="run the Language Server (LSP) on stdin/stdout for editors")
    server.add_argument("--stdio", action="store_true", help="talk over stdin/stdout (the default and only transport)")
    for name, text in DELEGATED_COMMANDS.items():  # parsed by their own stage: here for the help only
        sub.add_parser(name, help=text, add_help=False).add_argument("args", nargs=argparse.REMAINDER)
    return parser


def _invalid_recipe(args_list: list[str]) -> bool:
    """``rnnlint train|overfit RECIPE``: the recipe's problems as the linter reports them (file:line:col, RNN002 /
    RNN003 with the closest key) on stderr, instead of pydantic's errors; False when there are none to report."""
    import contextlib
    import io

    from rnnlint.reference.cli import build_parser as reference_parser

    if "-h" in args_list or "--help" in args_list:
        return False
    try:
        with contextlib.redirect_stderr(io.StringIO()):  # a usage error is the reference CLI's to print, once
            recipe = getattr(reference_parser().parse_known_args(args_list)[0], "config", None)
    except SystemExit:
        return False
    if not isinstance(recipe, str):
        return False
    try:
        data = Path(recipe).read_bytes()
    except OSError:
        return False  # the trainer says it cannot read the file
    from rnnlint.analysis.configs import recipe_problems
    from rnnlint.checks.catalogue import catalogue

    problems = recipe_problems(data)
    if not isinstance(problems, list):  # not YAML at all: RNN001, as `rnnlint RECIPE` says
        sys.stderr.write(f"{recipe}:{problems.line}:{problems.col}: RNN001 [error] {problems.message}\n")
        return True
    for p in problems:
        severity = catalogue()[p.code].severity.label
        sys.stderr.write(f"{recipe}:{p.line}:{p.col}: {p.code} [{severity}] {p.message}\n")
    if problems:
        sys.stderr.write(f"rnnlint {args_list[0]}: {recipe} is not a valid recipe (`rnnlint {recipe}` lints it)\n")
    return bool(problems)


def _is_config_command(args: list[str]) -> bool:
    """``rnnlint config`` is the command unless a path named ``config`` exists here (then ``--show`` picks the command)."""
    return bool(args) and args[0] == "config" and ("--show" in args or not Path("config").exists())


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``rnnlint`` console script."""
    args_list = list(sys.argv[1:] if argv is None else argv)
    if args_list and args_list[0] == "diagnose":  # training logs, not code: its own stage package
        from rnnlint.diagnose.command import run_cli

        return run_cli(args_list[1:], _Parser)
    if args_list and args_list[0] == "tune":  # hyperparameter search (extra: tune); its own parser and exit codes
        from rnnlint.tune.command import main as tune_main

        return tune_main(args_list[1:])
    if args_list and args_list[0] in REFERENCE_COMMANDS:
        from rnnlint.reference.cli import main as reference_main

        if _invalid_recipe(args_list):
            return 2

        try:
            return reference_main(args_list)
        except SystemExit as exc:
            return int(exc.code) if isinstance(exc.code, int) else 2
    if not args_list or (
        args_list[0] not in COMMANDS and args_list[0] not in ("-h", "--help", "--version") and not _is_config_command(args_list)
    ):
        args_list.insert(0, "check")
    try:
        args = build_parser().parse_args(args_list)
        if args.command == "rules":
            return _rules(args.output_format)
        if args.command == "explain":
            return _explain(args.code)
        if args.command == "config":
            return _config(args)
        if args.command == "server":
            return _server()
        if args.command == "clean":
            from rnnlint.run.runner import clean as clean_cache

            removed = clean_cache(args.cache_dir)
            sys.stdout.write(f"removed {removed} cache file{'s' if removed != 1 else ''} from {args.cache_dir}\n")
            return 0
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


def _cli_settings(config_path: Path | None, args: argparse.Namespace, cache_dir: Path | None) -> RunSettings:
    """Settings from a config file (or defaults) with the command line's flags over them."""
    from rnnlint.run.cachefiles import resolve_settings
    from rnnlint.settings.files import load_config

    raw: dict[str, Any] = {}
    source = "defaults"
    if config_path is not None:
        raw = load_config(config_path)
        source = str(config_path)
        _check_selectors(raw, source)
    flags = {"select": args.select, "ignore": args.ignore, "extend-select": args.extend_select}
    _check_selectors({k: v for k, v in flags.items() if v is not None}, "the command line", "--")
    for key, value in (
        ("select", args.select),
        ("ignore", args.ignore),
        ("severity-threshold", args.severity_threshold),
        ("output-format", args.output_format),
        ("exclude", args.exclude),
        ("show-advice", args.show_advice),
    ):
        if value is not None:
            raw[key] = value
    if args.extend_select:
        raw["extend-select"] = [*raw.get("extend-select", []), *args.extend_select]
    if args.extend_exclude:
        raw["extend-exclude"] = [*raw.get("extend-exclude", []), *args.extend_exclude]
    if args.no_respect_gitignore:
        raw["respect-gitignore"] = False
    return resolve_settings(raw, source, cache_dir)


def _check_selectors(table: dict[str, Any], source: str, flag: str = "") -> None:
    """ConfigError naming ``source`` and the key for a selector that matches no rule (a typo would select nothing)."""
    lists = [(k, table.get(k)) for k in ("select", "ignore", "extend-select")]
    pfi = table.get("per-file-ignores")
    if isinstance(pfi, dict):
        lists += [(f"per-file-ignores.{glob}", codes) for glob, codes in pfi.items()]
    wanted = [(k, c) for k, codes in lists if isinstance(codes, list) for c in codes if isinstance(c, str) and c != "ALL"]
    if not wanted:
        return  # the usual case: no catalogue read
    from rnnlint.checks.selectors import unknown_selector
    from rnnlint.settings.selection import ConfigError

    problems = [f"  {flag}{key}: {why}" for key, code in wanted if (why := unknown_selector(code)) is not None]
    if problems:
        raise ConfigError(f"invalid configuration in {source}:\n" + "\n".join(problems))


def _excluded_by(settings: RunSettings, folder: Path, files: list[Path], explicit: set[Path]) -> list[Path]:
    """Files under a nested config's folder that its own ``exclude`` patterns do not match."""
    from rnnlint.run.discovery import excluded_by

    patterns = [*settings.exclude, *settings.extend_exclude]
    if not patterns:
        return files
    ignore = excluded_by(patterns, folder)
    kept = []
    for f in files:
        resolved = f.resolve()
        if resolved in explicit or not ignore.matches(str(resolved), is_dir=False):
            kept.append(f)
    return kept


def _check(args: argparse.Namespace) -> int:
    from rnnlint.diagnostics import Diagnostic, Severity
    from rnnlint.report.progress import progress_bar
    from rnnlint.run.discovery import MissingPathError, discover_files
    from rnnlint.run.engine import Result, display_path
    from rnnlint.run.runner import lint_files
    from rnnlint.settings.files import ConfigFinder, enabled_here
    from rnnlint.settings.selection import ConfigError

    paths: list[Path] = args.paths or [Path(".")]
    use_stdin = any(str(p) == "-" for p in paths)
    paths = [p for p in paths if str(p) != "-"]
    stdin_name = args.stdin_filename or "<stdin>.py"
    finder = ConfigFinder()
    discovery_per_file = args.config is None and not args.isolated
    config_path: Path | None = None
    try:
        if args.config is not None:
            config_path = args.config
            if not config_path.is_file():
                sys.stderr.write(f"rnnlint: config file not found: {config_path}\n")
                return 2
        elif not args.isolated:
            start = paths[0] if paths else (Path(args.stdin_filename) if use_stdin and args.stdin_filename else Path.cwd())
            config_path = finder.find(start)
        base = config_path.resolve().parent if config_path else Path.cwd()
        cache_dir = None if args.no_cache or use_stdin else (args.cache_dir or base / ".rnnlint_cache")
        settings = _cli_settings(config_path, args, cache_dir)
    except ConfigError as exc:
        sys.stderr.write(f"rnnlint: {exc}\n")
        return 2

    try:
        files = discover_files(paths, [*settings.exclude, *settings.extend_exclude], settings.respect_gitignore, base, cache_dir)
    except MissingPathError as exc:
        sys.stderr.write(f"rnnlint: path not found: {exc}\n")
        return 2
    stdin = None
    if use_stdin:
        stdin = (stdin_name, sys.stdin.buffer.read())
    elif not files:
        sys.stderr.write("rnnlint: warning: no Python files found under the given paths\n")

    # Nearest config wins: group the files by the config that governs them, lint each group with its settings.
    root_key = config_path.resolve() if config_path else None
    known: dict[Path | None, RunSettings] = {root_key: settings}

    def settings_of(key: Path | None) -> RunSettings:
        if key not in known:
            known[key] = _cli_settings(key, args, cache_dir)
        return known[key]

    groups: dict[Path | None, list[Path]] = {}
    stdin_key = root_key
    try:
        if discovery_per_file:
            explicit = {p.resolve() for p in paths if p.is_file()}
            for f in files:
                groups.setdefault(finder.find(f), []).append(f)
            for key in list(groups):
                if key != root_key and key is not None:
                    groups[key] = _excluded_by(settings_of(key), key.parent, groups[key], explicit)
                settings_of(key)
            if stdin is not None and args.stdin_filename:
                stdin_key = finder.find(Path(args.stdin_filename))
                settings_of(stdin_key)
        else:
            groups[root_key] = files
    except ConfigError as exc:
        sys.stderr.write(f"rnnlint: {exc}\n")
        return 2
    if stdin is not None:
        groups.setdefault(stdin_key, [])

    def checked() -> list[str]:
        """Every file checked, as reported (only JUnit lists them: not worth computing on every run)."""
        return [display_path(f) for f in files] + ([stdin_name] if stdin is not None else [])

    owners: dict[str, Path | None] = {}  # a reported path -> its config; a linted file's is known from grouping

    def governing(d: Diagnostic) -> Path | None:
        if stdin is not None and d.loc.path == stdin_name:
            return stdin_key
        if not discovery_per_file:
            return root_key
        if not owners:
            owners.update((display_path(f), key) for key, group_files in groups.items() for f in group_files)
        if d.loc.path not in owners:
            owners[d.loc.path] = finder.find(d.loc.path)
        return owners[d.loc.path]

    def lint() -> Result:
        """One pass over every group, merged; callable again (a fix loop re-lints after writing)."""
        result = Result()
        seen: set[tuple[str, str, int, int, str]] = set()
        with progress_bar(len(files)) as bar:
            for key, group_files in groups.items():
                folder = key.parent if key is not None else Path.cwd()
                roots = [folder] if folder == base else [folder, base]
                own_stdin = stdin if key == stdin_key else None
                part = lint_files(group_files, settings_of(key), roots, jobs, cache_dir, own_stdin, bar.advance)
                result.files += part.files
                result.sources.update(part.sources)
                for d in part.diagnostics:
                    ident = (d.loc.path, d.code, d.loc.line, d.loc.col, d.message)
                    if ident not in seen:
                        seen.add(ident)
                        result.diagnostics.append(d)
        kept: list[Diagnostic] = []
        for d in sorted(result.diagnostics, key=Diagnostic.sort_key):
            key = governing(d)
            if not enabled_here(settings_of(key), key, d.code, d.loc.path, finder):
                continue  # per-file-ignores are relative to the config that declares them
            kept.append(d)
        result.diagnostics = kept
        return result

    jobs = max(1, args.jobs if args.jobs is not None else os.cpu_count() or 1)
    report_out: Any = None  # stdout, unless stdout carries the fixed source
    try:
        showed_diff = False
        if stdin is not None and not files and (args.fix or args.diff or args.unsafe_fixes):
            # `rnnlint --fix -`: the fixed source goes to stdout (as `ruff check --fix -`), the report to stderr
            from rnnlint.fix.apply import fix_bytes, unified_diff
            from rnnlint.fix.command import MAX_ROUNDS

            original = stdin[1]
            result = lint()
            for _ in range(MAX_ROUNDS):
                fixed, applied_now = fix_bytes(stdin_name, stdin[1], result.diagnostics, args.unsafe_fixes)
                if not applied_now:
                    break
                stdin = (stdin_name, fixed)
                result = lint()
            if args.diff:
                text = unified_diff(stdin_name, original, stdin[1])
                sys.stdout.write(text)
                return 1 if text else 0
            sys.stdout.buffer.write(stdin[1])
            sys.stdout.flush()
            report_out = sys.stderr
        elif args.fix or args.diff or args.unsafe_fixes:
            from rnnlint.fix.command import fix_files

            result, applied, showed_diff = fix_files(lint, args.unsafe_fixes, args.diff, sys.stderr, sys.stdout)
            if args.diff:
                return 1 if showed_diff else 0
            if applied:
                sys.stderr.write(f"rnnlint: fixed {applied} finding{'s' if applied != 1 else ''}\n")
        else:
            result = lint()
        failing = any(d.severity >= Severity.parse(settings_of(governing(d)).severity_threshold) for d in result.diagnostics)
    except ConfigError as exc:
        sys.stderr.write(f"rnnlint: {exc}\n")
        return 2
    try:
        _report(args, settings, result, checked, report_out)
    except BrokenPipeError:
        if args.output_file is not None:
            sys.stderr.write(f"rnnlint: cannot write {args.output_file}: broken pipe\n")
            return 2
        _quiet_stdout()  # `rnnlint ... | head`: the reader left; nothing to say
    except OSError as exc:
        sys.stderr.write(f"rnnlint: cannot write {args.output_file or 'the report'}: {exc.strerror or exc}\n")
        return 2
    return 1 if failing and not args.exit_zero else 0


def _quiet_stdout() -> None:
    """Point stdout at /dev/null so that the interpreter's last flush cannot fail again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):
        pass


def _report(
    args: argparse.Namespace, settings: RunSettings, result: Any, checked: Callable[[], list[str]], out: Any = None
) -> None:
    """Write the report in the settings' format to ``--output-file``, else ``out`` (default: stdout)."""
    from rnnlint.report import formats
    from rnnlint.report.display import ARRANGED_FORMATS, arrange, folded_line

    fmt = settings.output_format
    folded = ""
    if fmt in ARRANGED_FORMATS and not args.statistics:
        selectors = [*settings.values["select"], *settings.values["extend_select"]]
        shown, count = arrange(result.diagnostics, settings.show_advice, settings.severity_threshold, selectors)
        result.diagnostics = shown
        folded = folded_line(count) if count else ""

    if args.output_file is not None:
        args.output_file.parent.mkdir(parents=True, exist_ok=True)
        with open(args.output_file, "w", encoding="utf-8", newline="\n") as handle:
            _write_report(formats, args, fmt, result, checked, handle, folded)
    else:
        _write_report(formats, args, fmt, result, checked, out or sys.stdout, folded)


def _write_report(
    formats: Any, args: argparse.Namespace, fmt: str, result: Any, checked: Callable[[], list[str]], out: Any, folded: str
) -> None:
    diags = result.diagnostics
    if diags and fmt in ("full", "concise"):  # the summary names the imported modules that findings come from
        shown = set(checked())
        result.files = formats.FileCount(result.files, tuple(sorted({d.loc.path for d in diags} - shown)))
    if args.statistics:
        formats.write_statistics(diags, out, as_json_output=fmt in ("json", "json-lines"))
        if fmt not in ("json", "json-lines"):
            out.write(formats.summary(diags, result.files) + "\n")
    elif fmt == "json":
        formats.write_json(diags, out)
    elif fmt == "json-lines":
        formats.write_json_lines(diags, out)
    elif fmt == "concise":
        formats.write_concise(diags, out)
        out.write(formats.summary(diags, result.files) + "\n")
        if folded:
            out.write(folded + "\n")
    elif fmt == "github":
        formats.write_github(diags, out)
    elif fmt == "sarif":
        formats.write_sarif(diags, out, __version__)
    elif fmt == "junit":
        formats.write_junit(diags, checked(), out)
    else:
        formats.write_full(diags, result.sources, result.files, out)
        if folded:
            out.write(folded + "\n")


def _config(args: argparse.Namespace) -> int:
    """``rnnlint config --show [PATH]``: the settings that apply to PATH, and where they come from."""
    from rnnlint.settings.files import find_config, load_config
    from rnnlint.settings.model import make_settings, show_settings
    from rnnlint.settings.selection import ConfigError

    if not args.path.exists():
        sys.stderr.write(f"rnnlint: path not found: {args.path}\n")
        return 2
    chain: list[Path] = []
    try:
        if args.config is not None:
            if not args.config.is_file():
                sys.stderr.write(f"rnnlint: config file not found: {args.config}\n")
                return 2
            config_path: Path | None = args.config
        else:
            config_path = None if args.isolated else find_config(args.path)
        raw = load_config(config_path, chain) if config_path is not None else {}
        if config_path is not None:
            _check_selectors(raw, str(config_path))
        settings = make_settings(raw, str(config_path) if config_path else "defaults")
    except ConfigError as exc:
        sys.stderr.write(f"rnnlint: {exc}\n")
        return 2
    sys.stdout.write(show_settings(settings, chain, args.output_format) + "\n")
    return 0


def _server() -> int:
    """``rnnlint server``: the Language Server on stdio (needs the ``lsp`` extra)."""
    try:
        from rnnlint.lsp import serve
    except ImportError as exc:
        sys.stderr.write(f"rnnlint: the language server needs pygls ({exc}); install it with: pip install 'rnnlint[lsp]'\n")
        return 2
    serve()
    return 0


def _rules(fmt: str | None) -> int:
    from rnnlint.checks.catalogue import catalogue
    from rnnlint.checks.rules import REGISTRY

    rules = catalogue().values()
    if fmt == "json":
        data = [
            {
                "code": r.code,
                "name": r.name,
                "severity": r.severity.label,
                "group": r.group,
                "guideline": r.guideline,
                "fix": r.fix,
                "summary": r.summary,
                "implemented": r.code in REGISTRY or r.code in ("RNN001", "RNN002", "RNN003") or r.code[:4] == "RNN6",
            }
            for r in rules
        ]
        json.dump(data, sys.stdout, indent=2)
        sys.stdout.write("\n")
        return 0
    if fmt == "concise" or (fmt is None and not _is_terminal()):
        for r in rules:
            sys.stdout.write(f"{r.code} {r.name} [{r.severity.label}] {r.group} {r.guideline} fix:{r.fix} {r.summary}\n")
        return 0
    from rich.console import Console
    from rich.table import Table

    table = Table("code", "name", "severity", "group", "guideline", "fix", "what fires it", box=None)
    for r in rules:
        table.add_row(r.code, r.name, r.severity.label, r.group, r.guideline, r.fix, r.summary)
    console = Console(soft_wrap=False)
    if not console.is_terminal:
        console.width = max(console.width, 200)  # asked for a table in a pipe: no column squeezed into wrapped words
    console.print(table)
    return 0


def _explain(code: str) -> int:
    from rnnlint.checks.catalogue import catalogue

    rules = catalogue()
    wanted = code.strip()
    info = rules.get(wanted.upper()) or next((r for r in rules.values() if r.name == wanted), None)
    if info is None:
        sys.stderr.write(f"rnnlint: unknown rule {code!r}; `rnnlint rules` lists them\n")
        return 2
    header = f"# {info.code} {info.name}\n\nSeverity: {info.severity.label} - Group: {info.group} - Guideline: {info.guideline} - Fix: {info.fix}\n\n"
    if not _is_terminal():  # piped or redirected: the Markdown as written, no padding, no wrapped code
        sys.stdout.write(header + info.body())
        return 0
    from rich.console import Console
    from rich.markdown import Markdown

    Console().print(Markdown(header + info.body()))
    return 0


def _is_terminal() -> bool:
    try:
        return sys.stdout.isatty()
    except (AttributeError, ValueError):
        return False
