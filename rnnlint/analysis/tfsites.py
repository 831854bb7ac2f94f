"""Fix sites for the TensorFlow, Keras, optax and CTC fixes (RNN201, RNN301, RNN302, RNN304).

Each function looks at one call and says where an edit can go, or None when the
code's shape is not plain enough to edit safely: a statement sharing its line,
comments inside a rewritten statement, starred arguments, a name the new code
would need that is already in use. Constants (clip norm, weight decay) are not
written here; the rules fill them in from the settings.
"""

from __future__ import annotations

import ast

from rnnlint.analysis.pyindex import ModuleInfo, Scope
from rnnlint.analysis.sites import (
    editable,
    import_site,
    line_site_after,
    line_site_before,
    module_alias,
    statement_lines,
    statement_of,
)
from rnnlint.diagnostics import Edit
from rnnlint.facts import KerasL2Site, KwargSite, LineSite, MinimizeRewrite, OptaxChainSite, Optimizer, TrainingLoop

_TF1_TRAIN = ("tensorflow.train.", "tensorflow.compat.v1.train.")
# TF1 Optimizer.minimize(loss, global_step, var_list, gate_gradients, aggregation_method,
# colocate_gradients_with_ops, name, grad_loss): which call each argument belongs to once it is split.
_MINIMIZE_POSITIONAL = ("loss", "global_step", "var_list")
_TO_COMPUTE = {"loss", "var_list", "gate_gradients", "aggregation_method", "colocate_gradients_with_ops", "grad_loss"}
_TO_APPLY = {"global_step", "name"}
_KERAS_PACKAGES = ("keras", "tensorflow.keras", "tf_keras")
_ATOMS = (ast.Name, ast.Attribute, ast.Call, ast.Subscript)


def tf_namespace(mod: ModuleInfo, qname: str) -> str | None:
    """How ``mod`` spells the TF namespace ``qname`` comes from: ``tf``, ``tf.compat.v1`` or its v1 alias."""
    v1 = module_alias(mod, "tensorflow.compat.v1")
    tf = module_alias(mod, "tensorflow")
    if qname.startswith("tensorflow.compat.v1."):
        return v1 or (f"{tf}.compat.v1" if tf else None)
    return tf or v1


def _segment(mod: ModuleInfo, node: ast.AST) -> str | None:
    return ast.get_source_segment(mod.source, node)


def _alone(mod: ModuleInfo, stmt: ast.stmt) -> bool:
    """The statement starts its line, shares no line with another and holds no comment to lose."""
    if stmt.end_lineno is None or statement_lines(mod, stmt) is None:
        return False
    first = mod.lines[stmt.lineno - 1]
    if first[: stmt.col_offset].strip():
        return False
    return not any("#" in mod.lines[n - 1] for n in range(stmt.lineno, stmt.end_lineno))


def _free(scope: Scope, name: str, after: int) -> bool:
    """May the new code bind ``name`` here: not a parameter, not read after line ``after``?"""
    if name in scope.params:
        return False
    for node in ast.walk(scope.node):
        if isinstance(node, ast.Name) and node.id == name and isinstance(node.ctx, ast.Load) and node.lineno > after:
            return False
        if isinstance(node, (ast.Global, ast.Nonlocal)) and name in node.names:
            return False
    return True


def _indent(mod: ModuleInfo, stmt: ast.stmt) -> str:
    first = mod.lines[stmt.lineno - 1]
    return first[: len(first) - len(first.lstrip())]


# -- RNN201: TensorFlow steps -------------------------------------------------------------------


def tf_clip_sites(
    loop: TrainingLoop,
    kind: str,
    node: ast.AST,
    step: ast.AST | None,
    mod: ModuleInfo,
    scope: Scope,
    qname: str | None,
    optimizers: list[Optimizer],
) -> None:
    """Fill ``loop`` with where clipping goes: a TF1 ``minimize`` to split, or the gradient list to clip.

    ``kind`` is the first gradient event's kind, ``node`` its call, ``step`` the ``apply_gradients`` call of
    the same function (or None), ``qname`` what the first event's receiver or function resolves to.
    """
    if not isinstance(node, ast.Call) or not editable(mod):
        return
    if kind == "minimize":
        api = qname or tf1_optimizer_api(node, optimizers)
        if api and api.startswith(_TF1_TRAIN):
            loop.tf_name = tf_namespace(mod, api)
            loop.minimize = _minimize_rewrite(mod, node, scope) if loop.tf_name else None
        return
    if kind != "backward" or not isinstance(step, ast.Call):
        return
    fn = node.func
    tape = isinstance(fn, ast.Attribute) and fn.attr == "gradient"
    if not tape and not (qname or "").endswith(".gradients"):
        return  # compute_gradients returns (gradient, variable) pairs: no plain list to clip
    loop.tf_name = tf_namespace(mod, qname or "tensorflow.")
    grads = _gradient_list(mod, node, step)
    if grads is not None and loop.tf_name:
        loop.gradient_list = grads


