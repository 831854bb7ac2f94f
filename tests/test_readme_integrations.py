"""The README's pre-commit config and GitHub Action reference, used as written (issue 23, item 3)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")

BAD = "import torch\nimport torch.nn as nn\n\nrnn = nn.LSTM(8, 16, dropout=0.5)\n"  # RNN107 (error), RNN104 ...


def _yaml_block(after: str) -> Any:
    text = README.split(after, 1)[1]
    return yaml.safe_load(re.search(r"```yaml\n(.*?)```", text, re.DOTALL).group(1))  # type: ignore[union-attr]


def _git(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@example.com",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@example.com",
    }
    return subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, env=env, timeout=120)


def _needs_git_history() -> None:
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("needs git and a git checkout of rnnlint")
    if _git("rev-parse", "--is-shallow-repository").stdout.strip() == "true":
        pytest.skip("a shallow clone lacks the history the README's revisions name")


def _precommit() -> dict[str, Any]:
    config = _yaml_block("### pre-commit")
    (repo,) = config["repos"]
    return dict(repo)


def test_readme_hook_config_matches_the_hooks_file_at_its_rev() -> None:
    repo = _precommit()
    rev = repo["rev"]
    assert re.fullmatch(r"[0-9a-f]{40}|v\d+\.\d+\.\d+", rev), "pre-commit needs a tag or a full commit hash"
    assert repo["repo"] == "https://github.com/rnnlint/rnnlint"
    wanted = {h["id"] for h in repo["hooks"]} | {"rnnlint-fix"}  # the commented-out hook too
    now = {h["id"] for h in yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())}
    assert wanted <= now
    _needs_git_history()
    assert _git("cat-file", "-e", f"{rev}^{{commit}}").returncode == 0, f"rev {rev} is not in this repository"
    then = _git("show", f"{rev}:.pre-commit-hooks.yaml")
    assert then.returncode == 0, then.stderr
    assert wanted <= {h["id"] for h in yaml.safe_load(then.stdout)}


def test_readme_hook_config_runs_with_pre_commit_try_repo(tmp_path: Path) -> None:
    pytest.importorskip("pre_commit", reason="pre-commit is a dev dependency")
    _needs_git_history()
    repo = _precommit()
    work = tmp_path / "work"
    work.mkdir()
    (work / "train.py").write_text(BAD)
    (work / "util.py").write_text("def add(a, b):\n    return a + b\n")
    assert _git("init", "--quiet", cwd=work).returncode == 0
    assert _git("add", ".", cwd=work).returncode == 0
    env = {**os.environ, "PRE_COMMIT_HOME": str(tmp_path / "cache"), "PRE_COMMIT_COLOR": "never"}
    env.pop("VIRTUAL_ENV", None)
    env.pop("PYTHONPATH", None)  # the hook runs the rnnlint that pre-commit installed from the README's rev
    for hook in repo["hooks"]:
        for name, code, word in (("train.py", 1, "Failed"), ("util.py", 0, "Passed")):
            cmd = [sys.executable, "-m", "pre_commit", "try-repo", str(ROOT), hook["id"], "--ref", repo["rev"], "--files", name]
            proc = subprocess.run(cmd, cwd=work, capture_output=True, text=True, env=env, timeout=900)
            assert proc.returncode == code and word in proc.stdout, proc.stdout + proc.stderr


# --- the GitHub Action ------------------------------------------------------------------------------------------


def _action_step() -> dict[str, Any]:
    steps = _yaml_block("### GitHub Actions")["jobs"]["rnnlint"]["steps"]
    (step,) = [s for s in steps if "rnnlint" in str(s.get("uses", ""))]
    return dict(step)


def test_readme_action_reference_matches_the_layout() -> None:
    step = _action_step()
    match = re.fullmatch(r"([\w.-]+)/([\w.-]+)@([\w./-]+)", step["uses"])
    assert match is not None, "uses: OWNER/REPO@REF (no sub-folder: action.yml is at the root)"
    assert (ROOT / "action.yml").is_file()
    action = yaml.safe_load((ROOT / "action.yml").read_text())
    assert set(step.get("with", {})) <= set(action["inputs"])
    _needs_git_history()
    ref = match.group(3)
    known = [
        r
        for r in (ref, f"origin/{ref}", f"refs/tags/{ref}")
        if _git("rev-parse", "--verify", "--quiet", f"{r}^{{commit}}").returncode == 0
    ]
    assert known, f"{ref} is neither a branch, a tag nor a commit of this repository"


def _substitute(text: str, inputs: dict[str, str]) -> str:
    def one(m: re.Match[str]) -> str:
        name = m.group(1)
        assert name in inputs, f"the action reads an input it does not declare: {name}"
        return inputs[name]

    return re.sub(r"\$\{\{\s*inputs\.([\w-]+)\s*\}\}", one, text)


def run_action(work: Path, runner_temp: Path, with_: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """A local runner for a composite action: each step's ``run`` in bash, inputs substituted, GITHUB_PATH honoured."""
    action = yaml.safe_load((ROOT / "action.yml").read_text())
    assert action["runs"]["using"] == "composite"
    inputs = {name: str(spec.get("default", "")) for name, spec in action["inputs"].items()}
    inputs.update({k: str(v) for k, v in with_.items()})
    github_path = runner_temp / "github_path"
    github_path.touch()
    base = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH")}
    base.update(GITHUB_ACTION_PATH=str(ROOT), RUNNER_TEMP=str(runner_temp), GITHUB_PATH=str(github_path))
    proc: subprocess.CompletedProcess[str] | None = None
    for step in action["runs"]["steps"]:
        assert step.get("shell") == "bash" and "run" in step
        added = [p for p in github_path.read_text().splitlines() if p]
        env = {**base, "PATH": os.pathsep.join([*reversed(added), base["PATH"]])}
        env.update({k: _substitute(str(v), inputs) for k, v in step.get("env", {}).items()})
        proc = subprocess.run(
            ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", _substitute(step["run"], inputs)],
            cwd=work,
            capture_output=True,
            text=True,
            env=env,
            timeout=900,
        )
        if proc.returncode != 0:
            return proc
    assert proc is not None
    return proc


def test_the_readme_action_step_runs_locally(tmp_path: Path) -> None:
    step = _action_step()
    work = tmp_path / "work"
    (work / "src").mkdir(parents=True)
    (work / "src" / "train.py").write_text(BAD)
    runner_temp = tmp_path / "runner"
    runner_temp.mkdir()
    proc = run_action(work, runner_temp, {**step.get("with", {}), "python": sys.executable})
    assert proc.returncode == 1, proc.stdout + proc.stderr  # an error finding at --severity-threshold error
    assert "::error file=src/train.py,line=4" in proc.stdout and "RNN107" in proc.stdout
    (work / "src" / "train.py").write_text("def add(a, b):\n    return a + b\n")
    again = subprocess.run(
        [str(runner_temp / "rnnlint-venv" / "bin" / "rnnlint"), "--output-format", "github", "src/"],
        cwd=work,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert again.returncode == 0 and again.stdout == ""
