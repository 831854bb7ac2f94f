"""The pre-commit hook, installed by the real pre-commit from a clone of this checkout's HEAD."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent

BAD = """\
import torch
import torch.nn as nn

class SentimentClassifier(nn.Module):
    def __init__(self):
        super().__init__()
        self.rnn = nn.RNN(64, 1024, dropout=0.5)

model = SentimentClassifier()
opt = torch.optim.Adam(model.parameters(), lr=1e-3)
for x, y in []:
    loss = model(x).sum()
    loss.backward()
    opt.step()
"""
CLEAN = "def add(a, b):\n    return a + b\n"


def test_hooks_file() -> None:
    hooks = {h["id"]: h for h in yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())}
    assert set(hooks) == {"rnnlint", "rnnlint-fix"}
    assert hooks["rnnlint"]["entry"] == "rnnlint" and hooks["rnnlint-fix"]["entry"] == "rnnlint --fix"
    for hook in hooks.values():
        assert hook["language"] == "python"
        assert hook["types_or"] == ["python", "jupyter", "yaml"]
        assert hook["require_serial"] is True
        assert hook["name"]


def _git(cwd: Path, *args: str) -> None:
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@example.com"}
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, env=env, timeout=120)


def test_pre_commit_try_repo(tmp_path: Path) -> None:
    pytest.importorskip("pre_commit", reason="pre-commit is a dev dependency")
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("needs git and a git checkout of rnnlint")
    clone = tmp_path / "rnnlint"
    _git(tmp_path, "clone", "--quiet", str(ROOT), str(clone))  # HEAD: the hook file must be committed
    work = tmp_path / "work"
    work.mkdir()
    (work / "train.py").write_text(BAD)
    (work / "util.py").write_text(CLEAN)
    _git(work, "init", "--quiet")
    _git(work, "add", ".")
    env = {**os.environ, "PRE_COMMIT_HOME": str(tmp_path / "cache"), "PRE_COMMIT_COLOR": "never"}
    env.pop("VIRTUAL_ENV", None)
    env.pop("PYTHONPATH", None)  # the hook runs the rnnlint that pre-commit installed from the clone

    def try_repo(name: str) -> subprocess.CompletedProcess[str]:
        cmd = [sys.executable, "-m", "pre_commit", "try-repo", str(clone), "rnnlint", "--files", name]
        return subprocess.run(cmd, cwd=work, capture_output=True, text=True, env=env, timeout=600)

    bad = try_repo("train.py")
    assert bad.returncode == 1, bad.stdout + bad.stderr
    assert "Failed" in bad.stdout and "RNN101" in bad.stdout
    clean = try_repo("util.py")
    assert clean.returncode == 0, clean.stdout + clean.stderr
    assert "Passed" in clean.stdout
