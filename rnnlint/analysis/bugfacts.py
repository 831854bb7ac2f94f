"""Facts for the correctness rules: code patterns that silently ruin RNN training.

Each finder reads the indexed modules (and the API calls the fact builder resolved) and records a
:class:`~rnnlint.facts.Finding` in the fact list its rule reads. A pattern that cannot be established
(a name bound twice, a value not known) records nothing: these rules claim a bug, so they stay precise.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Protocol

from rnnlint import knowledge
from rnnlint.analysis.pyindex import CallSite, ModuleInfo, Scope, expr_text, split_words
from rnnlint.analysis.resolve import LOCAL, Ctx, Resolver
from rnnlint.facts import Finding, RecurrentLayer, UnitFacts
from rnnlint.knowledge import ApiSpec
from rnnlint.values import UNKNOWN, SeqObj, Value


class ApiCall(Protocol):
    """A call the fact builder resolved to an API row (``pyfacts._Api``)."""

    site: CallSite
    mod: ModuleInfo
    spec: ApiSpec
    args: dict[str, Value]
    qname: str

    @property
    def target(self) -> str | None: ...


# Words that say gradients are accumulated on purpose over several backward passes.
ACCUMULATION_WORDS = {"accumulate", "accumulation", "accum", "accumulated", "accumulating", "accumulates"}
# Calls that cut a carried state off its history.
_DETACH_WORDS = {"detach", "repackage", "detach_", "stop_gradient"}
# Schedulers whose period is counted in epochs, and the bound beyond which a per-batch step is a plausible choice.
_EPOCH_SCHEDULERS = {"StepLR": ("step_size", 100.0), "MultiStepLR": ("milestones", 300.0), "ExponentialLR": ("gamma", 0.99)}
_EPOCH_WORDS = {"epoch", "epochs", "ep", "n_epochs", "num_epochs"}


@dataclass
class BugFinder:
    modules: list[ModuleInfo]
    resolver: Resolver
    facts: UnitFacts
    apis: list[ApiCall]

    def __post_init__(self) -> None:
        # configs translated into code (analysis.configs) describe a training, they do not spell one out
        self.modules = [m for m in self.modules if m.config_text is None]

    def run(self) -> None:
        self._lightning_steps()
        self._zeroed_gradients()
        self._optax_decay_order()
        self._double_decay()
        self._bidirectional_last_step()
        self._carried_state()
        self._schedulers()
        self._ctc_axis()
        self._packing()

    # -- helpers -------------------------------------------------------------------------
    def _sites(self) -> Iterator[tuple[ModuleInfo, CallSite]]:
        for mod in self.modules:
            for site in mod.calls:
                yield mod, site

    def _api_of(self, layer: RecurrentLayer) -> ApiCall | None:
        return next((a for a in self.apis if a.mod.loc(a.site.node) == layer.loc), None)

    def _mentions(self, words: set[str]) -> bool:
        return any(words & (m.words | set(m.attr_uses)) for m in self.modules)

    # -- RNN210: Lightning training_step that returns nothing -------------------------------
    def _lightning_steps(self) -> None:
        bases = {q for spec in knowledge.all_specs() if spec.role == "lightning_module" for q in _names(spec)}
        for mod in self.modules:
            for info in mod.classes.values():
                step = info.methods.get("training_step")
                if step is None or not isinstance(step.node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    continue
                if not self.resolver.base_qualnames(f"{LOCAL}{mod.path}::{info.name}") & bases:
                    continue
                if _manual_optimization(info.node) or _is_stub(step.node) or _returns_value(step.node):
                    continue
                self.facts.silent_training_steps.append(Finding(mod.loc(step.node), f"{info.name}.training_step"))

    # -- RNN209: gradients never zeroed --------------------------------------------------------
    def _zeroed_gradients(self) -> None:
        torch_loops = [loop for loop in self.facts.loops if loop.kind == "torch"]
        if not torch_loops or self._mentions(ACCUMULATION_WORDS):
            return
        for mod in self.modules:
            if "zero_grad" in mod.attr_uses or "zero_" in mod.attr_uses or "set_to_none" in mod.identifiers:
                return
            for node in ast.walk(mod.tree):
                if isinstance(node, (ast.Assign, ast.AugAssign, ast.AnnAssign, ast.Delete)):
                    targets = node.targets if isinstance(node, (ast.Assign, ast.Delete)) else [node.target]
                    if any(isinstance(t, ast.Attribute) and t.attr == "grad" for t in targets):
                        return  # `p.grad = None`
        loop = torch_loops[0]
        self.facts.unzeroed_gradients.append(Finding(loop.loc, loop.function))

    # -- RNN306: optax decay after the learning-rate transform ---------------------------------
    def _optax_decay_order(self) -> None:
        for mod, site in self._sites():
            ctx = Ctx(mod, site.scope)
            if self.resolver.qualname(site.node.func, ctx) != "optax.chain":
                continue
            scaled: str | None = None
            for arg in site.node.args:
                if not isinstance(arg, ast.Call):
                    continue
                q = self.resolver.qualname(arg.func, ctx) or ""
                spec = knowledge.lookup(q)
                if (spec is not None and spec.role == "optimizer" and spec.framework == "jax") or q in (
                    "optax.scale_by_learning_rate",
                    "optax.scale_by_schedule",
                ):
                    scaled = scaled or q.rsplit(".", 1)[-1]
                elif q == "optax.add_decayed_weights" and scaled:
                    self.facts.misordered_decay.append(Finding(mod.loc(arg), scaled))

    # -- RNN307: decoupled weight decay and an L2 penalty on the same weights --------------------
    def _double_decay(self) -> None:
        l2 = [
            (a, name)
            for a in self.apis
            if a.spec.framework == "keras" and a.spec.role in ("recurrent", "cell", "linear")
            for name, v in a.args.items()
            if name in ("kernel_regularizer", "recurrent_regularizer")
            and any(k.arg == name for k in a.site.node.keywords)  # given, not a default
            and not (v.known and v.value is None)
        ]
        if not l2:
            return
        for opt in self.facts.optimizers:
            decay = opt.weight_decay.number()
            if "keras" in opt.api and decay is not None and decay > 0 and not opt.weight_decay.is_default:
                first, name = l2[0]
                self.facts.double_decay.append(
                    Finding(
                        opt.loc, f"`{name}` on `{first.qname.rsplit('.', 1)[-1]}` at {first.mod.where(first.site.node.lineno)}"
                    )
                )
                return

    # -- RNN110: a bidirectional layer read at its last time step ----------------------------------
    def _bidirectional_targets(self) -> Iterator[tuple[str | None, str, str, str, Value]]:
        """(owner class, attribute, layer name, framework, batch_first) of each bidirectional layer a model calls:
        torch layers with ``bidirectional=True``, and Flax/Keras ``Bidirectional`` wrappers bound to a name."""
        for layer in self.facts.recurrent:
            if layer.is_cell or layer.bidirectional.value is not True or not layer.target or layer.framework != "torch":
                continue
            api = self._api_of(layer)
            yield layer.owner, layer.target, layer.display, "torch", api.args.get("batch_first", UNKNOWN) if api else UNKNOWN
        for mod, site in self._sites():
            target = mod.assign_target.get(id(site.node))
            q = self.resolver.qualname(site.node.func, Ctx(mod, site.scope)) or ""
            if not target or not q.endswith(".Bidirectional"):
                continue
            inner = [
                n for n in ast.walk(site.node) if isinstance(n, ast.Call) and n is not site.node and self._recurrent(n, mod, site)
            ]
            keras_sequences = any(
                k.arg == "return_sequences" and isinstance(k.value, ast.Constant) and k.value.value is True
                for n in inner
                for k in n.keywords
            )
            if inner and (q.startswith("flax") or keras_sequences):
                name = expr_text(inner[0].func).rsplit(".", 1)[-1]
                yield site.scope.cls, target, name, "keras" if not q.startswith("flax") else "jax", Value(True)

    def _recurrent(self, call: ast.Call, mod: ModuleInfo, site: CallSite) -> bool:
        spec = knowledge.lookup(self.resolver.qualname(call.func, Ctx(mod, site.scope)))
        return spec is not None and spec.role in ("recurrent", "cell")

    def _bidirectional_last_step(self) -> None:
        for owner, target, display, framework, batch_first in self._bidirectional_targets():
            for mod, site in self._sites():
                if expr_text(site.node.func) != target or site.scope.cls != owner:
                    continue
                out, hidden = _outputs(site, framework)
                for name, node in _reads_after(site, out, hidden):
                    why = _last_step(node, name == hidden, batch_first, site.scope.node, hidden)
                    if why:
                        self.facts.bidirectional_last_step.append(Finding(mod.loc(node), f"{ast.unparse(node)}|{why}|{display}"))
        self._keras_bidirectional_sequences()
        self._tf1_static_bidirectional()

    def _tf1_static_bidirectional(self) -> None:
        """``outputs, _, _ = static_bidirectional_rnn(fw, bw, inputs)`` then ``outputs[-1]``: a list over time whose
        last element holds the backward direction after one step."""
        for mod, site in self._sites():
            q = self.resolver.qualname(site.node.func, Ctx(mod, site.scope)) or ""
            if not q.endswith(("static_bidirectional_rnn", "stack_bidirectional_rnn")):
                continue
            stmt = site.stmt
            if not isinstance(stmt, ast.Assign) or len(stmt.targets) != 1:
                continue
            target = stmt.targets[0]
            first = target.elts[0] if isinstance(target, (ast.Tuple, ast.List)) and target.elts else target
            if not isinstance(first, ast.Name):
                continue
            for _name, node in _reads_after(site, first.id):
                if _minus_one(node.slice):
                    name = q.rsplit(".", 1)[-1]
                    self.facts.bidirectional_last_step.append(Finding(mod.loc(node), f"{ast.unparse(node)}|output|{name}"))

    def _keras_bidirectional_sequences(self) -> None:
        """``y = Bidirectional(LSTM(n, return_sequences=True))(x)`` then ``y[:, -1]``."""
        for mod, site in self._sites():
            wrapper = site.node.func
            if not isinstance(wrapper, ast.Call) or not wrapper.args or not isinstance(wrapper.args[0], ast.Call):
                continue
            q = self.resolver.qualname(wrapper.func, Ctx(mod, site.scope)) or ""
            inner = wrapper.args[0]
            spec = knowledge.lookup(self.resolver.qualname(inner.func, Ctx(mod, site.scope)))
            if not q.endswith(".Bidirectional") or spec is None or spec.role != "recurrent":
                continue
            sequences = next((k.value for k in inner.keywords if k.arg == "return_sequences"), None)
            if not (isinstance(sequences, ast.Constant) and sequences.value is True):
                continue
            stmt = site.stmt
            if not isinstance(stmt, ast.Assign) or len(stmt.targets) != 1 or not isinstance(stmt.targets[0], ast.Name):
                continue
            for _name, node in _reads_after(site, stmt.targets[0].id):
                if _last_step(node, False, Value(True), site.scope.node, None):
                    layer = spec.qname.rsplit(".", 1)[-1]
                    self.facts.bidirectional_last_step.append(Finding(mod.loc(node), f"{ast.unparse(node)}|output|{layer}"))

    # -- RNN109: recurrent state carried across batches without detach -------------------------------
    def _carried_state(self) -> None:
        if not any(loop.kind == "torch" for loop in self.facts.loops):
            return
        reset_attrs = self._attribute_resets()
        for mod, site in self._sites():
            stmt = site.stmt
            if not isinstance(stmt, ast.Assign) or len(stmt.targets) != 1 or site.in_no_grad:
                continue
            carried = _carried_names(stmt.targets[0], site.node)
            for text in carried:
                if "." in text:  # `self.hidden`: carried on the model across forward calls
                    if text.split(".")[-1] in reset_attrs or not site.scope.cls:
                        continue
                    if self._detached_anywhere(text):
                        continue
                    self.facts.carried_states.append(Finding(mod.loc(site.node), text))
                elif site.loops and _backward_in(site.loops[-1]) and not _cut_in_loop(site.loops[-1], text, stmt):
                    self.facts.carried_states.append(Finding(mod.loc(site.node), text))

    def _attribute_resets(self) -> set[str]:
        """Attributes assigned outside ``__init__`` other than from the recurrent call itself (a per-batch reset)."""
        names: dict[str, int] = {}
        for mod in self.modules:
            for scope in [mod.module_scope, *mod.scopes.values()]:
                if scope.name == "__init__":
                    continue
                for node in _own_nodes(scope.node):
                    if isinstance(node, ast.Assign):
                        for t in node.targets:
                            for a in ast.walk(t):
                                if isinstance(a, ast.Attribute):
                                    names[a.attr] = names.get(a.attr, 0) + 1
        return {n for n, count in names.items() if count > 1}

    def _detached_anywhere(self, text: str) -> bool:
        attr = text.split(".")[-1]
        for _mod, site in self._sites():
            words = set(split_words(ast.unparse(site.node.func)))
            if words & _DETACH_WORDS and attr in ast.unparse(site.node):
                return True
        return False

    # -- RNN211: schedulers stepped at the wrong rate or without their metric ---------------------------
    def _schedulers(self) -> None:
        scheds = {a.target: a for a in self.apis if a.spec.role == "scheduler" and a.spec.framework == "torch" and a.target}
        optimizers = {o.target for o in self.facts.optimizers if o.target}
        if not scheds:
            return
        for mod, site in self._sites():
            fn = site.node.func
            if not (isinstance(fn, ast.Attribute) and fn.attr == "step"):
                continue
            api = scheds.get(expr_text(fn.value))
            if api is None:
                continue
            name = api.qname.rsplit(".", 1)[-1]
            if api.spec.kind == "plateau" and not site.node.args and not site.node.keywords:
                self.facts.scheduler_misuse.append(Finding(mod.loc(site.node), f"{name}|metric"))
                continue
            if name not in _EPOCH_SCHEDULERS or not site.loops or _is_epoch_loop(site.loops[-1]):
                continue
            param, bound = _EPOCH_SCHEDULERS[name]
            v = api.args.get(param, UNKNOWN)
            period = _largest(v) if name == "MultiStepLR" else v.number()
            if period is None or period > bound:
                continue
            stepped_here = any(
                isinstance(other.node.func, ast.Attribute)
                and other.node.func.attr == "step"
                and expr_text(other.node.func.value) in optimizers
                and other.loops
                and other.loops[-1] is site.loops[-1]
                for other in mod.calls
            )
            if stepped_here:
                self.facts.scheduler_misuse.append(Finding(mod.loc(site.node), f"{name}|batch|{param}={v.describe()}"))

    # -- RNN308: CTC log_softmax over the wrong axis ------------------------------------------------
    def _ctc_axis(self) -> None:
        ctc = [loss for loss in self.facts.losses if loss.kind == "ctc" and loss.expects == "log_probs"]
        if not ctc:
            return
        targets = {loss.target for loss in ctc if loss.target}
        for mod, site in self._sites():
            q = self.resolver.qualname(site.node.func, Ctx(mod, site.scope)) or ""
            if expr_text(site.node.func) not in targets and not q.endswith("functional.ctc_loss"):
                continue
            if not site.node.args:
                continue
            found = _log_softmax_dim(site.node.args[0], site.scope, self.resolver, Ctx(mod, site.scope))
            if found is not None:
                call, dim = found
                self.facts.ctc_axis.append(Finding(mod.loc(call), str(dim)))

    # -- RNN111: pack_padded_sequence misuse -------------------------------------------------------
    def _packing(self) -> None:
        # any sorting in sight, also a loader's option (torchtext `sort_within_batch=True`, `sort_key=`)
        sorts = any("sort" in m.source for m in self.modules)
        for mod, site in self._sites():
            fn = site.node.func
            name = fn.attr if isinstance(fn, ast.Attribute) else fn.id if isinstance(fn, ast.Name) else ""
            if name != "pack_padded_sequence":
                continue
            kw = {k.arg: k.value for k in site.node.keywords if k.arg}
            lengths = kw.get("lengths", site.node.args[1] if len(site.node.args) > 1 else None)
            if lengths is not None and _on_device(lengths, site.scope):
                self.facts.packing_misuse.append(Finding(mod.loc(lengths), f"device|{ast.unparse(lengths)}"))
            enforce = kw.get("enforce_sorted", site.node.args[3] if len(site.node.args) > 3 else None)
            # only where the data's way in is in sight: a unit that trains (an inference script sees no batches)
            if enforce is None and not sorts and self.facts.loops:
                self.facts.packing_misuse.append(Finding(mod.loc(site.node), "unsorted|"))


# -- pattern helpers --------------------------------------------------------------------------------


def _names(spec: ApiSpec) -> list[str]:
    return [q for q, s in knowledge._table().items() if s is spec]


def _largest(v: Value) -> float | None:
    """The largest of a known list of numbers (MultiStepLR milestones)."""
    items = v.value.items if isinstance(v.value, SeqObj) else ()
    numbers = [i.number() for i in items]
    if not numbers or any(n is None for n in numbers):
        return None
    return max(n for n in numbers if n is not None)


def _own_nodes(fn: ast.AST) -> Iterator[ast.AST]:
    """The nodes of a function, not those of functions or lambdas nested in it."""
    stack = list(ast.iter_child_nodes(fn))
    while stack:
        node = stack.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)):
            continue
        yield node
        stack.extend(ast.iter_child_nodes(node))


def _returns_value(fn: ast.AST) -> bool:
    for node in _own_nodes(fn):
        if isinstance(node, ast.Return) and node.value is not None:
            if not (isinstance(node.value, ast.Constant) and node.value.value is None):
                return True
        if isinstance(node, (ast.Yield, ast.YieldFrom)):
            return True
    return False


def _is_stub(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    """``pass``, ``...``, a docstring or ``raise NotImplementedError``: an abstract step, not a training step."""
    for stmt in fn.body:
        if isinstance(stmt, ast.Pass) or (isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant)):
            continue
        if isinstance(stmt, ast.Raise):
            continue
        return False
    return True


def _manual_optimization(cls: ast.ClassDef) -> bool:
    """``self.automatic_optimization = False`` or ``manual_backward``: the step returns nothing by design."""
    for node in ast.walk(cls):
        if isinstance(node, ast.Attribute) and node.attr in ("manual_backward", "automatic_optimization"):
            return True
    return False


def _outputs(site: CallSite, framework: str) -> tuple[str | None, str | None]:
    """The names a recurrent call's output sequence and final hidden state are bound to."""
    stmt = site.stmt
    if not isinstance(stmt, ast.Assign) or len(stmt.targets) != 1 or stmt.value is not site.node:
        return None, None
    target = stmt.targets[0]
    if isinstance(target, ast.Name):
        return (target.id, None) if framework != "torch" else (None, None)
    if isinstance(target, (ast.Tuple, ast.List)) and len(target.elts) == 2:
        first, second = target.elts
        out = first.id if isinstance(first, ast.Name) and first.id != "_" else None
        if isinstance(second, (ast.Tuple, ast.List)) and second.elts:
            second = second.elts[0]  # LSTM: (h_n, c_n)
        hidden = second.id if isinstance(second, ast.Name) and second.id != "_" else None
        return out, hidden
    return None, None