def tf1_optimizer_api(call: ast.Call, optimizers: list[Optimizer]) -> str | None:
    """The TF1 optimizer class behind ``receiver.minimize(...)``, when every optimizer bound to that name is one."""
    if not isinstance(call.func, ast.Attribute):
        return None
    receiver = ast.unparse(call.func.value)
    apis = {o.api.startswith(_TF1_TRAIN) for o in optimizers if o.target == receiver}
    if apis != {True}:
        return None
    return next(o.api for o in optimizers if o.target == receiver)


def _minimize_rewrite(mod: ModuleInfo, call: ast.Call, scope: Scope) -> MinimizeRewrite | None:
    stmt = statement_of(mod, call)
    if stmt is None or stmt.end_lineno is None or stmt.end_col_offset is None or not _alone(mod, stmt):
        return None
    if isinstance(stmt, ast.Assign) and stmt.value is call and len(stmt.targets) == 1:
        target = _segment(mod, stmt.targets[0])
        head = f"{target} = " if target else None
    elif isinstance(stmt, ast.Return) and stmt.value is call:
        head = "return "
    elif isinstance(stmt, ast.Expr) and stmt.value is call:
        head = ""
    else:
        head = None
    args = _minimize_args(mod, call)
    if head is None or args is None or "loss" not in args or not isinstance(call.func, ast.Attribute):
        return None
    receiver = call.func.value
    bind = None
    if isinstance(receiver, ast.Call):  # tf.train.AdamOptimizer(lr).minimize(loss): build the optimizer once
        if not _free(scope, "optimizer", stmt.end_lineno) or scope.bindings.get("optimizer"):
            return None
        bind, optimizer = f"optimizer = {_segment(mod, receiver)}", "optimizer"
    elif isinstance(receiver, (ast.Name, ast.Attribute)):
        optimizer = _segment(mod, receiver) or ""
    else:
        return None
    grads, variables = "grads", "variables"
    if not (_free(scope, grads, stmt.end_lineno) and _free(scope, variables, stmt.end_lineno)):
        return None
    compute = ", ".join([args["loss"], *(f"{k}={v}" for k, v in args.items() if k in _TO_COMPUTE and k != "loss")])
    apply = "".join(f", {k}={v}" for k, v in args.items() if k in _TO_APPLY)
    loc = mod.loc(stmt)
    return MinimizeRewrite(loc, _indent(mod, stmt), head, optimizer, bind, compute, apply, grads, variables)


def _minimize_args(mod: ModuleInfo, call: ast.Call) -> dict[str, str] | None:
    """minimize()'s arguments by name, as written; None for starred, unknown or too many arguments."""
    out: dict[str, str] = {}
    if len(call.args) > len(_MINIMIZE_POSITIONAL):
        return None
    for name, arg in zip(_MINIMIZE_POSITIONAL, call.args, strict=False):
        text = _segment(mod, arg)
        if isinstance(arg, ast.Starred) or text is None:
            return None
        out[name] = text
    for kw in call.keywords:
        text = _segment(mod, kw.value)
        if kw.arg is None or kw.arg not in _TO_COMPUTE | _TO_APPLY or kw.arg in out or text is None:
            return None
        out[kw.arg] = text
    return out


def _gradient_list(mod: ModuleInfo, gradient: ast.Call, step: ast.Call) -> tuple[LineSite, str] | None:
    """``grads = tape.gradient(...)`` whose ``grads`` is what ``apply_gradients(zip(grads, ...))`` applies."""
    stmt = statement_of(mod, gradient)
    if not isinstance(stmt, ast.Assign) or stmt.value is not gradient or len(stmt.targets) != 1:
        return None
    target = stmt.targets[0]
    if not isinstance(target, ast.Name) or not _alone(mod, stmt):
        return None
    pairs = step.args[0] if step.args else next((k.value for k in step.keywords if k.arg == "grads_and_vars"), None)
    if not (
        isinstance(pairs, ast.Call)
        and isinstance(pairs.func, ast.Name)
        and pairs.func.id == "zip"
        and pairs.args
        and isinstance(pairs.args[0], ast.Name)
        and pairs.args[0].id == target.id
    ):
        return None
    site = line_site_after(mod, gradient)
    return (site, target.id) if site is not None else None


