"""Building fixes from the sites the facts carry. Constants come from ``[tool.rnnlint.fix]`` (the guidelines' values by default).

A fix here says what changes where; its :class:`Codemod` makes the edits with LibCST the first time they are read
(``--fix``, ``--diff``, JSON/SARIF edits, a code action), so a lint that only reports fixes never loads LibCST.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator
from dataclasses import dataclass

from rnnlint.diagnostics import Edit, Fix, Loc
from rnnlint.facts import (
    AddImport,
    CallChange,
    Change,
    ExprChange,
    InsertStatement,
    KwargSite,
    Misplacement,
    Optimizer,
    PlateauSite,
    RecurrentLayer,
    TrainingLoop,
)


def number(value: float) -> str:
    """A constant as a reader writes it: ``5.0``, ``0.5``, ``1e-5`` (not ``1e-05``)."""
    text = repr(float(value))
    return re.sub(r"e([+-])0*(\d)", lambda m: f"e{'-' if m.group(1) == '-' else ''}{m.group(2)}", text)


@dataclass(frozen=True)
class Codemod:
    """A fix's changes; :mod:`rnnlint.checks.cstedits` makes their edits with LibCST on first use."""

    changes: tuple[Change, ...]

    def edits(self) -> tuple[Edit, ...]:
        from rnnlint.checks import cstedits  # LibCST loads only when a fix is applied or shown

        return cstedits.edits(self.changes)

    def paths(self) -> set[str]:
        """The files the edits will be in, known without making them."""
        return set(_paths(self.changes))


def _paths(value: object) -> Iterator[str]:
    if isinstance(value, Loc):
        yield value.path
    elif isinstance(value, tuple):
        for item in value:
            yield from _paths(item)
    elif dataclasses.is_dataclass(value):
        for f in dataclasses.fields(value):
            yield from _paths(getattr(value, f.name))


def planned(applicability: str, message: str, *changes: Change) -> Fix | None:
    """A fix whose edits the changes' codemod makes on first use."""
    if not changes:
        return None
    return Fix("unsafe" if applicability == "unsafe" else "safe", message, codemod=Codemod(changes))


def add_kwarg(site: KwargSite | None, name: str, value: str, message: str) -> Fix | None:
    """``f(a)`` -> ``f(a, name=value)``; nothing when the call already names it."""
    if site is None or name in site.given:
        return None
    return planned("safe", message, CallChange(site, set=((name, value),)))


def clip_torch_loop(loop: TrainingLoop, optimizers: list[Optimizer], norm: str) -> Fix | None:
    """Global-norm clipping right after ``backward()`` (after ``unscale_`` under AMP)."""
    opt = next((o for o in optimizers if o.target == loop.optimizer and o.params_text), None)
    if loop.after_backward is None or opt is None or opt.params_text is None:
        return None
    if loop.torch_name is None and loop.imports is None:
        return None
    torch = loop.torch_name or "torch"
    code = f"{torch}.nn.utils.clip_grad_norm_({opt.params_text}, max_norm={norm})"
    changes: list[Change] = [AddImport(loop.imports, "torch")] if loop.torch_name is None and loop.imports else []
    if loop.amp and loop.scaler:
        changes.append(InsertStatement(loop.after_backward, f"{loop.scaler}.unscale_({loop.optimizer})"))
    changes.append(InsertStatement(loop.after_backward, code))
    return planned("safe", f"insert `{code}` after the backward pass", *changes)


def move_clip(m: Misplacement) -> Fix | None:
    """Move a misplaced clipping statement to right after ``backward()``; or unscale first under AMP."""
    if m.insert_before is not None:
        site, code = m.insert_before
        return planned("safe", f"insert `{code}` before clipping", InsertStatement(site, code, before=True))
    if m.move is None:
        return None
    return planned("safe", "move the clipping to right after the backward pass", m.move)


# -- unsafe fixes (RNN101, RNN102, RNN107, RNN204): prepared by analysis/rewrites.py ----------------------
def rewrite(layer: RecurrentLayer, key: str) -> Fix | None:
    """The layer's prepared rewrite as an unsafe fix, when all its edits are in the reported file."""
    done = layer.rewrites.get(key)
    return in_file(planned("unsafe", done.message, *done.changes), layer.loc.path) if done else None


