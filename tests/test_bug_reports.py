"""Each reproduction of a public bug report (fixtures/bug_reports/, README there) fires its rule."""

from __future__ import annotations

from pathlib import Path

import pytest

from rnnlint.run.engine import Linter
from rnnlint.settings.model import Settings

FOLDER = Path(__file__).resolve().parent.parent / "fixtures" / "bug_reports" / "cases"  # not top level: the bench copies those
CASES = sorted(FOLDER.glob("rnn*.py"))


def test_every_reproduction_is_listed_in_the_folder_readme() -> None:
    readme = (FOLDER.parent / "README.md").read_text(encoding="utf-8")
    assert CASES and all(f"`{p.name}`" in readme for p in CASES)


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_reproduction_fires_its_rule(path: Path) -> None:
    code = path.stem.split("_")[0].upper()
    diags = Linter(Settings(select=["correctness", "suspicious"]), [FOLDER]).run([path]).diagnostics
    found = {d.code for d in diags}
    assert code in found, [(d.code, d.message) for d in diags]
    assert "RNN001" not in found
