"""RNN4xx: data balance and the training process (guidelines D11, T3, T4)."""

from __future__ import annotations

from collections.abc import Iterator

from rnnlint.checks.registry import Report, rule
from rnnlint.checks.training import _loop_subject
from rnnlint.facts import UnitFacts
from rnnlint.settings.model import Settings


@rule("RNN401")
def class_imbalance(facts: UnitFacts, settings: Settings) -> Iterator[Report]:
    if not facts.has_training or not facts.has("imbalance") or facts.has("sampler") or facts.has("oversampling"):
        return
    losses = [loss for loss in facts.losses if loss.kind in ("ce", "nll", "bce", "bce_logits")]
    if not losses:
        return
    for loss in losses:
        for key in ("weight", "pos_weight"):
            v = loss.args.get(key)
            if v is not None and (not v.known or v.value is not None):
                return  # weighted (or unknown): balanced enough
    loss = losses[0]
    yield Report(
        loss.loc,
        f"the data is imbalanced ({facts.evidence['imbalance'][0]}) but `{loss.display}` has no class weights and "
        "batches are not rebalanced; pass `weight=` or oversample the minority class (D11)",
    )


@rule("RNN402")
def no_validation(facts: UnitFacts, settings: Settings) -> Iterator[Report]:
    if facts.has("validation"):
        return
    for loop in facts.loops[:1]:
        yield Report(
            loop.loc,
            f"{_loop_subject(loop)} never evaluates on held-out data; watch the validation loss to catch over- and underfitting (T3, T4)",
        )


@rule("RNN403")
def no_loss_curves(facts: UnitFacts, settings: Settings) -> Iterator[Report]:
    if facts.has("logging"):
        return
    if facts.has("printed_losses"):
        where = facts.evidence["printed_losses"][0].removeprefix("losses printed at ")
        for loop in facts.loops[:1]:
            if where.startswith(f"{loop.loc.path}:"):  # the same file: its line says it, wherever rnnlint runs from
                where = f"line {where.rsplit(':', 1)[1]}"
            yield Report(
                loop.loc,
                f"training and validation losses are printed each epoch ({where}) but not kept; keep them (a list, "
                "CSVLogger, TensorBoard) to plot both curves side by side (T4)",
            )
        return
    for loop in facts.loops[:1]:
        yield Report(
            loop.loc,
            f"training and validation losses from {_loop_subject(loop)} are neither logged nor kept; plot both curves (T4)",
        )
