"""Each fixture folder is linted and compared exactly with its expected.json.

expected.json lists [code, path relative to the fixture folder, line(, cell)] for
every finding (notebooks: the line inside the cell, then the cell number); it is written by hand from the fixture's NOTES.md and reviewed, never
regenerated blindly.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rnnlint.run.discovery import discover
from rnnlint.run.engine import Linter
from rnnlint.settings.model import Settings

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
FOLDERS = sorted(p.parent for p in FIXTURES.glob("*/expected.json"))


@pytest.mark.parametrize("folder", FOLDERS, ids=[f.name for f in FOLDERS])
def test_fixture_findings_match_expected(folder: Path) -> None:
    expected = sorted(tuple(x) for x in json.loads((folder / "expected.json").read_text()))
    files = list(discover([folder], []))
    diags = Linter(Settings(), [folder]).run(files).diagnostics
    found = sorted(
        (d.code, Path(d.loc.path).resolve().relative_to(folder).as_posix(), d.loc.shown_line, *([d.loc.cell] if d.loc.cell else []))
        for d in diags
    )
    assert found == expected


def test_there_are_fixtures() -> None:
    assert len(FOLDERS) >= 8
