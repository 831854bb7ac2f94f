"""Reference trainer speed: its training steps per second against a bare loop of the same model and batch.

The reference loop (rnnlint.reference.loop.run) adds what the guidelines ask of a loop:
the NaN check on every step, gradient-norm bookkeeping, training accuracy, the last good
state kept each epoch for the NaN guard. The bare loop is what one would write by hand:
forward, loss, backward, global-norm clipping, optimizer step, over the same batches,
with the same model class and optimizer. Both train without a validation set so that
only training steps are timed. Prints the median steps/s of several runs, alternating
the two, and the ratio reference / bare (target: at least 0.95).

    python benchmarks/trainer_bench.py                      # torch and tensorflow, 3 runs each
    python benchmarks/trainer_bench.py --framework torch --runs 5 --threads 2
    python benchmarks/trainer_bench.py --size tiny --runs 1 # keeps the script working (CI)
"""

from __future__ import annotations

import argparse
import importlib.util
import math
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from rnnlint.reference.loop import Hooks, Plan, _batch, batch_order, make_plan, run, set_threads
from rnnlint.reference.tasks import recall
from rnnlint.settings.recipe import TrainingConfig

SIZES = {"tiny": (256, 1), "small": (1024, 2), "full": (2048, 4)}  # training examples, epochs


def plan_for(size: str) -> Plan:
    n, epochs = SIZES[size]
    cfg = TrainingConfig.model_validate(
        {
            "model": {"cell": "lstm", "hidden_size": 64, "num_layers": 2, "bidirectional": True, "dropout": 0.3, "embedding_dim": 16},
            "optim": {"name": "adam", "lr": 0.003, "weight_decay": 1e-5, "clip_norm": 5.0},
            "schedule": {"type": "none"},
            "train": {"epochs": epochs, "batch_size": 64, "seed": 0, "validation_split": 0.0},
        }
    )
    return make_plan(cfg, recall(n=n, n_val=0, length=30, seed=0))


def reference_rate(plan: Plan, framework: str) -> float:
    """Steps per second of the reference loop, timed from the first step's end to the last one's."""
    stamps: list[float] = []
    run(plan, framework, None, progress=False, plot=False, hooks=Hooks(on_step=lambda step, backend: stamps.append(time.perf_counter())))
    return (len(stamps) - 1) / (stamps[-1] - stamps[0])


def _batches(plan: Plan) -> list[Any]:
    rng = __import__("numpy").random.default_rng(plan.cfg.train.seed)
    return [_batch(plan.train_targets, idx) for _ in range(plan.cfg.train.epochs) for idx in batch_order(plan, rng)]


def bare_torch_rate(plan: Plan) -> float:
    import numpy as np
    import torch

    from rnnlint.reference.torch_backend import SequenceModel

    torch.manual_seed(plan.cfg.train.seed)
    model = SequenceModel(plan)
    optimizer = torch.optim.Adam(model.parameters(), lr=plan.cfg.optim.lr, weight_decay=plan.cfg.optim.weight_decay)
    loss_fn = torch.nn.CrossEntropyLoss()
    model.train()
    stamps = []
    for batch in _batches(plan):
        x, y = torch.as_tensor(np.asarray(batch.x)), torch.as_tensor(np.asarray(batch.y))
        optimizer.zero_grad(set_to_none=True)
        loss = loss_fn(model(x, None), y)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), plan.cfg.optim.clip_norm or math.inf)
        optimizer.step()
        float(loss.detach())  # what any loop that logs its loss does
        stamps.append(time.perf_counter())
    return (len(stamps) - 1) / (stamps[-1] - stamps[0])


def bare_tf_rate(plan: Plan) -> float:
    import keras
    import numpy as np
    import tensorflow as tf

    from rnnlint.reference.tf_backend import build_model

    keras.utils.set_random_seed(plan.cfg.train.seed)
    model = build_model(plan)
    optimizer = keras.optimizers.Adam(learning_rate=plan.cfg.optim.lr)
    optimizer.build(model.trainable_variables)
    l2 = plan.cfg.optim.weight_decay
    clip = float(plan.cfg.optim.clip_norm or 0.0)

    @tf.function(
        input_signature=[tf.TensorSpec([None, None], tf.int32), tf.TensorSpec([None], tf.int32)], autograph=False
    )
    def step(x: Any, y: Any) -> Any:
        variables = model.trainable_variables
        with tf.GradientTape() as tape:
            logits = model(x, training=True)
            loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=logits))
            total = loss + l2 * tf.add_n([tf.nn.l2_loss(v) for v in variables])
        grads = [tf.convert_to_tensor(g) for g in tape.gradient(total, variables)]
        grads, _ = tf.clip_by_global_norm(grads, clip)
        optimizer.apply_gradients(zip(grads, variables, strict=True))
        return loss

    stamps = []
    for batch in _batches(plan):
        loss = step(np.asarray(batch.x, np.int32), np.asarray(batch.y, np.int32))
        float(loss)
        stamps.append(time.perf_counter())
    return (len(stamps) - 1) / (stamps[-1] - stamps[0])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--framework", action="append", choices=("torch", "tensorflow"))
    parser.add_argument("--size", choices=tuple(SIZES), default="full")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    frameworks = args.framework or [f for f in ("torch", "tensorflow") if importlib.util.find_spec(f)]
    if not frameworks:
        print("trainer_bench: neither torch nor tensorflow is installed", file=sys.stderr)
        return 2
    plan = plan_for(args.size)
    for framework in frameworks:
        set_threads(framework, args.threads)
        bare = bare_torch_rate if framework == "torch" else bare_tf_rate
        reference_rate(plan, framework)  # warm-up: imports, first traces, allocator
        ref_rates, bare_rates = [], []
        for _ in range(args.runs):  # alternating, so that drifts in machine load hit both
            ref_rates.append(reference_rate(plan, framework))
            bare_rates.append(bare(plan))
        ref, base = statistics.median(ref_rates), statistics.median(bare_rates)
        print(
            f"{framework}: reference {ref:.1f} steps/s, bare loop {base:.1f} steps/s, ratio {ref / base:.3f} "
            f"(median of {args.runs}; {args.threads} thread(s); target >= 0.95)"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
