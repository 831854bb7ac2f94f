"""Facts that say whether a guideline applies at all: how long the run is (RNN204: a 3-epoch fine-tune has
nothing to decay), and whether the losses are printed every epoch (RNN403: the curves are watched)."""

from __future__ import annotations

import ast

from rnnlint.analysis.pyindex import ModuleInfo, Scope, split_words
from rnnlint.analysis.resolve import Ctx, Resolver
from rnnlint.facts import UnitFacts
from rnnlint.values import UNKNOWN, Value

_EPOCH_WORDS = {"epoch", "epochs", "ep"}
_EPOCH_KEYWORDS = ("epochs", "max_epochs", "num_epochs", "nb_epoch")
_VALIDATION_WORDS = {"val", "valid", "validation", "dev", "eval", "test", "held"}
_PRINTS = {"print", "info", "write", "set_postfix", "set_description", "echo"}


def add_applicability(modules: list[ModuleInfo], resolver: Resolver, facts: UnitFacts) -> None:
    """Fill ``facts.epochs`` and the ``printed_losses`` evidence."""
    facts.epochs = _epochs(modules, resolver)
    _mark_demo_layers(modules, facts)
    for mod in modules:
        for node in _printed_losses(mod):
            facts.add_evidence("printed_losses", f"losses printed at {mod.where(node.lineno)}")


def _epochs(modules: list[ModuleInfo], resolver: Resolver) -> Value:
    """The run's length in epochs when every place that sets it is known (the longest of them); else unknown."""
    found: list[Value] = []
    for mod in modules:
        if mod.config_text is not None:
            continue
        for site in mod.calls:
            for k in site.node.keywords:
                if k.arg in _EPOCH_KEYWORDS:
                    # `fit(epochs=1)` inside a loop trains once per round: the run's length is not this value
                    found.append(UNKNOWN if site.loops else resolver.evaluate(k.value, Ctx(mod, site.scope)))
        for node in ast.walk(mod.tree):
            if isinstance(node, ast.For) and set(split_words(ast.unparse(node.target))) & _EPOCH_WORDS:
                it = node.iter
                if isinstance(it, ast.Call) and isinstance(it.func, ast.Name) and it.func.id == "range" and it.args:
                    scope = _scope_at(mod, node)
                    ctx = Ctx(mod, scope)
                    stop = resolver.evaluate(it.args[-1] if len(it.args) > 1 else it.args[0], ctx).number()
                    start = resolver.evaluate(it.args[0], ctx).number() if len(it.args) > 1 else 0.0
                    found.append(Value(stop - start, None) if stop is not None and start is not None else UNKNOWN)
                else:
                    found.append(UNKNOWN)
    if not found or any(v.number() is None for v in found):
        return UNKNOWN
    return max(found, key=lambda v: v.number() or 0.0)


def _mark_demo_layers(modules: list[ModuleInfo], facts: UnitFacts) -> None:
    """A plain-RNN layer bound to a name outside any model class, beside a gated (LSTM/GRU) layer, whose name is only
    ever called and whose outputs are only printed or inspected: a demonstration of shapes, never trained."""
    if not any(layer.cell != "rnn" for layer in facts.recurrent):
        return
    for layer in facts.recurrent:
        if layer.cell != "rnn" or layer.owner or not layer.target or not layer.target.isidentifier():
            continue
        mod = next((m for m in modules if m.display == layer.loc.path), None)
        if mod is not None and _only_called_and_shown(mod.tree, layer.target):
            layer.demo = True


def _only_called_and_shown(tree: ast.AST, name: str) -> bool:
    results: set[str] = set()
    calls = 0
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            if isinstance(node.func, ast.Name) and node.func.id == name:
                calls += 1
            elif any(
                isinstance(n, ast.Name) and n.id == name
                for a in [*node.args, *(k.value for k in node.keywords)]
                for n in ast.walk(a)
            ):
                return False  # handed to something (a model, `.add`, a list): part of a model
        elif isinstance(node, (ast.List, ast.Tuple)) and any(isinstance(e, ast.Name) and e.id == name for e in node.elts):
            return False
        elif isinstance(node, ast.Assign) and isinstance(node.value, ast.Call):
            fn = node.value.func
            if isinstance(fn, ast.Name) and fn.id == name:
                results |= {n.id for t in node.targets for n in ast.walk(t) if isinstance(n, ast.Name)}
    if not calls:
        return False
    for node in ast.walk(tree):  # the outputs go nowhere but print() and attribute reads (`.shape`)
        if isinstance(node, ast.Call) and not (isinstance(node.func, ast.Name) and node.func.id == "print"):
            given = [*node.args, *(k.value for k in node.keywords)]
            if any(isinstance(a, ast.Name) and a.id in results for a in given):
                return False
    return True


def _scope_at(mod: ModuleInfo, node: ast.AST) -> Scope:
    """The function scope whose body holds ``node`` (the module scope when none does)."""
    best = mod.module_scope
    for scope in mod.scopes.values():
        if any(n is node for n in ast.walk(scope.node)):
            best = scope
    return best


def _printed_losses(mod: ModuleInfo) -> list[ast.Call]:
    """Prints (``print``, ``logger.info``, a progress bar's postfix) inside a loop that show a training loss and a
    validation loss together, or a validation loss printed in a loop that also prints the training loss."""
    out: list[ast.Call] = []
    for loop in (n for n in ast.walk(mod.tree) if isinstance(n, (ast.For, ast.While))):
        train = val = None
        for node in ast.walk(loop):
            if not isinstance(node, ast.Call):
                continue
            fn = node.func
            name = fn.attr if isinstance(fn, ast.Attribute) else fn.id if isinstance(fn, ast.Name) else ""
            if name not in _PRINTS:
                continue
            words = set(split_words(" ".join(ast.unparse(a) for a in [*node.args, *(k.value for k in node.keywords)])))
            if "loss" not in words and "losses" not in words:
                continue
            if words & _VALIDATION_WORDS:
                val = val or node
            if words & {"train", "training", "tr"} or not words & _VALIDATION_WORDS:
                train = train or node
        if train is not None and val is not None:
            out.append(val)
    return out
