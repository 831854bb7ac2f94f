"""One trial: a reference training run of a recipe (in this process), or the user's script as a child process.

Both report the metric after each epoch (or each printed value) to Optuna, stop a run the metrics judge
unhealthy (:func:`rnnlint.tune.metrics.verdict`: NaN, divergence) or that the pruner cuts, and keep what the
report needs as the trial's user attributes: its folder, its recipe or command line, its curve, its verdict.
"""

from __future__ import annotations

import contextlib
import copy
import math
import os
import queue
import shlex
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import optuna
import yaml

from rnnlint.tune.flags import ScriptAnalysis, script_command
from rnnlint.tune.metrics import printed_values, read_metric, verdict
from rnnlint.tune.space import Dimension, suggest

TAIL_LINES = 20  # lines of a failed child's output kept in its trial


class MetricMissing(Exception):
    """The metric never appeared in a finished run's logs or output: the user's input is wrong, exit 2."""


class TrialFailure(Exception):
    """One run failed (its exit code, its time limit, an invalid recipe): the trial fails, the study goes on."""


WORKER = f"{socket.gethostname()}:{os.getpid()}"


def trial_dir(out: Path, number: int) -> Path:
    folder = out / "trials" / f"{number:04d}"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _stop_if_unhealthy(trial: optuna.Trial, values: list[float], step: int, minimize: bool) -> None:
    """Report the latest value; prune on NaN/divergence or when the pruner says so."""
    value = values[-1]
    reason = verdict(values, minimize)
    if reason is not None:
        trial.set_user_attr("verdict", reason)
        trial.set_user_attr("curve", [v if math.isfinite(v) else None for v in values])
        raise optuna.TrialPruned(reason)
    trial.report(value, step)
    if trial.should_prune():
        reason = f"pruned at step {step}: {value:.4g} is worse than the median of earlier trials"
        trial.set_user_attr("verdict", reason)
        trial.set_user_attr("curve", values)
        raise optuna.TrialPruned(reason)


# -- a reference recipe ---------------------------------------------------------------------------


def set_key(raw: dict[str, Any], dotted: str, value: Any) -> None:
    section, _, key = dotted.partition(".")
    node = raw.setdefault(section, {})
    if not isinstance(node, dict):
        raise TrialFailure(f"recipe section {section!r} is not a mapping")
    node[key] = value


class RecipeObjective:
    """Trains the reference trainer on the recipe with the trial's values; the metric from its curves."""

    def __init__(
        self, recipe: Path, raw: dict[str, Any], framework: str, space: list[Dimension], out: Path, metric: str, minimize: bool
    ) -> None:
        self.recipe, self.raw, self.framework, self.space = recipe, raw, framework, space
        self.out, self.metric, self.minimize = out, metric, minimize
        self._data: dict[str, Any] = {}

    def config(self, values: dict[str, Any]) -> dict[str, Any]:
        raw = copy.deepcopy(self.raw)
        for dim in self.space:
            set_key(raw, dim.target, values[dim.name])
        return raw

    def __call__(self, trial: optuna.Trial) -> float:
        from pydantic import ValidationError

        from rnnlint.reference.api import load_data
        from rnnlint.reference.loop import Hooks, make_plan, run
        from rnnlint.reference.tasks import TaskError
        from rnnlint.settings.recipe import TrainingConfig

        values = suggest(trial, self.space)
        raw = self.config(values)
        folder = trial_dir(self.out, trial.number)
        recipe_file = folder / "recipe.yaml"
        recipe_file.write_text(yaml.safe_dump(raw, sort_keys=False))
        trial.set_user_attr("dir", str(folder))
        trial.set_user_attr("worker", WORKER)
        trial.set_user_attr("recipe", str(recipe_file))
        try:
            cfg = TrainingConfig.model_validate(raw)
            key = cfg.data.model_dump_json() + cfg.train.model_dump_json(include={"seed", "validation_split"})
            if key not in self._data:
                self._data[key] = load_data(cfg, self.recipe.resolve().parent)
            plan = make_plan(cfg, self._data[key])
        except (ValidationError, TaskError, OSError) as exc:
            trial.set_user_attr("verdict", f"invalid recipe: {exc}")
            raise TrialFailure(f"trial {trial.number}: invalid recipe: {exc}") from None
        curve: list[float] = []
        reporting = [0.0]  # seconds spent reporting to Optuna inside the training loop: overhead, not training

        def on_epoch(epoch: int, row: dict[str, Any]) -> None:
            value = row.get(self.metric)
            if value is None:
                return
            curve.append(float(value))
            started = time.perf_counter()
            try:
                _stop_if_unhealthy(trial, curve, epoch, self.minimize)
            finally:
                reporting[0] += time.perf_counter() - started

        started = time.perf_counter()
        try:
            metrics = run(plan, self.framework, folder, progress=False, hooks=Hooks(on_epoch=on_epoch), plot=False)
        finally:  # a pruned run trained too: its time is training, not overhead
            trial.set_user_attr("train_seconds", time.perf_counter() - started - reporting[0])
        trial.set_user_attr("curve", curve)
        trial.set_user_attr("verdict", f"{metrics['verdict']}: {metrics['verdict_reason']}")
        if metrics["diverged"]:
            raise optuna.TrialPruned(f"diverged: {metrics['diverged_reason']}")
        if not curve:
            raise MetricMissing(
                f"metric {self.metric!r} is not in the reference trainer's curves for this recipe "
                f"(curves.csv of trial {trial.number} in {folder}); try val_loss or val_acc"
            )
        return curve[-1]


