"""Workers sharing one study: local ``--workers``, separate commands on one storage (SQLite, PostgreSQL), a
worker killed mid-trial. PostgreSQL runs where ``RNNLINT_TEST_PG_URL`` names a server (``.ci/run`` starts a
throwaway one on loopback); without it those cases are skipped."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import pytest

optuna = pytest.importorskip("optuna")
from rnnlint.tune.study import open_storage  # noqa: E402  (after the skip: it imports optuna)

ROOT = Path(__file__).resolve().parent.parent
QUAD = ROOT / "fixtures" / "tune" / "quadratic.py"
PG_URL = os.environ.get("RNNLINT_TEST_PG_URL")
ENV = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}


def _storages(tmp: Path) -> list[Any]:
    return [
        pytest.param(lambda tmp: f"sqlite:///{tmp / 'shared.db'}", id="sqlite"),
        pytest.param(
            lambda tmp: PG_URL, id="postgresql", marks=pytest.mark.skipif(not PG_URL, reason="RNNLINT_TEST_PG_URL is not set")
        ),
    ]


STORAGES = _storages(Path())


def _load(name: str, url: str) -> Any:
    return optuna.load_study(study_name=name, storage=open_storage(url, None))


def _command(*args: object) -> list[str]:
    return [sys.executable, "-m", "rnnlint", "tune", "--no-progress", *(str(a) for a in args)]


def _ledger(path: Path) -> list[int]:
    return [int(line.split()[0]) for line in path.read_text().splitlines()]


def _check_no_trial_lost_or_repeated(trials: list[Any], ledger: Path, budget: int, workers: int) -> None:
    numbers = [t.number for t in trials]
    assert sorted(numbers) == list(range(len(trials)))  # numbered without gaps or repeats
    assert budget <= len(trials) <= budget + workers - 1  # a worker may start one trial as another ends the budget
    assert all(t.state.is_finished() for t in trials)  # none left running
    ran = _ledger(ledger)
    assert sorted(ran) == sorted(numbers)  # every trial ran exactly once
    assert all(t.state in (optuna.trial.TrialState.COMPLETE, optuna.trial.TrialState.PRUNED) for t in trials)


def test_local_workers_share_one_sqlite_study(tmp_path: Path) -> None:
    out, ledger = tmp_path / "out", tmp_path / "ledger"
    cmd = _command(QUAD, "--workers", 2, "--trials", 8, "--seed", 0, "--output-dir", out, "--", "--sleep", "0.3", "--ledger", ledger)
    proc = subprocess.run(cmd, env=ENV, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    study = _load("rnnlint-quadratic", f"sqlite:///{out / 'study.db'}")
    _check_no_trial_lost_or_repeated(study.trials, ledger, 8, 2)
    assert len({t.user_attrs["worker"] for t in study.trials}) == 2  # both workers ran trials
    report = json.loads((out / "report.json").read_text())
    assert len(report["trials"]) == len(study.trials) and report["best"]["value"] == study.best_value


@pytest.mark.parametrize("storage", STORAGES)
def test_two_commands_on_one_storage_share_one_study(tmp_path: Path, storage: Any) -> None:
    url, name, ledger = storage(tmp_path), f"shared-{uuid.uuid4().hex[:8]}", tmp_path / "ledger"
    cmds = [
        _command(QUAD, "--storage", url, "--study", name, "--trials", 8, "--output-dir", tmp_path / f"w{i}", "--", "--sleep", "0.3", "--ledger", ledger)
        for i in range(2)
    ]
    procs = [subprocess.Popen(c, env=ENV, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for c in cmds]
    results = [p.communicate(timeout=300) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], results
    study = _load(name, url)
    _check_no_trial_lost_or_repeated(study.trials, ledger, 8, 2)
    assert len({t.user_attrs["worker"] for t in study.trials}) == 2


@pytest.mark.parametrize("storage", STORAGES)
def test_a_killed_worker_leaves_its_trial_failed_and_the_study_usable(tmp_path: Path, storage: Any) -> None:
    url, name, ledger = storage(tmp_path), f"killed-{uuid.uuid4().hex[:8]}", tmp_path / "ledger"
    common = ["--storage", url, "--study", name, "--trials", 3, "--heartbeat", 1, "--seed", 0]
    doomed = subprocess.Popen(
        _command(QUAD, *common, "--output-dir", tmp_path / "a", "--", "--sleep", "30", "--ledger", ledger),
        env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    deadline = time.monotonic() + 120
    while not (ledger.exists() and ledger.read_text().strip()):  # its first trial's run has started
        assert time.monotonic() < deadline and doomed.poll() is None
        time.sleep(0.2)
    doomed.kill()  # SIGKILL: no chance to mark anything
    doomed.wait()
    child_pid = int(ledger.read_text().split()[1])
    os.kill(child_pid, signal.SIGKILL)  # its training run, in a session of its own, would sleep on
    study = _load(name, url)
    assert [t.state for t in study.trials] == [optuna.trial.TrialState.RUNNING]
    time.sleep(3)  # past the grace period (2 heartbeats) without a heartbeat
    done = subprocess.run(
        _command(QUAD, *common, "--output-dir", tmp_path / "b", "--", "--ledger", ledger), env=ENV, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    trials = _load(name, url).trials
    assert trials[0].state == optuna.trial.TrialState.FAIL  # the dead worker's trial
    assert [t.state for t in trials[1:]] == [optuna.trial.TrialState.COMPLETE] * (len(trials) - 1) and len(trials) == 3
    assert _ledger(ledger) == [0, 1, 2]
    report = json.loads((tmp_path / "b" / "report.json").read_text())
    assert report["counts"] == {"fail": 1, "complete": 2}
