"""Properties of ``--fix`` over every fixture folder and mutated variants of them.

For each tree (as committed, or with CRLF endings, a byte-order mark, tab indentation,
extra blank lines and comments, a renamed import alias, trailing whitespace; notebooks
re-laid out or with single-string sources) fixing a copy must leave every file that
parsed parsing, remove the findings it fixed, change nothing on a second run, and leave
every file it did not fix byte for byte. Hypothesis is derandomized and keeps no
database, so CI sees the same examples on every run.
"""

from __future__ import annotations

import ast
import functools
import json
import re
import shutil
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rnnlint.fix import apply
from rnnlint.read.notebook import read_notebook
from rnnlint.read.source import SourceError
from rnnlint.read.yamlnodes import load
from rnnlint.run.discovery import discover
from rnnlint.run.engine import Linter, Result
from rnnlint.settings.model import Settings

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
FOLDERS = sorted(
    [p for p in FIXTURES.iterdir() if p.is_dir() and p.name != "fixes"]
    + [p for p in (FIXTURES / "fixes").glob("*/before") if p.is_dir()]
)
NAMES = [p.relative_to(FIXTURES).as_posix() for p in FOLDERS]


def _lint(root: Path) -> Result:
    return Linter(Settings(), [root]).run(list(discover([root], [])))


def _ok(path: Path, data: bytes) -> bool:
    """Does the file still read as what it is (Python parses, a notebook's cells parse, YAML loads)?"""
    if path.suffix == ".py":
        try:
            ast.parse(data)
        except (SyntaxError, ValueError):
            return False
        return True
    if path.suffix == ".ipynb":
        nb = read_notebook(data)
        if isinstance(nb, SourceError):
            return False
        try:
            ast.parse(nb.source)
        except (SyntaxError, ValueError):
            return False
        return True
    if path.suffix in (".yaml", ".yml"):
        return not isinstance(load(data), SourceError)
    return True


