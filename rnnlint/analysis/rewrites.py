"""Unsafe fixes that need more than one call in view (RNN101, RNN102, RNN107, RNN204).

Each builder returns a fix only where the code shows everything the change touches:
the layer's only use, the layer that consumes its output, the statement that computes
the validation loss. Anything less gives ``None``: no fix is better than a wrong one.
Edits are minimal (a name, a keyword, one added line) and keep the file's own spelling.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator

from rnnlint import knowledge
from rnnlint.analysis.pyindex import CallSite, ClassInfo, ModuleInfo, Scope, split_words
from rnnlint.analysis.resolve import Ctx, Resolver
from rnnlint.analysis.sites import editable, kwarg_site, line_site_after, module_alias, statement_of
from rnnlint.diagnostics import Edit, Loc
from rnnlint.facts import KwargSite, LineSite, PlateauSite, RecurrentLayer, Rewrite
from rnnlint.read.source import char_col

WHY_GRU = "GRU keeps the RNN's inputs and outputs; LSTM would also return a cell state"
# plain cell -> gated cell with the same inputs, outputs and state shape
_GRU_OF = {"RNN": "GRU", "RNNCell": "GRUCell", "SimpleRNN": "GRU", "SimpleRNNCell": "GRUCell", "BasicRNNCell": "GRUCell"}
# positional arguments both classes read the same way (torch RNN's 4th is nonlinearity, Keras GRU's 3rd is recurrent_activation)
_SAME_POSITIONS = {"torch": 3, "keras": 2, "tf": 3}
_GRU_REJECTS = {"torch": frozenset({"nonlinearity"})}  # Keras GRU/GRUCell and TF1 GRUCell accept every option of the plain cell
_VALIDATION = {"val", "valid", "validation", "validate", "eval", "evaluate", "evaluation", "dev"}
# how a value keeps its last (feature) dimension: methods and functions that map it elementwise or reduce other axes
_KEEPS_FEATURES = {"mean", "sum", "max", "amax", "contiguous", "relu", "tanh", "gelu", "dropout", "squeeze", "float", "detach"}


# -- positions ------------------------------------------------------------------------------
def _start(mod: ModuleInfo, node: ast.AST) -> tuple[int, int]:
    """(line, 0-based character column) where ``node`` starts."""
    line: int = getattr(node, "lineno", 1)
    return line, char_col(mod.lines[line - 1], getattr(node, "col_offset", 0))


def _end(mod: ModuleInfo, node: ast.AST) -> tuple[int, int]:
    line: int = getattr(node, "end_lineno", None) or getattr(node, "lineno", 1) or 1
    return line, char_col(mod.lines[line - 1], getattr(node, "end_col_offset", 0) or 0)


def _text(mod: ModuleInfo, a: tuple[int, int], b: tuple[int, int]) -> str:
    if a[0] == b[0]:
        return mod.lines[a[0] - 1][a[1] : b[1]]
    middle = mod.lines[a[0] : b[0] - 1]
    return "\n".join([mod.lines[a[0] - 1][a[1] :], *middle, mod.lines[b[0] - 1][: b[1]]])


def _loc(mod: ModuleInfo, a: tuple[int, int], b: tuple[int, int]) -> Loc:
    return mod.span(a[0], a[1] + 1, b[0], b[1] + 1)


def _source(mod: ModuleInfo, node: ast.AST) -> str:
    return _text(mod, _start(mod, node), _end(mod, node))


def _replace(mod: ModuleInfo, node: ast.AST, content: str) -> Edit:
    return Edit(_loc(mod, _start(mod, node), _end(mod, node)), content)


def drop_argument(mod: ModuleInfo, call: ast.Call, arg: ast.expr | ast.keyword) -> Edit | None:
    """Remove one argument with its comma: its whole line in a one-per-line call, else ``, arg``."""
    args: list[ast.expr | ast.keyword] = sorted([*call.args, *call.keywords], key=lambda a: _start(mod, a))
    i = next((k for k, a in enumerate(args) if a is arg), None)
    if i is None:
        return None
    s, e = _start(mod, arg), _end(mod, arg)
    before, after = mod.lines[s[0] - 1][: s[1]], mod.lines[e[0] - 1][e[1] :]
    if not before.strip() and re.fullmatch(r"\s*,?\s*(#.*)?", after) and e[0] < len(mod.lines):
        return Edit(mod.span(s[0], 1, e[0] + 1, 1), "")
    if i > 0 and re.fullmatch(r"\s*,\s*", _text(mod, _end(mod, args[i - 1]), s)):
        return Edit(_loc(mod, _end(mod, args[i - 1]), e), "")
    if i + 1 < len(args) and re.fullmatch(r"\s*,\s*", _text(mod, e, _start(mod, args[i + 1]))):
        return Edit(_loc(mod, s, _start(mod, args[i + 1])), "")
    return None


def sibling(mod: ModuleInfo, func: ast.expr, qname: str, name: str) -> str | None:
    """How this module spells ``name`` from the module ``qname`` comes from (``nn.RNN`` -> ``nn.GRU``)."""
    parent = qname.rpartition(".")[0]
    if isinstance(func, ast.Attribute):
        base = _source(mod, func.value)
        return f"{base}.{name}" if "\n" not in base else None
    if not isinstance(func, ast.Name):
        return None
    for bound, ref in mod.imports.items():
        if ref.level == 0 and ref.module == parent and ref.name == name:
            return bound
    parts = parent.split(".")
    for i in range(len(parts), 0, -1):
        alias = module_alias(mod, ".".join(parts[:i]))
        if alias:
            return ".".join([alias, *parts[i:], name])
    return None


def _plain_arguments(call: ast.Call) -> bool:
    return not any(isinstance(a, ast.Starred) for a in call.args) and all(k.arg for k in call.keywords)


def _keyword(call: ast.Call, name: str) -> ast.keyword | None:
    return next((k for k in call.keywords if k.arg == name), None)


def _is_const(node: ast.expr | None, value: object) -> bool:
    return isinstance(node, ast.Constant) and node.value is value


# -- RNN101: plain cell -> GRU ----------------------------------------------------------------
def gru_swap(mod: ModuleInfo, call: ast.Call, qname: str, framework: str) -> Rewrite | None:
    """``nn.RNN(...)`` -> ``nn.GRU(...)`` (dropping the options GRU rejects)."""
    old = qname.rsplit(".", 1)[-1]
    new = _GRU_OF.get(old)
    limit = _SAME_POSITIONS.get(framework)
    if not editable(mod) or new is None or limit is None or not _plain_arguments(call) or len(call.args) > limit:
        return None
    spec = knowledge.lookup(f"{qname.rpartition('.')[0]}.{new}")
    if spec is None or spec.kind != "gru":
        return None
    func = call.func
    if isinstance(func, ast.Attribute):
        line, end = _end(mod, func)
        if mod.lines[line - 1][end - len(func.attr) : end] != func.attr:
            return None
        edits = [Edit(_loc(mod, (line, end - len(func.attr)), (line, end)), new)]
        shown = f"{_source(mod, func.value)}.{new}"
    else:
        spelled = sibling(mod, func, qname, new)
        if spelled is None:
            return None
        edits, shown = [_replace(mod, func, spelled)], spelled
    dropped = [k for k in call.keywords if k.arg in _GRU_REJECTS.get(framework, ())]
    for k in dropped:
        edit = drop_argument(mod, call, k)
        if edit is None:
            return None
        edits.append(edit)
    also = "".join(f" and drop `{k.arg}=`" for k in dropped)
    return Rewrite(tuple(edits), f"replace `{_source(mod, func)}` with `{shown}`{also} ({WHY_GRU})")


# -- the layer's use in its class --------------------------------------------------------------
def _own_attr(mod: ModuleInfo, call: ast.Call, scope: Scope) -> tuple[ClassInfo, str, ast.Assign] | None:
    """``self.<attr> = <call>`` in ``__init__``, the class's only binding of that attribute."""
    target = mod.assign_target.get(id(call))
    if not target or not target.startswith("self.") or scope.cls is None or scope.key != f"{scope.cls}.__init__":
        return None
    info = mod.classes.get(scope.cls)
    attr = target[5:]
    stmt = statement_of(mod, call)
    if info is None or not attr.isidentifier() or len(info.self_attrs.get(attr, [])) != 1:
        return None
    if not isinstance(stmt, ast.Assign) or stmt.value is not call or len(stmt.targets) != 1:
        return None
    return info, attr, stmt


