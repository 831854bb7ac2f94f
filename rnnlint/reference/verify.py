"""Paired experiments: each guideline on vs off, everything else equal, over several seeds.

``verify(quick, frameworks, output_dir)`` writes ``report.json``, ``report.md``, one
comparison plot per experiment and every run's curves.csv. The outcome of an experiment
is decided by a criterion fixed here before any run; an experiment that does not support
its guideline is reported as such. The fix checks (:mod:`rnnlint.reference.fixcheck`)
train the runnable fixtures before and after ``rnnlint --fix``. Each framework's work runs
in its own worker process, which imports the framework once; the two share the cores.
"""

from __future__ import annotations

import importlib.util
import json
import math
import os
import platform
import sys
import tempfile
import time
import traceback
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass
from multiprocessing import get_context
from pathlib import Path
from typing import Any

from rnnlint.reference import curves, fixcheck
from rnnlint.reference.loop import FRAMEWORKS, make_plan, run, set_threads
from rnnlint.reference.tasks import TASKS, TaskData
from rnnlint.settings.recipe import TrainingConfig

CHANCE_MARGIN = 0.05
QUICK_SEEDS = (0,)
FULL_SEEDS = (0, 1, 2)
SUMMARY_KEYS = (
    "val_acc",
    "val_loss",
    "val_balanced_acc",
    "val_ler",
    "train_eval_acc",
    "gap",
    "diverged",
    "nan_events",
    "max_grad_norm",
    "clip_rate",
    "decays",
    "lr_final",
    "epochs_run",
    "wall_s",
)


def _merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    out = {k: dict(v) if isinstance(v, dict) else v for k, v in base.items()}
    for key, value in over.items():
        out[key] = {**out.get(key, {}), **value} if isinstance(value, dict) else value
    return out


def base_recipe(quick: bool) -> dict[str, Any]:
    """The guideline recipe every experiment starts from, scaled down to run on a CPU.

    Deliberate departures from the guidelines, the same in every arm: hidden size 32/64
    (D4 says 128-512), one layer in quick mode (D3 prefers a stack) and a learning rate of
    0.005 (Adam's paper default is 0.001), so that a few hundred CPU steps can show a
    difference. Quick mode also uses batches of 64 and 6 epochs, full mode 32 and 15.
    """
    return {
        "model": {
            "cell": "lstm",
            "hidden_size": 32 if quick else 64,
            "num_layers": 1 if quick else 2,
            "bidirectional": True,
            "dropout": 0.3,
            "embedding_dim": 16,
        },
        "loss": {"type": "ce"},
        "optim": {"name": "adam", "lr": 0.005, "weight_decay": 1e-5, "clip_norm": 5.0},
        "schedule": {"type": "plateau", "factor": 0.5, "patience": 2},
        "train": {
            "epochs": 6 if quick else 15,
            "batch_size": 64 if quick else 32,
            "balance": "none",
            "nan_guard": True,
            "log_csv": "curves.csv",
        },
        "data": {"task": "classification"},
    }


@dataclass(frozen=True)
class Experiment:
    rule: str
    section: str
    title: str
    task: str
    task_params: dict[str, Any]
    change: str  # what differs between the arms
    guideline: dict[str, Any]  # overrides of the base recipe, guideline arm
    baseline: dict[str, Any]  # overrides, baseline arm
    metric: str
    higher_is_better: bool
    criterion: str
    decide: Callable[[dict[str, Any], dict[str, Any]], bool]
    chance: float | None = None  # the metric's value at chance; an arm within CHANCE_MARGIN of it learned nothing


def _mean(values: Sequence[Any]) -> float | None:
    vals = [float(v) for v in values if v is not None and math.isfinite(float(v))]
    return sum(vals) / len(vals) if vals else None


def _better(key: str, higher: bool) -> Callable[[dict[str, Any], dict[str, Any]], bool]:
    def decide(g: dict[str, Any], b: dict[str, Any]) -> bool:
        gv, bv = g.get(key), b.get(key)
        if gv is None:
            return False
        if bv is None:
            return True
        return bool(gv > bv) if higher else bool(gv < bv)

    return decide


