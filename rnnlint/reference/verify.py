"""``rnnlint verify``: each guideline on vs off as a paired experiment, the fused-layer speed
claim measured on this machine, and the fix checks.

``verify(mode, frameworks, output_dir)`` runs every (experiment, arm, seed) of
:mod:`rnnlint.reference.experiments` as its own job, then judges each experiment: its
manipulation check first (a failed one makes it an "invalid design"), then the paired
statistic with a 95% bootstrap interval (:mod:`rnnlint.reference.stats`). It writes
``report.json``, ``report.md`` (:mod:`rnnlint.reference.report`), one plot per experiment
with every seed's curve, and every run's curves.csv. Quick mode is a smoke test: its
verdicts are labelled so and are not evidence.

The jobs run in worker processes, each with a home framework that it imports once (see
:class:`_Scheduler`). Each worker asks its framework for deterministic kernels and
records its device, threads and versions, so that a report says where it was made.
"""

from __future__ import annotations

import importlib.util
import json
import os
import platform
import sys
import tempfile
import time
import traceback
from collections import deque
from collections.abc import Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass
from datetime import datetime, timezone
from multiprocessing import get_context
from pathlib import Path
from typing import Any

from rnnlint.reference import curves, fixcheck, stats
from rnnlint.reference.experiments import MODES, SEEDS, Experiment, _merge, base_recipe, budget, experiments
from rnnlint.reference.loop import FRAMEWORKS, make_plan, run, set_threads
from rnnlint.reference.tasks import TASKS
from rnnlint.settings.recipe import TrainingConfig

DEVICES = ("auto", "cpu", "cuda")
RUN_KEYS = (
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
    "steps",
    "wall_s",
)


@dataclass(frozen=True)
class Options:
    """What every worker needs to know about the run."""

    mode: str
    output_dir: str
    threads: int
    device: str  # torch only: auto, cpu or cuda
    seeds: tuple[int, ...]


Job = tuple[str, str, Any]  # ("run", framework, (index, arm, seed)), ("script", framework, path) or ("perf", "torch", None)


# --- in a worker process -----------------------------------------------------------------

_READY: set[str] = set()


def _setup(framework: str, opts: Options) -> None:
    """Once per worker and framework: threads, deterministic kernels and the device."""
    if framework in _READY:
        return
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # before anything imports TensorFlow
    os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")  # deterministic cuBLAS, before CUDA starts
    set_threads(framework, opts.threads)
    if framework == "torch":
        from rnnlint.reference.torch_backend import deterministic, use_device

        use_device(opts.device)
        deterministic()
    elif framework == "tensorflow":
        import tensorflow as tf

        tf.config.experimental.enable_op_determinism()
        if opts.mode == "quick":
            # grappler costs about half a second per traced function, most of a quick run's time,
            # and buys tiny models nothing; the other modes keep it
            tf.config.optimizer.set_experimental_options({"disable_meta_optimizer": True})
    _READY.add(framework)


def environment(framework: str) -> dict[str, Any]:
    """The framework's version, device and threads as this worker uses them."""
    import numpy as np

    from rnnlint.reference.perf import device_name

    env: dict[str, Any] = {"framework": framework, "numpy": np.__version__, "python": platform.python_version()}
    if framework == "torch":
        import torch

        from rnnlint.reference.torch_backend import _DEVICE

        device = _DEVICE[0] if _DEVICE else "cpu"
        env.update(
            version=str(torch.__version__),
            device=device,
            device_name=device_name(device),
            threads=torch.get_num_threads(),
            cuda=torch.version.cuda if device == "cuda" else None,
            cudnn=torch.backends.cudnn.version() if device == "cuda" else None,
            deterministic=torch.are_deterministic_algorithms_enabled(),
        )
    else:
        import tensorflow as tf

        gpu = bool(tf.config.list_physical_devices("GPU"))
        env.update(
            version=str(tf.__version__),
            device="gpu" if gpu else "cpu",
            device_name=device_name("cpu") if not gpu else "GPU",
            threads=tf.config.threading.get_intra_op_parallelism_threads(),
            deterministic=True,
        )
    return env