def _self_uses(info: ClassInfo, attr: str) -> list[ast.Attribute]:
    return [
        n
        for n in ast.walk(info.node)
        if isinstance(n, ast.Attribute)
        and n.attr == attr
        and isinstance(n.ctx, ast.Load)
        and isinstance(n.value, ast.Name)
        and n.value.id == "self"
    ]


def _function_of(mod: ModuleInfo, node: ast.AST) -> ast.FunctionDef | ast.AsyncFunctionDef | None:
    parents = mod.parents()
    cur = parents.get(id(node))
    while cur is not None and not isinstance(cur, (ast.FunctionDef, ast.AsyncFunctionDef)):
        cur = parents.get(id(cur))
    return cur


def _unpacked_use(mod: ModuleInfo, info: ClassInfo, attr: str) -> tuple[ast.Assign, str, list[str], ast.Call] | None:
    """The layer's only use: ``out, h = self.<attr>(...)``; gives the statement, ``out``, the state names, the call."""
    uses = _self_uses(info, attr)
    if len(uses) != 1:
        return None
    call = mod.parents().get(id(uses[0]))
    stmt = mod.parents().get(id(call)) if isinstance(call, ast.Call) and call.func is uses[0] else None
    if not isinstance(stmt, ast.Assign) or not isinstance(call, ast.Call) or len(stmt.targets) != 1:
        return None
    target = stmt.targets[0]
    if not isinstance(target, ast.Tuple) or len(target.elts) != 2 or not isinstance(target.elts[0], ast.Name):
        return None
    state = [n.id for n in ast.walk(target.elts[1]) if isinstance(n, ast.Name)]
    if not all(isinstance(n, (ast.Name, ast.Tuple, ast.Store)) for n in ast.walk(target.elts[1])):
        return None
    return stmt, target.elts[0].id, state, call


