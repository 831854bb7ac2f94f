"""RNN2xx: the optimisation loop (guidelines D6, D10)."""

from __future__ import annotations

from collections.abc import Iterator

from rnnlint import knowledge
from rnnlint.checks import fixes, hints
from rnnlint.checks.registry import Report, rule
from rnnlint.diagnostics import Edit, Fix
from rnnlint.facts import TrainingLoop, UnitFacts
from rnnlint.settings.model import Settings

LONG_SEQUENCE = 200  # steps; beyond this RNN206 halves the learning-rate bound (D6.3)
SHORT_RUN = 3  # epochs; a run this short has no plateau to decay on (RNN204)


def _loop_subject(loop: TrainingLoop) -> str:
    if loop.kind == "lightning":
        return "`Trainer(...)`"
    if loop.kind == "keras":
        return "`fit(...)`"
    if loop.kind == "config":
        return "the training this config describes"
    return f"the training step in `{loop.function}`"


@rule("RNN201")
def no_gradient_clipping(facts: UnitFacts, settings: Settings) -> Iterator[Report]:
    if not facts.recurrent or facts.clips:
        return
    for loop in facts.loops:
        yield Report(
            loop.loc,
            f"{_loop_subject(loop)} updates recurrent weights without gradient clipping, so exploding gradients go "
            f"unchecked; {hints.CLIP.get(loop.kind, hints.CLIP['torch'])} (D6.4)",
            _clip_fix(loop, facts, fixes.number(settings.fix.clip_norm)),
        )


def _clip_fix(loop: TrainingLoop, facts: UnitFacts, norm: str) -> Fix | None:
    if loop.kind == "config" and "clip" in loop.config_fixes:
        return loop.config_fixes["clip"].fix(loop.loc.path, float(norm))
    if loop.kind == "torch":
        return fixes.clip_torch_loop(loop, facts.optimizers, norm)
    if loop.kind == "lightning" and facts.trainers:
        return fixes.add_kwarg(facts.trainers[0].kwargs, "gradient_clip_val", norm, "clip gradients in the Trainer")
    if loop.kind == "keras":
        for opt in facts.optimizers:
            if opt.keras_string:
                call = f"{opt.keras_string}(global_clipnorm={norm})"
                return Fix("safe", f"use `{call}`", (Edit(opt.loc, call),))
            if opt.kwargs is not None and "keras" in opt.api:
                return fixes.add_kwarg(opt.kwargs, "global_clipnorm", norm, "clip by global norm in the optimizer")
    if loop.kind == "tf":
        return fixes.in_file(fixes.clip_tf_step(loop, norm), loop.loc.path)
    if loop.kind == "jax":
        return fixes.in_file(fixes.clip_optax(facts.optimizers, loop.loc.path, norm), loop.loc.path)
    return None


@rule("RNN202")
def misplaced_clipping(facts: UnitFacts, settings: Settings) -> Iterator[Report]:
    for m in facts.misplaced_clips:
        yield Report(m.loc, f"gradient clipping cannot act here: {m.reason} (D6.4)", fixes.move_clip(m))


@rule("RNN203")
def clip_by_value(facts: UnitFacts, settings: Settings) -> Iterator[Report]:
    if any(c.method == "norm" for c in facts.clips):
        return
    for clip in facts.clips:
        yield Report(
            clip.loc,
            f"`{clip.api.rsplit('.', 1)[-1]}` clips each gradient element separately, which changes the update's "
            "direction; global-norm clipping (`clip_grad_norm_`) rescales it as a whole (D6.4)",
        )


@rule("RNN204")
def no_lr_decay(facts: UnitFacts, settings: Settings) -> Iterator[Report]:
    if not facts.has_training:
        return
    for s in facts.schedulers:
        if not s.referenced and s.target:
            yield Report(
                s.loc, f"`{s.target}` = {s.display}(...) is never stepped or returned, so the learning rate stays fixed (D6.2)"
            )
    if facts.has("lr_update") or any(s.decays is not False for s in facts.schedulers):
        return
    epochs = facts.epochs.number()
    if epochs is not None and epochs <= SHORT_RUN:
        return  # a fine-tune of a few epochs ends before a decay schedule would act
    if facts.optimizers:
        opt = facts.optimizers[0]
        yield Report(
            opt.loc,
            f"the learning rate of `{opt.display}` stays fixed for the whole run; decay it "
            f"({hints.for_unit(hints.DECAY, facts)}) (D6.2)",
            fixes.plateau(facts.plateau, opt.loc.path, fixes.number(settings.fix.decay_factor), settings.fix.patience),
        )
    elif facts.manual_updates and facts.loops and facts.loops[0].kind == "torch":
        upd = facts.manual_updates[0]
        yield Report(
            upd.loc, "this manual update uses a learning rate that never changes; lower it when validation stalls (D6.2)"
        )


