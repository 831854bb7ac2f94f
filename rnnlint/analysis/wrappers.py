"""What wraps a recurrent layer or cell: Bidirectional, RNN/dynamic_rnn, MultiRNNCell, DropoutWrapper.

A cell is often built in one place and wrapped in another: ``cell = LSTMCell(n)``
then ``tf.nn.bidirectional_dynamic_rnn(cell, cell_bw, x)``, or
``MultiRNNCell([make_cell() for _ in range(layers)])`` where ``make_cell`` returns
the cell. This module follows the cell from its construction through direct
nesting, assignments and ``return`` to every wrapper call, and reports what the
wrappers imply (the API table's ``extra`` says what each wrapper does).
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field

from rnnlint import knowledge
from rnnlint.analysis.pyindex import ModuleInfo, Parents, Scope
from rnnlint.analysis.resolve import Ctx, Resolver, local_name
from rnnlint.knowledge import ApiSpec
from rnnlint.values import UNKNOWN, Value

_MAX_HOPS = 4


@dataclass
class Wrapping:
    """The combined effect of every wrapper around one layer or cell."""

    bidirectional: Value | None = None
    fused: bool = False
    layers: Value | None = None
    keep_probs: list[Value] = field(default_factory=list)
    by: list[str] = field(default_factory=list)
    half_of_pair: bool = False  # one direction of a forward/backward pair: the pair is one layer


class WrapperFinder:
    def __init__(self, resolver: Resolver) -> None:
        self.resolver = resolver

    @staticmethod
    def parents(mod: ModuleInfo) -> Parents:
        return mod.parents()

    def find(self, node: ast.AST, mod: ModuleInfo, scope: Scope) -> Wrapping:
        """Follow ``node`` (a layer/cell construction) to the wrappers that take it."""
        out = Wrapping()
        self._follow(node, mod, scope, out, 0, set())
        return out

    def _follow(self, node: ast.AST, mod: ModuleInfo, scope: Scope, out: Wrapping, hops: int, seen: set[int]) -> None:
        if hops > _MAX_HOPS or id(node) in seen:
            return
        seen.add(id(node))
        parents = self.parents(mod)
        child, count = node, None
        parent = parents.get(id(child))
        while parent is not None and not isinstance(parent, ast.stmt):
            if isinstance(parent, (ast.List, ast.Tuple)):
                count = Value(len(parent.elts))
            elif isinstance(parent, ast.ListComp):
                count = self._comprehension_count(parent, Ctx(mod, scope))
            elif isinstance(parent, ast.BinOp) and isinstance(parent.op, ast.Mult) and isinstance(child, (ast.List, ast.Tuple)):
                other = parent.right if parent.left is child else parent.left
                times = self.resolver.evaluate(other, Ctx(mod, scope)).number()
                count = Value(int(times) * len(child.elts)) if times is not None else UNKNOWN
            elif isinstance(parent, ast.Call) and child is not parent.func:
                self._apply(parent, child, count, mod, scope, out)
                count = None
            elif isinstance(parent, ast.keyword):
                pass
            elif isinstance(parent, ast.Call):
                break  # we are the callee: `LSTM(64)(x)` calls the layer, it does not wrap it
            child, parent = parent, parents.get(id(parent))
        if parent is None:
            return
        if isinstance(parent, ast.Assign) and len(parent.targets) == 1:
            self._through_name(parent.targets[0], parent, mod, scope, out, hops, seen)
        elif isinstance(parent, ast.Return) and scope.key:
            for site, site_mod in self.resolver.call_sites(local_name(mod.path, scope.key)):
                self._follow(site.node, site_mod, site.scope, out, hops + 1, seen)

    def _apply(self, call: ast.Call, child: ast.AST, count: Value | None, mod: ModuleInfo, scope: Scope, out: Wrapping) -> None:
        spec = knowledge.lookup(self.resolver.qualname(call.func, Ctx(mod, scope)))
        if spec is None or spec.role not in ("wrapper", "dropout"):
            return
        slot = _slot(spec, call, child)
        if slot is None:
            return
        extra = spec.extra
        name = spec.qname.rsplit(".", 1)[-1]
        where = f"{name} at {mod.where(call.lineno)}"
        directions = extra.get("bidirectional", [])
        if slot in directions:
            out.bidirectional = Value(True, f"wrapped in {where}")
            out.by.append(where)
            given = [d for d in directions if _supplied(spec, call, d)]
            out.half_of_pair = out.half_of_pair or len(given) >= 2
        if slot in str(extra.get("fused") or "").split():
            out.fused = True
            out.by.append(where)
        if extra.get("stack") == slot and count is not None:
            out.layers = count if count.known else UNKNOWN
            out.by.append(where)
        for keep in extra.get("keep_params", []):
            node = next((k.value for k in call.keywords if k.arg == keep), None)
            p = spec.param(keep)
            if node is None and p is not None and p.position is not None and p.position < len(call.args):
                node = call.args[p.position]
            if node is not None:
                out.keep_probs.append(self.resolver.evaluate(node, Ctx(mod, scope)))

    def _comprehension_count(self, comp: ast.ListComp, ctx: Ctx) -> Value:
        gen = comp.generators[0] if len(comp.generators) == 1 else None
        it = gen.iter if gen is not None else None
        if isinstance(it, ast.Call) and isinstance(it.func, ast.Name) and it.func.id == "range" and len(it.args) == 1:
            v = self.resolver.evaluate(it.args[0], ctx)
            return Value(int(v.value), v.origin) if v.number() is not None else UNKNOWN
        return UNKNOWN

    def _through_name(
        self, target: ast.expr, stmt: ast.stmt, mod: ModuleInfo, scope: Scope, out: Wrapping, hops: int, seen: set[int]
    ) -> None:
        """``cell = LSTMCell(n)``: follow every later use of ``cell`` (or ``self.cell``) as an argument."""
        if isinstance(target, ast.Name):
            name, is_attr = target.id, False
        elif isinstance(target, ast.Attribute) and isinstance(target.value, ast.Name) and target.value.id == "self":
            name, is_attr = target.attr, True
        else:
            return
        for site, n in mod.argument_uses(is_attr).get(name, []):
            if not mod.counts(site):
                continue
            if not is_attr and (site.scope is not scope or getattr(n, "lineno", 0) < stmt.lineno):
                continue
            if is_attr and site.scope.cls != scope.cls:
                continue
            self._follow(n, mod, site.scope, out, hops + 1, seen)


def _slot(spec: ApiSpec, call: ast.Call, child: ast.AST) -> str | None:
    """Which parameter of ``call`` holds ``child`` (by its name in the signature)."""
    for i, arg in enumerate(call.args):
        if arg is child:
            return next((p.name for p in spec.params if p.position == i), None)
    for kw in call.keywords:
        if kw is child or kw.value is child:
            return kw.arg
    return None


def _supplied(spec: ApiSpec, call: ast.Call, name: str) -> bool:
    if any(k.arg == name for k in call.keywords):
        return True
    p = next((p for p in spec.params if p.name == name), None)
    return p is not None and p.position is not None and p.position < len(call.args)
