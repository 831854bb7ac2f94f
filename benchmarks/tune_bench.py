"""Which sampler to use: TPE vs random search vs the recipe's own values, on two reference tasks.

For each task, each of 3 repeats (training seed and sampler seed = the repeat), a study of 20 trials per
sampler tunes a small recipe with ``rnnlint tune``'s own pieces (the guideline space less what the recipe
fixes, the reference trainer in this process, the median pruner, a SQLite storage as by default). It prints
the best validation loss each reached, the recipe trained as it is, and the TPE - random difference with a
95% t-interval over the repeats: a verdict only when the interval excludes 0, otherwise "inconclusive".

It also prints rnnlint's overhead: the study's wall time minus the time spent training, over the training
time (Optuna's ask/tell and storage, the recipe written per trial, the data built once per study).

The recipes fix ``model.hidden_size: 32`` and use a few hundred short sequences, so that 246 trainings run
in a few minutes on 2 cores; every other guideline hyperparameter is searched over the guideline's range.

    python benchmarks/tune_bench.py                 # 20 trials, 3 repeats, two tasks
    python benchmarks/tune_bench.py --trials 4 --repeats 1   # a smoke run
"""

from __future__ import annotations

import argparse
import math
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TASKS: dict[str, dict[str, Any]] = {
    "recall (classification)": {
        "model": {"hidden_size": 32, "embedding_dim": 16, "bidirectional": False},
        "train": {"epochs": 3, "batch_size": 32, "validation_split": 0.25},
        "data": {"task": "classification", "path": "synthetic:recall?n=256&length=12"},
    },
    "future_tagging (tagging)": {
        "model": {"hidden_size": 32, "embedding_dim": 16},
        "train": {"epochs": 3, "batch_size": 32, "validation_split": 0.25},
        "data": {"task": "tagging", "path": "synthetic:future_tagging?n=256&length=12"},
    },
}
T_975 = {1: 12.706, 2: 4.303, 3: 3.182, 4: 2.776, 5: 2.571, 6: 2.447, 7: 2.365, 8: 2.306, 9: 2.262}


def study_run(recipe: Path, sampler: str, seed: int, trials: int, out: Path, in_memory: bool = False) -> dict[str, Any]:
    """One study as ``rnnlint tune recipe --sampler S --seed N --trials T`` runs it; its best value and timings.

    ``in_memory``: Optuna's in-memory storage instead of the default SQLite file, to show what the storage costs."""
    import optuna

    from rnnlint.tune.command import Target, build_parser
    from rnnlint.tune.study import make_pruner, make_sampler, open_storage, open_study, storage_url
    from rnnlint.tune.trials import RecipeObjective, TrialFailure

    args = build_parser().parse_args([str(recipe), "--framework", "torch", "--sampler", sampler, "--seed", str(seed)])
    target = Target(recipe, args, [])
    storage = optuna.storages.InMemoryStorage() if in_memory else open_storage(storage_url(None, out), 30)
    study = open_study(storage, "bench", make_sampler(sampler, target.space, seed), make_pruner("median"), True)
    objective = RecipeObjective(recipe, target.raw, "torch", target.space, out, "val_loss", True)
    started = time.perf_counter()
    study.optimize(objective, n_trials=trials, catch=(TrialFailure,))
    wall = time.perf_counter() - started
    train = sum(float(t.user_attrs.get("train_seconds", 0.0)) for t in study.trials)
    complete = [t for t in study.trials if t.value is not None and t.state.name == "COMPLETE"]
    return {
        "best": min(t.value for t in complete) if complete else math.nan,
        "wall": wall,
        "train": train,
        "trials": len(study.trials),
    }


def defaults_run(recipe: Path, out: Path) -> float:
    """The recipe trained as it is: the reference trainer's last validation loss."""
    from rnnlint.reference.api import train

    metrics = train(recipe, "torch", out, progress=False)
    return float(metrics["val_loss"])


def interval(diffs: list[float]) -> tuple[float, float, float]:
    mean = statistics.fmean(diffs)
    if len(diffs) < 2:
        return mean, math.nan, math.nan
    half = T_975[len(diffs) - 1] * statistics.stdev(diffs) / math.sqrt(len(diffs))
    return mean, mean - half, mean + half


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=20)
    parser.add_argument("--repeats", type=int, default=3)
    opts = parser.parse_args()
    import optuna

    from rnnlint.reference.loop import set_threads

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    set_threads("torch", 1)
    rows = []
    overhead_wall = overhead_train = 0.0
    per_trial: list[float] = []
    with tempfile.TemporaryDirectory() as tmp:
        for task, raw in TASKS.items():
            results: dict[str, list[float]] = {"defaults": [], "random": [], "tpe": []}
            for repeat in range(opts.repeats):
                recipe = Path(tmp) / f"{len(rows)}-{repeat}.yaml"
                seeded = {**raw, "train": {**raw["train"], "seed": repeat}}
                recipe.write_text(yaml.safe_dump(seeded))
                results["defaults"].append(defaults_run(recipe, Path(tmp) / f"d{len(rows)}-{repeat}"))
                for sampler in ("random", "tpe"):
                    out = Path(tmp) / f"{sampler}{len(rows)}-{repeat}"
                    run = study_run(recipe, sampler, repeat, opts.trials, out)
                    results[sampler].append(run["best"])
                    overhead_wall += run["wall"]
                    overhead_train += run["train"]
                    per_trial.append((run["wall"] - run["train"]) / run["trials"])
                    print(f"  {task} repeat {repeat} {sampler}: best val_loss {run['best']:.4f}", file=sys.stderr)
            rows.append((task, results))
        memory = study_run(recipe, "random", 0, opts.trials, Path(tmp) / "memory", in_memory=True)
    print(f"\nbest validation loss after {opts.trials} trials (lower is better), {opts.repeats} repeats: mean (min..max)\n")
    print("| task | recipe's values | random | TPE | TPE - random (95% CI) | verdict |")
    print("| --- | --- | --- | --- | --- | --- |")
    for task, results in rows:
        cells = []
        for key in ("defaults", "random", "tpe"):
            v = results[key]
            cells.append(f"{statistics.fmean(v):.4f} ({min(v):.4f}..{max(v):.4f})")
        mean, low, high = interval([t - r for t, r in zip(results["tpe"], results["random"], strict=True)])
        verdict = "inconclusive" if math.isnan(low) or low <= 0 <= high else ("TPE better" if high < 0 else "random better")
        print(f"| {task} | {' | '.join(cells)} | {mean:+.4f} ({low:+.4f}..{high:+.4f}) | {verdict} |")
    ratio = (overhead_wall - overhead_train) / overhead_train if overhead_train else math.nan
    print(
        f"\nrnnlint overhead: {ratio:.2%} of the training time over all studies "
        f"(median {statistics.median(per_trial) * 1000:.0f} ms per trial; target < 2%)"
    )
    mem_ratio = (memory["wall"] - memory["train"]) / memory["train"]
    print(
        f"the same with Optuna's in-memory storage (one study, {memory['trials']} trials): {mem_ratio:.2%} "
        f"({(memory['wall'] - memory['train']) / memory['trials'] * 1000:.0f} ms per trial): the rest is the SQLite storage"
    )
    print(f"mean training time per trial: {overhead_train / max(1, opts.trials * 2 * len(rows) * opts.repeats):.2f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
