"""The reference trainers without numpy or a framework: a light import, clean lint, CLI usage errors."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from rnnlint.reference.cli import main
from rnnlint.run.discovery import discover
from rnnlint.run.engine import Linter
from rnnlint.settings.model import Settings

ROOT = Path(__file__).resolve().parent.parent


def test_import_reference_is_light() -> None:
    code = (
        "import sys, rnnlint.reference, rnnlint.reference.cli; "
        "print([m for m in ('torch', 'tensorflow', 'numpy', 'rich', 'matplotlib') if m in sys.modules])"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == "[]"


def test_reference_package_lints_clean() -> None:
    folder = ROOT / "rnnlint" / "reference"
    diags = Linter(Settings(), [folder]).run(list(discover([folder], []))).diagnostics
    assert [f"{d.code} {d.loc.path}:{d.loc.shown_line}" for d in diags] == []


def test_cli_usage_errors_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["train", "recipe.yaml"])  # no --framework
    assert exc.value.code == 2
    with pytest.raises(SystemExit) as exc:
        main(["verify", "--framework", "jax", "--output-dir", "x"])
    assert exc.value.code == 2


def test_reference_tests_skip_without_numpy() -> None:
    """Without numpy (the reference trainers' extra not installed) their tests skip instead of failing."""
    files = ["tests/test_reference_verify.py", "tests/test_reference_stats.py", "tests/test_reference_tasks.py"]
    code = (
        "import sys; sys.modules['numpy'] = None; import pytest; "
        f"sys.exit(pytest.main(['-q', '-p', 'no:cacheprovider', '-k', 'not verify_quick', *{files!r}]))"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert proc.returncode == 0, proc.stdout[-3000:]
    assert "skipped" in proc.stdout and "failed" not in proc.stdout
