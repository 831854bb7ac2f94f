"""Issue 15: a run stopped from outside (a CI timeout's SIGTERM, a SIGKILL of the parent) leaves no worker behind."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads the process table from /proc")

# Imported by every Python process of the run (the main one and each worker, whatever the start method): each group's
# analysis sleeps, so the workers are busy when the run is stopped.
SLOW_WORKERS = """
import os, time
if os.environ.get("RNNLINT_TEST_SLOW_GROUPS"):
    import rnnlint.run.runner as runner
    def _slow(group, settings, roots):
        time.sleep(120)
        raise SystemExit(3)
    runner._run_group = _slow
"""


def _children(pid: int) -> list[int]:
    out = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        if int(fields[1]) == pid:
            out.append(int(entry))
    return out


def _alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"  # a zombie has stopped; only its exit status is left


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGKILL])
def test_workers_die_with_the_run(tmp_path: Path, sig: signal.Signals) -> None:
    hook = tmp_path / "hook"
    hook.mkdir()
    (hook / "sitecustomize.py").write_text(SLOW_WORKERS)
    project = tmp_path / "project"
    project.mkdir()
    for i in range(48):  # above the size where a run starts a pool
        (project / f"train{i}.py").write_text(f"import torch\nrnn = torch.nn.LSTM(8, {i + 4096})\n")
    env = dict(os.environ, PYTHONPATH=f"{hook}{os.pathsep}{ROOT}", RNNLINT_TEST_SLOW_GROUPS="1")
    run = subprocess.Popen(
        [sys.executable, "-m", "rnnlint", "--no-cache", "--jobs", "2", str(project)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    workers: list[int] = []
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and len(workers) < 2:
            time.sleep(0.2)
            workers = [p for p in _children(run.pid) if _alive(p)]
        assert len(workers) >= 2, "the run never started its workers"
        os.kill(run.pid, sig)
        run.wait(timeout=30)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and any(_alive(p) for p in workers):
            time.sleep(0.2)
        assert [p for p in workers if _alive(p)] == []
        if sig == signal.SIGTERM:
            assert run.returncode == -signal.SIGTERM  # it died of the signal, as a run without workers would
    finally:
        if run.poll() is None:
            run.kill()
        for p in [*workers, *_children(run.pid)]:  # without the fix, orphans: never leave them to the machine
            with contextlib.suppress(OSError):
                os.kill(p, signal.SIGKILL)
