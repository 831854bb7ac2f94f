"""Name and value resolution across the modules of one training unit.

``qualname`` turns an expression naming something into a dotted name
(``torch.nn.LSTM``) through every import style, or into a local name
``L:<path>::<Class.attr>`` for the unit's own definitions. ``evaluate`` computes
what is statically knowable about an expression (literals, constants, argparse
defaults, values passed into ``__init__`` parameters, simple configs) and says
where it came from. Anything else is unknown, and unknown keeps rules silent.
"""

from __future__ import annotations

import ast
import operator
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from rnnlint.analysis.config_values import CONFIG_LOADERS, ConfigValues, FileRef
from rnnlint.analysis.pyindex import Binding, CallSite, ClassInfo, ImportRef, ModuleInfo, Scope
from rnnlint.values import UNKNOWN, ArgsNamespace, Container, DictObj, Instance, SeqObj, Value

LOCAL = "L:"
_MAX_DEPTH = 24  # nested evaluations; deeper is unknown
# Name resolution follows chains (`a = b`, re-exports, base classes). Each follows at most these many links, and the
# resolver nests at most _MAX_NAME_DEPTH questions deep: past a limit the answer is "unknown", never an error (a
# 100k-line package re-exporting names in a cycle overflowed the stack).
_MAX_NAME_DEPTH = 48
_MAX_REEXPORTS = 32
_MAX_BASES = 32

_BINOPS: dict[type[ast.operator], Callable[[Any, Any], Any]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv,
    ast.Mod: operator.mod,
    ast.Pow: operator.pow,
}
_CMPOPS: dict[type[ast.cmpop], Callable[[Any, Any], Any]] = {
    ast.Eq: operator.eq,
    ast.NotEq: operator.ne,
    ast.Lt: operator.lt,
    ast.LtE: operator.le,
    ast.Gt: operator.gt,
    ast.GtE: operator.ge,
    ast.Is: operator.is_,
    ast.IsNot: operator.is_not,
}
_CASTS: dict[str, Callable[[Any], Any]] = {"int": int, "float": float, "bool": bool, "str": str}


@dataclass(frozen=True)
class Ctx:
    """Where an expression sits: its module and innermost scope."""

    mod: ModuleInfo
    scope: Scope


def local_name(path: str, inner: str = "") -> str:
    return f"{LOCAL}{path}::{inner}" if inner else f"{LOCAL}{path}"


def split_local(qname: str) -> tuple[str, str]:
    """``L:/a/m.py::C.f`` -> ('/a/m.py', 'C.f'); a module gives ('/a/m.py', '')."""
    body = qname[len(LOCAL) :]
    path, _, inner = body.partition("::")
    return path, inner


