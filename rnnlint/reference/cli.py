"""``train`` and ``verify`` argument parsing for the reference trainers.

``main(argv)`` is what ``rnnlint train`` / ``rnnlint verify`` delegate to (or run it as
``python -m rnnlint.reference.cli``). Exit codes: 0 done; 1 a training run diverged, the
overfit check did not collapse, a verify experiment crashed or a verify fix check failed;
2 usage error, invalid config or a framework that is not installed. Heavy imports happen only inside commands.
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys
from collections.abc import Sequence

FRAMEWORKS = ("torch", "tensorflow")
MODES = ("quick", "medium", "full")  # rnnlint.reference.experiments.MODES, without importing numpy here


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="rnnlint", description="Reference RNN trainers that follow the guidelines.")
    sub = parser.add_subparsers(dest="command", required=True)

    train = sub.add_parser("train", help="train a recipe (rnnlint's YAML config schema) with a reference trainer")
    train.add_argument("config", help="a YAML recipe: model, loss, optim, schedule, train, data")
    train.add_argument("--framework", choices=FRAMEWORKS, required=True)
    train.add_argument("--output-dir", required=True, help="folder for curves.csv, curves.png and metrics.json")
    train.add_argument("--overfit-check", action="store_true", help="first train on 8 samples until the loss collapses (T2)")
    train.add_argument("--no-progress", action="store_true", help="no progress bar")
    train.add_argument("--threads", type=int, help="CPU threads for the framework")

    verify = sub.add_parser(
        "verify",
        help="paired experiments, guideline on vs off over several seeds with bootstrap intervals, the fused-layer speed "
        "on this machine, and fix checks (the runnable fixtures trained before and after rnnlint --fix); writes "
        "report.json and report.md",
    )
    verify.add_argument(
        "--mode",
        choices=MODES,
        default="full",
        help="full: 5 seeds at the guidelines' sizes, for a GPU machine (default); medium: 5 seeds sized for a few CPU "
        "cores; quick: a smoke test (1 seed, under a minute on 2 cores), never evidence",
    )
    verify.add_argument("--quick", action="store_const", const="quick", dest="mode", help="the same as --mode quick")
    verify.add_argument(
        "--framework", action="append", choices=FRAMEWORKS, help="repeat for several (default: every installed one)"
    )
    verify.add_argument("--output-dir", "--out", required=True, dest="output_dir")
    verify.add_argument("--seeds", type=int, help="number of seeds, 0..N-1 (default: the mode's, 5 or 1 for quick)")
    verify.add_argument("--rule", action="append", dest="only", help="only this rule's experiment (repeat for several)")
    verify.add_argument(
        "--device", choices=("auto", "cpu", "cuda"), default="auto", help="torch's device (default auto: CUDA when present)"
    )
    verify.add_argument("--no-perf", action="store_true", help="skip the fused-vs-loop speed measurement")
    verify.add_argument("--threads", type=int, default=1, help="CPU threads per worker process (default 1)")
    verify.add_argument("--workers", type=int, help="worker processes (default: the CPU count, at most 4)")

    overfit = sub.add_parser("overfit", help="only the small-sample overfit check (T2)")
    overfit.add_argument("config")
    overfit.add_argument("--framework", choices=FRAMEWORKS, required=True)
    overfit.add_argument("--samples", type=int, default=8)
    overfit.add_argument("--max-steps", type=int, default=300)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "verify":
        from rnnlint.reference.verify import verify

        return verify(
            args.mode,
            args.framework,
            args.output_dir,
            threads=args.threads,
            workers=args.workers,
            device=args.device,
            seeds=args.seeds,
            only=args.only,
            perf=not args.no_perf,
            command="rnnlint " + " ".join(shlex.quote(a) for a in (sys.argv[1:] if argv is None else argv)),
        )
    from pydantic import ValidationError

    from rnnlint.reference.tasks import TaskError
    from rnnlint.reference.verify import available

    if not available(args.framework):
        print(
            f"rnnlint {args.command}: {args.framework} (and numpy) must be installed: pip install 'rnnlint[{args.framework}]'",
            file=sys.stderr,
        )
        return 2
    try:
        if args.command == "overfit":
            from rnnlint.reference.api import overfit

            result = overfit(args.config, args.framework, args.samples, args.max_steps)
            result.pop("losses")
            print(json.dumps(result, indent=2))
            return 0 if result["collapsed"] else 1
        from rnnlint.reference.api import train
        from rnnlint.reference.loop import set_threads

        if args.threads:
            set_threads(args.framework, args.threads)
        metrics = train(
            args.config, args.framework, args.output_dir, progress=not args.no_progress, overfit_first=args.overfit_check
        )
    except (OSError, ValidationError, TaskError) as exc:
        print(f"rnnlint {args.command}: {exc}", file=sys.stderr)
        return 2
    shown = {k: metrics.get(k) for k in ("val_loss", "val_acc", "verdict", "verdict_reason", "csv", "plot", "plot_note")}
    print(json.dumps(shown, indent=2))
    check = metrics.get("overfit_check")
    return 1 if metrics["diverged"] or (check is not None and not check["collapsed"]) else 0


if __name__ == "__main__":
    raise SystemExit(main())
