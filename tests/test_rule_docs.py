"""Each rule doc's Example must fire its rule; its Use-instead block must not."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from helpers import lint_files

from rnnlint.checks.catalogue import catalogue
from rnnlint.checks.rules import REGISTRY
from rnnlint.settings.model import Settings

IMPLEMENTED = set(REGISTRY) | {"RNN001", "RNN002", "RNN003"}  # RNN001-003 come from the readers, not the rules


def _block(body: str, heading: str) -> tuple[str, str] | None:
    """The first fenced block under ``heading``: (language, code)."""
    section = body.split(heading, 1)[1].split("\n## ", 1)[0] if heading in body else ""
    m = re.search(r"```(\w+)\n(.*?)```", section, re.S)
    return (m.group(1), m.group(2)) if m else None


CASES = [
    pytest.param(info.code, id=info.code)
    for info in catalogue().values()
    if info.code in IMPLEMENTED and (b := _block(info.body(), "## Example")) is not None and b[0] in ("python", "yaml")
]
NAMES = {"python": "train.py", "yaml": "recipe.yaml"}


@pytest.mark.parametrize("code", CASES)
def test_example_fires(code: str, tmp_path: Path) -> None:
    block = _block(catalogue()[code].body(), "## Example")
    assert block is not None
    found = [d.code for d in lint_files(tmp_path, {NAMES[block[0]]: block[1]}, settings=Settings(select=[code]))]
    assert code in found, f"the Example of {code} does not fire it"


@pytest.mark.parametrize("code", CASES)
def test_use_instead_is_silent(code: str, tmp_path: Path) -> None:
    block = _block(catalogue()[code].body(), "## Use instead")
    assert block is not None, f"{code} has no Use instead block"
    found = [d for d in lint_files(tmp_path, {NAMES[block[0]]: block[1]}, settings=Settings(select=[code])) if d.code == code]
    assert not found, f"the Use-instead block of {code} fires it: {[d.message for d in found]}"


def test_every_implemented_rule_has_an_executable_example() -> None:
    assert {c.values[0] for c in CASES} == IMPLEMENTED