def _loads(fn: ast.AST, name: str) -> list[ast.Name]:
    return [n for n in ast.walk(fn) if isinstance(n, ast.Name) and n.id == name and isinstance(n.ctx, ast.Load)]


# -- RNN107: dropout on the outputs -----------------------------------------------------------
def output_dropout(mod: ModuleInfo, call: ast.Call, scope: Scope, qname: str) -> Rewrite | None:
    """Drop ``dropout=p`` from a one-layer torch RNN and apply ``nn.Dropout(p)`` to its output in ``forward``."""
    kw = _keyword(call, "dropout")
    own = _own_attr(mod, call, scope) if editable(mod) and kw is not None else None
    if own is None or kw is None:
        return None
    info, attr, assign = own
    use = _unpacked_use(mod, info, attr)
    fn = _function_of(mod, use[0]) if use else None
    if use is None or fn is None or use[1] == "_":
        return None
    if any(
        "pack" in split_words(n.id if isinstance(n, ast.Name) else n.attr)
        for n in ast.walk(fn)
        if isinstance(n, (ast.Name, ast.Attribute))
    ):
        return None  # a PackedSequence output cannot go through nn.Dropout
    name = f"{attr}_dropout"
    dropout_cls = sibling(mod, call.func, qname, "Dropout")
    spec = knowledge.lookup(f"{qname.rpartition('.')[0]}.Dropout")
    rate = _source(mod, kw.value)
    if name in info.self_attrs or name in info.attrs or name in info.methods or dropout_cls is None or spec is None:
        return None
    drop = drop_argument(mod, call, kw)
    after_init, after_use = line_site_after(mod, assign), line_site_after(mod, use[0])
    if drop is None or after_init is None or after_use is None or "\n" in rate:
        return None
    out = use[1]
    return Rewrite(
        (
            drop,
            Edit(after_init.loc, f"\n{after_init.indent}self.{name} = {dropout_cls}({rate})"),
            Edit(after_use.loc, f"\n{after_use.indent}{out} = self.{name}({out})"),
        ),
        f"drop `dropout={rate}` (it acts only between stacked layers) and apply `{dropout_cls}({rate})` "
        f"to `{out}` after `self.{attr}(...)`",
    )


