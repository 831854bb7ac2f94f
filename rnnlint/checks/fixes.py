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
    return Fix("safe", message, (site.edit(f"{name}={value}"),))


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


# -- unsafe fixes (RNN101, RNN102, RNN107, RNN204): prepared by analysis/rewrites.py ----------------------
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
        edits = (site.callbacks.edit(text),)
        message = f"add `{callback}` to fit's callbacks (it watches val_loss)"
    else:
        return None
    if any(e.loc.path != path for e in edits):
        return None
    return Fix("unsafe", message, edits)


# -- TensorFlow, optax, Keras and CTC fixes (RNN201, RNN301, RNN302, RNN304) -------------------------


def in_file(fix: Fix | None, path: str) -> Fix | None:
    """The fix, when every edit is in ``path`` (the reported file: edits go to the diagnostic's file)."""
    if fix is None or not fix.edits or any(e.loc.path != path for e in fix.edits):
        return None
    return fix


def clip_tf_step(loop: TrainingLoop, norm: str) -> Fix | None:
    """TF1 ``minimize`` split into compute/clip/apply, or the gradient list clipped before ``apply_gradients``."""
    tf = loop.tf_name
    if tf is None:
        return None
    if loop.gradient_list is not None:
        site, grads = loop.gradient_list
        code = f"{grads}, _ = {tf}.clip_by_global_norm({grads}, {norm})"
        return Fix("safe", f"insert `{code}` after the gradients are computed", (line_after(site, code),))
    m = loop.minimize
    if m is None:
        return None
    lines = [m.bind] if m.bind else []
    lines += [
        f"{m.grads}, {m.variables} = zip(*{m.optimizer}.compute_gradients({m.compute_args}))",
        f"{m.grads}, _ = {tf}.clip_by_global_norm({m.grads}, {norm})",
        f"{m.head}{m.optimizer}.apply_gradients(zip({m.grads}, {m.variables}){m.apply_kwargs})",
    ]
    code = f"\n{m.indent}".join(lines)
    return Fix(
        "safe",
        f"split `minimize()` into `compute_gradients`, `{tf}.clip_by_global_norm(..., {norm})` and `apply_gradients`",
        (Edit(m.statement, code),),
    )


def clip_optax(optimizers: list[Optimizer], path: str, norm: str) -> Fix | None:
    """Chain ``optax.clip_by_global_norm`` before every optax optimizer of the file.

    Unsafe: the optimizer state becomes a chain's tuple, so a saved ``opt_state`` no longer restores as is.
    """
    sites = [o.optax_chain for o in optimizers if o.api.startswith("optax.")]
    if not sites or any(s is None or s.start.path != path for s in sites):
        return None
    edits: list[Edit] = []
    for s in dict.fromkeys(sites):
        assert s is not None
        clip = f"{s.optax}.clip_by_global_norm({norm})"
        if s.end is None:
            edits.append(Edit(s.start, f"{clip}, "))
        else:
            edits += [Edit(s.start, f"{s.optax}.chain({clip}, "), Edit(s.end, ")")]
    return Fix("unsafe", f"chain `{clip}` before the optimizer", tuple(edits))


def keras_l2(layers: list[RecurrentLayer], path: str, decay: str) -> Fix | None:
    """``kernel_regularizer=<keras>.regularizers.l2(decay)`` on every Keras recurrent layer (all in ``path``)."""
    keras = [layer for layer in layers if layer.framework == "keras"]
    if not keras or len(keras) != len(layers) or any(layer.l2_site is None or layer.loc.path != path for layer in keras):
        return None
    edits: list[Edit] = []
    for layer in keras:
        site = layer.l2_site
        assert site is not None
        if site.import_edit is not None and site.import_edit not in edits:
            edits.insert(0, site.import_edit)
        edits.append(site.kwargs.edit(f"kernel_regularizer={site.regularizers}.l2({decay})"))
    names = {layer.l2_site.regularizers for layer in keras if layer.l2_site}
    return Fix("safe", f"add `kernel_regularizer={min(names)}.l2({decay})` to the recurrent layers", tuple(edits))
