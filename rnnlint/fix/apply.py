"""Applying fixes: minimal text edits, checked by parsing, written atomically.

A fix is applied whole or not at all; fixes whose edits overlap one already taken
wait for the next round. Python files are edited as text; notebooks inside their code
cells' source strings (``fix.notebook``); YAML configs as text that must still load (``fix.yamltext``).
The edited file must parse, or nothing is written for that file and the fixes are
reported as dropped. Writes go to a temporary file beside the
original, keep its permissions and owner, and replace it in one rename; a file that
changed on disk since it was read is left alone.
"""

from __future__ import annotations

import ast
import contextlib
import difflib
import io
import os
import tempfile
import tokenize
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from rnnlint.diagnostics import Diagnostic, Edit, Fix, Loc
from rnnlint.fix import notebook, yamltext
from rnnlint.fix.textedit import apply_to_text
from rnnlint.read.source import python_lines
from rnnlint.read.textpos import split_bom


@dataclass
class FileFix:
    path: str
    original: bytes
    fixed: bytes
    applied: list[Diagnostic] = field(default_factory=list)


@dataclass
class Outcome:
    files: list[FileFix] = field(default_factory=list)
    dropped: list[tuple[str, str]] = field(default_factory=list)  # (path, why)

    @property
    def applied(self) -> int:
        return sum(len(f.applied) for f in self.files)


def wanted(d: Diagnostic, unsafe: bool) -> bool:
    return d.fix is not None and bool(d.fix.edits) and (d.fix.applicability == "safe" or unsafe)


def plan(diagnostics: list[Diagnostic], unsafe: bool) -> Outcome:
    """The edited contents of every file with applicable fixes (nothing is written)."""
    outcome = Outcome()
    by_path: dict[str, list[Diagnostic]] = {}
    for d in diagnostics:
        if wanted(d, unsafe) and _format(d.loc.path) is not None and _one_file(d):
            by_path.setdefault(d.loc.path, []).append(d)
    for path, diags in sorted(by_path.items()):
        fmt = _format(path)
        assert fmt is not None
        try:
            original = Path(path).read_bytes()
        except OSError as exc:
            outcome.dropped.append((path, f"cannot read: {exc.strerror or exc}"))
            continue
        fixed, applied = fmt.apply(original, diags)
        if applied and not fmt.valid(fixed, original):
            fixed, applied, broken = _valid_subset(fmt, original, diags)
            for d in broken:
                where = f"line {d.loc.line}" if d.loc.cell is None else f"cell {d.loc.cell}:{d.loc.cell_line}"
                outcome.dropped.append((path, f"{d.code} fix at {where} would not {fmt.check}; not applied"))
        if not applied:
            continue
        outcome.files.append(FileFix(path, original, fixed, applied))
    return outcome


def fixable_path(path: str) -> bool:
    """Does ``--fix`` edit files like this one (Python, notebooks, YAML)?"""
    return _format(path) is not None


def still_valid(path: str, fixed: bytes, original: bytes) -> bool:
    """What a fixed file of this kind must still do: parse (Python, notebook cells) or load (YAML)."""
    fmt = _format(path)
    return fmt is not None and fmt.valid(fixed, original)


def _one_file(d: Diagnostic) -> bool:
    """Fixes edit the file of their finding; one reaching into another file is not applied (silence when unsure)."""
    return d.fix is not None and all(e.loc.path == d.loc.path for e in d.fix.edits)


@dataclass(frozen=True)
class _Format:
    """How one kind of file is edited and what it must still do afterwards."""

    apply: Callable[[bytes, list[Diagnostic]], tuple[bytes, list[Diagnostic]]]
    valid: Callable[[bytes, bytes], bool]
    check: str  # "parse": said when a fix is dropped


def _format(path: str) -> _Format | None:
    if path.endswith(".py"):
        return _Format(_apply, lambda data, _original: _parses(data), "parse")
    if path.endswith(".ipynb"):
        return _Format(notebook.apply, notebook.valid, "parse")
    if path.endswith((".yaml", ".yml")):
        return _Format(yamltext.apply, yamltext.valid, "load")
    return None