def _reads_after(site: CallSite, *names: str | None) -> Iterator[tuple[str, ast.Subscript]]:
    """Subscripts of ``names`` after the call, up to the statement that binds each name again."""
    wanted = {n for n in names if n}
    line = site.node.lineno
    nodes = list(_own_nodes(site.scope.node))
    until: dict[str, int] = {}
    for node in nodes:
        if isinstance(node, ast.Assign) and node.lineno > line:
            for t in node.targets:
                for n in ast.walk(t):
                    if isinstance(n, ast.Name) and n.id in wanted:
                        until[n.id] = min(until.get(n.id, node.lineno), node.lineno)
    for node in nodes:
        if (
            isinstance(node, ast.Subscript)
            and isinstance(node.value, ast.Name)
            and node.value.id in wanted
            and isinstance(node.ctx, ast.Load)
            and line <= node.lineno <= until.get(node.value.id, node.lineno)
        ):
            yield node.value.id, node


def _minus_one(node: ast.AST) -> bool:
    return (
        isinstance(node, ast.UnaryOp)
        and isinstance(node.op, ast.USub)
        and isinstance(node.operand, ast.Constant)
        and node.operand.value == 1
    )


def _full_slice(node: ast.AST) -> bool:
    return isinstance(node, ast.Slice) and node.lower is None and node.upper is None and node.step is None


