"""The lint pipeline: discover -> read -> parse -> units -> facts -> rules -> diagnostics."""

from __future__ import annotations

import gc
import os
import re
import signal
import threading
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from rnnlint.diagnostics import Diagnostic, Loc, Severity
from rnnlint.read.source import SourceError, read_regular
from rnnlint.run.units import ModuleFinder, is_relevant, library_module, local_import_names, test_module

if TYPE_CHECKING:
    from rnnlint.analysis.pyindex import ModuleInfo
    from rnnlint.settings.model import Settings

# The analysis modules (parser, resolver, fact builder, rules) are imported where a file is
# analysed: a run served from the cache never needs them, and they are most of the start-up.

UNIT_TIME_LIMIT = 60.0  # seconds for one training unit; past it its files are analysed one by one
FILE_TIME_LIMIT = 20.0  # seconds for one file analysed alone; past it the file is skipped (never RNN001)


class TimeLimitExceeded(Exception):
    pass


def _why(exc: BaseException) -> str:
    if isinstance(exc, TimeLimitExceeded):
        return "time limit reached"
    if isinstance(exc, RecursionError):
        return "nesting limit reached"
    if isinstance(exc, MemoryError):
        return "out of memory"
    return f"internal error: {exc.__class__.__name__}: {exc}"


@contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    """Interrupt a block after ``seconds`` (main thread on POSIX; elsewhere no limit)."""
    usable = hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()
    if not usable:
        yield
        return

    def expire(signum: int, frame: object) -> None:
        raise TimeLimitExceeded

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


