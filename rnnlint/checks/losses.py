"""RNN3xx: regularisation and losses (guidelines D5, D8)."""

from __future__ import annotations

from collections.abc import Iterator

from rnnlint.checks import fixes, hints
from rnnlint.checks.registry import Report, rule
from rnnlint.diagnostics import Fix, Severity
from rnnlint.facts import Finding, UnitFacts
from rnnlint.settings.model import Settings

_CLASSIFICATION = ("ce", "nll", "bce", "bce_logits")
SHORT_RUN = 3  # epochs (as RNN204): too short a run to overfit much, so missing L2 is a hint (RNN301)


@rule("RNN301")
def no_regularization(facts: UnitFacts, settings: Settings) -> Iterator[Report]:
    if not facts.has_training or facts.has("regularization") or not facts.recurrent:
        return
    if facts.optimizers:
        opt = facts.optimizers[0]
        hint = hints.for_unit(hints.REGULARIZE, facts) if opt.supports_weight_decay else "add an L2 term to the loss"
        decay = fixes.number(settings.fix.weight_decay)
        fix = (
            fixes.add_kwarg(opt.kwargs, "weight_decay", decay, f"add `weight_decay={decay}`")
            if opt.api.startswith("torch.optim")
            else _keras_regularizer_fix(facts, opt.loc.path, decay)
        )
        in_config = [lp for lp in facts.loops if "weight_decay" in lp.config_fixes and lp.loc.path == opt.loc.path]
        if in_config:  # rnnlint's own config schema: set `optim.weight_decay` in the YAML
            fix = in_config[0].config_fixes["weight_decay"].fix(opt.loc.path, settings.fix.weight_decay)
        strong = _strong_dropout(facts, settings.dropout[0])
        epochs = facts.epochs.number()
        if not strong and epochs is not None and epochs <= SHORT_RUN:
            strong = f"a run of {epochs:g} epoch{'s' if epochs != 1 else ''}, too short to overfit much"
        if strong:  # regularised already (or too short to need it): L2 is a suggestion, not a missing guideline
            yield Report(
                opt.loc,
                f"`{opt.display}` has no weight decay and there is no L2 ({'dropout: ' if 'epoch' not in strong else ''}{strong}); "
                f"a small L2 term may still help: "
                f"{hint} (D8)",
                fix,
                lowered=Severity.INFO,
            )
            return
        yield Report(
            opt.loc, f"no weight decay or L2 regularization anywhere: `{opt.display}` has weight_decay=0; {hint} (D8)", fix
        )
    elif facts.manual_updates and facts.loops[0].kind == "torch":
        yield Report(facts.manual_updates[0].loc, "no weight decay or L2 regularization anywhere in this training (D8)")


def _strong_dropout(facts: UnitFacts, floor: float) -> str:
    """The dropout that regularises the recurrent model (rate >= the guideline's floor and where it acts), or ""."""
    for layer in facts.recurrent:
        rate, count = layer.dropout.number(), layer.layer_count()
        # torch's `dropout=` acts only between stacked layers
        acts = layer.dropout_scope != "between_layers" or (count is not None and count > 1)
        if rate is not None and rate >= floor and acts:
            return f"`{layer.display}(dropout={rate:g})` at {layer.loc.short()}"
        rec = layer.recurrent_dropout.number()
        if rec is not None and rec >= floor:
            return f"`{layer.display}(recurrent_dropout={rec:g})` at {layer.loc.short()}"
    for loc, value in facts.dropouts:
        rate = value.number()
        if rate is not None and rate >= floor:
            return f"dropout {rate:g} at {loc.short()}"
    return ""


def _keras_regularizer_fix(facts: UnitFacts, path: str, decay: str) -> Fix | None:
    """L2 on the Keras recurrent layers, where ``fit()`` trains (a custom loop would ignore ``model.losses``)."""
    if not facts.loops or any(loop.kind != "keras" for loop in facts.loops):
        return None
    return fixes.keras_l2(facts.recurrent, path, decay)


def _added_to_loss(hit: Finding) -> Fix | None:
    if not hit.added_to_loss:
        return None
    code = " / ".join(dict.fromkeys(e.content.strip() for e in hit.added_to_loss))
    return fixes.in_file(Fix("safe", f"add `{code}` to the optimized loss", hit.added_to_loss), hit.loc.path)


@rule("RNN302")
def regularization_loss_unused(facts: UnitFacts, settings: Settings) -> Iterator[Report]:
    for hit in facts.unused_regularization:
        if hit.text.endswith("_regularizer"):
            yield Report(
                hit.loc,
                f"`{hit.text}` puts its penalty in `model.losses`, but the custom training loop never adds `model.losses` "
                "to the loss it differentiates, so it regularizes nothing (D8)",
                _added_to_loss(hit),
            )
        else:
            yield Report(
                hit.loc,
                f"`{hit.text}` is computed but never added to the optimized loss, so it regularizes nothing (D8)",
                _added_to_loss(hit),
            )


