"""The README's generated rule table, the GitHub Action, and the README's integration snippets."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import yaml

from rnnlint.checks.catalogue import catalogue

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "scripts" / "gen_rule_table.py"


def gen(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(SCRIPT), *args], capture_output=True, text=True, timeout=120)


def test_readme_rule_table_is_current() -> None:
    proc = gen("--check")
    assert proc.returncode == 0, proc.stderr + "\nrun: python scripts/gen_rule_table.py"
    readme = (ROOT / "README.md").read_text()
    table = readme.split("<!-- rules-table:start -->", 1)[1].split("<!-- rules-table:end -->", 1)[0]
    for info in catalogue().values():
        assert f"| [{info.code}](rules/{info.code}.md) | `{info.name}` | {info.severity.label} |" in table


def test_stale_table_fails_the_check_and_is_rewritten(tmp_path: Path) -> None:
    readme = tmp_path / "README.md"
    readme.write_text("# x\n\n<!-- rules-table:start -->\n| old |\n<!-- rules-table:end -->\n\ntail\n")
    proc = gen("--check", "--readme", str(readme))
    assert proc.returncode == 1 and "stale" in proc.stderr
    assert "| old |" in readme.read_text()  # --check writes nothing
    assert gen("--readme", str(readme)).returncode == 0
    text = readme.read_text()
    assert "| old |" not in text and "[RNN201](rules/RNN201.md)" in text and text.endswith("\n\ntail\n")
    assert gen("--check", "--readme", str(readme)).returncode == 0
    readme.write_text("no markers\n")
    assert gen("--check", "--readme", str(readme)).returncode == 2


def test_ci_runs_the_table_check() -> None:
    assert "scripts/gen_rule_table.py --check" in (ROOT / ".ci" / "run").read_text()


def test_action_is_a_composite_that_runs_rnnlint_with_github_output() -> None:
    action = yaml.safe_load((ROOT / "action.yml").read_text())
    assert action["name"] and action["description"]
    assert action["runs"]["using"] == "composite"
    assert "args" in action["inputs"]
    steps = action["runs"]["steps"]
    assert all(step.get("shell") == "bash" for step in steps if "run" in step)
    script = "\n".join(step["run"] for step in steps)
    assert "pip install" in script and "$GITHUB_ACTION_PATH" in script
    assert "rnnlint --output-format github ${{ inputs.args }}" in script


def test_readme_has_copy_paste_snippets() -> None:
    readme = (ROOT / "README.md").read_text()
    for needle in (
        "uses: rnnlint/rnnlint@",  # the action
        "upload-sarif",  # SARIF upload
        "--output-format sarif",
        "id: rnnlint",  # pre-commit
        "flake8 --select RNN",
        "rnnlint server",
        "rnnlint config --show",
        "--statistics",
    ):
        assert needle in readme, needle
