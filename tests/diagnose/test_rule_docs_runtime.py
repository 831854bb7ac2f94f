"""Each runtime rule doc's Example log fires its rule; its Use-instead log does not."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from rnnlint.checks.catalogue import catalogue
from rnnlint.diagnose.command import diagnose_runs
from rnnlint.diagnose.detectors import DETECTORS
from rnnlint.diagnose.readers import read_log
from rnnlint.diagnose.settings import DiagnoseSettings


def block(code: str, heading: str) -> str:
    body = catalogue()[code].body()
    section = body.split(heading, 1)[1].split("\n## ", 1)[0]
    m = re.search(r"```csv\n(.*?)```", section, re.S)
    assert m, f"{code}: no csv block under {heading}"
    return m.group(1)


def codes_for(code: str, text: str, tmp_path: Path) -> set[str]:
    log = tmp_path / "log.csv"
    log.write_text(text)
    diags, _ = diagnose_runs([read_log("csv", log, [])], DiagnoseSettings(), [code], [], overfit_check=code == "RNN610")
    return {d.code for d in diags}


@pytest.mark.parametrize("code", sorted(DETECTORS))
def test_example_fires(code: str, tmp_path: Path) -> None:
    assert code in codes_for(code, block(code, "## Example"), tmp_path)


@pytest.mark.parametrize("code", sorted(DETECTORS))
def test_use_instead_is_silent(code: str, tmp_path: Path) -> None:
    assert code not in codes_for(code, block(code, "## Use instead"), tmp_path)


def test_every_runtime_code_has_a_doc_and_a_detector() -> None:
    documented = {c for c in catalogue() if c.startswith("RNN6")}
    assert documented == set(DETECTORS) == {f"RNN6{n:02d}" for n in range(1, 12)}
