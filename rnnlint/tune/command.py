"""``rnnlint tune TARGET``: tune a reference recipe (YAML) or a training script (through its own flags).

Exit codes: 0 the study has a finished trial; 1 no trial finished; 2 bad input (missing target, unknown
flag, malformed space file, a metric the runs never log, a storage that cannot be reached, Optuna missing).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

from rnnlint.tune.space import BY_NAME, BY_RECIPE_KEY, GUIDELINES, Dimension, Param, SpaceError, grid_size

RECIPE_SUFFIXES = (".yaml", ".yml", ".json")
DEFAULT_TRIALS = 20


class UsageError(Exception):
    """Bad input: a message and exit 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> Any:
        self.print_usage(sys.stderr)
        sys.stderr.write(f"rnnlint tune: error: {message}\n")
        raise SystemExit(2)


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(
        prog="rnnlint tune",
        description="Tune a reference recipe or a training script over the guidelines' search space, with Optuna. "
        "Arguments after `--` are passed to the script in every trial.",
    )
    p.add_argument("target", type=Path, help="a recipe (rnnlint's YAML schema) or a training script (.py)")
    p.add_argument("--framework", choices=("torch", "tensorflow"), help="the reference trainer for a recipe (required there)")
    p.add_argument("--metric", default="val_loss", help="what to optimise (default val_loss; accuracies are maximised)")
    p.add_argument("--direction", choices=("minimize", "maximize"), help="default: from the metric's name")
    p.add_argument(
        "--trials", type=int, default=DEFAULT_TRIALS, help=f"trials in the study, all workers together (default {DEFAULT_TRIALS})"
    )
    p.add_argument("--sampler", choices=("tpe", "random", "grid", "gp"), default="tpe")
    p.add_argument("--pruner", choices=("median", "hyperband", "none"), default="median")
    p.add_argument("--storage", help="Optuna storage URL: sqlite:///FILE, postgresql://..., mysql://..., or journal:FILE "
                   "(default: sqlite in the output folder)")  # fmt: skip
    p.add_argument("--study", help="study name (default: rnnlint-TARGET); workers with the same storage and name share it")
    p.add_argument(
        "--space", type=Path, help="a YAML file of ranges that override the guidelines' (name: {type, low, high, ...})"
    )
    p.add_argument("--output-dir", type=Path, help="trials' folders and the report (default: tune-TARGET)")
    p.add_argument("--workers", type=int, default=1, help="worker processes on this machine (default 1)")
    p.add_argument("--time-limit", type=float, help="seconds a script's trial may run before it is stopped and failed")
    p.add_argument("--seed", type=int, help="the sampler's seed")
    p.add_argument("--threads", type=int, help="CPU threads per reference training (default: cores / workers)")
    p.add_argument("--heartbeat", type=int, default=30, help="seconds between a worker's heartbeats (RDB storages)")
    p.add_argument("--python", default=sys.executable, help="the interpreter that runs a script's trials")
    p.add_argument("--dry-run", action="store_true", help="print the proposed space and the first command, run nothing")
    p.add_argument("--emit", choices=("optuna", "ray", "kerastuner"), help="print the space as a snippet and exit")
    p.add_argument("--no-progress", action="store_true")
    p.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)  # a child of --workers: no report
    return p


def main(argv: list[str]) -> int:
    own, passthrough = (argv[: argv.index("--")], argv[argv.index("--") + 1 :]) if "--" in argv else (argv, [])
    args = build_parser().parse_args(own)
    try:
        return _run(args, own, passthrough)
    except (UsageError, SpaceError) as exc:
        sys.stderr.write(f"rnnlint tune: {exc}\n")
        return 2
    except Exception as exc:  # the last line of defence: a message, not a traceback
        if os.environ.get("RNNLINT_DEBUG"):
            raise
        sys.stderr.write(
            f"rnnlint tune: internal error: {exc.__class__.__name__}: {exc}\n(set RNNLINT_DEBUG=1 for a traceback)\n"
        )
        return 2


# -- the space ---------------------------------------------------------------------------------------


