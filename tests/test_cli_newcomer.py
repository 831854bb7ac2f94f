"""Piped ``explain``/``rules``, ``--fix -`` and the summary's imported modules (issue 23, items 5 to 7)."""

from __future__ import annotations

import io
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from rnnlint.checks.catalogue import catalogue
from rnnlint.cli import main

ROOT = Path(__file__).resolve().parent.parent

UNCLIPPED = """\
import torch
import torch.nn as nn

model = nn.LSTM(64, 256, num_layers=2, dropout=0.5)
opt = torch.optim.Adam(model.parameters(), lr=1e-3, weight_decay=1e-5)
sched = torch.optim.lr_scheduler.StepLR(opt, 10, 0.5)
for x, y in []:
    loss = model(x)[0].sum()
    loss.backward()
    opt.step()
    sched.step()
"""


def _rnnlint(*args: str, stdin: str = "", cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """The console script through a pipe: stdout is not a terminal."""
    env_path = str(ROOT)
    return subprocess.run(
        [sys.executable, "-c", "import sys; from rnnlint.cli import main; sys.exit(main())", *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=300,
        env={"PYTHONPATH": env_path, "PATH": "/usr/bin:/bin", "COLUMNS": "80"},
    )


def test_piped_explain_prints_the_markdown_as_written() -> None:
    proc = _rnnlint("explain", "RNN201")
    assert proc.returncode == 0
    body = catalogue()["RNN201"].body()
    assert proc.stdout.endswith(body)  # code blocks and long lines untouched
    assert proc.stdout.startswith("# RNN201 no-gradient-clipping\n")
    assert not any(line != line.rstrip() for line in proc.stdout.splitlines()), "trailing padding"
    assert max(len(line) for line in body.splitlines()) > 80 or "```" in body


def test_explain_on_a_terminal_still_renders(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    tty = Tty()
    monkeypatch.setattr(sys, "stdout", tty)
    assert main(["explain", "RNN201"]) == 0
    assert "# RNN201" not in tty.getvalue() and "RNN201" in tty.getvalue()  # rich drew the heading


def test_piped_rules_are_one_line_per_rule() -> None:
    proc = _rnnlint("rules")
    assert proc.returncode == 0
    lines = proc.stdout.splitlines()
    assert len(lines) == len(catalogue())
    for line, info in zip(lines, catalogue().values(), strict=True):
        assert line.startswith(f"{info.code} {info.name} [{info.severity.label}]") and line.endswith(info.summary)
    assert _rnnlint("rules", "--output-format", "concise").stdout == proc.stdout
    table = _rnnlint("rules", "--output-format", "table").stdout
    assert table != proc.stdout and "what fires it" in table


def test_fix_stdin_prints_the_fixed_source(tmp_path: Path) -> None:
    proc = _rnnlint("--fix", "--isolated", "-", stdin=UNCLIPPED, cwd=tmp_path)
    assert "cannot read" not in proc.stderr
    fixed = proc.stdout
    assert "clip_grad_norm_(model.parameters(), max_norm=5.0)" in fixed
    assert fixed.index("loss.backward()") < fixed.index("clip_grad_norm_") < fixed.index("opt.step()")
    assert "RNN201" not in proc.stderr and "RNN402" in proc.stderr  # the report of what is left, on stderr
    assert proc.returncode == 1  # RNN402 (a warning) is left
    again = _rnnlint("--fix", "--isolated", "-", stdin=fixed, cwd=tmp_path)
    assert again.stdout == fixed  # nothing left to fix: the source unchanged
    clean = _rnnlint("--fix", "--isolated", "--select", "RNN201", "-", stdin=UNCLIPPED, cwd=tmp_path)
    assert clean.returncode == 0 and clean.stdout == fixed  # exit by the findings left after fixing
    assert not list(tmp_path.iterdir())  # nothing written


def test_diff_stdin_shows_the_fix(tmp_path: Path) -> None:
    proc = _rnnlint("--diff", "--isolated", "-", stdin=UNCLIPPED, cwd=tmp_path)
    assert proc.returncode == 1 and "+    torch.nn.utils.clip_grad_norm_" in proc.stdout


def test_summary_counts_and_names_imported_modules(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "model.py").write_text(
        "import torch.nn as nn\n\nclass M(nn.Module):\n    def __init__(self):\n        super().__init__()\n        self.rnn = nn.RNN(8, 16)\n"
    )
    (tmp_path / "train.py").write_text(
        "import torch\nfrom model import M\n\nm = M()\nopt = torch.optim.Adam(m.parameters())\nfor x in []:\n"
        "    m(x).sum().backward()\n    opt.step()\n"
    )
    for fmt in ("concise", "full"):
        assert main(["train.py", "--no-cache", "--isolated", "--output-format", fmt]) == 1
        out = capsys.readouterr().out.rstrip().splitlines()
        summary = next(line for line in reversed(out) if line.startswith("Found "))  # advice may fold into a line after it
        assert "in 1 file checked, 1 imported module analysed (model.py)." in summary, out
    assert main(["train.py", "--no-cache", "--isolated", "--output-format", "concise", "--select", "RNN201"]) == 1
    assert "1 file checked." in capsys.readouterr().out  # no finding from model.py: nothing to name


@pytest.mark.parametrize("command", ["train", "overfit"])
def test_an_invalid_recipe_is_reported_as_the_linter_does(
    command: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    recipe = tmp_path / "bad.yaml"
    shutil.copy(ROOT / "fixtures" / "configs_own_schema" / "bad.yaml", recipe)
    extra = ["--output-dir", str(tmp_path / "out")] if command == "train" else []
    assert main([command, str(recipe), "--framework", "torch", *extra]) == 2
    err = capsys.readouterr().err
    assert f"{recipe}:7:3: RNN002 [error] `model.hidden_size` = 'big'" in err
    assert f"{recipe}:10:3: RNN002" in err and f"{recipe}:19:3: RNN003" in err and "did you mean `weight_decay`" in err
    assert "pydantic" not in err and "validation error" not in err and "Traceback" not in err
    assert not (tmp_path / "out").exists()


def test_a_recipe_that_is_not_yaml_is_rnn001(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    recipe = tmp_path / "broken.yaml"
    recipe.write_text("model: [1\n")
    assert main(["overfit", str(recipe), "--framework", "torch"]) == 2
    assert f"{recipe}:2:1: RNN001 [error] invalid YAML" in capsys.readouterr().err