def run_one(framework: str, index: int, arm: str, seed: int, opts: Options) -> dict[str, Any]:
    """One arm of one experiment with one seed: the seed sets the data, the initialisation and the batch order."""
    exp = experiments(opts.mode)[index]
    cfg = TrainingConfig.model_validate(_merge(exp.recipe(arm, opts.mode), {"train": {"seed": seed}}))
    data = TASKS[exp.task](**{**exp.task_params, "seed": seed})
    folder = Path(opts.output_dir) / "runs" / framework / exp.rule.replace("/", "_") / arm / f"seed{seed}"
    m = run(make_plan(cfg, data), framework, folder, progress=False, plot=False)
    tr, va = m.get("train_eval_acc"), m.get("val_acc")
    m["gap"] = None if tr is None or va is None else tr - va
    result: dict[str, Any] = {k: curves.jsonable(m.get(k)) for k in RUN_KEYS}
    result.update(seed=seed, verdict=m["verdict"], history=curves.jsonable(m["history"]), environment=environment(framework))
    return result


def run_job(job: Job, opts: Options) -> dict[str, Any]:
    """One unit of work in a worker process: one run, the speed measurement, or one fixture script."""
    kind, framework, arg = job
    _setup(framework, opts)
    if kind == "script":
        return fixcheck.run_script(arg)
    started = time.perf_counter()
    try:
        if kind == "perf":
            from rnnlint.reference.perf import measure
            from rnnlint.reference.torch_backend import _DEVICE

            result = measure(opts.mode, _DEVICE[0] if _DEVICE else "cpu")
        else:
            index, arm, seed = arg
            result = run_one(framework, index, arm, seed, opts)
    except Exception as exc:  # a crash is reported; the other jobs still run
        result = {"error": f"{type(exc).__name__}: {exc}", "traceback": traceback.format_exc()}
    result["wall_s"] = time.perf_counter() - started
    return result


# --- judging an experiment ---------------------------------------------------------------


def header(exp: Experiment, framework: str, opts: Options) -> dict[str, Any]:
    """What an experiment's entry says before it runs: the design."""
    return {
        "rule": exp.rule,
        "guideline_section": exp.section,
        "title": exp.title,
        "claim": exp.claim,
        "framework": framework,
        "task": exp.task,
        "task_description": TASKS[exp.task](**{**exp.task_params, "seed": 0}).description,
        "task_params": exp.task_params,
        "change": exp.change,
        "budget": budget(exp, opts.mode),
        "seeds": list(opts.seeds),
        "statistic": exp.statistic,
        "higher_is_better": exp.higher_is_better,
        "smallest_effect": exp.smallest_effect,
        "manipulation_check": exp.check,
        "notes": list(exp.notes),
    }


def judge(exp: Experiment, framework: str, opts: Options, runs: dict[tuple[str, int], dict[str, Any]]) -> dict[str, Any]:
    """The check, the paired statistic and the verdict of one experiment from its runs."""
    entry = header(exp, framework, opts)
    entry["smoke_test"] = opts.mode == "quick"
    g = [runs["guideline", s] for s in opts.seeds]
    b = [runs["baseline", s] for s in opts.seeds]
    errors = [r["error"] for r in g + b if "error" in r]
    entry["wall_s"] = sum(r.get("wall_s") or 0.0 for r in g + b)
    if errors:
        entry.update(outcome="error", error=errors[0], traceback=next(r.get("traceback") for r in g + b if "error" in r))
        return entry
    passed, seen = exp.passes(g, b)
    comparison = stats.paired([exp.value(r) for r in g], [exp.value(r) for r in b], exp.higher_is_better, exp.smallest_effect)
    entry["check"] = {"passed": passed, "seen": seen}
    entry["comparison"] = comparison
    entry["outcome"] = comparison["verdict"] if passed else "invalid design"
    entry["per_seed"] = [
        {
            "seed": s,
            "guideline": exp.value(gr),
            "baseline": exp.value(br),
            "guideline_run": {k: gr.get(k) for k in RUN_KEYS},
            "baseline_run": {k: br.get(k) for k in RUN_KEYS},
        }
        for s, gr, br in zip(opts.seeds, g, b, strict=True)
    ]
    entry["environment"] = g[0]["environment"]
    entry["plot"] = _plot(Path(opts.output_dir), framework, exp, g, b)
    return entry