def _fewer_divergences(g: dict[str, Any], b: dict[str, Any]) -> bool:
    if g["diverged"] != b["diverged"]:
        return bool(g["diverged"] < b["diverged"])
    return _better("val_loss", False)(g, b)


def _smaller_gap_same_accuracy(g: dict[str, Any], b: dict[str, Any]) -> bool:
    return _better("gap", False)(g, b) and (g.get("val_acc") or 0.0) >= (b.get("val_acc") or 0.0)


def experiments(quick: bool) -> list[Experiment]:
    q = quick
    n, n_val = (512, 128) if q else (2048, 512)
    return [
        Experiment(
            "RNN101",
            "D1",
            "LSTM vs plain RNN on long-range recall",
            "recall",
            {"n": n, "n_val": n_val, "length": 40 if q else 60, "classes": 4},
            "model.cell: lstm vs rnn (both unidirectional: a backward pass would read the first token last)",
            {"model": {"cell": "lstm", "bidirectional": False}},
            {"model": {"cell": "rnn", "bidirectional": False}},
            "val_acc",
            True,
            "final validation accuracy higher with LSTM",
            _better("val_acc", True),
            chance=0.25,
        ),
        Experiment(
            "RNN102",
            "D2",
            "bidirectional vs unidirectional on tagging that needs future context",
            "future_tagging",
            {"n": n, "n_val": n_val, "length": 20, "classes": 4},
            "model.bidirectional: true vs false",
            {"model": {"bidirectional": True}, "data": {"task": "tagging"}, "train": {"epochs": 4 if q else 10}},
            {"model": {"bidirectional": False}, "data": {"task": "tagging"}, "train": {"epochs": 4 if q else 10}},
            "val_acc",
            True,
            "final validation token accuracy higher when bidirectional",
            _better("val_acc", True),
            chance=0.25,
        ),
        Experiment(
            "RNN201",
            "D6.4",
            "global-norm clipping vs none at a high learning rate on long sequences",
            "recall",
            {"n": 256 if q else 1024, "n_val": 128 if q else 256, "length": 100 if q else 200, "classes": 4},
            "optim.clip_norm: 5.0 vs none (SGD lr 1.0 momentum 0.9, no NaN guard and no decay in either arm)",
            {
                "model": {"bidirectional": False},
                "optim": {"name": "sgd", "lr": 1.0, "momentum": 0.9, "clip_norm": 5.0},
                "schedule": {"type": "none"},
                "train": {"nan_guard": False, "epochs": 3 if q else 8},
            },
            {
                "model": {"bidirectional": False},
                "optim": {"name": "sgd", "lr": 1.0, "momentum": 0.9, "clip_norm": None},
                "schedule": {"type": "none"},
                "train": {"nan_guard": False, "epochs": 3 if q else 8},
            },
            "diverged",
            False,
            "fewer runs diverge (non-finite loss) with clipping; on a tie, lower final validation loss",
            _fewer_divergences,
        ),
        Experiment(
            "RNN204",
            "D6.2",
            "plateau decay (factor 0.5) vs a fixed learning rate",
            "recall",
            {"n": n, "n_val": n_val, "length": 30, "classes": 4},
            "schedule.type: plateau (factor 0.5, patience 1) vs none",
            {"schedule": {"type": "plateau", "factor": 0.5, "patience": 1}, "train": {"epochs": 8 if q else 20}},
            {"schedule": {"type": "none"}, "train": {"epochs": 8 if q else 20}},
            "val_loss",
            False,
            "final validation loss lower with decay",
            _better("val_loss", False),
        ),
        Experiment(
            "RNN303",
            "D5",
            "CTC vs framewise cross entropy on unaligned label sequences",
            "unaligned",
            {"n": n, "n_val": n_val, "symbols": 6},
            "loss.type: ctc vs ce (framewise targets: each label stretched uniformly over the frames)",
            {"loss": {"type": "ctc"}, "data": {"task": "ctc"}, "model": {"embedding_dim": None}},
            {"loss": {"type": "ce"}, "data": {"task": "ctc"}, "model": {"embedding_dim": None}},
            "val_ler",
            False,
            "final validation label error rate (greedy decode) lower with CTC",
            _better("val_ler", False),
            chance=1.0,
        ),
        Experiment(
            "RNN105/RNN107",
            "D7",
            "dropout vs none: the overfitting gap on a small, noisy training set",
            "recall",
            {"n": 128 if q else 256, "n_val": 256 if q else 512, "length": 10, "classes": 4, "label_noise": 0.3},
            "model.dropout: 0.5 vs 0.0 (no dropout, or dropout that acts nowhere, RNN107)",
            {"model": {"dropout": 0.5, "hidden_size": 64 if q else 128}, "train": {"epochs": 20 if q else 40}},
            {"model": {"dropout": 0.0, "hidden_size": 64 if q else 128}, "train": {"epochs": 20 if q else 40}},
            "gap",
            False,
            "smaller gap between train accuracy (inference mode) and validation accuracy with dropout, and validation "
            "accuracy at least as high",
            _smaller_gap_same_accuracy,
        ),
        Experiment(
            "RNN401",
            "D11",
            "balanced batches by oversampling vs plain batches on imbalanced data",
            "imbalanced",
            {"n": n, "n_val": 512 if q else 1024, "length": 20, "positive_rate": 0.08},
            "train.balance: oversample vs none",
            {"train": {"balance": "oversample"}},
            {"train": {"balance": "none"}},
            "val_balanced_acc",
            True,
            "final validation balanced accuracy higher with balanced batches",
            _better("val_balanced_acc", True),
            chance=0.5,
        ),
    ]


