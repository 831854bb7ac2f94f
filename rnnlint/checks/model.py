"""RNN1xx: the shape of the recurrent model (guidelines D1-D4, D7, D9)."""

from __future__ import annotations

from collections.abc import Iterator

from rnnlint.checks import fixes, hints
from rnnlint.checks.registry import Report, rule
from rnnlint.facts import UnitFacts
from rnnlint.settings.model import Settings


@rule("RNN101")
def vanilla_rnn(facts: UnitFacts, settings: Settings) -> Iterator[Report]:
    for layer in facts.recurrent:
        # a configurable cell type is a choice, not a default; a demo cell beside the trained model is never trained
        if layer.cell == "rnn" and not layer.alternatives and not layer.demo:
            yield Report(
                layer.loc,
                f"plain `{layer.display}` cell: its gradients vanish over long sequences; "
                "an LSTM (or GRU) keeps long-range dependencies (D1)",
                fixes.rewrite(layer, "gru"),
            )


@rule("RNN102")
def unidirectional_encoder(facts: UnitFacts, settings: Settings) -> Iterator[Report]:
    for layer in facts.recurrent:
        if layer.is_cell or layer.bidirectional.value is not False:
            continue
        task = facts.task_for(layer)
        if task.causal or not task.whole_input:
            continue  # causal models must not look ahead; unknown tasks stay silent
        where = f" in {layer.owner}" if layer.owner else ""
        why = task.whole_input[0]
        origin = f" ({layer.bidirectional.origin})" if layer.bidirectional.origin else ""
        yield Report(
            layer.loc,
            f"unidirectional `{layer.display}`{where} reads the whole input ({why}){origin}; "
            f"{hints.BIDIRECTIONAL.get(layer.framework, hints.BIDIRECTIONAL['torch'])} (D2)",
            fixes.rewrite(layer, "bidirectional"),
        )


@rule("RNN103")
def single_layer(facts: UnitFacts, settings: Settings) -> Iterator[Report]:
    if not facts.recurrent:
        return
    total = 0.0
    for layer in facts.recurrent:
        n = layer.layer_count()
        if n is None:
            return
        total += n
    if total == 1:
        layer = facts.recurrent[0]
        yield Report(
            layer.loc,
            f"the model has a single recurrent layer (`{layer.display}`); stacking 2-3 layers usually learns more robust features (D3)",
        )


@rule("RNN104")
def hidden_size_range(facts: UnitFacts, settings: Settings) -> Iterator[Report]:
    lo, hi = settings.hidden_size
    for layer in facts.recurrent:
        n = layer.hidden_size.number()
        if n is not None and not lo <= n <= hi:
            yield Report(
                layer.loc,
                f"hidden size {layer.hidden_size.describe()} of `{layer.display}` is outside [{lo}, {hi}] (D4)",
            )


@rule("RNN105")
def no_dropout(facts: UnitFacts, settings: Settings) -> Iterator[Report]:
    if facts.recurrent and not facts.has("dropout"):
        layer = facts.recurrent[0]
        yield Report(
            layer.loc,
            f"no dropout in or around `{layer.display}` or anywhere in the model; recurrent models overfit without it (D7)",
        )


@rule("RNN106")
def dropout_range(facts: UnitFacts, settings: Settings) -> Iterator[Report]:
    lo, hi = settings.dropout
    rates = [
        (layer.loc, layer.dropout)
        for layer in facts.recurrent
        if not layer.is_cell and not (layer.dropout_scope == "between_layers" and layer.num_layers.number() == 1)
    ]
    rates += [(layer.loc, layer.recurrent_dropout) for layer in facts.recurrent]
    for loc, rate in rates + facts.dropouts:
        p = rate.number()
        if p is not None and p > 0 and not lo <= p <= hi:
            yield Report(loc, f"dropout {rate.describe()} is outside the usual [{lo}, {hi}] (D7)")


@rule("RNN107")
def ineffective_dropout(facts: UnitFacts, settings: Settings) -> Iterator[Report]:
    for layer in facts.recurrent:
        if layer.is_cell or layer.dropout_scope != "between_layers":
            continue
        p, n = layer.dropout.number(), layer.num_layers.number()
        if p is not None and p > 0 and n == 1:
            yield Report(
                layer.loc,
                f"`{layer.display}(dropout={layer.dropout.describe()})` has num_layers=1: this dropout only acts "
                "between stacked layers, so it does nothing; add `nn.Dropout` on the outputs or stack layers (D7)",
                fixes.rewrite(layer, "output_dropout"),
            )


@rule("RNN108")
def no_embedding(facts: UnitFacts, settings: Settings) -> Iterator[Report]:
    for hit in facts.one_hot_inputs:
        subject = hit.text if hit.text.startswith("the ") else f"`{hit.text}`"
        yield Report(hit.loc, f"one-hot token ids fed to {subject}; an Embedding layer learns dense token vectors instead (D9)")


@rule("RNN109")
def state_not_detached(facts: UnitFacts, settings: Settings) -> Iterator[Report]:
    for hit in facts.carried_states:
        yield Report(
            hit.loc,
            f"`{hit.text}` is carried from one batch to the next without `.detach()`: backward runs through every "
            "earlier batch (or fails on the second backward); detach it, or repackage it, before each batch",
        )


@rule("RNN110")
def bidirectional_last_step(facts: UnitFacts, settings: Settings) -> Iterator[Report]:
    for hit in facts.bidirectional_last_step:
        expr, what, layer = hit.text.split("|", 2)
        if what == "hidden":
            yield Report(
                hit.loc,
                f"`{expr}` of a bidirectional `{layer}` is the last layer's backward direction only; join both "
                "directions of the last layer (`torch.cat((h_n[-2], h_n[-1]), dim=1)`)",
            )
        else:
            yield Report(
                hit.loc,
                f"`{expr}` reads the bidirectional `{layer}` at its last time step, where the backward direction has "
                "seen one token; use the final hidden states of both directions or pool over time",
            )


@rule("RNN111")
def packing_misuse(facts: UnitFacts, settings: Settings) -> Iterator[Report]:
    for hit in facts.packing_misuse:
        kind, expr = hit.text.split("|", 1)
        if kind == "device":
            yield Report(
                hit.loc,
                f"`pack_padded_sequence` lengths `{expr}` are moved to the GPU; they must be a CPU int64 tensor "
                "(or a list): keep them on the CPU",
            )
        else:
            yield Report(
                hit.loc,
                "`pack_padded_sequence` with `enforce_sorted=True` (the default) and no batch sorted by length in "
                "sight: an unsorted batch raises; pass `enforce_sorted=False`",
            )
