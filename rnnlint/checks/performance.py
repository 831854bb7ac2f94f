"""RNN5xx: fused kernels and padding (performance advice)."""

from __future__ import annotations

from collections.abc import Iterator

from rnnlint.checks.registry import Report, rule
from rnnlint.facts import UnitFacts
from rnnlint.settings.model import Settings


@rule("RNN501")
def python_step_loop(facts: UnitFacts, settings: Settings) -> Iterator[Report]:
    for hit in facts.step_loops:
        fused = hit.cell.replace("Cell", "")
        yield Report(
            hit.loc,
            f"`{hit.cell}` stepped over the input sequence in a Python loop; `nn.{fused}` runs the same recurrence "
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
