"""Building fixes from the sites the facts carry. Constants come from ``[tool.rnnlint.fix]`` (the guidelines' values by default)."""

from __future__ import annotations

import re

from rnnlint.diagnostics import Edit, Fix
from rnnlint.facts import KwargSite, LineSite, Misplacement, Optimizer, PlateauSite, RecurrentLayer, TrainingLoop


def number(value: float) -> str:
    """A constant as a reader writes it: ``5.0``, ``0.5``, ``1e-5`` (not ``1e-05``)."""
    text = repr(float(value))
    return re.sub(r"e([+-])0*(\d)", lambda m: f"e{'-' if m.group(1) == '-' else ''}{m.group(2)}", text)


def add_kwarg(site: KwargSite | None, name: str, value: str, message: str) -> Fix | None:
    """``f(a)`` -> ``f(a, name=value)``; nothing when the call already names it."""
    if site is None or name in site.given:
        return None
    return Fix("safe", message, (Edit(site.loc, f"{site.prefix}{name}={value}"),))


def line_after(site: LineSite, code: str) -> Edit:
    return Edit(site.loc, f"\n{site.indent}{code}")


def line_before(site: LineSite, code: str) -> Edit:
    return Edit(site.loc, f"{site.indent}{code}\n")


def clip_torch_loop(loop: TrainingLoop, optimizers: list[Optimizer], norm: str) -> Fix | None:
    """Global-norm clipping right after ``backward()`` (after ``unscale_`` under AMP)."""
    opt = next((o for o in optimizers if o.target == loop.optimizer and o.params_text), None)
    if loop.after_backward is None or opt is None or opt.params_text is None:
        return None
    torch = loop.torch_name or "torch"
    code = f"{torch}.nn.utils.clip_grad_norm_({opt.params_text}, max_norm={norm})"
    edits = []
    if loop.amp and loop.scaler:
        edits.append(line_after(loop.after_backward, f"{loop.scaler}.unscale_({loop.optimizer})"))
    edits.append(line_after(loop.after_backward, code))
    if loop.torch_name is None:
        if loop.import_site is None:
            return None
        at = loop.import_site
        edits.insert(
            0, Edit(at.loc, "import torch\n") if at.loc.line == 1 and at.loc.col == 1 else line_after(at, "import torch")
        )
    return Fix("safe", f"insert `{code}` after the backward pass", tuple(edits))


def move_clip(m: Misplacement) -> Fix | None:
    """Move a misplaced clipping statement to right after ``backward()``; or unscale first under AMP."""
    if m.insert_before is not None:
        site, code = m.insert_before
        return Fix("safe", f"insert `{code}` before clipping", (line_before(site, code),))
    if m.statement is None or m.move_to is None or not m.statement_text or "\n" in m.statement_text:
        return None
    return Fix(
        "safe",
        "move the clipping to right after the backward pass",
        (Edit(m.statement, ""), line_after(m.move_to, m.statement_text.strip())),
    )


# -- unsafe fixes (RNN101, RNN102, RNN107, RNN204): prepared by frontends/rewrites.py ----------------------
def rewrite(layer: RecurrentLayer, key: str) -> Fix | None:
    """The layer's prepared rewrite as an unsafe fix, when all its edits are in the reported file."""
    done = layer.rewrites.get(key)
    if done is None or any(e.loc.path != layer.loc.path for e in done.edits):
        return None
    return Fix("unsafe", done.message, done.edits)


def plateau(site: PlateauSite | None, path: str, factor: str, patience: int) -> Fix | None:
    """A ReduceLROnPlateau: torch after the optimizer, stepped on the validation loss; Keras in fit's callbacks."""
    if site is None:
        return None
    if site.framework == "torch" and site.create is not None and site.step is not None:
        create = f"{site.scheduler} = {site.scheduler_class}({site.optimizer}, factor={factor}, patience={patience})"
        step = f"{site.scheduler}.step({site.monitor})"
        edits: tuple[Edit, ...] = (line_after(site.create, create), line_after(site.step, step))
        message = f"add `{create}` and `{step}` after the validation loss of each epoch"
    elif site.framework == "keras" and site.callbacks is not None:
        callback = f"{site.scheduler_class}(factor={factor}, patience={patience})"
        text = f"callbacks=[{callback}]" if site.new_keyword else callback
        edits = (Edit(site.callbacks.loc, f"{site.callbacks.prefix}{text}{site.suffix}"),)
        message = f"add `{callback}` to fit's callbacks (it watches val_loss)"
    else:
        return None
    if any(e.loc.path != path for e in edits):
        return None
    return Fix("unsafe", message, edits)