def _last_step(node: ast.Subscript, is_hidden: bool, batch_first: Value, fn: ast.AST, hidden: str | None) -> str:
    """Why this subscript reads one direction's end only ("" when it does not)."""
    idx = node.slice
    if is_hidden:
        if not _minus_one(idx):
            return ""
        for other in _own_nodes(fn):  # `cat(h_n[-2], h_n[-1])` joins both directions: fine
            if (
                isinstance(other, ast.Subscript)
                and isinstance(other.value, ast.Name)
                and other.value.id == hidden
                and not _minus_one(other.slice)
            ):
                return ""
        return "hidden"
    if isinstance(idx, ast.Tuple) and len(idx.elts) >= 2 and _full_slice(idx.elts[0]) and _minus_one(idx.elts[1]):
        return "" if batch_first.value is False else "output"
    if _minus_one(idx):
        return "" if batch_first.value is True or not batch_first.known else "output"
    return ""


def _carried_names(target: ast.expr, call: ast.Call) -> list[str]:
    """Names (or ``self.x`` attributes) that a call both takes and rebinds: a state carried to the next call."""
    bound = [
        ast.unparse(n) for n in ast.walk(target) if isinstance(n, (ast.Name, ast.Attribute)) and isinstance(n.ctx, ast.Store)
    ]
    given = {ast.unparse(a) for a in [*call.args, *(k.value for k in call.keywords)] if isinstance(a, (ast.Name, ast.Attribute))}
    words = {"hidden", "hid", "h", "state", "states", "hc", "h0", "hx", "carry", "memory", "h_c", "hiddens"}
    return [b for b in bound if b in given and set(split_words(b.split(".")[-1])) & words]


