#!/usr/bin/env python3
"""Labelled training runs for `rnnlint diagnose`: real (CPU-tiny) PyTorch training with injected causes.

    python benchmarks/diagnose_bench.py --runs 220 --out /tmp/diag_runs     # generate, then judge
    python benchmarks/diagnose_bench.py --judge-only --out /tmp/diag_runs    # judge logs generated before
    python benchmarks/diagnose_bench.py --runs 24 --time-cap 120             # a smoke run

Generation resumes: runs already in --out are kept, so a capped invocation can be continued.

Each run trains a small LSTM (or GRU) on one of two synthetic tasks with one injected cause (or
none: a healthy control that follows the guidelines: Adam, clipping at 5, dropout, ReduceLROnPlateau
by 0.5 on the validation loss), and writes its curves in one of the supported formats, in turn:
TensorBoard (torch SummaryWriter), Lightning CSVLogger, an MLflow file store, rnnlint-style CSV.
The runs are judged by `rnnlint diagnose` and by re-implementations of two published heuristic sets:

- AUTOTRAINER (Zhang et al., ICSE 2021): NaN loss -> explode; first/last layer gradient-norm ratio
  > 70 -> explode, < 1e-3 -> vanish; accuracy oscillation (consecutive extrema >= 0.03 apart on
  >= 20% of epochs) -> unstable; best accuracy < 0.7 or no epoch-to-epoch gain >= 0.01 -> not
  converging; judged from 30% of the epochs on.
- UMLAUT (Schoop et al., CHI 2021): NaN loss; overfitting as soon as one epoch's validation loss
  rises while the training loss falls.

Printed: recall per cause (the share of its runs where the expected code fired), false alarms (the
share of healthy runs with any warning or error), for rnnlint and both baselines. Figures depend on
the machine's speed only through --time-cap (fewer runs), never in their meaning.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time
from dataclasses import asdict, dataclass
from itertools import pairwise
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

# cause -> the codes any of which counts as detecting it (rnnlint's and each baseline's vocabulary)
EXPECTED: dict[str, set[str]] = {
    "lr_nan": {"RNN601"},
    "lr_diverge": {"RNN602", "RNN601"},
    "no_clip_outliers": {"RNN603"},
    "tiny_model": {"RNN607"},
    "no_dropout_small_data": {"RNN606"},
    "fixed_lr_plateau": {"RNN605"},
    "lr_too_low": {"RNN609"},
    "t2_data_bug": {"RNN610"},
    "no_validation": {"RNN611"},
}
HEALTHY = ("healthy", "t2_healthy")
CAUSES = [*EXPECTED, *HEALTHY]
# How the baselines' issue names map to rnnlint's codes (a baseline gets credit for any code its issue covers).
AUTOTRAINER_CODES = {"explode": {"RNN601", "RNN602", "RNN603"}, "vanish": {"RNN604"}, "unstable": {"RNN608"}, "not_converge": {"RNN607", "RNN609"}}
UMLAUT_CODES = {"nan_loss": {"RNN601"}, "overfit": {"RNN606"}}
FORMATS = ("tensorboard", "lightning", "mlflow", "csv")


@dataclass
class Spec:
    name: str
    cause: str
    task: str
    seed: int
    fmt: str
    hidden: int = 32
    lr: float = 3e-3
    optimizer: str = "adam"
    clip: float | None = 5.0
    dropout: float = 0.3
    weight_decay: float = 1e-4
    plateau_decay: bool = True
    epochs: int = 30
    n_train: int = 768
    n_val: int = 192
    seq_len: int = 16
    label_noise: float = 0.0
    lr_jump_epoch: int | None = None
    outliers: bool = False
    validation: bool = True
    shuffle_labels: bool = False
    overfit_check: bool = False


def make_spec(cause: str, index: int, seed: int) -> Spec:
    task = ("classify", "regress")[index % 2]
    fmt = FORMATS[index % len(FORMATS)]
    s = Spec(f"{cause}-{index:03d}", cause, task, seed, fmt)
    if cause == "lr_nan":
        s.task, s.optimizer, s.lr, s.clip = "regress", "sgd", 40.0, None
    elif cause == "lr_diverge":
        s.task, s.lr_jump_epoch, s.clip, s.plateau_decay = "classify", 8, None, False
    elif cause == "no_clip_outliers":
        s.task, s.outliers, s.clip, s.seq_len = "regress", True, None, 48
    elif cause == "tiny_model":
        s.task, s.hidden = "classify", 1
    elif cause == "no_dropout_small_data":
        s.task, s.dropout, s.weight_decay, s.n_train, s.hidden, s.label_noise, s.epochs, s.lr = "classify", 0.0, 0.0, 48, 64, 0.3, 40, 1e-2
        s.plateau_decay = False
    elif cause == "fixed_lr_plateau":
        s.plateau_decay = False
    elif cause == "lr_too_low":
        s.lr, s.plateau_decay = (2e-4 if s.task == "classify" else 5e-5), False
    elif cause == "no_validation":
        s.validation = False
    elif cause in ("t2_data_bug", "t2_healthy"):
        s.n_train, s.validation, s.overfit_check, s.hidden, s.lr, s.epochs, s.dropout, s.weight_decay = 16, False, True, 64, 1e-2, 120, 0.0, 0.0
        s.shuffle_labels, s.plateau_decay = cause == "t2_data_bug", False
    return s


# --- training ---------------------------------------------------------------------------------


def _data(spec: Spec, n: int, gen: Any) -> tuple[Any, Any]:
    import torch

    x = torch.randn(n, spec.seq_len, 4, generator=gen)
    if spec.task == "classify":
        y = x.sum(dim=1).argmax(dim=1)  # which channel sums highest: 4 classes
        if spec.label_noise:
            flip = torch.rand(n, generator=gen) < spec.label_noise
            y = torch.where(flip, torch.randint(0, 4, (n,), generator=gen), y)
    else:
        y = x[:, :, 0].mean(dim=1, keepdim=True) * 3  # the first channel's mean, scaled
    return x, y


def train(spec: Spec) -> dict[str, Any]:
    """Train; return per-epoch and per-step curves (what a logger would have written) and the baselines' extras."""
    import torch

    torch.manual_seed(spec.seed)
    gen = torch.Generator().manual_seed(spec.seed)
    x, y = _data(spec, spec.n_train, gen)
    xv, yv = _data(spec, spec.n_val, gen)
    out_dim = 4 if spec.task == "classify" else 1
    lstm = torch.nn.LSTM(4, spec.hidden, batch_first=True)
    head = torch.nn.Sequential(torch.nn.Dropout(spec.dropout), torch.nn.Linear(spec.hidden, out_dim))
    params = [*lstm.parameters(), *head.parameters()]
    opt = torch.optim.SGD(params, lr=spec.lr) if spec.optimizer == "sgd" else torch.optim.Adam(params, lr=spec.lr, weight_decay=spec.weight_decay)
    sched = torch.optim.lr_scheduler.ReduceLROnPlateau(opt, factor=0.5, patience=2, threshold=0.01) if spec.plateau_decay else None
    loss_fn = torch.nn.CrossEntropyLoss() if spec.task == "classify" else torch.nn.MSELoss()

    def forward(inp: Any) -> Any:
        out, _ = lstm(inp)
        return head(out[:, -1])

    def accuracy(pred: Any, target: Any) -> float:
        if spec.task == "classify":
            return float((pred.argmax(1) == target).float().mean())
        return float(((pred - target).abs() < 0.25).float().mean())

    curves: dict[str, list[Any]] = {"epoch_loss": [], "val_loss": [], "lr": [], "acc": [], "val_acc": [], "grad_steps": [], "grad_ratio": []}
    step, batch = 0, 32
    for epoch in range(spec.epochs):
        if spec.lr_jump_epoch is not None and epoch == spec.lr_jump_epoch:
            for g in opt.param_groups:
                g["lr"] *= 60  # the injected cause: a warm-up / schedule bug multiplies the rate
        lstm.train()
        head.train()
        perm = torch.randperm(spec.n_train, generator=gen)
        losses, accs = [], []
        for start in range(0, spec.n_train, batch):
            idx = perm[start : start + batch]
            xb, yb = x[idx], y[idx]
            if spec.shuffle_labels:
                yb = yb[torch.randperm(len(yb), generator=gen)]  # the data bug: labels shuffled apart from inputs
            if spec.outliers and step % 37 == 17:
                yb = yb * 30  # an outlier batch (unnormalised targets of long sequences) that nothing clips
            pred = forward(xb)
            loss = loss_fn(pred, yb)
            opt.zero_grad()
            loss.backward()
            first = float(torch.linalg.vector_norm(lstm.weight_ih_l0.grad)) if lstm.weight_ih_l0.grad is not None else 0.0
            last = float(torch.linalg.vector_norm(head[1].weight.grad)) if head[1].weight.grad is not None else 0.0
            total = torch.nn.utils.clip_grad_norm_(params, spec.clip if spec.clip else float("inf"))
            opt.step()
            curves["grad_steps"].append((step, epoch, float(total)))
            curves["grad_ratio"].append((epoch, first / last if last > 0 else math.inf))
            losses.append(float(loss.detach()))
            accs.append(accuracy(pred.detach(), yb))
            step += 1
        train_loss = sum(losses) / len(losses)
        curves["epoch_loss"].append((step, epoch, train_loss))
        curves["acc"].append(sum(accs) / len(accs))
        curves["lr"].append((step, epoch, opt.param_groups[0]["lr"]))
        lstm.eval()
        head.eval()
        with torch.no_grad():
            pv = forward(xv)
            val = float(loss_fn(pv, yv))
            curves["val_acc"].append(accuracy(pv, yv))
        if spec.validation:
            curves["val_loss"].append((step, epoch, val))
        if sched is not None:
            sched.step(val if math.isfinite(val) else float("inf"))
    return curves