# -- RNN201: optax ------------------------------------------------------------------------------


def optax_chain_site(mod: ModuleInfo, call: ast.Call, chain_qname: str | None) -> OptaxChainSite | None:
    """Wrap ``optax.adam(lr)`` in ``optax.chain(clip, ...)``, or put the clip first in the chain it is in.

    ``chain_qname`` is what the call's parent call resolves to (``optax.chain`` when it already is in one).
    """
    optax = module_alias(mod, "optax")
    if optax is None or not editable(mod):
        return None
    parent = mod.parents().get(id(call))
    if chain_qname == "optax.chain" and isinstance(parent, ast.Call) and parent.args and call in parent.args:
        first = parent.args[0]
        if any(isinstance(a, ast.Starred) for a in parent.args):
            return None
        loc = mod.loc(first)
        return OptaxChainSite(optax, mod.span(loc.line, loc.col, loc.line, loc.col), None)
    loc = mod.loc(call)
    start = mod.span(loc.line, loc.col, loc.line, loc.col)
    end = mod.span(loc.end_line, loc.end_col, loc.end_line, loc.end_col)
    return OptaxChainSite(optax, start, end)


# -- RNN301: Keras recurrent layers -------------------------------------------------------------


def keras_l2_site(mod: ModuleInfo, api_qname: str, kwargs: KwargSite | None) -> KerasL2Site | None:
    """``kernel_regularizer=...`` for a Keras recurrent layer, spelled with the module's own names."""
    if kwargs is None or "kernel_regularizer" in kwargs.given or ".layers." not in api_qname:
        return None
    package = api_qname.split(".layers.", 1)[0]  # "keras", "tensorflow.keras", "tf_keras"
    regularizers = module_alias(mod, f"{package}.regularizers")
    if regularizers is None:
        keras = module_alias(mod, package)
        tf = module_alias(mod, "tensorflow")
        if keras is not None:
            regularizers = f"{keras}.regularizers"
        elif package == "tensorflow.keras" and tf is not None:
            regularizers = f"{tf}.keras.regularizers"
    if regularizers is not None:
        return KerasL2Site(kwargs, regularizers)
    if "regularizers" in mod.identifiers or package not in _KERAS_PACKAGES:
        return None  # the name is taken, or a private path (keras.src) we would not import from
    at = import_site(mod)
    if at is None:
        return None
    code = f"from {package} import regularizers"
    edit = Edit(at.loc, f"{code}\n") if at.loc.line == 1 and at.loc.col == 1 else Edit(at.loc, f"\n{code}")
    return KerasL2Site(kwargs, "regularizers", edit)


# -- RNN302: regularization losses that never reach the loss ------------------------------------


def tape_regularization(mod: ModuleInfo, gradient: ast.Call, tape_qname: str | None) -> tuple[Edit, ...]:
    """``loss += sum(model.losses)`` inside the tape, right after the loss ``tape.gradient(loss, model...)`` uses."""
    fn = gradient.func
    if not (isinstance(fn, ast.Attribute) and fn.attr == "gradient" and isinstance(fn.value, ast.Name)):
        return ()
    if len(gradient.args) < 2 or not isinstance(gradient.args[0], ast.Name) or tape_qname != "tensorflow.GradientTape":
        return ()
    loss, sources = gradient.args[0].id, gradient.args[1]
    if not (
        isinstance(sources, ast.Attribute)
        and sources.attr in ("trainable_variables", "trainable_weights")
        and isinstance(sources.value, (ast.Name, ast.Attribute))
    ):
        return ()
    model = _segment(mod, sources.value)
    block = _tape_block(mod, gradient, fn.value.id)
    if block is None or model is None:
        return ()
    assigns = [s for s in block.body if isinstance(s, ast.Assign) and [ast.unparse(t) for t in s.targets] == [loss]]
    if not assigns or not _alone(mod, assigns[-1]) or _defers_to_keras(assigns[-1].value):
        return ()
    rebinds = [s for s in block.body if s.lineno > assigns[-1].lineno and loss in _bound_names(s)]
    site = line_site_after(mod, assigns[-1].value)
    if rebinds or site is None:
        return ()
    return (Edit(site.loc, f"\n{site.indent}{loss} += sum({model}.losses)"),)