@rule("RNN205")
def lr_decay_factor(facts: UnitFacts, settings: Settings) -> Iterator[Report]:
    lo, hi = settings.decay_factor
    for s in facts.schedulers:
        f = s.factor.number()
        if f is not None and not lo <= f <= hi:
            yield Report(
                s.loc, f"{s.display} decay factor {s.factor.describe()} is outside [{lo}, {hi}]; the guideline uses 0.5 (D6.2)"
            )


@rule("RNN206")
def high_learning_rate(facts: UnitFacts, settings: Settings) -> Iterator[Report]:
    bounds = {**knowledge.LR_BOUNDS, **settings.max_learning_rate}
    depth = _stack_depth(facts)
    for opt in facts.optimizers:
        lr, bound = opt.lr.number(), bounds.get(opt.family)
        if lr is None or bound is None:
            continue
        why = ""
        if depth >= 4:
            bound, why = bound / 2, f", halved for a {depth}-layer recurrent stack"
        length = facts.sequence_length.number()
        if length is not None and length > LONG_SEQUENCE:
            origin = f" ({facts.sequence_length.origin})" if facts.sequence_length.origin else ""
            bound, why = bound / 2, why + f", halved for {length:g}-step sequences{origin}"
        if lr > bound:
            yield Report(
                opt.loc,
                f"initial learning rate {opt.lr.describe()} for `{opt.display}` is above {bound:g}{why}; "
                "long sequences and deep stacks diverge or turn NaN at high rates (D6.3)",
            )


@rule("RNN207")
def non_adaptive_optimizer(facts: UnitFacts, settings: Settings) -> Iterator[Report]:
    for opt in facts.optimizers:
        if opt.family == "sgd" and opt.momentum.known and opt.momentum.value in (0, 0.0, None):
            yield Report(
                opt.loc,
                f"plain `{opt.display}` without momentum; Adam, Adadelta or RMSprop with their paper defaults need less tuning (D10)",
            )
    if facts.has_training and not facts.optimizers:
        for upd in facts.manual_updates[:1]:
            yield Report(
                upd.loc,
                "manual parameter update is plain SGD without momentum; an adaptive optimizer (Adam, RMSprop) needs less tuning (D10)",
            )


@rule("RNN208")
def no_nan_guard(facts: UnitFacts, settings: Settings) -> Iterator[Report]:
    if facts.has("nan_guard") or not facts.recurrent:
        return
    for loop in facts.loops[:1]:
        yield Report(
            loop.loc,
            f"nothing in {_loop_subject(loop)} reacts to a NaN/inf loss; {hints.NAN.get(loop.kind, hints.NAN['torch'])} (D6.1)",
        )


def _stack_depth(facts: UnitFacts) -> int:
    """The deepest recurrent stack: layers of one model part add up, separate parts (encoder, decoder) do not."""
    per_owner: dict[str | None, float] = {}
    chosen: dict[tuple[str | None, str | None], float] = {}  # one of several cell types for one attribute: counted once
    for layer in facts.recurrent:
        count = layer.layer_count() or 0.0
        if layer.alternatives:
            key = (layer.owner, layer.target)
            if key in chosen:
                per_owner[layer.owner] += max(0.0, count - chosen[key])
                chosen[key] = max(chosen[key], count)
                continue
            chosen[key] = count
        per_owner[layer.owner] = per_owner.get(layer.owner, 0.0) + count
    return int(max(per_owner.values(), default=0.0))


@rule("RNN209")
def gradients_never_zeroed(facts: UnitFacts, settings: Settings) -> Iterator[Report]:
    for hit in facts.unzeroed_gradients:
        yield Report(
            hit.loc,
            f"nothing zeroes the gradients in `{hit.text}` or anywhere in this training: each `backward()` adds to "
            "the last, so every step applies the sum of all earlier gradients; call `optimizer.zero_grad()` each step",
        )


@rule("RNN210")
def training_step_returns_nothing(facts: UnitFacts, settings: Settings) -> Iterator[Report]:
    for hit in facts.silent_training_steps:
        yield Report(
            hit.loc,
            f"`{hit.text}` returns nothing: under automatic optimization Lightning then skips backward and the "
            "optimizer step, so nothing trains; return the loss",
        )


@rule("RNN211")
def scheduler_misuse(facts: UnitFacts, settings: Settings) -> Iterator[Report]:
    for hit in facts.scheduler_misuse:
        name, kind, *rest = hit.text.split("|")
        if kind == "metric":
            yield Report(hit.loc, f"`{name}.step()` without the metric it watches; pass the validation loss: `.step(val_loss)`")
        else:
            yield Report(
                hit.loc,
                f"`{name}` ({rest[0]}, a period in epochs) is stepped every batch, so the learning rate decays "
                "within the first epochs; step it once per epoch (D6.2)",
            )