def _plot(out: Path, framework: str, exp: Experiment, g: list[dict[str, Any]], b: list[dict[str, Any]]) -> str | None:
    path = out / "plots" / f"{framework}_{exp.rule.replace('/', '_')}.png"
    png = curves.plot_seeds(
        path,
        {"guideline": [r["history"] for r in g], "baseline": [r["history"] for r in b]},
        exp.plot_key,
        f"{framework} {exp.rule}: {exp.title} (every seed)",
        log=exp.plot_key == "val_loss" and exp.task == "adding",
    )
    return None if png is None else str(png.relative_to(out))


def _lost(job: Job, exc: BaseException) -> dict[str, Any]:
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
    return {"error": error, "traceback": None, "wall_s": 0.0}


def available(framework: str) -> bool:
    return importlib.util.find_spec(framework) is not None and importlib.util.find_spec("numpy") is not None


def _done(job: Job, result: dict[str, Any]) -> dict[str, Any]:
    kind, framework, arg = job
    if kind == "script":
        what = "ran" if result["ran"] else f"failed: {result['error']}"
        print(f"[{framework}] fix check, {Path(arg).parent.name}/{Path(arg).name}: {what} ({result['wall_s']:.1f}s)", flush=True)
    elif "error" in result:
        print(f"[{framework}] {kind} {arg}: error {result['error']}", flush=True)
    elif kind == "run":
        print(f"[{framework}] run {arg[0]} {arg[1]} seed {arg[2]}: {result['wall_s']:.1f}s", flush=True)
    elif kind == "perf":
        ratios = ", ".join(f"{s['ratio']:.2f}x" for s in result["shapes"])
        print(f"[torch] fused nn.LSTM vs nn.LSTMCell loop on {result['device']}: {ratios} ({result['wall_s']:.1f}s)", flush=True)
    return result


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


def _jobs(frameworks: list[str], count: int, seeds: Sequence[int], perf: bool) -> list[Job]:
    """Every run, the slowest framework first (the lighter jobs then fill the gaps at the end); the speed
    measurement last, when the other jobs of its worker are done."""
    jobs: list[Job] = [
        ("run", f, (i, arm, s)) for f in frameworks for i in range(count) for s in seeds for arm in ("guideline", "baseline")
    ]
    if perf and "torch" in frameworks:
        jobs.append(("perf", "torch", None))
    return jobs