def _tape_block(mod: ModuleInfo, node: ast.AST, tape: str) -> ast.With | None:
    """The ``with tf.GradientTape() as tape:`` block before ``node`` in the same function body."""
    stmt = statement_of(mod, node)
    parent = mod.parents().get(id(stmt)) if stmt is not None else None
    body = getattr(parent, "body", None)
    if stmt is None or not isinstance(body, list) or stmt not in body:
        return None
    for s in reversed(body[: body.index(stmt)]):
        if isinstance(s, ast.With) and any(
            isinstance(item.optional_vars, ast.Name) and item.optional_vars.id == tape for item in s.items
        ):
            return s
    return None


def tape_qname_node(mod: ModuleInfo, gradient: ast.Call) -> ast.expr | None:
    """The ``tf.GradientTape`` callee of the tape ``gradient`` reads, to resolve."""
    fn = gradient.func
    if not (isinstance(fn, ast.Attribute) and fn.attr == "gradient" and isinstance(fn.value, ast.Name)):
        return None
    block = _tape_block(mod, gradient, fn.value.id)
    if block is None:
        return None
    for item in block.items:
        if isinstance(item.optional_vars, ast.Name) and item.optional_vars.id == fn.value.id:
            if isinstance(item.context_expr, ast.Call):
                return item.context_expr.func
    return None


def _bound_names(stmt: ast.stmt) -> set[str]:
    return {n.id for n in ast.walk(stmt) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}


def _defers_to_keras(value: ast.expr) -> bool:
    """``self.compiled_loss(...)`` / ``self.compute_loss(...)`` already add the model's losses."""
    return any(
        isinstance(n, ast.Attribute) and n.attr in ("compiled_loss", "compute_loss", "add_n") for n in ast.walk(value)
    ) or any(isinstance(n, ast.Attribute) and n.attr == "losses" for n in ast.walk(value))


def tf1_regularization(mod: ModuleInfo, term: str, minimize: ast.Call) -> tuple[Edit, ...]:
    """``loss += term`` right before the TF1 step that differentiates ``loss``."""
    if not minimize.args or not isinstance(minimize.args[0], (ast.Name, ast.Attribute)):
        return ()
    stmt = statement_of(mod, minimize)
    if stmt is None or not _alone(mod, stmt):
        return ()
    loss = _segment(mod, minimize.args[0])
    site = line_site_before(mod, minimize)
    if site is None or loss is None:
        return ()
    return (Edit(site.loc, f"{site.indent}{loss} += {term}\n"),)


def torch_regularization(mod: ModuleInfo, scope: Scope, term: ast.expr, name: str, calls: list[ast.Call]) -> tuple[Edit, ...]:
    """``loss = loss + name`` before the next ``loss.backward()``, only when the term carries its own coefficient."""
    if not _weighted(term):
        return ()  # a bare sum of squares added as is would be a penalty nobody chose
    after = getattr(term, "end_lineno", None) or 0
    for call in sorted(calls, key=lambda c: (c.lineno, c.col_offset)):
        fn = call.func
        if call.lineno <= after or not (isinstance(fn, ast.Attribute) and fn.attr == "backward"):
            continue
        if not isinstance(fn.value, ast.Name) or call.args or call.keywords:
            return ()
        stmt = statement_of(mod, call)
        site = line_site_before(mod, call)
        if stmt is None or site is None or not _alone(mod, stmt) or not isinstance(stmt, ast.Expr):
            return ()
        loss = fn.value.id
        return (Edit(site.loc, f"{site.indent}{loss} = {loss} + {name}\n"),)
    return ()


def _weighted(term: ast.expr) -> bool:
    """``1e-5 * sum(...)``, ``lam * penalty``: a product with a factor that is not itself computed from parameters."""
    if not (isinstance(term, ast.BinOp) and isinstance(term.op, (ast.Mult, ast.Div))):
        return False
    return any(
        isinstance(side, (ast.Constant, ast.Name, ast.Attribute)) and not isinstance(getattr(side, "value", None), str)
        for side in (term.left, term.right)
    )


# -- RNN304: CTC on raw scores ------------------------------------------------------------------


def log_softmax_edits(mod: ModuleInfo, node: ast.expr) -> tuple[Edit, ...]:
    """``x`` -> ``x.log_softmax(-1)`` (parenthesised when ``x`` is not an atom): classes are CTC's last axis."""
    if not editable(mod) or isinstance(node, ast.Starred):
        return ()
    loc = mod.loc(node)
    end = mod.span(loc.end_line, loc.end_col, loc.end_line, loc.end_col)
    if isinstance(node, _ATOMS):
        return (Edit(end, ".log_softmax(-1)"),)
    start = mod.span(loc.line, loc.col, loc.line, loc.col)
    return (Edit(start, "("), Edit(end, ").log_softmax(-1)"))
