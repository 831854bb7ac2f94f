"""RNN5xx: fused kernels and padding (performance advice)."""

from __future__ import annotations

from collections.abc import Iterator

from rnnlint.checks.registry import Report, rule
from rnnlint.facts import UnitFacts
from rnnlint.settings.model import Settings

# What runs a whole sequence in one call, per framework (RNN501).
_FUSED = {
    "tf": "`tf.nn.dynamic_rnn(cell, inputs)` (or `tf.keras.layers.RNN(cell)`)",
    "keras": "`keras.layers.RNN(cell)` (or the `LSTM`/`GRU` layer)",
    "jax": "`nn.RNN(cell)` (a scanned loop)",
}


@rule("RNN501")
def python_step_loop(facts: UnitFacts, settings: Settings) -> Iterator[Report]:
    for hit in facts.step_loops:
        fused = _FUSED.get(hit.framework, f"`nn.{hit.cell.replace('Cell', '')}`")
        if hit.model:
            yield Report(
                hit.loc,
                f"`{hit.model}` (a recurrent model with an `{hit.cell}`) is called one time step at a time in a Python "
                "loop although every step's input is known; feed it the whole sequence in one call, which runs the "
                "recurrence in one fused (cuDNN) kernel",
            )
            continue
        if not hit.is_cell:
            yield Report(
                hit.loc,
                f"the `{hit.cell}` layer is called one time step at a time in a Python loop; pass it the whole "
                "sequence in one call, which runs the recurrence in one fused (cuDNN) kernel",
            )
            continue
        yield Report(
            hit.loc,
            f"`{hit.cell}` stepped over the input sequence in a Python loop; {fused} runs the same recurrence "
            "in one fused (cuDNN) kernel, several times faster on a GPU (on a CPU the gain is small or none)",
        )


@rule("RNN502")
def cudnn_disabled(facts: UnitFacts, settings: Settings) -> Iterator[Report]:
    for layer in facts.recurrent:
        if layer.cudnn_blockers:
            options = ", ".join(layer.cudnn_blockers)
            yield Report(
                layer.loc,
                f"`{layer.display}({options})` cannot use the fused cuDNN kernel and runs several times slower on a GPU "
                "(a CPU has no such kernel); keep the defaults (dropout on the inputs is fine)",
            )


@rule("RNN503")
def unpacked_padding(facts: UnitFacts, settings: Settings) -> Iterator[Report]:
    if not facts.recurrent or facts.has("packing") or facts.has("masking"):
        return
    for pad in facts.padding[:1]:
        yield Report(
            pad.loc,
            f"`{pad.text}` pads variable-length sequences that reach the RNN unpacked, so it also runs over padding; "
            "use `pack_padded_sequence` (or mask the padded steps)",
        )