# --- running ----------------------------------------------------------------------------


def _arm(exp: Experiment, arm: str, framework: str, quick: bool, seeds: Sequence[int], out: Path) -> dict[str, Any]:
    recipe = _merge(base_recipe(quick), exp.guideline if arm == "guideline" else exp.baseline)
    runs: list[dict[str, Any]] = []
    for seed in seeds:
        cfg = TrainingConfig.model_validate(_merge(recipe, {"train": {"seed": seed}}))
        data: TaskData = TASKS[exp.task](**{**exp.task_params, "seed": seed})
        folder = out / "runs" / framework / exp.rule.replace("/", "_") / arm / f"seed{seed}"
        m = run(make_plan(cfg, data), framework, folder, progress=False, plot=False)
        tr, va = m.get("train_eval_acc"), m.get("val_acc")
        m["gap"] = None if tr is None or va is None else tr - va
        runs.append(m)
    summary: dict[str, Any] = {}
    for key in SUMMARY_KEYS:
        if key == "diverged":
            summary[key] = sum(bool(r["diverged"]) for r in runs) / len(runs)
        else:
            summary[key] = _mean([r.get(key) for r in runs])
    summary["verdicts"] = [r["verdict"] for r in runs]
    summary["per_seed"] = [
        {"seed": s, **{k: curves.jsonable(r.get(k)) for k in SUMMARY_KEYS}} for s, r in zip(seeds, runs, strict=True)
    ]
    summary["history_seed0"] = runs[0]["history"]
    return summary


def _header(exp: Experiment, framework: str, quick: bool, version: str | None) -> dict[str, Any]:
    """What an experiment's entry says before it runs."""
    return {
        "rule": exp.rule,
        "guideline_section": exp.section,
        "title": exp.title,
        "framework": framework,
        "framework_version": version,
        "task": exp.task,
        "task_description": TASKS[exp.task](**{**exp.task_params, "seed": 0}).description,
        "task_params": exp.task_params,
        "change": exp.change,
        "seeds": list(QUICK_SEEDS if quick else FULL_SEEDS),
        "metric": exp.metric,
        "higher_is_better": exp.higher_is_better,
        "criterion": exp.criterion
        + ("" if exp.chance is None else f" (and not both arms within {CHANCE_MARGIN} of chance, {exp.chance})"),
    }


def _lost(job: Job, quick: bool, exc: BaseException) -> dict[str, Any]:
    """The result of a job whose worker process died (a crash in native code, or a script calling os._exit)."""
    error = f"the worker process died: {type(exc).__name__}: {exc}"
    if job[0] == "script":
        return {
            "ran": False,
            "final_loss": None,
            "val_loss": None,
            "metrics": None,
            "error": error,
            "warnings": [],
            "wall_s": 0.0,
        }
    entry = _header(experiments(quick)[job[2]], job[1], quick, None)
    entry.update(guideline={}, baseline={}, supports_guideline=False, outcome="error", error=error, wall_s=0.0)
    return entry