def _backward_in(loop: ast.AST) -> bool:
    return any(
        isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and n.func.attr == "backward" for n in ast.walk(loop)
    )


def _cut_in_loop(loop: ast.AST, name: str, call_stmt: ast.stmt) -> bool:
    """Is ``name`` rebound (reset, repackaged) or detached anywhere in the loop besides the carrying call?"""
    for node in ast.walk(loop):
        if node is call_stmt:
            continue
        if isinstance(node, ast.Assign) and any(
            isinstance(n, ast.Name) and n.id == name for t in node.targets for n in ast.walk(t)
        ):
            if node is not call_stmt:
                return True
        if isinstance(node, ast.Call):
            words = set(split_words(ast.unparse(node.func)))
            if words & _DETACH_WORDS and name in {ast.unparse(x) for x in ast.walk(node) if isinstance(x, ast.Name)}:
                return True
    return False


def _is_epoch_loop(loop: ast.AST) -> bool:
    if not isinstance(loop, (ast.For, ast.AsyncFor)):
        return False
    words = set(split_words(ast.unparse(loop.target))) | set(split_words(ast.unparse(loop.iter)))
    return bool(words & _EPOCH_WORDS)


def _log_softmax_dim(node: ast.expr, scope: Scope, resolver: Resolver, ctx: Ctx, depth: int = 0) -> tuple[ast.Call, int] | None:
    """The log_softmax call (and its axis) that directly makes a CTC input, when the axis is not the class axis."""
    if depth > 3:
        return None
    if isinstance(node, ast.Name):
        b = resolver._reaching(scope.bindings.get(node.id, []), node.lineno)
        if b is None or b.node is None or b.index:
            return None
        return _log_softmax_dim(b.node, scope, resolver, ctx, depth + 1)
    if not isinstance(node, ast.Call) or not isinstance(node.func, (ast.Attribute, ast.Name)):
        return None
    fn = node.func
    name = fn.attr if isinstance(fn, ast.Attribute) else fn.id
    if name in ("float", "double", "contiguous", "cpu", "cuda", "to") and isinstance(fn, ast.Attribute):
        return _log_softmax_dim(fn.value, scope, resolver, ctx, depth + 1)
    if name != "log_softmax":
        return None  # a transpose or permute moves the axes: stay silent
    method = isinstance(fn, ast.Attribute) and not (resolver.qualname(fn, ctx) or "").startswith("torch")
    dim_node = next((k.value for k in node.keywords if k.arg == "dim"), None)
    if dim_node is None:
        pos = 0 if method else 1
        dim_node = node.args[pos] if len(node.args) > pos else None
    value = resolver.evaluate(dim_node, ctx).value if dim_node is not None else None
    if isinstance(value, int) and not isinstance(value, bool) and value in (0, 1, -2, -3):
        return node, value
    return None


def _on_device(node: ast.expr, scope: Scope) -> bool:
    """``lengths.cuda()`` / ``lengths.to(device)``: the packing lengths moved off the CPU."""
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
        if node.func.attr == "cuda":
            return True
        if node.func.attr == "to" and node.args:
            text = ast.unparse(node.args[0]).lower()
            return "cuda" in text or ("device" in text and "cpu" not in text)
    return False