# -- RNN102: bidirectional --------------------------------------------------------------------
def torch_bidirectional(
    mod: ModuleInfo, call: ast.Call, scope: Scope, hidden: ast.expr | None, resolver: Resolver
) -> Rewrite | None:
    """``bidirectional=True``, and ``2 * hidden`` in the ``nn.Linear`` that reads the output."""
    if not editable(mod) or hidden is None or not _plain_arguments(call) or len(call.args) > 7:
        return None
    flag, proj = _keyword(call, "bidirectional"), _keyword(call, "proj_size")
    if (flag is not None and not _is_const(flag.value, False)) or (proj is not None and not _is_const_zero(proj.value)):
        return None
    own = _own_attr(mod, call, scope)
    use = _unpacked_use(mod, own[0], own[1]) if own else None
    if own is None or use is None or use[1] == "_" or use[3].keywords or len(use[3].args) != 1:
        return None  # an initial state passed in would need twice the layers
    info, _, _ = own
    fn = _function_of(mod, use[0])
    if fn is None or any(_loads(fn, h) for h in use[2] if h != "_"):
        return None  # h_n gets two entries per layer: code that reads it must change by hand
    consumer = _consumer(mod, info, fn, use[1])
    linear = _linear_in_features(mod, info, consumer, resolver) if consumer else None
    if linear is None or not _same_size(linear[1], hidden, mod, linear[0], scope, resolver):
        return None
    features = linear[1]
    text = _source(mod, features)
    doubled = (
        f"2 * {text}"
        if isinstance(features, (ast.Name, ast.Attribute, ast.Constant, ast.Call, ast.Subscript))
        else f"2 * ({text})"
    )
    if flag is not None:
        set_flag = _replace(mod, flag.value, "True")
    else:
        site = kwarg_site(mod, call)
        if site is None:
            return None
        set_flag = site.edit("bidirectional=True")
    return Rewrite(
        (set_flag, _replace(mod, features, doubled)),
        f"set `bidirectional=True` and give `self.{consumer}` the doubled width `{doubled}`",
    )


def _is_const_zero(node: ast.expr) -> bool:
    return isinstance(node, ast.Constant) and node.value == 0 and not isinstance(node.value, bool)


def _consumer(mod: ModuleInfo, info: ClassInfo, fn: ast.AST, out: str) -> str | None:
    """The one ``self.<attr>(...)`` that the output reaches, through feature-keeping steps; None if it goes elsewhere."""
    parents = mod.parents()
    tracked, todo, found = {out}, [out], set()
    while todo:
        for load in _loads(fn, todo.pop()):
            child: ast.AST = load
            parent = parents.get(id(child))
            while parent is not None and _keeps_features(parent, child, info):
                child, parent = parent, parents.get(id(parent))
            if isinstance(parent, ast.Call) and _self_attr(parent.func) and parent.args == [child] and not parent.keywords:
                found.add(_self_attr(parent.func))
            elif isinstance(parent, ast.Assign) and len(parent.targets) == 1 and isinstance(parent.targets[0], ast.Name):
                name = parent.targets[0].id
                if name not in tracked:
                    tracked.add(name)
                    todo.append(name)
            else:
                return None
    return found.pop() if len(found) == 1 else None


def _self_attr(node: ast.AST) -> str | None:
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "self":
        return node.attr
    return None