def run_experiment(framework: str, index: int, quick: bool, output_dir: str, threads: int = 1) -> dict[str, Any]:
    """One experiment, both arms and every seed, with one framework (in a worker process)."""
    set_threads(framework, threads)
    exp = experiments(quick)[index]
    seeds = QUICK_SEEDS if quick else FULL_SEEDS
    out = Path(output_dir)
    t0 = time.perf_counter()
    entry = _header(exp, framework, quick, _version(framework))
    try:
        g = _arm(exp, "guideline", framework, quick, seeds, out)
        b = _arm(exp, "baseline", framework, quick, seeds, out)
        entry["outcome"] = _outcome(exp, g, b)
        entry["supports_guideline"] = entry["outcome"] == "supports"
        entry["plot"] = _plot(out, framework, exp, g, b)
        g.pop("history_seed0")
        b.pop("history_seed0")
        entry["guideline"], entry["baseline"] = g, b
    except Exception as exc:  # an experiment that crashes is reported, the others still run
        entry.update(
            guideline={},
            baseline={},
            supports_guideline=False,
            outcome="error",
            error=f"{type(exc).__name__}: {exc}",
            traceback=traceback.format_exc(),
        )
    entry["wall_s"] = time.perf_counter() - t0
    return entry


def _at_chance(exp: Experiment, arm: dict[str, Any]) -> bool:
    value = arm.get(exp.metric)
    return exp.chance is not None and (value is None or abs(value - exp.chance) < CHANCE_MARGIN)


def _outcome(exp: Experiment, g: dict[str, Any], b: dict[str, Any]) -> str:
    """The criterion decides, unless both arms stayed at chance: then nothing was shown either way."""
    if _at_chance(exp, g) and _at_chance(exp, b):
        return "inconclusive: neither arm learned the task"
    if exp.decide(g, b):
        return "supports"
    if g.get(exp.metric) == b.get(exp.metric):
        return "no difference"
    return "does not support"


def _plot(out: Path, framework: str, exp: Experiment, g: dict[str, Any], b: dict[str, Any]) -> str | None:
    key = {"gap": "val_acc", "diverged": "val_loss"}.get(exp.metric, exp.metric)
    path = out / "plots" / f"{framework}_{exp.rule.replace('/', '_')}.png"
    png = curves.plot_pair(
        path, {"guideline": g["history_seed0"], "baseline": b["history_seed0"]}, key, f"{framework} {exp.rule}: {exp.title}"
    )
    return None if png is None else str(png.relative_to(out))


def _version(framework: str) -> str:
    if framework == "torch":
        import torch

        return str(torch.__version__)
    import tensorflow as tf

    return str(tf.__version__)


def available(framework: str) -> bool:
    return importlib.util.find_spec(framework) is not None and importlib.util.find_spec("numpy") is not None


def _announce(entry: dict[str, Any]) -> dict[str, Any]:
    print(f"[{entry['framework']}] {entry['rule']}: {entry['outcome']} ({entry['wall_s']:.1f}s)", flush=True)
    return entry


Job = tuple[str, str, Any]  # ("experiment", framework, index) or ("script", framework, path)


def run_job(job: Job, quick: bool, output_dir: str, threads: int) -> dict[str, Any]:
    """One unit of work in a worker process: an experiment, or one fixture script's short training run."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # before anything imports TensorFlow
    kind, framework, arg = job
    set_threads(framework, threads)
    if quick and framework == "tensorflow":
        _skip_graph_optimizer()
    if kind == "experiment":
        return run_experiment(framework, arg, quick, output_dir, threads)
    return fixcheck.run_script(arg)


def _skip_graph_optimizer() -> None:
    """Quick mode only: TensorFlow's graph optimizer (grappler) costs about half a second per traced
    function, most of a quick run's time, and buys tiny models nothing. The full run keeps it."""
    import tensorflow as tf

    tf.config.optimizer.set_experimental_options({"disable_meta_optimizer": True})