class Target:
    """What is tuned: its space, how a trial runs it, and how to name it."""

    def __init__(self, path: Path, args: argparse.Namespace, passthrough: list[str]) -> None:
        self.path = path
        self.args = args
        self.passthrough = passthrough
        self.is_recipe = path.suffix in RECIPE_SUFFIXES
        self.raw: dict[str, Any] = {}
        self.analysis: Any = None
        self.space = self._recipe_space() if self.is_recipe else self._script_space()
        if args.space is not None:
            from rnnlint.tune.space import apply_overrides, load_space_file

            self.space = apply_overrides(self.space, load_space_file(args.space), self._resolve, args.space)
        if not self.space:
            raise UsageError(
                f"nothing to tune in {path}: "
                + (
                    "the recipe fixes every guideline hyperparameter; name keys to search in a --space file"
                    if self.is_recipe
                    else "no flag sets a guideline hyperparameter; name the flags in a --space file ('--width': {type: int, ...})"
                )
            )

    def _recipe_space(self) -> list[Dimension]:
        import yaml
        from pydantic import ValidationError

        from rnnlint.settings.recipe import TrainingConfig

        if self.args.framework is None:
            raise UsageError("tuning a recipe needs --framework torch or --framework tensorflow")
        try:
            raw = yaml.safe_load(self.path.read_text(encoding="utf-8")) or {}
        except (OSError, yaml.YAMLError) as exc:
            raise UsageError(f"cannot read recipe {self.path}: {exc}") from None
        if not isinstance(raw, dict):
            raise UsageError(f"{self.path}: a recipe is a mapping of sections (model, optim, train, data, ...)")
        try:
            cfg = TrainingConfig.model_validate(raw)
        except ValidationError as exc:
            err = exc.errors()[0]
            raise UsageError(f"{self.path}: {'.'.join(str(p) for p in err['loc'])}: {err['msg']}") from None
        self.raw = raw
        dims = []
        for hyper in GUIDELINES:
            section, _, key = hyper.recipe_key.partition(".")
            if isinstance(raw.get(section), dict) and key in raw[section]:
                continue  # the recipe fixes it
            default = getattr(getattr(cfg, section), key)
            dims.append(
                Dimension(hyper.recipe_key, hyper.param, hyper.recipe_key, hyper.name, hyper.why, default, "recipe default")
            )
        return dims

    def _script_space(self) -> list[Dimension]:
        from rnnlint.tune.flags import analyse

        if self.path.suffix != ".py":
            raise UsageError(f"{self.path}: tune a recipe (.yaml, .yml, .json) or a Python script (.py)")
        self.analysis = analyse(self.path)
        return list(self.analysis.space())

    def _resolve(self, name: str) -> Dimension | None:
        """A space file's name that the guideline space does not hold: a recipe key, a guideline name, a flag."""
        if self.is_recipe:
            from rnnlint.settings.recipe import TrainingConfig

            key = BY_NAME[name].recipe_key if name in BY_NAME else name
            section, _, field = key.partition(".")
            model = TrainingConfig.model_fields.get(section)
            if model is None or model.annotation is None or field not in getattr(model.annotation, "model_fields", {}):
                return None
            hyper = BY_RECIPE_KEY.get(key)
            return Dimension(key, Param(type="fixed", value=0), key, hyper.name if hyper else None, hyper.why if hyper else "")
        if name in BY_NAME:
            raise UsageError(
                f"{self.path}: no flag sets {name} (rnnlint found: "
                + (", ".join(f"{d.target} -> {d.hyper}" for d in self.space) or "none")
                + f"); name the script's flag instead, e.g. '--{name.replace('_', '-')}'"
            )
        found: Dimension | None = self.analysis.dimension_for(name)
        return found


def describe_space(target: Target) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table("name", "sets", "range", "now", "why", "found from", box=None, title=f"search space for {target.path}")
    for d in target.space:
        table.add_row(
            d.name, d.target, d.param.describe(), repr(d.default) if d.default is not None else "-", d.why, d.provenance
        )
    console = Console(file=sys.stdout, width=200, soft_wrap=True)
    console.print(table)
    if target.args.sampler == "grid":
        console.print(f"grid: {grid_size(target.space)} combinations")
    if target.analysis is not None:
        import shlex

        from rnnlint.tune.flags import script_command
        from rnnlint.tune.space import suggest

        first = suggest(_Midpoint(), target.space)
        folder = _out_dir(target) / "trials" / "NNNN"
        example = shlex.join(script_command(target.analysis, target.space, target.passthrough, target.args.python, first, folder))
        sys.stdout.write(f"a trial runs, e.g.: {example}\n")
        for note in target.analysis.notes:
            sys.stdout.write(f"note: {note}\n")