@contextmanager
def collector_paused() -> Iterator[None]:
    """Run a block without the cyclic garbage collector.

    A lint run keeps every parsed tree alive to its end, so each collection rescans a heap
    that only grows: with the collector on, ast.parse took three times as long over 600
    files. What a run allocates is freed by reference counting; the collector comes back after.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            # what the run left alive joins the oldest generation: otherwise the first collection after it would
            # treat the whole heap as young and scan all of it at once
            gc.freeze()
            gc.enable()
            gc.unfreeze()


class ParsedImports:
    """Imported modules parsed and indexed in this process, by path, shown path and bytes, least recently used last.

    Groups share no files, but they import the same library: on a whole repository each script's group
    parsed the package again (flair: 2,521 parses of 140 files, a third of the run). Only modules loaded
    as imports are kept (a group's own files are parsed once anyway), within a budget of source bytes, so a
    run still holds about one group's trees. Config files are never kept: translating one reads other files,
    which the cache must see read. The key holds the bytes: a changed file is parsed again.
    """

    def __init__(self, budget: int = 8 * 2**20) -> None:
        self.budget = budget
        self.size = 0
        self.entries: OrderedDict[tuple[str, str, bytes], ModuleInfo | SourceError | None] = OrderedDict()

    def get(self, data: bytes, key: str, shown: str) -> ModuleInfo | SourceError | None:
        from rnnlint.analysis.pyindex import CONFIG_SUFFIXES, parse_module

        if key.endswith(CONFIG_SUFFIXES) or len(data) > self.budget:
            return parse_module(data, key, shown)
        entry = (key, shown, data)
        found = self.entries.get(entry)
        if found is not None:
            self.entries.move_to_end(entry)
            return found
        found = self.entries[entry] = parse_module(data, key, shown)
        self.size += len(data)
        while self.size > self.budget:
            (_, _, old), _ = self.entries.popitem(last=False)
            self.size -= len(old)
        return found


PARSED_IMPORTS = ParsedImports()


@dataclass
class Result:
    diagnostics: list[Diagnostic] = field(default_factory=list)
    files: int = 0
    sources: dict[str, str] = field(default_factory=dict)
    # rnnlint's own limits and failures (a unit it could not analyse whole): said on stderr, never a finding
    notices: list[str] = field(default_factory=list)


def display_path(path: Path) -> str:
    """Paths relative to the working directory when under it, as users typed them."""
    try:
        return os.path.relpath(path)
    except ValueError:
        return str(path)


class Linter:
    """One lint run over a set of files with fixed settings."""

    def __init__(self, settings: Settings, roots: list[Path] | None = None, context_importers: bool = True) -> None:
        self.settings = settings
        self.context_importers = context_importers
        self.finder = ModuleFinder(roots or [Path.cwd()])
        self.loaded: dict[str, ModuleInfo | SourceError | None] = {}
        self.result = Result()
        self._scanning: set[str] = set()

    def _load_import(self, path: Path) -> ModuleInfo | SourceError | None:
        """A module some linted module imports (or a script importing one): parsed once per process."""
        return self._load(path, shared=True)

    def _load(
        self, path: Path, data: bytes | None = None, display: str | None = None, shared: bool = False
    ) -> ModuleInfo | SourceError | None:
        key = str(path.resolve()) if data is None else str(path)
        if key in self.loaded:
            return self.loaded[key]
        shown = display or display_path(path)
        if data is None:
            try:
                data = read_regular(path)  # issue 7: a FIFO must not block the run
            except OSError as exc:
                err = SourceError(f"cannot read file: {exc.strerror or exc}")
                self.loaded[key] = err
                return err
        from rnnlint.analysis.pyindex import ModuleInfo, parse_module

        info = PARSED_IMPORTS.get(data, key, shown) if shared else parse_module(data, key, shown)
        self.loaded[key] = info
        if isinstance(info, ModuleInfo):
            self.result.sources[shown] = info.config_text if info.config_text is not None else info.source
            for cell_error in info.cell_errors:
                self._syntax(shown, cell_error)
            for problem in info.config_problems:
                loc = Loc(shown, problem.line, problem.col, problem.line, problem.end_col)
                self.result.diagnostics.append(Diagnostic(problem.code, problem.message, loc))
        return info

    def run(self, files: list[Path], stdin: tuple[str, bytes] | None = None) -> Result:
        """Lint ``files`` (and a stdin buffer named ``stdin[0]``)."""
        with collector_paused():
            return self._run(files, stdin)

    def _run(self, files: list[Path], stdin: tuple[str, bytes] | None) -> Result:
        from rnnlint.run.units import build_units

        modules: dict[str, ModuleInfo] = {}
        self.finder.add_files(files)
        inputs: list[tuple[Path, bytes | None, str | None]] = [(f, None, None) for f in files]
        if stdin is not None:
            inputs.append((Path(stdin[0]).resolve(), stdin[1], stdin[0]))
        for path, data, display in inputs:
            self.result.files += 1
            from_stdin = data is not None
            if data is None:
                try:
                    data = read_regular(path)  # issue 7: a FIFO must not block the run
                except OSError as exc:
                    self._syntax(display or display_path(path), SourceError(f"cannot read file: {exc.strerror or exc}"))
                    continue
            if not self._relevant(path, data):
                continue  # nothing recurrent or training-related can be in it or in what it imports
            if not from_stdin and not self._training_code(path, data):
                continue
            info = self._load(path, data, display) if from_stdin else self._load(path)
            if isinstance(info, SourceError):
                self._syntax(display or display_path(path), info)
            elif info is not None:
                modules[info.path] = info
        context = self._importers(modules) if self.context_importers else {}
        shown_only = {m.display for m in context.values()}
        for unit in build_units({**modules, **context}, self._load_import, self.finder):
            found = self._analyse(unit.modules, unit.entry.display, UNIT_TIME_LIMIT)
            if isinstance(found, BaseException):
                # rnnlint's own limit or bug, not the user's error: say so, then judge each linted file of the unit on
                # its own (values no longer flow between them, so some findings may be missed, none invented)
                self.result.notices.append(
                    f"{unit.entry.display}: this training unit ({len(unit.modules)} modules) could not be analysed whole "
                    f"({_why(found)}); its files were analysed one by one"
                )
                found = []
                for mod in unit.modules:
                    if mod.path not in modules or (mod is not unit.entry and mod.display in shown_only):
                        continue
                    alone = self._analyse([mod], mod.display, FILE_TIME_LIMIT)
                    if isinstance(alone, BaseException):
                        self.result.notices.append(f"{mod.display}: could not be analysed ({_why(alone)}); skipped")
                        continue
                    found.extend(d for d in alone if d.loc.path == mod.display)
            self.result.diagnostics.extend(d for d in found if d.loc.path not in shown_only)
        self._finish()
        return self.result

    def _training_code(self, path: Path, data: bytes) -> bool:
        """Not tests, and not a library's own modules (a big package's building blocks and trainers) unless run as a
        script: neither is a training run, and judging them as one gave findings about test sizes and library defaults."""
        if test_module(path, self.finder.roots):
            return False
        return path.suffix != ".py" or b"__main__" in data or not library_module(os.path.realpath(path))

    def _analyse(self, mods: list[ModuleInfo], entry: str, seconds: float) -> list[Diagnostic] | BaseException:
        """The findings of one unit, or the internal failure that stopped its analysis (a limit, a bug)."""
        from rnnlint.analysis.pyfacts import build_unit_facts
        from rnnlint.analysis.resolve import Resolver
        from rnnlint.checks.rules import run_checks

        try:
            with time_limit(seconds):
                resolver = Resolver(mods, self.finder)
                facts = build_unit_facts(mods, entry, resolver)
                return run_checks(facts, self.settings)
        except (TimeLimitExceeded, RecursionError, MemoryError) as exc:
            return exc
        except Exception as exc:  # an internal bug must not cost the user the rest of the run
            if os.environ.get("RNNLINT_DEBUG"):
                raise
            return exc

    def _importers(self, modules: dict[str, ModuleInfo]) -> dict[str, ModuleInfo]:
        """Scripts next to a linted module that import it: they supply its training context.

        A pre-commit hook passes only changed files; a changed model.py must still be
        judged with the train.py that uses it. Findings inside these scripts are not shown.
        """
        from rnnlint.analysis.pyindex import ModuleInfo

        found: dict[str, ModuleInfo] = {}
        for info in list(modules.values()):
            here = Path(info.path)
            pattern = re.compile(
                rb"^[ \t]*(?:from[ \t]+[.\w]*\b"
                + re.escape(here.stem.encode())
                + rb"\b[ \t]+import|import[ \t]+[.\w]*\b"
                + re.escape(here.stem.encode())
                + rb"\b|from[ \t]+\.+[ \t]+import[^\n]*\b"
                + re.escape(here.stem.encode())
                + rb"\b)",
                re.M,
            )
            try:
                siblings = sorted(here.parent.glob("*.py"))[:200]
            except OSError:
                continue
            for sibling in siblings:
                try:  # issue 7: a looping symlink beside the module made resolve() raise RuntimeError (Python < 3.13)
                    key = str(sibling.resolve())
                except (OSError, RuntimeError):
                    continue
                if key in modules or key in found or key == info.path:
                    continue
                try:
                    data = read_regular(sibling)  # issue 7: a FIFO must not block the run
                except OSError:
                    continue
                if test_module(sibling, self.finder.roots):
                    continue  # a test's values are the test's, not the module's training context
                if pattern.search(data) and self.finder.find(sibling.resolve(), here.stem, 0) == info.path:
                    loaded = self._load_import(sibling)
                    if isinstance(loaded, ModuleInfo):
                        found[key] = loaded
        return found

    def _relevant(self, path: Path, data: bytes, depth: int = 0) -> bool:
        """A cheap byte scan: framework or training text here, or in a local module this file imports."""
        if is_relevant(data):
            return True
        if depth > 2:
            return False
        for level, dotted in local_import_names(data):
            hit = self.finder.find(path.resolve(), dotted, level)
            if hit is None or hit in self._scanning:
                continue
            self._scanning.add(hit)
            try:
                if self._relevant(Path(hit), read_regular(hit), depth + 1):  # issue 7: a FIFO must not block the run
                    return True
            except OSError:
                continue
        return False

    def _syntax(self, display: str, err: SourceError) -> None:
        if err.internal:
            self.result.notices.append(f"{display}: could not be analysed ({err.message}); skipped")
            return
        if err.cell is not None:
            loc = Loc(display, err.line, err.col, err.line, err.col, err.cell, err.line, err.line)
        else:
            loc = Loc(display, err.line, err.col, err.line, err.col)
        self.result.diagnostics.append(Diagnostic("RNN001", err.message, loc))

    def _finish(self) -> None:
        from rnnlint.analysis.pyindex import CONFIG_SUFFIXES
        from rnnlint.checks.catalogue import catalogue
        from rnnlint.run.suppress import Suppressions, scan

        rules = catalogue()
        sup: dict[str, Suppressions] = {}
        unique: dict[tuple[str, str, int, int, str], Diagnostic] = {}
        for d in self.result.diagnostics:
            if not self.settings.enabled(d.code, d.loc.path):
                continue
            if d.loc.path not in sup:
                source = self.result.sources.get(d.loc.path)
                python = not d.loc.path.endswith(CONFIG_SUFFIXES)
                sup[d.loc.path] = scan(source, python) if source else Suppressions()
            if sup[d.loc.path].covers(d.code, d.loc.line, d.loc.end_line):
                continue
            info = rules.get(d.code)
            full = Diagnostic(
                d.code,
                d.message,
                d.loc,
                info.name if info else d.code,
                d.lowered or (info.severity if info else Severity.WARNING),
                d.fix,
                d.notes,
                info.group if info else "",
            )
            unique.setdefault((d.loc.path, d.code, d.loc.line, d.loc.col, d.message), full)
        self.result.diagnostics = sorted(unique.values(), key=Diagnostic.sort_key)