def _apply(original: bytes, diags: list[Diagnostic]) -> tuple[bytes, list[Diagnostic]]:
    text, encoding, bom = _decode(original)
    # issue 7: ast's line numbers, not str.splitlines()'s
    fixed, applied = apply_to_text(text, python_lines(text, keepends=True), diags)
    return (bom + fixed.encode(encoding)), applied


def _valid_subset(fmt: _Format, original: bytes, diags: list[Diagnostic]) -> tuple[bytes, list[Diagnostic], list[Diagnostic]]:
    """Together the fixes break the file: keep each one that still passes with those kept before it."""
    kept: list[Diagnostic] = []
    broken: list[Diagnostic] = []
    fixed = original
    for d in sorted(diags, key=Diagnostic.sort_key):
        trial, applied = fmt.apply(original, [*kept, d])
        if d in applied and fmt.valid(trial, original):
            kept, fixed = [k for k in kept if k in applied] + [d], trial
        else:
            broken.append(d)
    return fixed, fmt.apply(original, kept)[1] if kept else [], broken


def _decode(data: bytes) -> tuple[str, str, bytes]:
    bom, rest = split_bom(data)
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    except SyntaxError:
        encoding = "utf-8"
    encoding = "utf-8" if encoding == "utf-8-sig" else encoding
    return rest.decode(encoding), encoding, bom


def _parses(data: bytes) -> bool:
    try:
        ast.parse(data)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    return True


def diff(outcome: Outcome) -> str:
    """A unified diff of every planned change."""
    chunks = []
    for f in outcome.files:
        old = _text(f.path, f.original).splitlines(keepends=True)
        new = _text(f.path, f.fixed).splitlines(keepends=True)
        chunks.append("".join(difflib.unified_diff(old, new, f"a/{f.path}", f"b/{f.path}")))
    return "".join(chunks)


def _text(path: str, data: bytes) -> str:
    """A file's text for the diff: Python by its coding cookie; notebooks and configs are UTF-8."""
    if path.endswith(".py"):
        return _decode(data)[0]
    return data.decode("utf-8-sig", errors="replace")


def write(outcome: Outcome) -> Outcome:
    """Write planned changes atomically; files changed on disk meanwhile are skipped and reported."""
    done = Outcome(dropped=list(outcome.dropped))
    for f in outcome.files:
        target = Path(f.path)
        try:
            target = target.resolve()  # fix the file a symlink points to; the link stays a link
            if target.read_bytes() != f.original:
                done.dropped.append((f.path, "changed on disk while rnnlint ran; not overwritten"))
                continue
            _atomic_write(target, f.fixed)
        except OSError as exc:
            done.dropped.append((f.path, f"cannot write: {exc.strerror or exc}"))
            continue
        done.files.append(f)
    return done


def _atomic_write(target: Path, data: bytes) -> None:
    stat = target.stat()
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".rnnlint")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        with contextlib.suppress(OSError):  # only root may give a file away; chown first, it clears set-id bits
            os.chown(tmp, stat.st_uid, stat.st_gid)
        os.chmod(tmp, stat.st_mode & 0o7777)
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


__all__ = ["Edit", "Fix", "Loc", "Outcome", "diff", "plan", "wanted", "write"]


def fix_bytes(path: str, original: bytes, diagnostics: list[Diagnostic], unsafe: bool) -> tuple[bytes, list[Diagnostic]]:
    """One round of ``path``'s applicable fixes on ``original`` held in memory (stdin: nothing to read or write);
    the fixes that together would break the file are left out, as ``plan`` does."""
    fmt = _format(path)
    diags = [d for d in diagnostics if d.loc.path == path and wanted(d, unsafe) and _one_file(d)]
    if fmt is None or not diags:
        return original, []
    fixed, applied = fmt.apply(original, diags)
    if applied and not fmt.valid(fixed, original):
        fixed, applied, _broken = _valid_subset(fmt, original, diags)
    return (fixed, applied) if applied else (original, [])


def unified_diff(path: str, original: bytes, fixed: bytes) -> str:
    """The diff ``--diff`` prints for one file's change."""
    return diff(Outcome(files=[FileFix(path, original, fixed)]))