def _files(root: Path) -> dict[Path, bytes]:
    return {p: p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def _check_fix(root: Path, unsafe: bool, first: Result | None = None) -> int:
    """Fix ``root`` round by round as ``--fix`` does and assert the properties; returns the fixes applied."""
    before = _files(root)
    result = first or _lint(root)
    offered = Counter((d.code, d.loc.path) for d in result.diagnostics if apply.wanted(d, unsafe))
    if not offered:
        assert not apply.plan(result.diagnostics, unsafe).files
        return 0
    initial = Counter((d.code, d.loc.path) for d in result.diagnostics)
    fixed: Counter[tuple[str, str]] = Counter()
    written_paths: set[Path] = set()
    for _ in range(5):
        written = apply.write(apply.plan(result.diagnostics, unsafe))
        assert not written.dropped, written.dropped
        if not written.applied:
            break
        for f in written.files:
            written_paths.add(Path(f.path).resolve())
            fixed.update((d.code, d.loc.path) for d in f.applied)
        result = _lint(root)
    after = _files(root)
    for p, data in after.items():
        assert not _ok(p, before[p]) or _ok(p, data), f"{p} no longer parses after the fix"
        if p.resolve() not in written_paths:
            assert data == before[p], f"{p} was not fixed but changed"
    remaining = Counter((d.code, d.loc.path) for d in result.diagnostics)
    for key in fixed:
        if initial[key] <= fixed[key]:  # every finding of this code in this file had its fix applied
            assert remaining[key] == 0, f"{key} still reported after its fix"
    again = apply.plan(result.diagnostics, unsafe)
    assert not again.files, f"a second run would change {[f.path for f in again.files]}"
    return sum(fixed.values())


@pytest.mark.parametrize("name", NAMES)
def test_fixing_every_fixture_keeps_it_valid_and_converges(name: str, tmp_path: Path) -> None:
    work = tmp_path / "safe"
    shutil.copytree(FIXTURES / name, work)
    first = _lint(work)
    safe = {(d.code, d.loc.path) for d in first.diagnostics if apply.wanted(d, False)}
    unsafe = {(d.code, d.loc.path) for d in first.diagnostics if apply.wanted(d, True)}
    _check_fix(work, False, first)
    if unsafe != safe:
        shutil.copytree(FIXTURES / name, tmp_path / "unsafe")
        _check_fix(tmp_path / "unsafe", True)


# -- mutations --------------------------------------------------------------------------------------------
_IMPORT_AS = re.compile(r"^import ([\w.]+) as (\w+)[ \t]*$", re.M)
_TOP_KEY = re.compile(r"^[A-Za-z_][\w.-]*:", re.M)


def _crlf(data: bytes) -> bytes:
    return data.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")


def _bom(data: bytes) -> bytes:
    return data if data.startswith(b"\xef\xbb\xbf") else b"\xef\xbb\xbf" + data


def _tabs(text: str) -> str:
    """Indent with tabs: every leading run of four spaces becomes one tab."""
    return re.sub(r"^((?:    )+)", lambda m: "\t" * (len(m.group(1)) // 4), text, flags=re.M)


def _between_statements(text: str, filler: str, every: int) -> str:
    """A blank line or a comment before every ``every``-th statement, at its indentation."""
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError):
        return text
    starts = sorted({s.lineno for s in ast.walk(tree) if isinstance(s, ast.stmt)})[::every]
    lines = text.splitlines(keepends=True)
    for n in reversed(starts):
        line = lines[n - 1]
        indent = line[: len(line) - len(line.lstrip())]
        lines.insert(n - 1, f"{indent}{filler}\n" if filler else "\n")
    return "".join(lines)


def _rename_alias(text: str) -> str:
    """``import torch`` -> ``import torch as T`` (or ``as np`` -> ``as np_``), every use renamed, imports left alone."""
    if re.search(r"^import torch[ \t]*$", text, re.M) and not re.search(r"\bT\b", text):
        text = re.sub(r"^import torch[ \t]*$", "import torch as T", text, flags=re.M)
        old, new = "torch", "T"
    else:
        m = _IMPORT_AS.search(text)
        if m is None or f"{m.group(2)}_" in text:
            return text
        old, new = m.group(2), f"{m.group(2)}_"
        text = text[: m.start()] + f"import {m.group(1)} as {new}" + text[m.end() :]
    out = []
    for line in text.splitlines(keepends=True):
        if not re.match(r"\s*(import|from)\s", line):
            line = re.sub(rf"(?<![\w.]){old}\b", new, line)
        out.append(line)
    return "".join(out)


def _trailing_spaces(text: str, every: int) -> str:
    lines = text.splitlines(keepends=True)
    for i in range(0, len(lines), every):
        body = lines[i].rstrip("\r\n")
        if body and not body.endswith("\\"):
            lines[i] = body + "  " + lines[i][len(body) :]
    return "".join(lines)


def _python(kind: str, every: int) -> Callable[[str], str]:
    return {
        "tabs": _tabs,
        "blank": lambda t: _between_statements(t, "", every),
        "comment": lambda t: _between_statements(t, "# reviewed", every),
        "alias": _rename_alias,
        "trailing": lambda t: _trailing_spaces(t, every),
    }.get(kind, lambda t: t)


def _notebook(kind: str, every: int, data: bytes) -> bytes:
    """Other layouts of the same notebook (indent 2 with escaped non-ASCII, each source one string), or its cells mutated."""
    try:
        doc = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError):
        return data
    if kind in ("blank", "comment", "trailing"):
        for cell in doc.get("cells", []):
            if cell.get("cell_type") == "code" and isinstance(cell.get("source"), list):
                cell["source"] = _python(kind, every)("".join(cell["source"])).splitlines(keepends=True)
        return (json.dumps(doc, indent=1, ensure_ascii=False) + "\n").encode()
    if kind == "relayout":
        return (json.dumps(doc, indent=2, ensure_ascii=True) + "\n").encode()
    if kind == "one_string":
        for cell in doc.get("cells", []):
            if isinstance(cell.get("source"), list):
                cell["source"] = "".join(cell["source"])
        return (json.dumps(doc, indent=1, ensure_ascii=False) + "\n").encode()
    return data


def _yaml(kind: str, text: str) -> str:
    if kind in ("blank", "comment"):
        return _TOP_KEY.sub(lambda m: ("\n" if kind == "blank" else "# reviewed\n") + m.group(0), text)
    if kind == "trailing":
        return re.sub(r"(?m)^(\s*[\w.-]+:[ \t]*[^\s#|>'\"&*!{[][^#\n\r]*?)$", r"\1  ", text)
    return text


def _mutate(root: Path, kind: str, every: int, crlf: bool, bom: bool) -> None:
    for p in sorted(root.rglob("*")):
        if not p.is_file() or p.suffix not in (".py", ".ipynb", ".yaml", ".yml"):
            continue
        data = p.read_bytes()
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            continue
        if p.suffix == ".py":
            data = _python(kind, every)(text).encode()
        elif p.suffix == ".ipynb":
            data = _notebook(kind, every, data)
        else:
            data = _yaml(kind, text).encode()
        if crlf:
            data = _crlf(data)
        if bom:
            data = _bom(data)
        p.write_bytes(data)


@functools.cache
def _fixable(suffixes: tuple[str, ...]) -> list[Path]:
    """The folders that offer fixes in files with these suffixes (configs_hostile offers none and takes seconds a lint)."""
    folders = [p for p, n in zip(FOLDERS, NAMES, strict=True) if n != "configs_hostile"]
    return [p for p in folders if any(d.fix and d.fix.edits and d.loc.path.endswith(suffixes) for d in _lint(p).diagnostics)]


KINDS = {  # mutation -> the files it changes
    "none": (".py", ".ipynb", ".yaml", ".yml"),
    "tabs": (".py",),
    "blank": (".py", ".ipynb", ".yaml", ".yml"),
    "comment": (".py", ".ipynb", ".yaml", ".yml"),
    "alias": (".py",),
    "trailing": (".py", ".ipynb", ".yaml", ".yml"),
    "relayout": (".ipynb",),
    "one_string": (".ipynb",),
}


@pytest.mark.parametrize("kind", list(KINDS))
@settings(
    max_examples=5,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data(), every=st.integers(1, 4), crlf=st.booleans(), bom=st.booleans(), unsafe=st.booleans())
def test_fixing_mutated_fixtures_keeps_them_valid_and_converges(
    kind: str, data: st.DataObject, every: int, crlf: bool, bom: bool, unsafe: bool, tmp_path_factory: pytest.TempPathFactory
) -> None:
    folders = _fixable(KINDS[kind])
    turn = 3 * list(KINDS).index(kind) % len(folders)  # derandomized draws repeat per kind: start each kind elsewhere
    folder = data.draw(st.sampled_from(folders[turn:] + folders[:turn]), label="folder")
    work = tmp_path_factory.mktemp("mutated") / folder.name
    shutil.copytree(folder, work)
    _mutate(work, kind, every, crlf, bom)
    _check_fix(work, unsafe)