def _script_runs(prepared: dict[str, Any]) -> dict[str, str]:
    """The script each fix check runs, per "framework/before" and "framework/variant": a fixed copy
    whose text equals an earlier one (nothing fixed, or unsafe fixes that add nothing) reuses its run."""
    runs: dict[str, str] = {}
    seen: dict[tuple[str, str], str] = {}
    for key, prep in prepared.items():
        framework = prep["framework"]
        before = prep["before_path"]
        runs[f"{framework}/before"] = seen.setdefault((framework, Path(before).read_text(encoding="utf-8")), before)
        runs[key] = seen.setdefault((framework, Path(prep["after_path"]).read_text(encoding="utf-8")), prep["after_path"])
    return runs


def _done(job: Job, result: dict[str, Any]) -> dict[str, Any]:
    if job[0] == "experiment":
        return _announce(result)
    what = "ran" if result["ran"] else f"failed: {result['error']}"
    print(f"[{job[1]}] fix check, {Path(job[2]).parent.name}/{Path(job[2]).name}: {what} ({result['wall_s']:.1f}s)", flush=True)
    return result


def verify(
    quick: bool,
    frameworks: Sequence[str] | None,
    output_dir: str | Path,
    *,
    threads: int = 1,
    workers: int | None = None,
) -> int:
    """Run the paired experiments and the fix checks; 0 when every experiment ran and every fix
    check passed, 1 otherwise, 2 when a framework is unknown or not installed or the fixtures
    cannot be read. Supporting a guideline or not is a result, not a failure.

    The work runs in ``workers`` processes (default: the CPU count, at most 4), each
    framework on ``threads`` threads; the fixes themselves are applied here, by rnnlint's
    own command line, before the fixed scripts train in the workers."""
    wanted = list(frameworks) if frameworks else [f for f in FRAMEWORKS if available(f)]
    unknown = [f for f in wanted if f not in FRAMEWORKS]
    missing = [f for f in wanted if f in FRAMEWORKS and not available(f)]
    if unknown or missing or not wanted:
        why = (
            f"unknown framework {', '.join(unknown)}"
            if unknown
            else f"not installed: {', '.join(missing) or 'torch, tensorflow'} (pip install 'rnnlint[torch]' or '[tensorflow]')"
        )
        print(f"rnnlint verify: {why}", file=sys.stderr)
        return 2
    wanted = list(dict.fromkeys(wanted))
    out = Path(output_dir)
    out.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    count = len(experiments(quick))
    # the slow framework's work first, so that the lighter jobs fill the gaps at the end
    order = sorted(wanted, key=lambda f: f != "tensorflow")
    jobs: list[Job] = [("experiment", f, i) for f in order for i in range(count)]
    workers = max(1, min(workers or min(os.cpu_count() or 1, 4), len(jobs)))
    results: dict[Job, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory(prefix="rnnlint-verify-") as work:
        scheduler = _Scheduler(workers, order, quick, str(out), threads) if workers > 1 else None
        try:
            if scheduler is not None:
                scheduler.add(jobs)  # the workers start (and import their framework) while the fixes are applied here
            prepared = fixcheck.prepare(wanted, out, Path(work))
            runs = _script_runs(prepared)
            if scheduler is None:
                for job in _ordered(jobs, runs, order):
                    results[job] = _done(job, run_job(job, quick, str(out), threads))
            else:
                scheduler.add([j for j in _ordered(jobs, runs, order) if j[0] == "script"])
                results.update(scheduler.finish())
        except OSError as exc:  # the fixtures are missing or unreadable, or the output folder is not writable
            print(f"rnnlint verify: cannot run the fix checks: {exc}", file=sys.stderr)
            return 2
        finally:
            if scheduler is not None:
                scheduler.close()
    entries = [results["experiment", f, i] for f in wanted for i in range(count)]
    checks = [
        fixcheck.entry(
            prep,
            results["script", prep["framework"], runs[f"{prep['framework']}/before"]],
            results["script", prep["framework"], runs[key]],
        )
        for key, prep in prepared.items()
    ]
    for check in checks:
        verdict = "ok" if check["ok"] else "FAILED: " + "; ".join(check["problems"])
        print(
            f"[{check['framework']}] fix check {check['variant']}: fixed {', '.join(check['codes_fixed']) or 'nothing'}; {verdict}"
        )
    report: dict[str, Any] = {
        "quick": quick,
        "seeds": list(QUICK_SEEDS if quick else FULL_SEEDS),
        "frameworks": {
            f: {
                "version": next(
                    (e["framework_version"] for e in entries if e["framework"] == f and e["framework_version"]), None
                ),
                "busy_s": sum(e["wall_s"] for e in entries if e["framework"] == f),
            }
            for f in wanted
        },
        "wall_s": time.perf_counter() - started,
        "environment": {
            "python": platform.python_version(),
            "machine": platform.machine(),
            "cpus": os.cpu_count(),
            "workers": workers,
            "threads_per_worker": threads,
        },
        "base_recipe": base_recipe(quick),
        "experiments": entries,
        "fix_checks": checks,
    }
    (out / "report.json").write_text(json.dumps(curves.jsonable(report), indent=2) + "\n")
    (out / "report.md").write_text(render_markdown(report))
    print(f"rnnlint verify: wrote {out / 'report.json'} and {out / 'report.md'} in {report['wall_s']:.1f}s")
    failed = any("error" in e for e in entries) or not all(c["ok"] for c in checks)
    return 1 if failed else 0


class _Scheduler:
    """Worker processes with a home framework each (TensorFlow first), so that each imports it once.

    A worker whose framework has no work left takes another framework's next job when at
    least ``STEAL_MIN`` are waiting: importing a second framework (about 5 s for TensorFlow)
    pays off only then. Every framework has a home worker (there are at least as many
    workers as frameworks), so no job is left behind. Each worker holds one job at a time."""

    STEAL_MIN = 2

    def __init__(self, workers: int, order: list[str], quick: bool, output_dir: str, threads: int) -> None:
        context = get_context("spawn")
        self.pools = [ProcessPoolExecutor(max_workers=1, mp_context=context) for _ in range(workers)]
        self.home = [order[i % len(order)] for i in range(workers)]
        self.loaded: list[set[str]] = [set() for _ in range(workers)]
        self.queues: dict[str, deque[Job]] = {f: deque() for f in order}
        self.running: dict[Future[dict[str, Any]], tuple[int, Job]] = {}
        self.args = (quick, output_dir, threads)

    def add(self, jobs: list[Job]) -> None:
        """Queue jobs (each framework's in the order given) and hand them to idle workers."""
        for job in jobs:
            self.queues[job[1]].append(job)
        busy = {worker for worker, _ in self.running.values()}
        for worker in range(len(self.pools)):
            if worker not in busy:
                self._feed(worker)

    def _feed(self, worker: int) -> None:
        own = [self.home[worker], *sorted(self.loaded[worker])]
        framework = next((f for f in own if self.queues[f]), None)
        if framework is None:
            framework = next((f for f, q in self.queues.items() if len(q) >= self.STEAL_MIN), None)
        if framework is None:
            return
        job = self.queues[framework].popleft()
        self.loaded[worker].add(framework)
        self.running[self.pools[worker].submit(run_job, job, *self.args)] = (worker, job)

    def finish(self) -> dict[Job, dict[str, Any]]:
        """Wait for every job, feeding each worker as it finishes one."""
        results: dict[Job, dict[str, Any]] = {}
        while self.running:
            done, _ = wait(list(self.running), return_when=FIRST_COMPLETED)
            for future in done:
                worker, job = self.running.pop(future)
                try:
                    result = future.result()
                except Exception as exc:  # the worker died: report its job and start a fresh worker in its place
                    result = _lost(job, self.args[0], exc)
                    self.pools[worker].shutdown(wait=False)
                    self.pools[worker] = ProcessPoolExecutor(max_workers=1, mp_context=get_context("spawn"))
                    self.loaded[worker] = set()
                results[job] = _done(job, result)
                self._feed(worker)
        return results

    def close(self) -> None:
        for pool in self.pools:
            pool.shutdown(cancel_futures=True)


def _ordered(experiment_jobs: list[Job], runs: dict[str, str], order: list[str]) -> list[Job]:
    """Every job, a framework's fixture scripts right after its experiments."""
    jobs: list[Job] = []
    for framework in order:
        jobs += [j for j in experiment_jobs if j[1] == framework]
        paths = dict.fromkeys(path for key, path in runs.items() if key.startswith(f"{framework}/"))
        jobs += [("script", framework, path) for path in paths]
    return jobs


def _fmt(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.2e}" if 0 < abs(value) < 0.01 else f"{value:.3f}"
    return str(value)


def render_markdown(report: dict[str, Any]) -> str:
    mode = "quick (1 seed, tiny sizes)" if report["quick"] else f"full ({len(report['seeds'])} seeds)"
    lines = [
        "# rnnlint verify: guideline on vs off",
        "",
        f"Mode: {mode}. Wall time {report['wall_s']:.1f}s with {report['environment']['workers']} worker processes of "
        f"{report['environment']['threads_per_worker']} thread on {report['environment']['cpus']} CPUs; time spent per framework: "
        + ", ".join(f"{f} {v['version']} {v['busy_s']:.1f}s" for f, v in report["frameworks"].items())
        + ".",
        "",
        "Each experiment trains the same recipe twice, changing one setting; the criterion was fixed before the runs. "
        "Numbers are means over the seeds, at the last epoch.",
        "",
        "| rule | framework | task | change | metric | guideline | baseline | supports |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for e in report["experiments"]:
        g, b = e.get("guideline", {}), e.get("baseline", {})
        verdict = {"supports": "yes", "no difference": "**no** (no difference)"}.get(e["outcome"], f"**no** ({e['outcome']})")
        lines.append(
            f"| {e['rule']} ({e['guideline_section']}) | {e['framework']} | {e['task']} | {e['change']} | "
            f"{e['metric']} | {_fmt(g.get(e['metric']))} | {_fmt(b.get(e['metric']))} | {verdict} |"
        )
    lines += _fix_check_lines(report.get("fix_checks", []))
    lines += ["", "## Details", ""]
    for e in report["experiments"]:
        lines.append(f"### {e['rule']} / {e['framework']}: {e['title']}")
        lines.append("")
        lines.append(f"- task: {e['task_description']}")
        lines.append(f"- criterion: {e['criterion']}")
        if "error" in e:
            lines.append(f"- error: `{e['error']}`")
        else:
            for arm in ("guideline", "baseline"):
                a = e[arm]
                shown = ", ".join(
                    f"{k} {_fmt(a.get(k))}"
                    for k in (
                        "val_acc",
                        "val_loss",
                        "val_balanced_acc",
                        "val_ler",
                        "gap",
                        "diverged",
                        "nan_events",
                        "clip_rate",
                        "max_grad_norm",
                        "decays",
                    )
                    if a.get(k) is not None
                )
                lines.append(f"- {arm}: {shown}; verdicts {', '.join(a['verdicts'])}")
            lines.append(f"- outcome: {e['outcome']}")
            if e.get("plot"):
                lines.append(f"\n![{e['rule']} {e['framework']}]({e['plot']})")
        lines.append("")
    lines.append(f"Base recipe: `{json.dumps(report['base_recipe'])}`")
    lines.append("")
    return "\n".join(lines)


def _fix_check_lines(checks: list[dict[str, Any]]) -> list[str]:
    """The fix checks: each runnable fixture trained before and after ``rnnlint --fix`` (and ``--unsafe-fixes``)."""
    if not checks:
        return []
    lines = [
        "",
        "## Fix checks",
        "",
        f"Each fixture was copied, fixed by rnnlint and trained for a few steps (`{' '.join(checks[0]['script_args'])}`) "
        "before and after the fix. A check passes when both runs finish, the fixed run ends with a finite loss and "
        "every finding whose fix was applied is gone.",
        "",
        "| fixture | framework | command | codes fixed | final loss before | final loss after | ok |",
        "|---|---|---|---|---|---|---|",
    ]
    for c in checks:
        lines.append(
            f"| {c['fixture']} | {c['framework']} | `{c['command']}` | {', '.join(c['codes_fixed']) or '-'} | "
            f"{_fmt(c['before']['final_loss'])} | {_fmt(c['after']['final_loss'])} | {'yes' if c['ok'] else '**no**'} |"
        )
    for c in checks:
        if c["problems"]:
            lines.append(f"\n- {c['fixture']} (`{c['command']}`): " + "; ".join(c["problems"]))
    lines.append("\nThe diffs are in `fix_checks/`.")
    return lines