# --- writing the logs with the real libraries ----------------------------------------------------


def write_logs(spec: Spec, curves: dict[str, Any], folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    per_epoch = [("train_loss", curves["epoch_loss"]), ("lr", curves["lr"])]
    if spec.validation:
        per_epoch.append(("val_loss", curves["val_loss"]))
    grads = curves["grad_steps"]
    if spec.fmt == "tensorboard":
        from torch.utils.tensorboard import SummaryWriter

        writer = SummaryWriter(str(folder / "tb"))
        for name, rows in per_epoch:
            for step, _, value in rows:
                writer.add_scalar(name.replace("_loss", "/loss") if name != "lr" else "lr", value, step)
        for step, _, value in grads:
            writer.add_scalar("grad_norm", value, step)
        writer.close()
        return folder / "tb"
    if spec.fmt == "lightning":
        from lightning.pytorch.loggers import CSVLogger

        logger = CSVLogger(str(folder), name="lightning_logs", version=0)
        for step, epoch, value in grads:
            logger.log_metrics({"grad_2.0_norm_total": value, "epoch": epoch}, step)
        for name, rows in per_epoch:
            for step, epoch, value in rows:
                logger.log_metrics({name if name != "lr" else "lr-Adam": value, "epoch": epoch}, step)
        logger.save()
        return folder / "lightning_logs" / "version_0" / "metrics.csv"
    if spec.fmt == "mlflow":
        import mlflow

        os.environ["MLFLOW_ALLOW_FILE_STORE"] = "true"
        mlflow.set_tracking_uri((folder / "mlruns").as_uri())
        with mlflow.start_run() as run:
            for name, rows in per_epoch:
                for step, _, value in rows:
                    mlflow.log_metric(name, value if math.isfinite(value) else float("nan"), step=step)
            for step, _, value in grads:
                mlflow.log_metric("grad_norm", value if math.isfinite(value) else float("nan"), step=step)
        return next(p.parent for p in (folder / "mlruns").rglob("meta.yaml") if p.parent.name == run.info.run_id)
    path = folder / "log.csv"
    rows: dict[int, dict[str, Any]] = {}
    for step, epoch, value in grads:
        rows.setdefault(step, {"epoch": epoch})["grad_norm"] = value
    for name, series in per_epoch:
        for step, epoch, value in series:
            rows.setdefault(step - 1, {"epoch": epoch})[name] = value
    cols = ["step", "epoch", "train_loss", "val_loss", "lr", "grad_norm"]
    with path.open("w") as fh:
        fh.write(",".join(cols) + "\n")
        for step in sorted(rows):
            r = rows[step]
            fh.write(",".join([str(step), str(r["epoch"]), *(f"{r[c]}" if c in r else "" for c in cols[2:])]) + "\n")
    return path


# --- judging --------------------------------------------------------------------------------------


def judge_rnnlint(log: Path, overfit_check: bool) -> tuple[set[str], set[str]]:
    """(codes at warning or above, all codes) that `rnnlint diagnose` reports on the log."""
    from rnnlint.diagnose.command import diagnose_runs
    from rnnlint.diagnose.readers import find_logs, read_log
    from rnnlint.diagnose.settings import DiagnoseSettings
    from rnnlint.diagnostics import Severity

    runs = [read_log(*found) for found in find_logs(log)]
    diags, _ = diagnose_runs(runs, DiagnoseSettings(), ["RNN6"], [], overfit_check)
    return {d.code for d in diags if d.severity >= Severity.WARNING}, {d.code for d in diags}


def judge_autotrainer(curves: dict[str, Any], spec: Spec) -> set[str]:
    loss = [v for _, _, v in curves["epoch_loss"]]
    val = [v for _, _, v in curves["val_loss"]] or loss
    acc, vacc = curves["acc"], curves["val_acc"]
    issues: set[str] = set()
    for epoch in range(len(loss)):
        if epoch + 1 < 0.3 * spec.epochs:
            continue
        if any(not math.isfinite(v) for v in loss[: epoch + 1] + val[: epoch + 1]) or val[epoch] >= 1e5:
            issues.add("explode")
            break
        ratios = [r for e, r in curves["grad_ratio"] if e == epoch]
        ratio = sorted(ratios)[len(ratios) // 2] if ratios else 1.0
        a = acc[: epoch + 1]
        maxima = [a[i] for i in range(1, len(a) - 1) if a[i] >= a[i - 1] and a[i] >= a[i + 1]]
        minima = [a[i] for i in range(1, len(a) - 1) if a[i] <= a[i - 1] and a[i] <= a[i + 1]]
        swings = sum(1 for hi, lo in zip(maxima, minima, strict=False) if hi - lo >= 0.03)
        gains = [b - c for c, b in pairwise(a)] + [b - c for c, b in pairwise(vacc)]
        not_converge = max(a) < 0.7 or max(vacc[: epoch + 1]) < 0.7 or (gains and max(gains) < 0.01)
        if not_converge:
            if ratio > 70:
                issues.add("explode")
            elif ratio < 1e-3:
                issues.add("vanish")
            else:
                issues.add("not_converge")
        elif swings >= 0.2 * len(a):
            issues.add("unstable")
    return set().union(*(AUTOTRAINER_CODES[i] for i in issues)) if issues else set()


def judge_umlaut(curves: dict[str, Any]) -> set[str]:
    loss = [v for _, _, v in curves["epoch_loss"]]
    val = [v for _, _, v in curves["val_loss"]]
    out: set[str] = set()
    if any(not math.isfinite(v) for v in loss):
        out |= UMLAUT_CODES["nan_loss"]
    for i in range(1, min(len(loss), len(val))):
        if val[i] > val[i - 1] and loss[i] < loss[i - 1]:
            out |= UMLAUT_CODES["overfit"]  # one epoch is enough for UMLAUT
            break
    return out


# --- the benchmark ------------------------------------------------------------------------------


def generate(out: Path, n_runs: int, time_cap: float) -> list[dict[str, Any]]:
    started = time.monotonic()
    records = []
    per_cause = max(1, n_runs // len(CAUSES))
    order = [(cause, i) for i in range(per_cause) for cause in CAUSES]  # round-robin: a time cap keeps every cause
    for k, (cause, i) in enumerate(order):
        if time.monotonic() - started > time_cap:
            print(f"time cap reached after {k} runs", file=sys.stderr)
            break
        spec = make_spec(cause, i, seed=1000 + i)
        done = out / spec.name / "record.json"
        if done.is_file():  # generated by an earlier (capped) invocation: resume after it
            records.append(json.loads(done.read_text()))
            continue
        curves = train(spec)
        log = write_logs(spec, curves, out / spec.name)
        record = {"spec": asdict(spec), "log": str(log), "curves": curves}
        (out / spec.name / "record.json").write_text(json.dumps(record, default=str))
        records.append(record)
    return records


def load(out: Path) -> list[dict[str, Any]]:
    return [json.loads(p.read_text()) for p in sorted(out.glob("*/record.json"))]


def report(records: list[dict[str, Any]]) -> dict[str, Any]:
    rows: dict[str, dict[str, list[bool]]] = {}
    healthy: dict[str, list[bool]] = {"rnnlint": [], "AUTOTRAINER": [], "UMLAUT": []}
    confusion: dict[str, dict[str, int]] = {}
    for rec in records:
        spec = Spec(**rec["spec"])
        curves = {k: [tuple(r) if isinstance(r, list) else r for r in v] for k, v in rec["curves"].items()}
        warned, every = judge_rnnlint(Path(rec["log"]), spec.overfit_check)
        found = {"rnnlint": every, "AUTOTRAINER": judge_autotrainer(curves, spec), "UMLAUT": judge_umlaut(curves)}
        for code in every:
            confusion.setdefault(spec.cause, {}).setdefault(code, 0)
            confusion[spec.cause][code] += 1
        if spec.cause in HEALTHY:
            healthy["rnnlint"].append(bool(warned))
            healthy["AUTOTRAINER"].append(bool(found["AUTOTRAINER"]))
            healthy["UMLAUT"].append(bool(found["UMLAUT"]))
            continue
        for tool, codes in found.items():
            rows.setdefault(spec.cause, {}).setdefault(tool, []).append(bool(codes & EXPECTED[spec.cause]))
    print(f"{len(records)} runs ({sum(len(v) for v in healthy.values()) // 3} healthy controls)\n")
    print(f"{'cause':<24}{'expected':<16}{'n':>4}  {'rnnlint':>9}{'AUTOTRAINER':>13}{'UMLAUT':>9}")
    summary: dict[str, Any] = {"recall": {}, "false_alarms": {}, "confusion": confusion}
    for cause, tools in rows.items():
        n = len(tools["rnnlint"])
        rec = {t: sum(v) / n for t, v in tools.items()}
        summary["recall"][cause] = rec
        expected = "|".join(sorted(EXPECTED[cause]))
        print(f"{cause:<24}{expected:<16}{n:>4}  {rec['rnnlint']:>9.0%}{rec['AUTOTRAINER']:>13.0%}{rec['UMLAUT']:>9.0%}")
    print()
    for tool, flags in healthy.items():
        share = sum(flags) / len(flags) if flags else 0.0
        summary["false_alarms"][tool] = share
        print(f"healthy runs with a warning: {tool:<12} {sum(flags)}/{len(flags)} ({share:.0%})")
    print("\nwhat rnnlint reported, per cause (code: runs):")
    for cause in CAUSES:
        print(f"  {cause:<24}" + ", ".join(f"{c}: {n}" for c, n in sorted(confusion.get(cause, {}).items())))
    return summary


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    ap.add_argument("--runs", type=int, default=220, help="runs to generate (spread evenly over the causes)")
    ap.add_argument("--out", type=Path, default=Path("/tmp/rnnlint_diagnose_runs"))
    ap.add_argument("--time-cap", type=float, default=3600.0, help="stop generating after this many seconds")
    ap.add_argument("--judge-only", action="store_true", help="judge the runs already in --out")
    ap.add_argument("--json", type=Path, help="also write the figures here")
    args = ap.parse_args()
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import torch

    torch.set_num_threads(1)
    records = load(args.out) if args.judge_only else generate(args.out, args.runs, args.time_cap)
    if not records:
        print("no runs", file=sys.stderr)
        return 2
    summary = report(records)
    if args.json:
        args.json.write_text(json.dumps(summary, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
