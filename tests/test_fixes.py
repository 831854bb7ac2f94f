"""--fix: minimal edits that parse, converge, keep bytes and permissions, and never lose data."""

from __future__ import annotations

import ast
import io
import json
import os
import shutil
import stat
from pathlib import Path

import pytest

from rnnlint.diagnostics import Diagnostic, Edit, Fix, Loc
from rnnlint.fix import apply, notebook
from rnnlint.fix.command import fix_files
from rnnlint.run.discovery import discover
from rnnlint.run.engine import Linter, Result
from rnnlint.settings.model import Settings

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
FIXABLE = [
    "sentiment",
    "amp_misplaced",
    "lightning_module",
    "keras_imdb_bilstm",
    "ctc_phonemes",
    "lstmcell_loop",
    "notebook_sentiment",
    "tf1_bilstm_crf",
    "tf2_gradienttape",
    "keras_ctc_ocr",
    "keras_addition_seq2seq",
]


def _lint(root: Path) -> Result:
    return Linter(Settings(), [root]).run(list(discover([root], [])))


def _fix(root: Path, unsafe: bool = False) -> tuple[Result, int]:
    result, applied, _ = fix_files(lambda: _lint(root), unsafe, False, io.StringIO(), io.StringIO())
    return result, applied


@pytest.mark.parametrize("name", FIXABLE)
def test_fix_parses_removes_the_fixed_codes_and_converges(name: str, tmp_path: Path) -> None:
    root = tmp_path / name
    shutil.copytree(FIXTURES / name, root)
    before = _lint(root)
    fixable = {(d.code, d.loc.path, d.message) for d in before.diagnostics if d.fix and d.fix.applicability == "safe"}
    snapshot = {p: p.read_bytes() for p in root.rglob("*") if p.is_file()}
    after, applied = _fix(root)
    assert applied >= 1 and fixable
    for p in root.rglob("*.py"):
        ast.parse(p.read_bytes())
    for p in root.rglob("*.ipynb"):  # still a notebook whose code cells parse, outputs and metadata unchanged
        assert notebook.valid(p.read_bytes(), snapshot[p])
    remaining = {(d.code, d.loc.path, d.message) for d in after.diagnostics}
    assert not fixable & remaining
    touched = {Path(d[1]).resolve() for d in fixable}
    for p, data in snapshot.items():
        if p.resolve() not in touched:
            assert p.read_bytes() == data, f"{p} was not fixed but changed"
    second = {p: p.read_bytes() for p in root.rglob("*") if p.is_file()}
    _, again = _fix(root)
    assert again == 0 and second == {p: p.read_bytes() for p in root.rglob("*") if p.is_file()}


def test_crlf_bom_and_permissions_are_kept(tmp_path: Path) -> None:
    src = (FIXTURES / "sentiment" / "train.py").read_text().replace("\n", "\r\n")
    target = tmp_path / "train.py"
    target.write_bytes(b"\xef\xbb\xbf" + src.encode())
    target.chmod(0o640)
    _fix(tmp_path)
    data = target.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf") and b"clip_grad_norm_" in data
    assert b"\n" not in data.replace(b"\r\n", b"")  # every line ending is still CRLF
    assert stat.S_IMODE(target.stat().st_mode) == 0o640


def test_a_fix_that_would_not_parse_is_dropped(tmp_path: Path) -> None:
    target = tmp_path / "x.py"
    target.write_text("a = 1\n")
    broken = Diagnostic(
        "RNN201", "m", Loc(str(target), 1, 1, 1, 1), fix=Fix("safe", "break it", (Edit(Loc(str(target), 1, 1, 1, 1), "def ("),))
    )
    plan = apply.plan([broken], unsafe=False)
    assert not plan.files and "would not parse" in plan.dropped[0][1]
    assert target.read_text() == "a = 1\n"


def test_a_file_changed_on_disk_is_not_overwritten(tmp_path: Path) -> None:
    shutil.copy(FIXTURES / "sentiment" / "train.py", tmp_path / "train.py")
    plan = apply.plan(_lint(tmp_path).diagnostics, unsafe=False)
    assert plan.files
    (tmp_path / "train.py").write_text("# edited meanwhile\n")
    written = apply.write(plan)
    assert not written.files and "changed on disk" in written.dropped[0][1]
    assert (tmp_path / "train.py").read_text() == "# edited meanwhile\n"


