"""Import weight, README/CI agreement, rule docs packaged and complete."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from rnnlint.checks.catalogue import catalogue
from rnnlint.checks.rules import REGISTRY

ROOT = Path(__file__).resolve().parent.parent


def test_import_rnnlint_is_light() -> None:
    code = "import sys, rnnlint, rnnlint.run.engine; bad = [m for m in ('torch', 'tensorflow', 'jax', 'rich', 'optuna') if m in sys.modules]; print(bad)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == "[]"


def test_readme_test_command_is_what_ci_runs() -> None:
    readme = (ROOT / "README.md").read_text()
    commands = re.findall(r"```sh\n(python3 -m venv[^\n]+)\n```", readme)
    assert len(commands) == 2, "README gives exactly two set-up commands"
    assert "pytest" in commands[1]
    assert commands[1] in (ROOT / ".ci" / "run").read_text()


def test_every_catalogue_code_has_a_doc_and_every_rule_is_documented() -> None:
    shared = ROOT.parent / "shared" / "RULES.md"
    docs = catalogue()
    if shared.is_file():
        listed = set(re.findall(r"^\| (RNN\d{3}) \|", shared.read_text(), re.M))
        assert listed <= set(docs)
    assert set(REGISTRY) <= set(docs)
    for info in docs.values():
        assert info.name and info.summary and info.fix in ("none", "safe", "unsafe")
        body = info.body()
        for heading in (
            "## What it does",
            "## Why is this bad?",
            "## Example",
            "## Use instead",
            "## False-positive traps",
            "## Fix safety",
        ):
            assert heading in body, f"{info.code} lacks {heading}"