class _Midpoint:
    """A stand-in trial for --dry-run: each range's middle, each list's first choice."""

    def suggest_categorical(self, name: str, choices: list[Any]) -> Any:
        return choices[0]

    def suggest_int(self, name: str, low: int, high: int, step: int = 1, log: bool = False) -> int:
        return low + step * ((high - low) // step // 2)

    def suggest_float(self, name: str, low: float, high: float, step: float | None = None, log: bool = False) -> float:
        import math

        return float(f"{math.sqrt(low * high) if log else (low + high) / 2:.3g}")


def _out_dir(target: Target) -> Path:
    return target.args.output_dir or Path(f"tune-{target.path.stem}")


# -- running ---------------------------------------------------------------------------------------


def _run(args: argparse.Namespace, own: list[str], passthrough: list[str]) -> int:
    if not args.target.is_file():
        raise UsageError(f"target not found: {args.target}")
    if args.trials < 1 or args.workers < 1:
        raise UsageError("--trials and --workers must be at least 1")
    target = Target(args.target, args, passthrough)
    if args.emit:
        from rnnlint.tune.emit import emit

        sys.stdout.write(emit(args.emit, target.space, str(args.target)))
        return 0
    if args.dry_run:
        describe_space(target)
        return 0
    try:
        import optuna
    except ImportError as exc:
        raise UsageError(f"tuning needs Optuna ({exc}): pip install 'rnnlint[tune]'") from None
    from rnnlint.tune.metrics import minimises
    from rnnlint.tune.study import StorageError, counted, make_pruner, make_sampler, open_storage, open_study, redact, storage_url

    metric = args.metric
    if target.is_recipe:
        from rnnlint.reference.curves import COLUMNS

        if metric not in COLUMNS:
            raise UsageError(f"metric {metric!r} is not one the reference trainer logs ({', '.join(COLUMNS[1:])})")
        from rnnlint.reference.verify import available

        if not available(args.framework):
            raise UsageError(f"{args.framework} (and numpy) must be installed: pip install 'rnnlint[{args.framework}]'")
    minimize = minimises(metric) if args.direction is None else args.direction == "minimize"
    out = _out_dir(target)
    out.mkdir(parents=True, exist_ok=True)
    url = storage_url(args.storage, out)
    name = args.study or f"rnnlint-{args.target.stem}"
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    try:
        storage = open_storage(url, args.heartbeat if not url.startswith("journal:") else None)
        study = open_study(storage, name, make_sampler(args.sampler, target.space, args.seed), make_pruner(args.pruner), minimize)
    except StorageError as exc:
        raise UsageError(str(exc)) from None
    objective = _objective(target, out, metric, minimize)
    workers: list[Any] = []
    if args.workers > 1 and not args.worker:
        from rnnlint.tune.study import start_workers

        extra = [a for a in own if a not in ("--no-progress",)] + ["--storage", url, "--study", name, "--no-progress"]
        if args.output_dir is None:
            extra += ["--output-dir", str(out)]
        workers = start_workers(args.workers - 1, extra, passthrough)
    code = 0
    try:
        _optimize(study, objective, args, counted)
    except _Missing as exc:
        sys.stderr.write(f"rnnlint tune: {exc}\n")
        code = 2
    except KeyboardInterrupt:
        sys.stderr.write("rnnlint tune: interrupted\n")
        code = 130
    finally:
        for w in workers:
            if code:
                w.terminate()
            w.wait()
    if code or args.worker:
        return code
    from rnnlint.tune.report import write_report

    meta = {
        "target": str(args.target),
        "mode": "recipe" if target.is_recipe else "script",
        "framework": args.framework,
        "metric": metric,
        "sampler": args.sampler,
        "pruner": args.pruner,
        "storage": redact(url),
        "space": [
            {"name": d.name, "target": d.target, "range": d.param.describe(), "default": d.default, "found_from": d.provenance}
            for d in target.space
        ],
    }
    report = write_report(study, meta, out)
    best = report["best"]
    if best is None:
        sys.stderr.write(f"rnnlint tune: no trial finished; see {out / 'report.md'}\n")
        return 1
    sys.stdout.write(f"best trial {best['number']}: {metric} = {best['value']:.6g}\n")
    for key, value in best["params"].items():
        sys.stdout.write(f"  {key} = {value}\n")
    if best.get("command"):
        sys.stdout.write(f"  command: {best['command']}\n")
    if best.get("recipe"):
        sys.stdout.write(f"  recipe: {best['recipe']}\n")
    sys.stdout.write(f"report: {out / 'report.md'}\n")
    return 0


class _Missing(Exception):
    pass


def _objective(target: Target, out: Path, metric: str, minimize: bool) -> Any:
    from rnnlint.tune.trials import RecipeObjective, ScriptObjective

    args = target.args
    if target.is_recipe:
        from rnnlint.reference.loop import set_threads

        set_threads(args.framework, args.threads or max(1, (os.cpu_count() or 1) // args.workers))
        return RecipeObjective(target.path, target.raw, args.framework, target.space, out, metric, minimize)
    return ScriptObjective(target.analysis, target.space, target.passthrough, out, metric, minimize, args.time_limit, args.python)


def _optimize(study: Any, objective: Any, args: argparse.Namespace, counted: Any) -> None:
    import optuna

    from rnnlint.tune.trials import MetricMissing, TrialFailure

    remaining = args.trials - counted(study)
    if remaining <= 0:
        return
    progress = None
    if not args.no_progress and sys.stderr.isatty():
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        progress = Progress(
            TextColumn("[bold]tune"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TextColumn("{task.fields[best]}"),
            console=Console(stderr=True),
        )
        task = progress.add_task("trials", total=args.trials, completed=counted(study), best="")
        progress.start()

    def on_trial(study: optuna.Study, trial: optuna.trial.FrozenTrial) -> None:
        if progress is None:
            return
        done = [t for t in study.get_trials(deepcopy=False) if t.state.is_finished()]
        complete = [t for t in done if t.state == optuna.trial.TrialState.COMPLETE]
        best = f"best {study.best_value:.4g} (trial {study.best_trial.number})" if complete else ""
        progress.update(task, completed=len(done), best=best)

    callbacks = [optuna.study.MaxTrialsCallback(args.trials, states=None), on_trial]
    try:
        study.optimize(objective, n_trials=remaining, callbacks=callbacks, catch=(TrialFailure,))
    except MetricMissing as exc:
        raise _Missing(str(exc)) from None
    finally:
        if progress is not None:
            progress.stop()