def test_diff_writes_nothing(tmp_path: Path) -> None:
    shutil.copy(FIXTURES / "sentiment" / "train.py", tmp_path / "train.py")
    before = (tmp_path / "train.py").read_bytes()
    out = io.StringIO()
    _, _, shown = fix_files(lambda: _lint(tmp_path), False, True, io.StringIO(), out)
    assert shown and "+        torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm=5.0)" in out.getvalue()
    assert (tmp_path / "train.py").read_bytes() == before


def test_interrupted_write_leaves_the_old_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "train.py"
    shutil.copy(FIXTURES / "sentiment" / "train.py", target)
    before = target.read_bytes()
    plan = apply.plan(_lint(tmp_path).diagnostics, unsafe=False)

    def boom(src: str, dst: str) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(KeyboardInterrupt):
        apply.write(plan)
    assert target.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["train.py"]  # no temporary file left behind


def test_fix_constants_come_from_the_config(tmp_path: Path) -> None:
    shutil.copytree(FIXTURES / "sentiment", tmp_path / "s")
    (tmp_path / "s" / "pyproject.toml").write_text("[tool.rnnlint.fix]\nclip-norm = 1.0\nweight-decay = 0.0001\n")
    from rnnlint.settings.files import load_config
    from rnnlint.settings.model import make_settings

    settings = make_settings(load_config(tmp_path / "s" / "pyproject.toml"), "pyproject.toml")
    result = Linter(settings, [tmp_path / "s"]).run(list(discover([tmp_path / "s"], [])))
    fixes = {d.code: d.fix for d in result.diagnostics if d.fix}
    assert "max_norm=1.0" in fixes["RNN201"].edits[-1].content
    assert fixes["RNN301"].edits[0].content.endswith("weight_decay=0.0001")


def test_one_broken_fix_does_not_hold_back_the_others(tmp_path: Path) -> None:
    target = tmp_path / "x.py"
    target.write_text("a = 1\nb = 2\n")
    good = Diagnostic(
        "RNN301", "m", Loc(str(target), 2, 1, 2, 1), fix=Fix("safe", "ok", (Edit(Loc(str(target), 2, 6, 2, 6), " + 1"),))
    )
    bad = Diagnostic(
        "RNN201", "m", Loc(str(target), 1, 1, 1, 1), fix=Fix("safe", "break", (Edit(Loc(str(target), 1, 1, 1, 1), "def ("),))
    )
    plan = apply.plan([bad, good], unsafe=False)
    assert [f.fixed for f in plan.files] == [b"a = 1\nb = 2 + 1\n"]
    assert plan.dropped == [(str(target), "RNN201 fix at line 1 would not parse; not applied")]


@pytest.mark.parametrize(
    ("src", "expected"),
    [
        ("f()\n", "f(z=1)\n"),
        ("f(a,)\n", "f(a, z=1,)\n"),
        ("f(a, k=(1))\n", "f(a, k=(1), z=1)\n"),
        ("f(\n    a,\n    lr=1e-3,  # why\n)\n", "f(\n    a,\n    lr=1e-3,  # why\n    z=1,\n)\n"),
        ("f(a,\n  b)\n", "f(a,\n  b, z=1)\n"),
        ("f('é', b)\n", "f('é', b, z=1)\n"),
        ("f(x for x in y)\n", None),
    ],
)
def test_keyword_insertion_keeps_commas_and_comments(src: str, expected: str | None) -> None:
    from rnnlint.analysis.pyindex import parse_module
    from rnnlint.analysis.sites import kwarg_site
    from rnnlint.read.source import SourceError

    mod = parse_module(src.encode(), "x.py", "x.py")
    assert not isinstance(mod, SourceError)
    call = next(n for n in ast.walk(mod.tree) if isinstance(n, ast.Call))
    site = kwarg_site(mod, call)
    if expected is None:
        assert site is None
        return
    assert site is not None
    lines = src.splitlines(keepends=True)
    line = lines[site.loc.line - 1]
    lines[site.loc.line - 1] = line[: site.loc.col - 1] + site.edit("z=1").content + line[site.loc.col - 1 :]
    assert "".join(lines) == expected


def _notebook(tmp_path: Path, sources: list[object]) -> Path:
    cells = [{"cell_type": "code", "metadata": {}, "outputs": [], "source": src} for src in sources]
    target = tmp_path / "nb.ipynb"
    target.write_text(json.dumps({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}, indent=1))
    return target


def _edit_at(target: Path, line: int, col: int, end_line: int, end_col: int, content: str) -> Diagnostic:
    where = Loc(str(target), line, col, end_line, end_col)
    return Diagnostic("RNN201", "m", where, fix=Fix("safe", "edit", (Edit(where, content),)))