def _keeps_features(parent: ast.AST, child: ast.AST, info: ClassInfo) -> bool:
    """Does ``parent`` keep ``child``'s last dimension (an index over other axes, dropout, an activation, a mean)?"""
    if isinstance(parent, ast.Subscript) and parent.value is child:
        parts = parent.slice.elts if isinstance(parent.slice, ast.Tuple) else [parent.slice]
        full = [isinstance(p, ast.Slice) and p.lower is None and p.upper is None and p.step is None for p in parts]
        plain = all(
            f or (isinstance(p, (ast.Constant, ast.UnaryOp, ast.Name)) and not _is_const(p, ...))
            for p, f in zip(parts, full, strict=True)
        )
        return plain and (len(parts) < 3 or full[-1])
    if isinstance(parent, ast.Attribute) and parent.value is child:
        return parent.attr in _KEEPS_FEATURES
    if isinstance(parent, ast.Call):
        if parent.func is child:  # `out.mean(dim=1)`: the method was vetted one step below
            return True
        attr = _self_attr(parent.func)
        if attr and parent.args == [child] and _is_dropout_attr(info, attr):
            return True
        name = parent.func.attr if isinstance(parent.func, ast.Attribute) else getattr(parent.func, "id", "")
        return bool(parent.args) and parent.args[0] is child and name in _KEEPS_FEATURES and not _self_attr(parent.func)
    return False


def _is_dropout_attr(info: ClassInfo, attr: str) -> bool:
    bindings = info.self_attrs.get(attr, [])
    value = bindings[0][1].node if len(bindings) == 1 else None
    func = value.func if isinstance(value, ast.Call) else None
    name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
    return isinstance(name, str) and name.endswith("Dropout")


def _linear_in_features(mod: ModuleInfo, info: ClassInfo, attr: str, resolver: Resolver) -> tuple[Scope, ast.expr] | None:
    """``self.<attr> = nn.Linear(in_features, ...)`` used once: its scope and ``in_features``."""
    bindings = info.self_attrs.get(attr, [])
    if len(bindings) != 1 or len(_self_uses(info, attr)) != 1:
        return None
    scope, binding = bindings[0]
    call = binding.node
    if not isinstance(call, ast.Call):
        return None
    spec = knowledge.lookup(resolver.qualname(call.func, Ctx(mod, scope)))
    if spec is None or spec.role != "linear" or spec.framework != "torch":
        return None
    kw = _keyword(call, "in_features")
    node = kw.value if kw is not None else (call.args[0] if call.args else None)
    return (scope, node) if node is not None else None


def _same_size(features: ast.expr, hidden: ast.expr, mod: ModuleInfo, fscope: Scope, hscope: Scope, resolver: Resolver) -> bool:
    if ast.dump(features) == ast.dump(hidden):
        return True
    a, b = resolver.evaluate(features, Ctx(mod, fscope)).number(), resolver.evaluate(hidden, Ctx(mod, hscope)).number()
    return a is not None and a == b


def keras_bidirectional(mod: ModuleInfo, call: ast.Call, qname: str) -> Rewrite | None:
    """``layers.LSTM(...)`` -> ``layers.Bidirectional(layers.LSTM(...))``; Dense layers infer the doubled width."""
    if not editable(mod) or not _plain_arguments(call):
        return None
    for name in ("return_state", "go_backwards"):
        kw = _keyword(call, name)
        if kw is not None and not _is_const(kw.value, False):
            return None  # the states (and their count) change: code that unpacks them needs a hand
    wrapper = sibling(mod, call.func, qname, "Bidirectional")
    spec = knowledge.lookup(f"{qname.rpartition('.')[0]}.Bidirectional")
    if wrapper is None or spec is None or spec.kind != "bidirectional":
        return None
    func = _source(mod, call.func)
    return Rewrite(
        (_replace(mod, call.func, f"{wrapper}({func}"), Edit(_loc(mod, _end(mod, call), _end(mod, call)), ")")),
        f"wrap the layer in `{wrapper}(...)` (the layers after it infer the doubled width)",
    )


# -- RNN204: ReduceLROnPlateau ----------------------------------------------------------------
def torch_plateau(mod: ModuleInfo, site: CallSite, target: str | None) -> PlateauSite | None:
    """After ``optimizer = ...``: a plateau scheduler; after the epoch's validation loss: ``scheduler.step(loss)``."""
    cls = _torch_plateau_class(mod)
    fn = site.scope.node
    stmt = statement_of(mod, site.node)
    if not editable(mod) or cls is None or not target or not target.isidentifier() or stmt is None:
        return None
    if not isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Module)) or stmt not in fn.body:
        return None  # an optimizer built in one branch would leave the scheduler unbound in the other
    later = fn.body[fn.body.index(stmt) + 1 :]
    loops = [s for s in later if isinstance(s, ast.For) and _trains(mod, s, target)]
    if len(loops) != 1:
        return None
    step = _after_validation_loss(mod, loops[0], target)
    create = line_site_after(mod, stmt)
    name = _free_name(mod, site.scope, ("scheduler", "lr_scheduler", "plateau_scheduler"))
    if step is None or create is None or name is None:
        return None
    return PlateauSite("torch", cls, create, step[0], target, step[1], name)