class Resolver:
    """Resolution over one unit. ``module_of(mod, ref)`` finds local modules."""

    def __init__(self, modules: list[ModuleInfo], module_of: Callable[[ModuleInfo, str, int], str | None]) -> None:
        self.modules = {m.path: m for m in modules}
        self._module_of = module_of
        self._qcache: dict[tuple[int, int], str | None] = {}
        self._vcache: dict[tuple[int, int], Value] = {}
        self._busy: set[tuple[int, int]] = set()
        self._sites: dict[str, list[tuple[CallSite, ModuleInfo]]] | None = None
        self._instances: dict[int, tuple[ast.Call, Ctx]] = {}
        self.depth = 0
        self.name_depth = 0
        self.configs = ConfigValues()

    # -- qualified names -------------------------------------------------------------
    def qualname(self, node: ast.AST, ctx: Ctx) -> str | None:
        key = (id(node), id(ctx.scope))
        if key in self._qcache:
            return self._qcache[key]
        if self.name_depth >= _MAX_NAME_DEPTH:
            return None  # a limit reached: unknown (not cached, so a shallower question can still answer it)
        self._qcache[key] = None  # cycle guard
        self.name_depth += 1
        try:
            result = self._qualname(node, ctx)
        finally:
            self.name_depth -= 1
        self._qcache[key] = result
        return result

    def _qualname(self, node: ast.AST, ctx: Ctx) -> str | None:
        if isinstance(node, ast.Name):
            return self.name_qualname(node.id, ctx, getattr(node, "lineno", 10**9))
        if isinstance(node, ast.Attribute):
            if isinstance(node.value, ast.Name) and node.value.id == "self" and ctx.scope.cls:
                return self._self_member(ctx.mod, ctx.scope.cls, node.attr)
            base = self.qualname(node.value, ctx)
            return self.member(base, node.attr) if base else None
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "getattr" and len(node.args) >= 2:
            base = self.qualname(node.args[0], ctx)
            attr = self.evaluate(node.args[1], ctx).value
            if base and isinstance(attr, str):
                return self.member(base, attr)
        if (
            isinstance(node, ast.Attribute) is False
            and isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id == "super"
            and ctx.scope.cls
        ):
            return self._super_of(ctx.mod, ctx.scope.cls)
        return None

    def member(self, base: str, attr: str) -> str | None:
        if not base.startswith(LOCAL):
            return f"{base}.{attr}"
        path, inner = split_local(base)
        if inner:
            return local_name(path, f"{inner}.{attr}")
        mod = self.modules.get(path)
        if mod is None:
            return None
        sub = self._module_of(mod, attr, -1)  # `import pkg` then pkg.sub
        if sub is not None and mod.is_package_init:
            return local_name(sub)
        return self.name_qualname(attr, Ctx(mod, mod.module_scope), 10**9)

    def name_qualname(self, name: str, ctx: Ctx, line: int) -> str | None:
        scope: Scope | None = ctx.scope
        while scope is not None and scope.key:
            if name in scope.local_defs:
                return local_name(ctx.mod.path, scope.local_defs[name].key)
            if name in scope.bindings or name in scope.params:
                b = self._reaching(scope.bindings.get(name, []), line if scope is ctx.scope else 10**9)
                if b is not None and b.node is not None and not b.index and isinstance(b.node, (ast.Name, ast.Attribute)):
                    return self.qualname(b.node, Ctx(ctx.mod, scope))
                if b is None and name in scope.params:
                    return self._parameter_qualname(ctx.mod, scope, name)
                return None
            scope = scope.parent
        mod = ctx.mod
        if name in mod.scopes and "." not in name:
            return local_name(mod.path, name)
        if name in mod.classes:
            return local_name(mod.path, name)
        if name in mod.module_scope.bindings:
            # at module level a name means what was bound before this line (`net = net.Model()`)
            b = self._reaching(mod.module_scope.bindings[name], line if ctx.scope is mod.module_scope else 10**9)
            if b is not None:
                if b.node is not None and not b.index and isinstance(b.node, (ast.Name, ast.Attribute)):
                    return self.qualname(b.node, Ctx(mod, mod.module_scope))
                return None
        ref = mod.imports.get(name)
        if ref is not None:
            return self._import_qualname(mod, ref)
        for star in mod.star_imports:  # `from helpers import *`
            path = self._module_of(mod, star.module, star.level)
            target = self.modules.get(path) if path else None
            if target is not None and target is not mod and _defines(target, name):
                return self.name_qualname(name, Ctx(target, target.module_scope), 10**9)
        return None

    def _parameter_qualname(self, mod: ModuleInfo, scope: Scope, name: str) -> str | None:
        """A parameter that names a class or function (`rnn_type=nn.LSTM`): what every caller passes, else the default."""
        is_method = scope.cls is not None and scope.parent is None
        if is_method and scope.params and scope.params[0] == name:
            return None
        callee = (
            local_name(mod.path, scope.cls)
            if is_method and scope.cls and scope.name == "__init__"
            else local_name(mod.path, scope.key)
        )
        params = scope.params[1:] if is_method else scope.params
        names = set()
        for site, site_mod in self.call_sites(callee):
            arg = next((k.value for k in site.node.keywords if k.arg == name), None)
            if arg is None and name in params and params.index(name) < len(site.node.args):
                arg = site.node.args[params.index(name)]
            if arg is None:
                arg = scope.defaults.get(name)
                names.add(self.qualname(arg, Ctx(mod, mod.module_scope)) if arg is not None else None)
            else:
                names.add(self.qualname(arg, Ctx(site_mod, site.scope)))
        if not names and name in scope.defaults:
            names.add(self.qualname(scope.defaults[name], Ctx(mod, mod.module_scope)))
        return names.pop() if len(names) == 1 else None

    def _import_qualname(self, mod: ModuleInfo, ref: ImportRef) -> str | None:
        """What an import names; a re-exported name is followed from module to module, iteratively and boundedly."""
        seen: set[tuple[str, ImportRef]] = set()
        for _ in range(_MAX_REEXPORTS):
            if (mod.path, ref) in seen:
                return None  # re-exports in a cycle name nothing resolvable
            seen.add((mod.path, ref))
            name = ref.name
            if name is None:
                path = self._module_of(mod, ref.module, 0)
                return local_name(path) if path else ref.module
            full = f"{ref.module}.{name}" if ref.module else name
            path = self._module_of(mod, full, ref.level)
            if path is not None:
                return local_name(path)
            path = self._module_of(mod, ref.module, ref.level) if (ref.module or ref.level) else None
            if path is not None:
                target = self.modules.get(path)
                if target is not None and name in target.imports:
                    mod, ref = target, target.imports[name]
                    continue
                return local_name(path, name)
            if ref.level:
                return None
            return full
        return None

    def _self_member(self, mod: ModuleInfo, cls: str, attr: str) -> str | None:
        found = self.find_method(local_name(mod.path, cls), attr)
        return found[0] if found else None

    def _super_of(self, mod: ModuleInfo, cls: str) -> str | None:
        info = mod.classes.get(cls)
        if info is None or not info.bases:
            return None
        return self.qualname(info.bases[0], Ctx(mod, mod.module_scope))

    def class_info(self, qname: str | None) -> tuple[ModuleInfo, ClassInfo] | None:
        if not qname or not qname.startswith(LOCAL):
            return None
        path, inner = split_local(qname)
        mod = self.modules.get(path)
        if mod is None or inner not in mod.classes:
            return None
        return mod, mod.classes[inner]

    def base_qualnames(self, qname: str, seen: frozenset[str] = frozenset()) -> set[str]:
        """Every base class of a local class, transitively, as qualified names."""
        found = self.class_info(qname)
        if found is None or qname in seen or len(seen) >= _MAX_BASES:
            return set()
        mod, info = found
        out: set[str] = set()
        for base in info.bases:
            q = self.qualname(base, Ctx(mod, mod.module_scope))
            if q:
                out.add(q)
                out |= self.base_qualnames(q, seen | {qname})
        return out

    def find_method(
        self, class_qname: str, name: str, seen: frozenset[str] = frozenset()
    ) -> tuple[str, ModuleInfo, Scope] | None:
        """The method ``name`` of a local class or its local bases."""
        found = self.class_info(class_qname)
        if found is None or class_qname in seen or len(seen) >= _MAX_BASES:
            return None
        mod, info = found
        if name in info.methods:
            scope = info.methods[name]
            return local_name(mod.path, scope.key), mod, scope
        for base in info.bases:
            q = self.qualname(base, Ctx(mod, mod.module_scope))
            if q and q.startswith(LOCAL):
                hit = self.find_method(q, name, seen | {class_qname})
                if hit:
                    return hit
        return None

    # -- call sites --------------------------------------------------------------------
    def call_sites(self, qname: str) -> list[tuple[CallSite, ModuleInfo]]:
        """Every call in the unit whose callee resolves to ``qname``."""
        if self._sites is None:
            # Resolving a callee can ask for call sites again (a parameter called as a function): those nested
            # questions see no sites, and what they resolve is not cached, so that after the index is built the
            # same names resolve with it. Rebuilding the index inside itself nested once per such parameter and
            # overflowed the stack on large packages.
            sites: dict[str, list[tuple[CallSite, ModuleInfo]]] = {}
            self._sites, kept = sites, self._qcache
            self._qcache = {}
            try:
                for mod in self.modules.values():
                    for site in mod.calls:
                        q = self.qualname(site.node.func, Ctx(mod, site.scope))
                        if q and q.startswith(LOCAL):
                            sites.setdefault(q, []).append((site, mod))
            finally:
                self._qcache = kept
        return self._sites.get(qname, [])

    # -- values ------------------------------------------------------------------------
    def evaluate(self, node: ast.AST | None, ctx: Ctx) -> Value:
        """What is statically known about ``node``; never raises."""
        if node is None:
            return UNKNOWN
        key = (id(node), id(ctx.scope))
        cached = self._vcache.get(key)
        if cached is not None:
            return cached
        if key in self._busy or self.depth > _MAX_DEPTH:
            return UNKNOWN
        self._busy.add(key)
        self.depth += 1
        try:
            value = self._evaluate(node, ctx)
        except (ArithmeticError, TypeError, ValueError, OverflowError, RecursionError):
            value = UNKNOWN
        finally:
            self.depth -= 1
            self._busy.discard(key)
        self._vcache[key] = value
        return value

    def _evaluate(self, node: ast.AST, ctx: Ctx) -> Value:
        if isinstance(node, ast.Constant):
            return Value(node.value)
        if isinstance(node, ast.UnaryOp):
            v = self.evaluate(node.operand, ctx)
            if not v.known or isinstance(v.value, Container):
                return UNKNOWN
            if isinstance(node.op, ast.USub):
                return Value(-v.value, v.origin)
            if isinstance(node.op, ast.UAdd):
                return v
            if isinstance(node.op, ast.Not):
                return Value(not v.value, v.origin)
            return UNKNOWN
        if isinstance(node, ast.BinOp):
            return self._binop(node, ctx)
        if isinstance(node, ast.Compare) and len(node.ops) == 1:
            left, right = self.evaluate(node.left, ctx), self.evaluate(node.comparators[0], ctx)
            fn = _CMPOPS.get(type(node.ops[0]))
            if fn is None or not (left.known and right.known):
                return UNKNOWN
            return Value(fn(left.value, right.value), left.origin or right.origin)
        if isinstance(node, ast.IfExp):
            test = self.evaluate(node.test, ctx).truthy()
            if test is not None:
                return self.evaluate(node.body if test else node.orelse, ctx)
            a, b = self.evaluate(node.body, ctx), self.evaluate(node.orelse, ctx)
            return a if a.known and b.known and a.value == b.value else UNKNOWN
        if isinstance(node, ast.BoolOp):
            return self._boolop(node, ctx)
        if isinstance(node, (ast.Tuple, ast.List)):
            if any(isinstance(e, ast.Starred) for e in node.elts):
                return UNKNOWN
            return Value(SeqObj(tuple(self.evaluate(e, ctx) for e in node.elts)))
        if isinstance(node, ast.Dict):
            items: dict[str, Value] = {}
            for key_node, value_node in zip(node.keys, node.values, strict=False):
                kv = self.evaluate(key_node, ctx) if key_node is not None else UNKNOWN
                if not kv.known:
                    return UNKNOWN
                items[str(kv.value)] = self.evaluate(value_node, ctx)
            return Value(DictObj(items))
        if isinstance(node, ast.Name):
            return self._name_value(node.id, ctx, node.lineno)
        if isinstance(node, ast.Attribute):
            return self._attribute(node, ctx)
        if isinstance(node, ast.Subscript):
            base = self.evaluate(node.value, ctx).value
            key = self.evaluate(node.slice, ctx)
            if isinstance(base, (DictObj, SeqObj)) and key.known:
                return base.member(key.value)
            return UNKNOWN
        if isinstance(node, ast.Call):
            return self._call_value(node, ctx)
        return UNKNOWN

    def _binop(self, node: ast.BinOp, ctx: Ctx) -> Value:
        left, right = self.evaluate(node.left, ctx), self.evaluate(node.right, ctx)
        fn = _BINOPS.get(type(node.op))
        if fn is None or not (left.known and right.known):
            return UNKNOWN
        if isinstance(left.value, Container) or isinstance(right.value, Container):
            return UNKNOWN
        if isinstance(node.op, ast.Pow) and isinstance(right.value, (int, float)) and abs(right.value) > 64:
            return UNKNOWN
        if isinstance(node.op, ast.Mult) and (isinstance(left.value, str) or isinstance(right.value, str)):
            return UNKNOWN
        return Value(fn(left.value, right.value), left.origin or right.origin)

    def _boolop(self, node: ast.BoolOp, ctx: Ctx) -> Value:
        # `x or default`: the first truthy operand, when each is known
        is_or = isinstance(node.op, ast.Or)
        last = UNKNOWN
        for operand in node.values:
            last = self.evaluate(operand, ctx)
            t = last.truthy()
            if t is None:
                return UNKNOWN
            if t is is_or:
                return last
        return last

    @staticmethod
    def _reaching(bindings: list[Binding], line: int) -> Binding | None:
        """The last binding before ``line``; None if an augmented one intervenes."""
        before = [b for b in bindings if b.line < line] or ([] if line < 10**9 else bindings)
        if not before:
            return None
        chosen = before[-1]
        return None if chosen.aug else chosen

    def _binding_value(self, b: Binding, ctx: Ctx, name: str) -> Value:
        if b.node is None:
            return UNKNOWN
        value = self.evaluate(b.node, ctx)
        for i in b.index:
            seq = value.value
            value = seq.member(i) if isinstance(seq, SeqObj) else UNKNOWN
        if value.known and not isinstance(value.value, Container):
            here = f"{name} at {ctx.mod.where(b.line)}"
            if isinstance(b.node, (ast.BinOp, ast.UnaryOp, ast.IfExp, ast.BoolOp)) and not b.index:
                return Value(value.value, here, value.is_default)  # a computed value: name what computed it
            return value.with_origin(here)
        return value

    def _name_value(self, name: str, ctx: Ctx, line: int) -> Value:
        scope: Scope | None = ctx.scope
        while scope is not None and scope.key:
            here = scope is ctx.scope
            bindings = scope.bindings.get(name)
            if bindings:
                b = self._reaching(bindings, line if here else 10**9)
                if b is not None:
                    return self._binding_value(b, Ctx(ctx.mod, scope), name)
                if name not in scope.params:
                    return UNKNOWN
            if name in scope.params:
                return self.parameter(ctx.mod, scope, name)
            scope = scope.parent
        mod = ctx.mod
        bindings = mod.module_scope.bindings.get(name)
        if bindings:
            b = self._reaching(bindings, line if ctx.scope is mod.module_scope else 10**9)
            return self._binding_value(b, Ctx(mod, mod.module_scope), name) if b else UNKNOWN
        ref = mod.imports.get(name)
        if ref is not None and ref.name is not None:
            q = self._import_qualname(mod, ref)
            return self._local_value(q)
        for star in mod.star_imports:
            path = self._module_of(mod, star.module, star.level)
            target = self.modules.get(path) if path else None
            if target is not None and target is not mod and name in target.module_scope.bindings:
                return self._name_value(name, Ctx(target, target.module_scope), 10**9)
        return UNKNOWN

    def _local_value(self, qname: str | None) -> Value:
        """The value of a module-level name or class attribute of the unit."""
        if not qname or not qname.startswith(LOCAL):
            return UNKNOWN
        path, inner = split_local(qname)
        mod = self.modules.get(path)
        if mod is None or not inner:
            return UNKNOWN
        head, _, attr = inner.partition(".")
        if attr and head in mod.classes:
            node = mod.classes[head].attrs.get(attr)
            v = self.evaluate(node, Ctx(mod, mod.module_scope))
            return v.with_origin(f"{inner} at {mod.where(node.lineno)}") if node is not None else UNKNOWN
        if attr:
            return UNKNOWN
        return self._name_value(inner, Ctx(mod, mod.module_scope), 10**9)

    def _attribute(self, node: ast.Attribute, ctx: Ctx) -> Value:
        if isinstance(node.value, ast.Name) and node.value.id == "self" and ctx.scope.cls:
            return self._self_attr(ctx.mod, ctx.scope.cls, node.attr)
        base = self.evaluate(node.value, ctx)
        obj = base.value
        if isinstance(obj, ArgsNamespace):
            return self._argparse_value(obj.module_path, node.attr)
        if isinstance(obj, DictObj):
            return obj.member(node.attr)
        if isinstance(obj, Instance):
            return self._instance_attr(obj, node.attr)
        if base.known:
            return UNKNOWN
        return self._local_value(self.qualname(node, ctx))

    def _argparse_value(self, path: str, dest: str) -> Value:
        mod = self.modules.get(path)
        arg = mod.argparse.get(dest) if mod else None
        if mod is None or arg is None:
            return UNKNOWN
        origin = f"argparse default of {arg.flag}, {mod.where(arg.line)}"
        if arg.default is None:
            if arg.store_true or arg.store_false:
                return Value(arg.store_false, origin, is_default=True)
            return UNKNOWN  # no default: the value comes from the command line
        v = self.evaluate(arg.default, Ctx(mod, mod.module_scope))
        return Value(v.value, origin, is_default=True) if v.known else UNKNOWN

    def _self_attr(self, mod: ModuleInfo, cls: str, attr: str) -> Value:
        class_q = local_name(mod.path, cls)
        found = self.class_info(class_q)
        if found is None:
            return UNKNOWN
        _, info = found
        sets = info.self_attrs.get(attr)
        if sets:
            values = [self._binding_value(b, Ctx(mod, scope), f"self.{attr}") for scope, b in sets]
            first = values[0]
            if all(v.known and v.value == first.value for v in values) and not isinstance(first.value, Container):
                return first
            return first if len(values) == 1 else UNKNOWN
        if attr in info.attrs:
            return self._local_value(local_name(mod.path, f"{cls}.{attr}"))
        return UNKNOWN

    def _instance_attr(self, obj: Instance, attr: str) -> Value:
        made = self._instances.get(obj.call_id)
        found = self.class_info(obj.class_qname)
        if made is None or found is None:
            return UNKNOWN
        call, ctx = made
        mod, info = found
        for kw in call.keywords:
            if kw.arg == attr:
                return self.evaluate(kw.value, ctx)
        init = info.methods.get("__init__")
        if init is None:  # dataclass-like: fields in declaration order
            fields = list(info.attrs)
            if attr in fields and fields.index(attr) < len(call.args):
                return self.evaluate(call.args[fields.index(attr)], ctx)
            return self._local_value(local_name(mod.path, f"{info.name}.{attr}")) if attr in info.attrs else UNKNOWN
        sets = info.self_attrs.get(attr, [])
        if len(sets) == 1 and isinstance(sets[0][1].node, ast.Name) and sets[0][1].node.id in init.params:
            return self._bind_from_call(init, sets[0][1].node.id, call, ctx, method=True)
        return self._self_attr(mod, info.name, attr)

    def _call_value(self, node: ast.Call, ctx: Ctx) -> Value:
        fn = node.func
        if isinstance(fn, ast.Name) and fn.id == "open" and node.args:
            path = self.evaluate(node.args[0], ctx).value
            return Value(FileRef(str(path), ctx.mod.path)) if isinstance(path, str) else UNKNOWN
        loader = self.qualname(fn, ctx)
        if loader in CONFIG_LOADERS and node.args:
            source = self.evaluate(node.args[0], ctx).value
            if isinstance(source, str):
                source = FileRef(source, ctx.mod.path)
            return self.configs.load(source) if isinstance(source, FileRef) else UNKNOWN
        if isinstance(fn, ast.Attribute) and fn.attr in ("parse_args", "parse_known_args"):
            ns = Value(ArgsNamespace(ctx.mod.path))
            return Value(SeqObj((ns, UNKNOWN))) if fn.attr == "parse_known_args" else ns
        if isinstance(fn, ast.Name):
            if fn.id in _CASTS and len(node.args) == 1 and not node.keywords:
                v = self.evaluate(node.args[0], ctx)
                return Value(_CASTS[fn.id](v.value), v.origin) if v.known and not isinstance(v.value, Container) else UNKNOWN
            if fn.id == "vars" and len(node.args) == 1:
                return self.evaluate(node.args[0], ctx)
            if fn.id in ("min", "max") and node.args and not node.keywords:
                vals = [self.evaluate(a, ctx) for a in node.args]
                if all(v.number() is not None for v in vals):
                    pick = (min if fn.id == "min" else max)(vals, key=lambda v: v.number() or 0.0)
                    return pick
                return UNKNOWN
        q = self.qualname(fn, ctx)
        if q in ("builtins.dict", "dict", "types.SimpleNamespace", "easydict.EasyDict", "argparse.Namespace") or (
            isinstance(fn, ast.Name) and fn.id == "dict" and q is None
        ):
            items = {kw.arg: self.evaluate(kw.value, ctx) for kw in node.keywords if kw.arg}
            if any(kw.arg is None for kw in node.keywords) or node.args:
                if len(node.args) == 1 and not node.keywords:
                    return self.evaluate(node.args[0], ctx)
                return UNKNOWN
            return Value(DictObj(items))
        if self.class_info(q) is not None and q is not None:
            self._instances[id(node)] = (node, ctx)
            return Value(Instance(q, id(node)))
        return self._returned(q)

    def _returned(self, qname: str | None) -> Value:
        """What a local function returns, when it has a single ``return`` (``args = parse_args()``)."""
        if not qname or not qname.startswith(LOCAL):
            return UNKNOWN
        path, inner = split_local(qname)
        mod = self.modules.get(path)
        scope = mod.scopes.get(inner) if mod else None
        if mod is None or scope is None:
            return UNKNOWN
        returns = [n for n in _own_nodes(scope.node) if isinstance(n, ast.Return) and n.value is not None]
        return self.evaluate(returns[0].value, Ctx(mod, scope)) if len(returns) == 1 else UNKNOWN

    # -- parameters ------------------------------------------------------------------------
    def parameter(self, mod: ModuleInfo, scope: Scope, name: str) -> Value:
        """A function parameter's value: from every call site when they agree, else its default."""
        if scope.params and scope.params[0] == name and isinstance(scope.node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            hydra = self._hydra_config(mod, scope.node)
            if hydra is not None:
                return hydra
        if scope.cls and scope.name == "__init__" and scope.parent is None:
            callee = local_name(mod.path, scope.cls)
            sites = self.call_sites(callee)
            sites += [s for q in self._subclass_names(callee) for s in self.call_sites(q)]
        else:
            sites = self.call_sites(local_name(mod.path, scope.key))
        is_method = scope.cls is not None and scope.parent is None
        if scope.params and is_method and scope.params[0] == name:
            return UNKNOWN  # `self`
        values = [self._bind_from_call(scope, name, site.node, Ctx(m, site.scope), method=is_method) for site, m in sites]
        if values:
            first = values[0]
            if all(v.known for v in values) and all(v.value == first.value for v in values):
                return first
            return UNKNOWN
        return self._default(mod, scope, name)

    def _hydra_config(self, mod: ModuleInfo, fn: ast.FunctionDef | ast.AsyncFunctionDef) -> Value | None:
        """``@hydra.main(config_path=..., config_name=...)``: the composed config its function receives."""
        for dec in fn.decorator_list:
            if isinstance(dec, ast.Call) and self.qualname(dec.func, Ctx(mod, mod.module_scope)) == "hydra.main":
                kw = {k.arg: self.evaluate(k.value, Ctx(mod, mod.module_scope)).value for k in dec.keywords if k.arg}
                folder, name = kw.get("config_path"), kw.get("config_name")
                if isinstance(folder, str) and isinstance(name, str):
                    return self.configs.hydra(mod.path, folder, name)
                return UNKNOWN
        return None

    def _subclass_names(self, class_q: str) -> list[str]:
        # A subclass without its own __init__ passes its arguments straight through.
        out = []
        for mod in self.modules.values():
            for info in mod.classes.values():
                if "__init__" in info.methods:
                    continue
                q = local_name(mod.path, info.name)
                if class_q in self.base_qualnames(q):
                    out.append(q)
        return out

    def _default(self, mod: ModuleInfo, scope: Scope, name: str) -> Value:
        node = scope.defaults.get(name)
        if node is None:
            return UNKNOWN
        v = self.evaluate(node, Ctx(mod, scope.parent or mod.module_scope))
        if not v.known:
            return UNKNOWN
        where = mod.where(getattr(node, "lineno", 1))
        if v.origin:
            return Value(v.value, v.origin, True)
        return Value(v.value, f"default of {name} in {scope.key}(), {where}", is_default=True)

    def _bind_from_call(self, scope: Scope, name: str, call: ast.Call, ctx: Ctx, method: bool) -> Value:
        params = scope.params[1:] if method else scope.params
        for kw in call.keywords:
            if kw.arg == name:
                return self._passed(self.evaluate(kw.value, ctx), name, ctx, call)
        if name in params:
            i = params.index(name)
            positional = call.args
            if any(isinstance(a, ast.Starred) for a in positional[: i + 1]):
                return UNKNOWN
            if i < len(positional):
                return self._passed(self.evaluate(positional[i], ctx), name, ctx, call)
        if any(kw.arg is None for kw in call.keywords) or any(isinstance(a, ast.Starred) for a in call.args):
            return UNKNOWN
        mod = self._module_for(scope)
        return self._default(mod, scope, name) if mod else UNKNOWN

    def _passed(self, value: Value, name: str, ctx: Ctx, call: ast.Call) -> Value:
        if isinstance(value.value, Container):
            return value
        return value.with_origin(f"passed as {name} at {ctx.mod.where(call.lineno)}")

    def _module_for(self, scope: Scope) -> ModuleInfo | None:
        for mod in self.modules.values():
            if mod.scopes.get(scope.key) is scope:
                return mod
        return None


def _defines(mod: ModuleInfo, name: str) -> bool:
    return (
        name in mod.classes
        or name in mod.module_scope.bindings
        or name in mod.imports
        or (name in mod.scopes and "." not in name)
    )


def _own_nodes(fn: ast.AST) -> list[ast.AST]:
    """The nodes of a function body, not descending into nested functions or classes."""
    out: list[ast.AST] = []
    stack = list(ast.iter_child_nodes(fn))
    while stack:
        node = stack.pop()
        out.append(node)
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
            stack.extend(ast.iter_child_nodes(node))
    return out