def test_notebook_edits_land_in_the_cell_source(tmp_path: Path) -> None:
    target = _notebook(tmp_path, [["a = 1\n", "b = 2"], "c = f(x)\nd = 4\n"])
    original = target.read_bytes()
    plan = apply.plan([_edit_at(target, 2, 6, 2, 6, "\ne = 5"), _edit_at(target, 3, 8, 3, 8, ", k=1")], unsafe=False)
    fixed = plan.files[0].fixed
    cells = json.loads(fixed)["cells"]
    assert cells[0]["source"] == ["a = 1\n", "b = 2\n", "e = 5"]
    assert cells[1]["source"] == "c = f(x, k=1)\nd = 4\n"
    assert notebook.valid(fixed, original)
    assert fixed.replace(b'"b = 2\\n",\n    "e = 5"', b'"b = 2"').replace(b"x, k=1)", b"x)") == original


def test_notebook_edits_on_magic_lines_or_across_cells_are_not_applied(tmp_path: Path) -> None:
    target = _notebook(tmp_path, [["%time a = 1\n", "b = 2"], ["c = 3"]])
    on_magic = _edit_at(target, 1, 3, 1, 3, "x")
    across = _edit_at(target, 2, 1, 3, 2, "")
    assert not apply.plan([on_magic, across], unsafe=False).files


def test_a_notebook_fix_that_breaks_a_cell_is_dropped(tmp_path: Path) -> None:
    target = _notebook(tmp_path, [["a = 1"]])
    plan = apply.plan([_edit_at(target, 1, 1, 1, 1, "def (")], unsafe=False)
    assert not plan.files and plan.dropped == [(str(target), "RNN201 fix at line 1 would not parse; not applied")]


@pytest.mark.parametrize(
    "text",
    [
        '{"cells": [{"cell_type": "code", "source": ["a = 1\\n", 7]}]}',  # a non-string line
        '{"cells": [{"cell_type": "code", "source": {"a": 1}}]}',  # no text source
        '{"cells": [{"cell_type": "code", "source": ["a = 1"]}], "cells": []}',  # the last "cells" counts
        '{"cells": [{"cell_type": "code", "source": ["a = 1"]}]',  # truncated JSON
        '{"cells": [{"cell_type": "code", "source": ["%time a = 1"]}]}',  # the edit falls on a magic line
    ],
)
def test_odd_notebooks_get_no_fix_and_no_crash(text: str, tmp_path: Path) -> None:
    target = tmp_path / "nb.ipynb"
    target.write_text(text)
    plan = apply.plan([_edit_at(target, 1, 2, 1, 2, " ")], unsafe=False)
    assert not plan.files and target.read_text() == text


def test_notebook_escapes_stay_as_the_file_had_them(tmp_path: Path) -> None:
    target = tmp_path / "nb.ipynb"
    cells = [{"cell_type": "code", "metadata": {}, "outputs": [], "source": ["s = 'caf\u00e9'\n", "f(s)"]}]
    target.write_text(json.dumps({"cells": cells}, indent=1, ensure_ascii=True))
    fixed = apply.plan([_edit_at(target, 2, 4, 2, 4, ", 'na\u00efve'")], unsafe=False).files[0].fixed
    assert b"\"f(s, 'na\\u00efve')\"" in fixed and b"\\u00e9" in fixed and fixed.isascii()


@pytest.mark.parametrize(
    "src",
    [
        "loss.backward(); optimizer.step()\n",
        "if ok: loss.backward()\noptimizer.step()\n",
        "x = 1; loss.backward()\noptimizer.step()\n",
    ],
)
def test_no_line_site_for_a_statement_that_shares_its_line(src: str) -> None:
    from rnnlint.analysis.pyindex import parse_module
    from rnnlint.analysis.sites import line_site_after
    from rnnlint.read.source import SourceError

    mod = parse_module(src.encode(), "x.py", "x.py")
    assert not isinstance(mod, SourceError)
    backward = next(n for n in ast.walk(mod.tree) if isinstance(n, ast.Call) and ast.unparse(n) == "loss.backward()")
    assert line_site_after(mod, backward) is None
    own = parse_module(b"loss.backward()\noptimizer.step()\n", "x.py", "x.py")
    assert not isinstance(own, SourceError)
    assert line_site_after(own, next(n for n in ast.walk(own.tree) if isinstance(n, ast.Call))) is not None
