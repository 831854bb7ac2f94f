"""Before/after cases for every fix: ``fixtures/fixes/<case>/before`` fixed must equal ``after`` byte for byte.

``case.toml`` names the codes the case fixes (``fixed``) and whether it needs ``--unsafe-fixes``
(``unsafe``). The fixed tree must lint without those codes, and fixing it again changes nothing.
Run ``RNNLINT_REGEN=1 pytest tests/test_fix_cases.py`` to rewrite ``after/`` (then review the diff).
"""

from __future__ import annotations

import io
import os
import shutil
import sys
from pathlib import Path

import pytest

from rnnlint.fix.command import fix_files
from rnnlint.run.discovery import discover
from rnnlint.run.engine import Linter, Result
from rnnlint.settings.model import Settings

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

CASES = Path(__file__).resolve().parent.parent / "fixtures" / "fixes"
NAMES = sorted(p.name for p in CASES.iterdir() if (p / "case.toml").is_file())


def _lint(root: Path) -> Result:
    return Linter(Settings(), [root]).run(list(discover([root], [])))


def _tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_every_fix_has_cases() -> None:
    assert len(NAMES) >= 8


@pytest.mark.parametrize("name", NAMES)
def test_fix_case(name: str, tmp_path: Path) -> None:
    case = tomllib.loads((CASES / name / "case.toml").read_text())
    unsafe = bool(case.get("unsafe", False))
    codes = set(case["fixed"])
    work = tmp_path / name
    shutil.copytree(CASES / name / "before", work)
    offered = [d for d in _lint(work).diagnostics if d.fix and d.code in codes]
    before = {d.code for d in offered}
    assert before == codes, f"the before tree should offer fixes for {codes}, offers {before}"
    unsafe_codes = {d.code for d in offered if d.fix and d.fix.applicability == "unsafe"}
    assert bool(unsafe_codes) == unsafe, "case.toml's `unsafe` must match the fixes offered"
    result, applied, _ = fix_files(lambda: _lint(work), unsafe, False, io.StringIO(), io.StringIO())
    assert applied >= 1
    assert not codes & {d.code for d in result.diagnostics}, "fixed codes still reported"
    if os.environ.get("RNNLINT_REGEN"):
        shutil.rmtree(CASES / name / "after", ignore_errors=True)
        shutil.copytree(work, CASES / name / "after")
    assert _tree(work) == _tree(CASES / name / "after")
    _, again, _ = fix_files(lambda: _lint(work), unsafe, False, io.StringIO(), io.StringIO())
    assert again == 0 and _tree(work) == _tree(CASES / name / "after")
    if unsafe:  # unsafe cases must not be applied by a plain --fix
        plain = tmp_path / "plain"
        shutil.copytree(CASES / name / "before", plain)
        fix_files(lambda: _lint(plain), False, False, io.StringIO(), io.StringIO())
        assert unsafe_codes <= {d.code for d in _lint(plain).diagnostics}