def verify(
    mode: str,
    frameworks: Sequence[str] | None,
    output_dir: str | Path,
    *,
    threads: int = 1,
    workers: int | None = None,
    device: str = "auto",
    seeds: int | None = None,
    only: Sequence[str] | None = None,
    perf: bool = True,
    command: str | None = None,
) -> int:
    """Run the paired experiments, the speed measurement and the fix checks; 0 when every job ran and
    every fix check passed, 1 otherwise, 2 when a framework is unknown or not installed, the options
    are wrong or the fixtures cannot be read. A verdict either way, or an invalid design, is a result,
    not a failure.

    ``seeds`` overrides the mode's number of seeds (0, 1, ...); ``only`` keeps the experiments of
    those rules; ``device`` places torch's work ("auto": CUDA when present). The work runs in
    ``workers`` processes (default: the CPU count, at most 4) of ``threads`` threads each."""
    if mode not in MODES:
        print(f"rnnlint verify: unknown mode {mode!r} (choose {', '.join(MODES)})", file=sys.stderr)
        return 2
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
    designs = experiments(mode)
    rules = {e.rule for e in designs}
    bad = [r for r in only or () if r not in rules]
    if bad or device not in DEVICES or (seeds is not None and seeds < 1):
        why = f"no experiment for {', '.join(bad)} (choose from {', '.join(sorted(rules))})" if bad else "bad --device or --seeds"
        print(f"rnnlint verify: {why}", file=sys.stderr)
        return 2
    wanted = list(dict.fromkeys(wanted))
    opts = Options(mode, str(output_dir), threads, device, tuple(range(seeds or SEEDS[mode])))
    out = Path(output_dir)
    out.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    chosen = [i for i, e in enumerate(designs) if not only or e.rule in only]
    order = sorted(wanted, key=lambda f: f != "tensorflow")
    jobs = [j for j in _jobs(order, len(designs), opts.seeds, perf) if j[0] != "run" or j[2][0] in chosen]
    workers = max(1, min(workers or min(os.cpu_count() or 1, 4), len(jobs)))
    results: dict[Job, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory(prefix="rnnlint-verify-") as work:
        scheduler = _Scheduler(workers, order, opts) if workers > 1 else None
        try:
            if scheduler is not None:
                scheduler.add(jobs)  # the workers start (and import their framework) while the fixes are applied here
            prepared = fixcheck.prepare(wanted, out, Path(work))
            runs = _script_runs(prepared)
            scripts: list[Job] = [
                ("script", f, path) for f in order for path in dict.fromkeys(p for k, p in runs.items() if k.startswith(f"{f}/"))
            ]
            if scheduler is None:
                for job in [*jobs, *scripts]:
                    results[job] = _done(job, run_job(job, opts))
            else:
                scheduler.add(scripts)
                results.update(scheduler.finish())
        except OSError as exc:  # the fixtures are missing or unreadable, or the output folder is not writable
            print(f"rnnlint verify: cannot run the fix checks: {exc}", file=sys.stderr)
            return 2
        finally:
            if scheduler is not None:
                scheduler.close()
    entries = []
    for f in wanted:
        for i in chosen:
            exp = designs[i]
            entry = judge(
                exp, f, opts, {(arm, s): results["run", f, (i, arm, s)] for s in opts.seeds for arm in ("guideline", "baseline")}
            )
            entries.append(entry)
            print(
                f"[{f}] {exp.rule}: {entry['outcome']}" + (" (smoke test, not evidence)" if mode == "quick" else ""), flush=True
            )
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
    speed = results.get(("perf", "torch", None))
    report: dict[str, Any] = {
        "mode": mode,
        "smoke_test": mode == "quick",
        "date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "command": command,
        "seeds": list(opts.seeds),
        "wall_s": time.perf_counter() - started,
        "environment": {
            "python": platform.python_version(),
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
            "workers": workers,
            "threads_per_worker": threads,
            "device_option": device,
            "frameworks": {
                f: next((e["environment"] for e in entries if e["framework"] == f and "environment" in e), None) for f in wanted
            },
        },
        "base_recipe": base_recipe(mode),
        "experiments": entries,
        "performance": speed,
        "fix_checks": checks,
    }
    from rnnlint.reference.report import render_markdown

    (out / "report.json").write_text(json.dumps(curves.jsonable(report), indent=2) + "\n")
    (out / "report.md").write_text(render_markdown(report))
    print(f"rnnlint verify: wrote {out / 'report.json'} and {out / 'report.md'} in {report['wall_s']:.1f}s")
    failed = any(e["outcome"] == "error" for e in entries) or (speed is not None and "error" in speed)
    return 1 if failed or not all(c["ok"] for c in checks) else 0


class _Scheduler:
    """Worker processes with a home framework each (TensorFlow first), so that each imports it once.

    A worker whose framework has no work left takes another framework's next job when at
    least ``STEAL_MIN`` are waiting: importing a second framework (about 5 s for TensorFlow)
    pays off only then. Every framework has a home worker (there are at least as many
    workers as frameworks), so no job is left behind. Each worker holds one job at a time."""

    STEAL_MIN = 2

    def __init__(self, workers: int, order: list[str], opts: Options) -> None:
        context = get_context("spawn")
        self.pools = [ProcessPoolExecutor(max_workers=1, mp_context=context) for _ in range(workers)]
        self.home = [order[i % len(order)] for i in range(workers)]
        self.loaded: list[set[str]] = [set() for _ in range(workers)]
        self.queues: dict[str, deque[Job]] = {f: deque() for f in order}
        self.running: dict[Future[dict[str, Any]], tuple[int, Job]] = {}
        self.opts = opts

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
        self.running[self.pools[worker].submit(run_job, job, self.opts)] = (worker, job)

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
                    result = _lost(job, exc)
                    self.pools[worker].shutdown(wait=False)
                    self.pools[worker] = ProcessPoolExecutor(max_workers=1, mp_context=get_context("spawn"))
                    self.loaded[worker] = set()
                results[job] = _done(job, result)
                self._feed(worker)
        return results

    def close(self) -> None:
        for pool in self.pools:
            pool.shutdown(cancel_futures=True)