def _torch_plateau_class(mod: ModuleInfo) -> str | None:
    for module, rest in (("torch", "optim.lr_scheduler."), ("torch.optim", "lr_scheduler."), ("torch.optim.lr_scheduler", "")):
        alias = module_alias(mod, module)
        if alias:
            return f"{alias}.{rest}ReduceLROnPlateau"
    return None


def _trains(mod: ModuleInfo, loop: ast.For, optimizer: str) -> bool:
    """Is ``loop`` an epoch loop: it steps the optimizer in an inner (batch) loop, or calls a function of this module that trains?"""
    inner = [n for n in ast.walk(loop) if isinstance(n, (ast.For, ast.While)) and n is not loop]
    nested = {id(n) for loop_ in inner for n in ast.walk(loop_)}
    return any(id(call) in nested or helper for call, helper in _training_calls(mod, loop, optimizer))


def _training_calls(mod: ModuleInfo, node: ast.AST, optimizer: str) -> Iterator[tuple[ast.Call, bool]]:
    """``optimizer.step()`` / ``scaler.step(optimizer)`` (False), or a call passing it to a local training function (True)."""
    for call in ast.walk(node):
        if not isinstance(call, ast.Call):
            continue
        if isinstance(call.func, ast.Attribute) and call.func.attr == "step":
            if ast.unparse(call.func.value) == optimizer or any(ast.unparse(a) == optimizer for a in call.args):
                yield call, False
        elif any(isinstance(a, ast.Name) and a.id == optimizer for a in call.args):
            callee = mod.scopes.get(call.func.id) if isinstance(call.func, ast.Name) else None
            if callee is not None and {"step", "backward"} <= _called_methods(callee.node):
                yield call, True


def _called_methods(node: ast.AST) -> set[str]:
    return {n.func.attr for n in ast.walk(node) if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute)}


def _after_validation_loss(mod: ModuleInfo, loop: ast.For, optimizer: str) -> tuple[LineSite, str] | None:
    """The epoch-level statement after which the validation loss is final, and its name."""
    names = {name for stmt in loop.body for name in _validation_losses(stmt)}
    if len(names) != 1:
        return None
    name = names.pop()
    writes = [i for i, stmt in enumerate(loop.body) if name in _written(stmt)]
    training = [i for i, stmt in enumerate(loop.body) if any(True for _ in _training_calls(mod, stmt, optimizer))]
    last = writes[-1] if writes else -1
    top = loop.body[last] if writes else None
    if top is None or not training or max(training) >= last:
        return None
    direct = any(isinstance(loop.body[i], (ast.Assign, ast.AnnAssign)) and name in _written(loop.body[i]) for i in writes)
    if not isinstance(top, (ast.Assign, ast.AugAssign, ast.AnnAssign, ast.With)) and not (isinstance(top, ast.For) and direct):
        return None  # written under an `if`: the step would read a name that may be unbound
    site = line_site_after(mod, top)
    return (site, name) if site is not None else None


def _validation_losses(stmt: ast.stmt) -> Iterator[str]:
    """Names written here that hold a validation loss: ``val_loss``, or the loss from ``evaluate(...)``."""
    for node in ast.walk(stmt):
        if not isinstance(node, (ast.Assign, ast.AugAssign, ast.AnnAssign)):
            continue
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        names = [n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name)]
        evaluates = isinstance(node.value, ast.Call) and bool(_VALIDATION & set(split_words(_callee_name(node.value))))
        for name in names:
            words = set(split_words(name))
            if "loss" in words and (words & _VALIDATION or evaluates):
                yield name


def _callee_name(call: ast.Call) -> str:
    func = call.func
    return func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""