@rule("RNN303")
def seq2seq_without_ctc(facts: UnitFacts, settings: Settings) -> Iterator[Report]:
    if facts.has("ctc") or facts.has("attention"):
        return
    if not (facts.has("unaligned_domain") and facts.has("label_sequences") and facts.recurrent):
        return
    for loss in facts.losses:
        if loss.kind in ("ce", "nll"):
            domain = facts.evidence["unaligned_domain"][0]
            yield Report(
                loss.loc,
                f"frame-wise `{loss.display}` on unaligned label sequences ({domain}, "
                f"{facts.evidence['label_sequences'][0]}); CTC learns the alignment (D5)",
            )
            return


# What each CTC flavour wants as input, and which input source contradicts it.
_CTC_WRONG_INPUT = {
    "log_probs": {"softmax": "softmax probabilities; it expects log-probabilities: use `log_softmax(dim=-1)`"},
    "probs": {"log_softmax": "log-probabilities; `ctc_batch_cost` expects softmax probabilities"},
    "logits": {"softmax": "softmax probabilities; it expects unnormalised logits and applies the softmax itself"},
}


@rule("RNN304")
def ctc_misuse(facts: UnitFacts, settings: Settings) -> Iterator[Report]:
    for app in facts.loss_applications:
        if app.loss.kind != "ctc":
            continue
        wrong = _CTC_WRONG_INPUT.get(app.loss.expects, {}).get(app.input_source)
        if wrong:
            yield Report(app.loc, f"CTC gets {wrong} (D5)")
        elif app.loss.expects == "log_probs" and app.input_source == "model_output" and not facts.has("log_softmax"):
            fix = Fix("safe", "apply `.log_softmax(-1)` to the CTC input", app.log_softmax) if app.log_softmax else None
            yield Report(
                app.loc,
                "CTC is fed raw model outputs and nothing applies `log_softmax`; torch's CTCLoss expects log-probabilities (D5)",
                fixes.in_file(fix, app.loc.path),
            )
    for check in facts.ctc:
        if check.blank_collision:
            blank = check.loss.args["blank"].value
            yield Report(check.loss.loc, f"CTC blank index {blank} collides with a real label: {check.blank_collision} (D5)")
        if (
            check.variable_lengths
            and check.loss.args.get("zero_infinity") is not None
            and check.loss.args["zero_infinity"].value is False
        ):
            yield Report(
                check.loss.loc,
                "CTC over variable-length inputs without `zero_infinity=True`: one impossible alignment makes the loss "
                "infinite and the gradients NaN (D5)",
                fixes.add_kwarg(check.loss.kwargs, "zero_infinity", "True", "add `zero_infinity=True`"),
            )


@rule("RNN305")
def loss_task_mismatch(facts: UnitFacts, settings: Settings) -> Iterator[Report]:
    for app in facts.loss_applications:
        if app.loss.kind in ("ce", "nll") and app.input_source == "softmax":
            applies = "applies log_softmax itself" if app.loss.kind == "ce" else "expects log-probabilities"
            yield Report(app.loc, f"softmax output fed to `{app.loss.display}`, which {applies}; pass the raw logits (D5)")
        elif app.loss.kind in ("mse", "l1") and app.target_source == "one_hot":
            yield Report(app.loc, f"`{app.loss.display}` against one-hot class targets; classification wants cross entropy (D5)")
    if any(loss.kind in ("ce", "nll") for loss in facts.losses):
        for hit in facts.softmax_outputs:
            yield Report(
                hit.loc,
                f"`{hit.text}` returns softmax probabilities but training uses cross entropy, which applies it again; return logits (D5)",
            )


@rule("RNN306")
def decay_after_learning_rate(facts: UnitFacts, settings: Settings) -> Iterator[Report]:
    for hit in facts.misordered_decay:
        yield Report(
            hit.loc,
            f"`add_decayed_weights` comes after `{hit.text}` in the chain: the decay is added to the already negated, "
            "scaled update, so it pushes weights away from zero; put it before the optimizer (or use `adamw`) (D8)",
        )


@rule("RNN307")
def double_weight_decay(facts: UnitFacts, settings: Settings) -> Iterator[Report]:
    for hit in facts.double_decay:
        yield Report(
            hit.loc,
            f"decoupled weight decay on the optimizer and an L2 penalty ({hit.text}) shrink the same weights twice; "
            "keep one of them (D8)",
        )


@rule("RNN308")
def ctc_log_softmax_axis(facts: UnitFacts, settings: Settings) -> Iterator[Report]:
    for hit in facts.ctc_axis:
        yield Report(
            hit.loc,
            f"`log_softmax` over dim {hit.text} feeds CTC, which wants (T, N, C) log-probabilities normalised over the "
            "classes: use `dim=-1` (D5)",
        )
