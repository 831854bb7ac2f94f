"""The README's examples, run as written (issue 23): the ``Use`` block on a small project, and the reference
trainers' block with the exit codes it documents."""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def _section(title: str) -> str:
    start = README.index(f"\n## {title}")
    end = README.find("\n## ", start + 1)
    return README[start : end if end > 0 else None]


def _blocks(text: str, lang: str) -> list[str]:
    return re.findall(rf"```{lang}\n(.*?)```", text, re.DOTALL)


def _run(command: str, cwd: Path, timeout: float = 1200) -> subprocess.CompletedProcess[str]:
    """``command`` through bash as written, with ``rnnlint`` this checkout's console script; on a timeout the whole
    process group goes (a trainer must not outlive its test)."""
    shim = f'rnnlint() {{ PYTHONPATH={ROOT} "{sys.executable}" -m rnnlint "$@"; }}\n'
    proc = subprocess.Popen(
        ["bash", "-c", shim + command],
        cwd=cwd,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        raise
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


def _project(tmp_path: Path) -> Path:
    """What the ``Use`` examples name: train.py with model.py beside it, a notebook, src/, configs/asr.yaml."""
    (tmp_path / "model.py").write_text(
        "import torch.nn as nn\n\nclass M(nn.Module):\n    def __init__(self):\n        super().__init__()\n        self.rnn = nn.RNN(8, 16)\n"
    )
    shutil.copy(ROOT / "fixtures/sentiment/train.py", tmp_path / "train.py")
    shutil.copy(ROOT / "fixtures/notebook_sentiment/sentiment.ipynb", tmp_path / "experiment.ipynb")
    shutil.copytree(ROOT / "fixtures/sentiment", tmp_path / "src")
    (tmp_path / "configs").mkdir()
    shutil.copy(ROOT / "fixtures/configs_own_schema/bad.yaml", tmp_path / "configs/asr.yaml")
    return tmp_path


def test_use_examples_run_as_written(tmp_path: Path) -> None:
    project = _project(tmp_path)
    lines = [line.split("  #")[0].strip() for line in _blocks(_section("Use"), "sh")[0].splitlines()]
    commands = [line for line in lines if line.startswith("rnnlint") and line != "rnnlint server"]
    assert len(commands) >= 15
    for command in commands:
        proc = _run(command, project)
        # documented: 0 nothing at the threshold, 1 findings; 2 (usage, config, internal error) is never right here
        assert proc.returncode in (0, 1), (command, proc.stdout[-2000:], proc.stderr[-2000:])
        assert "Traceback" not in proc.stderr and "error:" not in proc.stderr, (command, proc.stderr)
        if "--output-format json" in command:
            assert proc.stdout.lstrip().startswith("[")
    assert (project / "rnnlint.sarif").is_file()


TRAINERS = "Reference trainers"


def test_trainers_recipe_in_the_readme_is_the_committed_file() -> None:
    shown = yaml.safe_load(_blocks(_section(TRAINERS), "yaml")[0])
    assert shown == yaml.safe_load((ROOT / "docs/train/recall.yaml").read_text())
    picture = re.search(r"!\[[^\]]*\]\(([^)]+\.png)\)", _section(TRAINERS))
    assert picture is not None and (ROOT / picture.group(1)).read_bytes().startswith(b"\x89PNG")


def test_trainer_examples_exit_as_documented(tmp_path: Path) -> None:
    for module in ("torch", "numpy", "matplotlib"):
        if importlib.util.find_spec(module) is None:
            pytest.skip(f"the torch extra is not installed ({module})")
    shutil.copytree(ROOT / "docs/train", tmp_path / "docs/train")
    documented = [
        (line.split("#")[0].strip(), int(code))
        for line in _blocks(_section(TRAINERS), "sh")[0].splitlines()
        if line.startswith("rnnlint") and (code := (re.search(r"# exit (\d)", line) or [None, None])[1]) is not None
    ]
    assert {c for _, c in documented} == {0, 2} and len(documented) >= 3
    for command, code in documented:
        proc = _run(command, tmp_path)
        assert proc.returncode == code, (command, proc.stdout[-2000:], proc.stderr[-2000:])
        assert "Traceback" not in proc.stderr
    run = tmp_path / "runs/recall"
    assert {"curves.csv", "curves.png", "metrics.json"} <= {p.name for p in run.iterdir()}