# -- a script through its flags -------------------------------------------------------------------


class ScriptObjective:
    """Runs ``python SCRIPT FIXED_ARGS --flag value ...`` in a child process per trial, with a time limit."""

    def __init__(
        self,
        analysis: ScriptAnalysis,
        space: list[Dimension],
        fixed_args: list[str],
        out: Path,
        metric: str,
        minimize: bool,
        time_limit: float | None,
        python: str = sys.executable,
    ) -> None:
        self.analysis, self.space, self.fixed_args, self.out = analysis, space, fixed_args, out
        self.metric, self.minimize, self.time_limit, self.python = metric, minimize, time_limit, python

    def command(self, values: dict[str, Any], folder: Path) -> list[str]:
        return script_command(self.analysis, self.space, self.fixed_args, self.python, values, folder)

    def __call__(self, trial: optuna.Trial) -> float:
        values = suggest(trial, self.space)
        folder = trial_dir(self.out, trial.number)
        argv = self.command(values, folder)
        trial.set_user_attr("dir", str(folder))
        trial.set_user_attr("worker", WORKER)
        trial.set_user_attr("command", shlex.join(argv))
        # With an output flag the script writes there and runs where the user is (relative data paths keep
        # working); without one it runs in the trial's folder, so that relative log files land there.
        cwd = Path.cwd() if self.analysis.output_flag is not None else folder
        env = {**os.environ, "PYTHONUNBUFFERED": "1", "RNNLINT_TUNE_TRIAL": str(trial.number), "RNNLINT_TUNE_DIR": str(folder)}
        started = time.perf_counter()
        printed: list[float] = []
        tail: list[str] = []
        with open(folder / "output.log", "w", encoding="utf-8") as log:
            proc = subprocess.Popen(
                argv, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, errors="replace",
                start_new_session=True, stdin=subprocess.DEVNULL,
            )  # fmt: skip
            lines: queue.Queue[str | None] = queue.Queue()
            reader = threading.Thread(target=_pump, args=(proc, lines), daemon=True)
            reader.start()
            deadline = None if self.time_limit is None else started + self.time_limit
            try:
                while True:
                    wait = 0.5 if deadline is None else max(0.0, min(0.5, deadline - time.perf_counter()))
                    try:
                        line = lines.get(timeout=wait)
                    except queue.Empty:
                        line = ""
                    if line is None:
                        break
                    if line:
                        log.write(line)
                        tail = [*tail[-(TAIL_LINES - 1) :], line.rstrip("\n")]
                        for value in printed_values(line, self.metric):
                            printed.append(value)
                            _stop_if_unhealthy(trial, printed, len(printed), self.minimize)
                    if deadline is not None and time.perf_counter() >= deadline:
                        trial.set_user_attr("verdict", f"time limit ({self.time_limit:g} s) reached")
                        raise TrialFailure(f"trial {trial.number}: stopped at its time limit of {self.time_limit:g} s")
            finally:
                _kill(proc)
                reader.join(timeout=5)
                trial.set_user_attr("train_seconds", time.perf_counter() - started)
        if proc.returncode != 0:
            trial.set_user_attr("verdict", f"exit code {proc.returncode}")
            trial.set_user_attr("output_tail", tail)
            shown = "\n    ".join(tail[-5:])
            raise TrialFailure(f"trial {trial.number}: {shlex.join(argv)} exited with {proc.returncode}:\n    {shown}")
        folders = [folder] if cwd == folder else [folder, cwd]
        curve = read_metric(folders[:1], self.metric, printed)
        if curve is None:
            raise MetricMissing(
                f"metric {self.metric!r} never appeared in the run's logs (CSV files in {folder}) nor in its output "
                f"as `{self.metric}=VALUE` (see {folder / 'output.log'})"
            )
        trial.set_user_attr("curve", [v if math.isfinite(v) else None for v in curve.values])
        trial.set_user_attr("metric_source", curve.source)
        reason = verdict(curve.values, self.minimize)
        if reason is not None:
            trial.set_user_attr("verdict", reason)
            raise optuna.TrialPruned(reason)
        trial.set_user_attr("verdict", "ok")
        return curve.last


def _pump(proc: subprocess.Popen[str], lines: queue.Queue[str | None]) -> None:
    assert proc.stdout is not None
    for line in proc.stdout:
        lines.put(line)
    proc.wait()
    lines.put(None)


def _kill(proc: subprocess.Popen[str]) -> None:
    """The child and everything it started (its own session), if still running."""
    if proc.poll() is None:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except (OSError, AttributeError):
            proc.kill()
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=10)


Objective = Callable[[optuna.Trial], float]