def _written(stmt: ast.stmt) -> set[str]:
    out = set()
    for node in ast.walk(stmt):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            out.add(node.id)
    return out


def _free_name(mod: ModuleInfo, scope: Scope, choices: tuple[str, ...]) -> str | None:
    for name in choices:
        if name not in scope.bindings and name not in mod.module_scope.bindings and mod.name_loads.get(name, 0) == 0:
            if name not in mod.imports:
                return name
    return None


def keras_plateau(mod: ModuleInfo, site: CallSite) -> PlateauSite | None:
    """A ReduceLROnPlateau in ``fit(callbacks=[...])``, only when fit validates (the callback watches val_loss)."""
    fit = site.node
    if site.loops:
        return None  # fit(epochs=1) in a loop: each call starts a fresh callback whose patience never runs out
    validates = [k for k in fit.keywords if k.arg in ("validation_data", "validation_split")]
    cls = _keras_plateau_class(mod)
    if not editable(mod) or cls is None or not validates or any(_is_const(k.value, None) for k in validates):
        return None
    kw = _keyword(fit, "callbacks")
    if kw is None:
        at_end = kwarg_site(mod, fit)
        return PlateauSite("keras", cls, callbacks=at_end, new_keyword=True) if at_end is not None else None
    if not isinstance(kw.value, ast.List) or not _plain_arguments(fit):
        return None
    if kw.value.elts:
        last = kw.value.elts[-1]
        at, start = _end(mod, last), _start(mod, last)
        indent = mod.lines[start[0] - 1][: start[1]]
        if not indent.strip() and re.fullmatch(r",\s*(#.*)?", mod.lines[at[0] - 1][at[1] :].rstrip()):
            eol = (at[0], len(mod.lines[at[0] - 1]))  # one callback per line: a line of its own
            return PlateauSite("keras", cls, callbacks=KwargSite(_loc(mod, eol, eol), f"\n{indent}", suffix=","))
        return PlateauSite("keras", cls, callbacks=KwargSite(_loc(mod, at, at), ", "))
    row, col = _end(mod, kw.value)
    if mod.lines[row - 1][col - 1 : col] != "]":
        return None
    return PlateauSite("keras", cls, callbacks=KwargSite(_loc(mod, (row, col - 1), (row, col - 1)), ""))


def _keras_plateau_class(mod: ModuleInfo) -> str | None:
    for bound, ref in mod.imports.items():
        if ref.level == 0 and ref.name == "ReduceLROnPlateau" and ref.module.endswith("keras.callbacks"):
            return bound
    for module in ("keras", "tensorflow.keras", "tf_keras"):
        alias = module_alias(mod, f"{module}.callbacks")
        if alias:
            return f"{alias}.ReduceLROnPlateau"
        alias = module_alias(mod, module)
        if alias:
            return f"{alias}.callbacks.ReduceLROnPlateau"
    tf = module_alias(mod, "tensorflow")
    return f"{tf}.keras.callbacks.ReduceLROnPlateau" if tf else None


def layer_rewrites(
    mod: ModuleInfo, site: CallSite, qname: str, layer: RecurrentLayer, hidden: ast.expr | None, resolver: Resolver
) -> dict[str, Rewrite]:
    """The unsafe fixes this layer's call can take, computed only where its rule can fire."""
    out: dict[str, Rewrite | None] = {}
    call, spec = site.node, knowledge.lookup(qname)
    if spec is None or spec.role not in ("recurrent", "cell"):
        return {}
    if layer.cell == "rnn":
        out["gru"] = gru_swap(mod, call, qname, layer.framework)
    one_way = layer.bidirectional.value is False and spec.role == "recurrent"
    if layer.framework == "torch" and spec.role == "recurrent" and qname.startswith("torch."):
        if (layer.dropout.number() or 0) > 0 and layer.num_layers.number() == 1:
            out["output_dropout"] = output_dropout(mod, call, site.scope, qname)
        if one_way:
            out["bidirectional"] = torch_bidirectional(mod, call, site.scope, hidden, resolver)
    elif layer.framework == "keras" and one_way:
        out["bidirectional"] = keras_bidirectional(mod, call, qname)
    return {k: v for k, v in out.items() if v is not None}
