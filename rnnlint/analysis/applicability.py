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
                    found.append(resolver.evaluate(k.value, Ctx(mod, site.scope)))
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