def plateau(site: PlateauSite | None, path: str, factor: str, patience: int) -> Fix | None:
    """A ReduceLROnPlateau: torch after the optimizer, stepped on the validation loss; Keras in fit's callbacks."""
    if site is None:
        return None
    if site.framework == "torch" and site.create is not None and site.step is not None:
        create = f"{site.scheduler} = {site.scheduler_class}({site.optimizer}, factor={factor}, patience={patience})"
        step = f"{site.scheduler}.step({site.monitor})"
        changes: tuple[Change, ...] = (InsertStatement(site.create, create), InsertStatement(site.step, step))
        message = f"add `{create}` and `{step}` after the validation loss of each epoch"
    elif site.framework == "keras" and site.callbacks is not None:
        callback = f"{site.scheduler_class}(factor={factor}, patience={patience})"
        changes = (CallChange(site.callbacks, append=("callbacks", callback)),)
        message = f"add `{callback}` to fit's callbacks (it watches val_loss)"
    else:
        return None
    return in_file(planned("unsafe", message, *changes), path)


# -- TensorFlow, optax, Keras and CTC fixes (RNN201, RNN301, RNN302, RNN304) -------------------------


def in_file(fix: Fix | None, path: str) -> Fix | None:
    """The fix, when every edit is in ``path`` (the reported file: edits go to the diagnostic's file)."""
    if fix is None:
        return None
    if isinstance(fix.codemod, Codemod):
        return fix if fix.codemod.paths() == {path} else None
    return fix if fix.edits and all(e.loc.path == path for e in fix.edits) else None


def clip_tf_step(loop: TrainingLoop, norm: str) -> Fix | None:
    """TF1 ``minimize`` split into compute/clip/apply, or the gradient list clipped before ``apply_gradients``."""
    tf = loop.tf_name
    if tf is None:
        return None
    if loop.gradient_list is not None:
        site, grads = loop.gradient_list
        code = f"{grads}, _ = {tf}.clip_by_global_norm({grads}, {norm})"
        return planned("safe", f"insert `{code}` after the gradients are computed", InsertStatement(site, code))
    if loop.minimize is None:
        return None
    return planned(
        "safe",
        f"split `minimize()` into `compute_gradients`, `{tf}.clip_by_global_norm(..., {norm})` and `apply_gradients`",
        dataclasses.replace(loop.minimize, tf=tf, norm=norm),
    )


def clip_optax(optimizers: list[Optimizer], path: str, norm: str) -> Fix | None:
    """Chain ``optax.clip_by_global_norm`` before every optax optimizer of the file.

    Unsafe: the optimizer state becomes a chain's tuple, so a saved ``opt_state`` no longer restores as is.
    """
    sites = [o.optax_chain for o in optimizers if o.api.startswith("optax.")]
    if not sites or any(s is None or s.call.loc.path != path for s in sites):
        return None
    changes: list[Change] = []
    clip = ""
    for s in dict.fromkeys(sites):
        assert s is not None
        clip = f"{s.optax}.clip_by_global_norm({norm})"
        changes.append(CallChange(s.call, first=clip) if s.in_chain else ExprChange(s.call, f"{s.optax}.chain({clip}, {{}})"))
    return planned("unsafe", f"chain `{clip}` before the optimizer", *changes)


def keras_l2(layers: list[RecurrentLayer], path: str, decay: str) -> Fix | None:
    """``kernel_regularizer=<keras>.regularizers.l2(decay)`` on every Keras recurrent layer (all in ``path``)."""
    keras = [layer for layer in layers if layer.framework == "keras"]
    if not keras or len(keras) != len(layers) or any(layer.l2_site is None or layer.loc.path != path for layer in keras):
        return None
    imports: list[Change] = []
    calls: list[Change] = []
    for layer in keras:
        site = layer.l2_site
        assert site is not None
        if site.needs_import is not None:
            imports.append(site.needs_import)
        calls.append(CallChange(site.kwargs, set=(("kernel_regularizer", f"{site.regularizers}.l2({decay})"),)))
    names = {layer.l2_site.regularizers for layer in keras if layer.l2_site}
    return planned("safe", f"add `kernel_regularizer={min(names)}.l2({decay})` to the recurrent layers", *imports, *calls)
