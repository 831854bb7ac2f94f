"""One pass over a module's ``ast``: scopes, bindings, imports, argparse, calls.

The index knows nothing about frameworks; it records what the resolver and the
fact builder need: who binds which name where, what each import names, which
calls happen inside which function and loop. CPython's ``ast`` is used rather
than LibCST here because analysis needs no concrete syntax: on the standard
library it parses 7x faster than LibCST and resolves names ~90x faster than
LibCST's QualifiedNameProvider (see the issue note); LibCST is kept for fixes.
"""

from __future__ import annotations

import ast
import re
import sys
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from rnnlint.analysis.configs import Translation, translate
from rnnlint.diagnostics import Loc
from rnnlint.read.notebook import FLAGS as NOTEBOOK_FLAGS
from rnnlint.read.notebook import read_notebook
from rnnlint.read.source import SourceError, char_col, decode, python_lines

FuncNode = ast.FunctionDef | ast.AsyncFunctionDef
CONFIG_SUFFIXES = (".yaml", ".yml", ".json")


@dataclass
class Binding:
    """One place that binds a name. ``node`` is None when the value is unknowable."""

    line: int
    node: ast.expr | None
    index: tuple[int, ...] = ()
    aug: bool = False


@dataclass
class Scope:
    """A function (or the module) with its parameters and local bindings."""

    key: str  # module-relative dotted name; "" for the module scope
    node: ast.AST
    cls: str | None = None
    parent: Scope | None = None
    params: list[str] = field(default_factory=list)
    defaults: dict[str, ast.expr] = field(default_factory=dict)
    has_star: bool = False
    bindings: dict[str, list[Binding]] = field(default_factory=dict)
    local_defs: dict[str, Scope] = field(default_factory=dict)

    def bind(self, name: str, binding: Binding) -> None:
        self.bindings.setdefault(name, []).append(binding)

    @property
    def name(self) -> str:
        return self.key.rsplit(".", 1)[-1]


@dataclass
class ClassInfo:
    name: str
    node: ast.ClassDef
    bases: list[ast.expr]
    methods: dict[str, Scope] = field(default_factory=dict)
    attrs: dict[str, ast.expr] = field(default_factory=dict)
    self_attrs: dict[str, list[tuple[Scope, Binding]]] = field(default_factory=dict)


@dataclass(frozen=True)
class ImportRef:
    """``import a.b as x`` -> ("a.b", None, 0); ``from .m import n`` -> ("m", "n", 1)."""

    module: str
    name: str | None
    level: int = 0


@dataclass(frozen=True)
class ArgDef:
    flag: str
    default: ast.expr | None
    line: int
    store_true: bool = False
    store_false: bool = False


@dataclass
class CallSite:
    node: ast.Call
    scope: Scope
    loops: tuple[ast.AST, ...]
    in_no_grad: bool
    order: int
    ifs: tuple[tuple[ast.If, bool], ...] = ()  # enclosing `if`s in its function, outermost first; True: in the body
    stmt: ast.stmt | None = None  # the innermost statement holding the call


@dataclass
class ModuleInfo:
    path: str
    display: str
    source: str
    lines: list[str]
    tree: ast.Module
    module_scope: Scope
    scopes: dict[str, Scope] = field(default_factory=dict)
    classes: dict[str, ClassInfo] = field(default_factory=dict)
    imports: dict[str, ImportRef] = field(default_factory=dict)
    argparse: dict[str, ArgDef] = field(default_factory=dict)
    calls: list[CallSite] = field(default_factory=list)
    main_calls: list[CallSite] = field(default_factory=list)  # under `if __name__ == "__main__":`
    star_imports: list[ImportRef] = field(default_factory=list)
    words: set[str] = field(default_factory=set)
    string_words: set[str] = field(default_factory=set)
    attr_uses: dict[str, int] = field(default_factory=dict)
    name_loads: dict[str, int] = field(default_factory=dict)
    identifiers: set[str] = field(default_factory=set)
    assign_target: dict[int, str] = field(default_factory=dict)
    grad_updates: list[tuple[Scope, int, ast.AST, tuple[ast.AST, ...]]] = field(default_factory=list)
    lr_writes: list[ast.AST] = field(default_factory=list)
    is_package_init: bool = False
    cells: list[tuple[int, int]] | None = None  # notebooks: joined line -> (cell, line in cell)
    config_positions: list[tuple[int, int, int]] | None = None  # configs: generated line -> YAML (line, col, end)
    config_text: str | None = None  # configs: the YAML itself, for code frames and suppressions
    config_problems: list[Any] = field(default_factory=list)
    cell_errors: list[SourceError] = field(default_factory=list)  # notebooks: each code cell that is not Python (RNN001)
    config_fixes: dict[str, Any] = field(default_factory=dict)  # configs: analysis.yamlsites.ConfigFix by purpose ("clip")
    includes_main: bool = False  # this view of the module runs as the script: its main-guarded calls count
    _main_ids: frozenset[int] | None = None
    _parents: Parents | None = None
    _stmt_of: dict[int, ast.stmt] = field(default_factory=dict)  # call (and call argument) id -> innermost statement
    _arg_names: dict[str, list[tuple[CallSite, ast.AST]]] | None = None
    _arg_self_attrs: dict[str, list[tuple[CallSite, ast.AST]]] | None = None

    def counts(self, site: CallSite) -> bool:
        """Does this call run in this view of the module (main-guarded calls only when it runs as the script)?"""
        if self.includes_main or not self.main_calls:
            return True
        if self._main_ids is None:
            self._main_ids = frozenset(id(c.node) for c in self.main_calls)
        return id(site.node) not in self._main_ids

    def argument_uses(self, attr: bool) -> dict[str, list[tuple[CallSite, ast.AST]]]:
        """Name (or ``self.attr``) -> the calls whose arguments mention it, indexed once per module."""
        if self._arg_names is None or self._arg_self_attrs is None:
            names: dict[str, list[tuple[CallSite, ast.AST]]] = {}
            attrs: dict[str, list[tuple[CallSite, ast.AST]]] = {}
            stmt_of = self._stmt_of
            for site in [*self.calls, *self.main_calls]:
                for arg in [*site.node.args, *(k.value for k in site.node.keywords)]:
                    for n in _walk(arg):
                        if isinstance(n, ast.Name):
                            names.setdefault(n.id, []).append((site, n))
                        elif isinstance(n, ast.Attribute) and isinstance(n.value, ast.Name) and n.value.id == "self":
                            attrs.setdefault(n.attr, []).append((site, n))
                        else:
                            continue
                        if site.stmt is not None:
                            stmt_of[id(n)] = site.stmt  # a wrapper search walks up from these names
            self._arg_names, self._arg_self_attrs = names, attrs
        return self._arg_self_attrs if attr else self._arg_names

    def parents(self) -> Parents:
        """Child node id -> parent node, shared by every unit; filled one statement at a time where it can be."""
        if self._parents is None:
            self._parents = Parents(self.tree, self._stmt_of)
        return self._parents

    def loc(self, node: ast.AST) -> Loc:
        """The 1-based character span of an ast node."""
        line = getattr(node, "lineno", 1)
        end_line = getattr(node, "end_lineno", None) or line
        col = char_col(self._line(line), getattr(node, "col_offset", 0))
        end_col_b = getattr(node, "end_col_offset", None)
        end_col = char_col(self._line(end_line), end_col_b) if end_col_b is not None else col
        return self.span(line, col + 1, end_line, end_col + 1)

    def span(self, line: int, col: int, end_line: int, end_col: int) -> Loc:
        """A Loc in this module, with notebook cell coordinates where they apply."""
        if self.config_positions is not None:
            yline, ycol, yend = self.config_positions[min(max(line, 1), len(self.config_positions)) - 1]
            return Loc(self.display, yline, ycol, yline, max(yend, ycol + 1))
        if self.cells and 0 < line <= len(self.cells):
            cell, cell_line = self.cells[line - 1]
            end_cell, cell_end = self.cells[min(end_line, len(self.cells)) - 1]
            if end_cell != cell or end_line > len(self.cells):
                before_cell, before_line = self.cells[min(end_line - 1, len(self.cells)) - 1]
                # a span to the start of the line after its cell's last line (a whole statement to delete)
                past_end = end_col == 1 and end_line > line and before_cell == cell
                cell_end = before_line + 1 if past_end else cell_line
            return Loc(self.display, line, col, end_line, end_col, cell, cell_line, cell_end)
        return Loc(self.display, line, col, end_line, end_col)

    def _line(self, n: int) -> str:
        return self.lines[n - 1] if 0 < n <= len(self.lines) else ""

    def where(self, line: int) -> str:
        return self.span(line, 1, line, 1).short()


class Parents(dict[int, ast.AST]):
    """Child node id -> parent node, built lazily.

    Every walk up the tree starts at a call (or one of its arguments) and stops at the first
    statement, so the statement the indexer saw it in is all that needs indexing; any other
    lookup fills the whole table, which then answers everything.
    """

    def __init__(self, tree: ast.AST, stmt_of: dict[int, ast.stmt]) -> None:
        super().__init__()
        self._tree = tree
        self._stmt_of = stmt_of
        self._done: set[int] = set()
        self._full = False

    def get(self, key: int, default: Any = None) -> Any:
        if not self._full and not dict.__contains__(self, key):
            self._fill(key)
        return dict.get(self, key, default)

    def __getitem__(self, key: int) -> ast.AST:
        if not self._full and not dict.__contains__(self, key):
            self._fill(key)
        return dict.__getitem__(self, key)

    def __contains__(self, key: object) -> bool:
        if not self._full and isinstance(key, int) and not dict.__contains__(self, key):
            self._fill(key)
        return dict.__contains__(self, key)

    def _fill(self, key: int) -> None:
        stmt = self._stmt_of.get(key)
        if stmt is not None and id(stmt) not in self._done:
            self._done.add(id(stmt))
            self._index(stmt, stop_at_statements=True)
            if dict.__contains__(self, key):
                return
        self._full = True
        self._index(self._tree, stop_at_statements=False)

    def _index(self, root: ast.AST, stop_at_statements: bool) -> None:
        stack: list[ast.AST] = [root]
        ast_type, stmt_type = ast.AST, ast.stmt
        while stack:  # one hand-written pass: ast.walk + iter_child_nodes would read every field twice
            node = stack.pop()
            for name in node._fields:
                value = getattr(node, name, None)
                children = value if isinstance(value, list) else (value,)
                for child in children:
                    if isinstance(child, ast_type):
                        self[id(child)] = node
                        if not (stop_at_statements and isinstance(child, stmt_type)):
                            stack.append(child)


_WORD = re.compile(r"[a-z][a-z0-9]*")


@lru_cache(maxsize=65536)
def split_words(identifier: str) -> tuple[str, ...]:
    """``trainEncoderRNN`` / ``train_encoder_rnn`` -> ('train', 'encoder', 'rnn')."""
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", identifier)
    spaced = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", spaced)  # LSTMClassifier -> LSTM_Classifier
    return tuple(_WORD.findall(spaced.lower()))


def _walk(node: ast.AST) -> list[ast.AST]:
    """``list(ast.walk(node))`` in the same order, without its generators; no operator or context leaves."""
    queue = [node]
    ast_type, leaves = ast.AST, _LEAVES
    for current in queue:  # the list grows while it is read: breadth first, as ast.walk
        for name in current._fields:
            value = getattr(current, name, None)
            if value.__class__ is list:
                queue.extend(v for v in value if isinstance(v, ast_type) and not isinstance(v, leaves))
            elif isinstance(value, ast_type) and not isinstance(value, leaves):
                queue.append(value)
    return queue


def expr_text(node: ast.AST) -> str:
    """``ast.unparse(node)``, without its cost for the common dotted names (``self.optimizer``)."""
    parts = []
    inner = node
    while isinstance(inner, ast.Attribute):
        parts.append(inner.attr)
        inner = inner.value
    if isinstance(inner, ast.Name):
        parts.append(inner.id)
        return ".".join(reversed(parts))
    return ast.unparse(node)


def parse_module(data: bytes, path: str, display: str) -> ModuleInfo | SourceError | None:
    """Decode, parse and index a module (or a notebook's code cells, or a training config); never raises on bad input.
    None: a YAML/JSON file that is no training config."""
    cells = None
    cell_errors: list[SourceError] = []
    config: Translation | None = None
    if path.endswith(CONFIG_SUFFIXES):
        translated = translate(data, path)
        if translated is None or isinstance(translated, SourceError):
            return translated
        config = translated
        text: str | SourceError = translated.source
    elif path.endswith(".ipynb"):
        nb = read_notebook(data)
        if isinstance(nb, SourceError):
            return nb
        text = nb.source
        cells = nb.cells
        cell_errors = nb.errors
    else:
        text = decode(data)
    if isinstance(text, SourceError):
        return text
    try:
        # notebooks: IPython runs a top-level `await` (autoawait)
        tree = ast.parse(text, filename=display) if cells is None else compile(text, display, "exec", NOTEBOOK_FLAGS)
    except SyntaxError as exc:
        line = exc.lineno or 1
        if config is not None:  # the config parsed; the Python written for it did not: rnnlint's bug, not the user's
            return SourceError(f"the config could not be translated ({exc.msg}, generated line {line})", internal=True)
        if cells and 0 < line <= len(cells):
            cell, line = cells[line - 1]
            return SourceError(f"SyntaxError in cell {cell}: {exc.msg}", line, (exc.offset or 0) or 1, cell)
        return SourceError(f"SyntaxError: {exc.msg}", line, (exc.offset or 0) or 1)
    except (ValueError, MemoryError, RecursionError) as exc:
        return SourceError(f"cannot parse: {exc.__class__.__name__}: {exc}")
    lines = python_lines(text)  # issue 7: ast's line numbers, not str.splitlines()'s
    info = ModuleInfo(path, display, text, lines, tree, Scope("", tree))
    info.cells = cells
    info.cell_errors = cell_errors
    if config is not None:
        info.config_positions = config.positions
        info.config_text = data.decode("utf-8-sig", errors="replace")
        info.config_problems = config.problems
        info.config_fixes = dict(config.fixes)
    info.is_package_init = path.endswith("__init__.py")
    try:
        _Indexer(info).run()
    except RecursionError:
        return SourceError("nested too deeply for rnnlint's indexer", internal=True)  # it parses: not the user's error
    return info


_NO_GRAD = {"no_grad", "inference_mode", "eval_mode"}
_LEAVES = (ast.expr_context, ast.operator, ast.unaryop, ast.boolop, ast.cmpop)  # nodes without children or a visitor
_DISPATCH: dict[type[ast.AST], Any] = {}  # node type -> _Indexer method


class _Indexer(ast.NodeVisitor):
    def __init__(self, info: ModuleInfo) -> None:
        self.info = info
        self.scope = info.module_scope
        self.cls: ClassInfo | None = None
        self.loops: list[ast.AST] = []
        self.no_grad = 0
        self.order = 0
        self.in_main = False
        self.ifs: tuple[tuple[ast.If, bool], ...] = ()
        self.stmt: ast.stmt | None = None
        self.strings: set[str] = set()  # short string constants whose words are in already

    def visit(self, node: ast.AST) -> None:
        # ast.NodeVisitor builds the method name and looks it up for every node; one dict hit per node type is faster
        cls = node.__class__
        method = _DISPATCH.get(cls)
        if method is None:
            method = _DISPATCH[cls] = getattr(type(self), f"visit_{cls.__name__}", _Indexer.generic_visit)
        if isinstance(node, ast.stmt):
            saved, self.stmt = self.stmt, node
            method(self, node)
            self.stmt = saved
        else:
            method(self, node)

    def generic_visit(self, node: ast.AST) -> None:
        ast_type = ast.AST
        for name in node._fields:
            value = getattr(node, name, None)
            if value.__class__ is list:
                for item in value:
                    if isinstance(item, ast_type):
                        self.visit(item)
            elif isinstance(value, ast_type) and not isinstance(value, _LEAVES):
                self.visit(value)

    def run(self) -> None:
        limit = sys.getrecursionlimit()
        sys.setrecursionlimit(max(limit, 4000))
        try:
            self.visit(self.info.tree)
        finally:
            sys.setrecursionlimit(limit)

    # -- scopes --------------------------------------------------------------------
    def _function(self, node: FuncNode) -> None:
        words = self.info.words
        words.update(split_words(node.name))
        saved_ifs, self.ifs = self.ifs, ()  # branch pruning stops at the function, as a parents walk did
        for dec in node.decorator_list:
            self.visit(dec)
        parent = self.scope
        at_top = parent is self.info.module_scope
        if at_top:
            key = f"{self.cls.name}.{node.name}" if self.cls else node.name
            scope = Scope(key, node, self.cls.name if self.cls else None, None)
        else:
            scope = Scope(f"{parent.key}.{node.name}", node, parent.cls, parent)
            parent.local_defs[node.name] = scope
        if at_top and self.cls is not None:
            self.cls.methods[node.name] = scope
        a = node.args
        positional = [*a.posonlyargs, *a.args]
        scope.params = [p.arg for p in positional] + [p.arg for p in a.kwonlyargs]
        for p, d in zip(positional[len(positional) - len(a.defaults) :], a.defaults, strict=False):
            scope.defaults[p.arg] = d
        for p, kd in zip(a.kwonlyargs, a.kw_defaults, strict=False):
            if kd is not None:
                scope.defaults[p.arg] = kd
        scope.has_star = a.vararg is not None or a.kwarg is not None
        for d in [*a.defaults, *[k for k in a.kw_defaults if k is not None]]:
            self.visit(d)
        for p in [*positional, *a.kwonlyargs]:
            words.update(split_words(p.arg))
        self.info.scopes[scope.key] = scope
        saved_scope, saved_loops, saved_no_grad = self.scope, self.loops, self.no_grad
        self.scope, self.loops, self.no_grad = scope, [], 0
        for stmt in node.body:
            self.visit(stmt)
        self.scope, self.loops, self.no_grad = saved_scope, saved_loops, saved_no_grad
        self.ifs = saved_ifs

    visit_FunctionDef = _function
    visit_AsyncFunctionDef = _function

    def visit_If(self, node: ast.If) -> None:
        # Smoke tests under the main guard belong to the module only when it is run as a script.
        guard = self.scope is self.info.module_scope and _is_main_guard(node.test)
        self.visit(node.test)
        saved, saved_ifs = self.in_main, self.ifs
        self.in_main = self.in_main or guard
        self.ifs = (*saved_ifs, (node, True))
        for stmt in node.body:
            self.visit(stmt)
        self.in_main = saved
        self.ifs = (*saved_ifs, (node, False))
        for stmt in node.orelse:
            self.visit(stmt)
        self.ifs = saved_ifs

    def visit_Lambda(self, node: ast.Lambda) -> None:
        self.visit(node.body)

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        self.info.words.update(split_words(node.name))
        for b in [*node.bases, *node.decorator_list, *[k.value for k in node.keywords]]:
            self.visit(b)
        if self.scope is not self.info.module_scope or self.cls is not None:
            for stmt in node.body:  # nested classes: index their calls only
                self.visit(stmt)
            return
        info = ClassInfo(node.name, node, list(node.bases))
        self.info.classes[node.name] = info
        self.cls = info
        for stmt in node.body:
            if isinstance(stmt, ast.Assign) and all(isinstance(t, ast.Name) for t in stmt.targets):
                for t in stmt.targets:
                    info.attrs[t.id] = stmt.value  # type: ignore[attr-defined]
                self.visit(stmt.value)
            elif isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name):
                if stmt.value is not None:
                    info.attrs[stmt.target.id] = stmt.value
                    self.visit(stmt.value)
            else:
                self.visit(stmt)
        self.cls = None

    # -- bindings ------------------------------------------------------------------
    def _bind_target(self, target: ast.expr, value: ast.expr | None, line: int, index: tuple[int, ...] = ()) -> None:
        if isinstance(target, ast.Name):
            self.scope.bind(target.id, Binding(line, value, index))
            self.info.identifiers.add(target.id.lower())
            self.info.words.update(split_words(target.id))
        elif isinstance(target, (ast.Tuple, ast.List)):
            for i, elt in enumerate(target.elts):
                if isinstance(elt, ast.Starred):
                    self._bind_target(elt.value, None, line)
                else:
                    self._bind_target(elt, value, line, (*index, i))
        elif isinstance(target, ast.Attribute):
            self.info.words.update(split_words(target.attr))
            if isinstance(target.value, ast.Name) and target.value.id == "self" and self.cls is not None:
                self.cls.self_attrs.setdefault(target.attr, []).append((self.scope, Binding(line, value, index)))
            self.visit(target.value)
        else:
            self.visit(target)

    def visit_Assign(self, node: ast.Assign) -> None:
        self.visit(node.value)
        if isinstance(node.value, ast.Call) and len(node.targets) == 1:
            self.info.assign_target[id(node.value)] = expr_text(node.targets[0])
        for t in node.targets:
            self._note_write(t, node)
            self._bind_target(t, node.value, node.lineno)

    def _note_write(self, target: ast.expr, stmt: ast.stmt) -> None:
        """Remember writes to a learning rate (RNN204 evidence)."""
        key: object = None
        if isinstance(target, ast.Subscript) and isinstance(target.slice, ast.Constant):
            key = target.slice.value
        elif isinstance(target, ast.Attribute):
            if self.scope.name in ("__init__", "") and not isinstance(stmt, ast.AugAssign):
                return  # `self.lr = lr` stores the initial rate; it changes nothing
            key = target.attr
        elif isinstance(target, ast.Name) and isinstance(stmt, ast.AugAssign):
            key = target.id
        if isinstance(key, str) and (
            key in ("lr", "learning_rate") or (isinstance(stmt, ast.AugAssign) and "lr" in split_words(key))
        ):
            self.info.lr_writes.append(stmt)

    def visit_AnnAssign(self, node: ast.AnnAssign) -> None:
        if node.value is not None:
            self.visit(node.value)
            self._bind_target(node.target, node.value, node.lineno)

    def visit_AugAssign(self, node: ast.AugAssign) -> None:
        self.visit(node.value)
        self._note_write(node.target, node)
        if any(isinstance(n, ast.Attribute) and n.attr == "grad" for n in ast.walk(node.value)):
            self.info.grad_updates.append((self.scope, self.order, node, tuple(self.loops)))
            self.order += 1
        if isinstance(node.target, ast.Name):
            self.scope.bind(node.target.id, Binding(node.lineno, None, aug=True))
        else:
            self.visit(node.target)

    def visit_NamedExpr(self, node: ast.NamedExpr) -> None:
        self.visit(node.value)
        self.scope.bind(node.target.id, Binding(node.lineno, node.value))

    def _loop(self, node: ast.For | ast.AsyncFor | ast.While) -> None:
        if isinstance(node, (ast.For, ast.AsyncFor)):
            self.visit(node.iter)
            self._bind_target(node.target, None, node.lineno)
        else:
            self.visit(node.test)
        self.loops.append(node)
        for stmt in node.body:
            self.visit(stmt)
        self.loops.pop()
        for stmt in node.orelse:
            self.visit(stmt)

    visit_For = _loop
    visit_AsyncFor = _loop
    visit_While = _loop

    def visit_comprehension(self, node: ast.comprehension) -> None:
        self.visit(node.iter)
        for cond in node.ifs:
            self.visit(cond)

    def _with(self, node: ast.With | ast.AsyncWith) -> None:
        guarded = False
        for item in node.items:
            self.visit(item.context_expr)
            expr = item.context_expr
            fn = expr.func if isinstance(expr, ast.Call) else expr
            name = fn.attr if isinstance(fn, ast.Attribute) else fn.id if isinstance(fn, ast.Name) else ""
            guarded = guarded or name in _NO_GRAD
            if item.optional_vars is not None:  # `with open(p) as f`: f stands for what the context opened
                self._bind_target(item.optional_vars, item.context_expr, node.lineno)
        self.no_grad += guarded
        for stmt in node.body:
            self.visit(stmt)
        self.no_grad -= guarded

    visit_With = _with
    visit_AsyncWith = _with

    # -- imports -------------------------------------------------------------------
    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            if alias.asname:
                self.info.imports[alias.asname] = ImportRef(alias.name, None)
            else:
                head = alias.name.split(".")[0]
                self.info.imports.setdefault(head, ImportRef(head, None))
                if "." in alias.name:  # `import a.b` binds `a` and makes a.b reachable
                    self.info.imports[f"{alias.name}"] = ImportRef(alias.name, None)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        for alias in node.names:
            if alias.name == "*":
                self.info.star_imports.append(ImportRef(node.module or "", None, node.level))
                continue
            self.info.imports[alias.asname or alias.name] = ImportRef(node.module or "", alias.name, node.level)

    # -- expressions -----------------------------------------------------------------
    def visit_Call(self, node: ast.Call) -> None:
        # Post-order: arguments run before the call, so `clip(tf.gradients(...))` orders gradients first.
        visit = self.visit
        visit(node.func)
        for arg in node.args:
            visit(arg)
        for kw in node.keywords:
            visit(kw.value)
        site = CallSite(node, self.scope, tuple(self.loops), self.no_grad > 0, self.order, self.ifs, self.stmt)
        if self.stmt is not None:
            self.info._stmt_of[id(node)] = self.stmt
        (self.info.main_calls if self.in_main else self.info.calls).append(site)
        self.order += 1
        for kw in node.keywords:
            if kw.arg:  # whole keyword names only: `gradient_clip_val` must not read as "val"
                self.info.identifiers.add(kw.arg.lower())
        fn = node.func
        if isinstance(fn, ast.Attribute) and fn.attr in ("add_argument", "set_defaults"):
            self._argparse(node)
        if (
            isinstance(fn, ast.Attribute)
            and fn.attr in ("add_", "sub_")
            and any(isinstance(n, ast.Attribute) and n.attr == "grad" for a in node.args for n in ast.walk(a))
        ):
            self.info.grad_updates.append((self.scope, self.order - 1, node, tuple(self.loops)))

    def visit_Name(self, node: ast.Name) -> None:
        uses, name = self.info.name_loads, node.id
        if name in uses:
            uses[name] += 1
            return  # its identifier and words are in already
        uses[name] = 1
        self.info.identifiers.add(name.lower())
        self.info.words.update(split_words(name))

    def visit_Attribute(self, node: ast.Attribute) -> None:
        uses, attr = self.info.attr_uses, node.attr
        if attr in uses:
            uses[attr] += 1
        else:
            uses[attr] = 1
            self.info.identifiers.add(attr.lower())
            self.info.words.update(split_words(attr))
        self.visit(node.value)

    def visit_Constant(self, node: ast.Constant) -> None:
        value = node.value
        if isinstance(value, str) and len(value) < 40 and value not in self.strings:
            self.strings.add(value)
            self.info.string_words.update(split_words(value))

    # the most common nodes without a visitor of their own: their children, in ast's field order
    def visit_Expr(self, node: ast.Expr) -> None:
        self.visit(node.value)

    def visit_Return(self, node: ast.Return) -> None:
        if node.value is not None:
            self.visit(node.value)

    def visit_Compare(self, node: ast.Compare) -> None:
        self.visit(node.left)
        for comparator in node.comparators:
            self.visit(comparator)

    def visit_BinOp(self, node: ast.BinOp) -> None:
        self.visit(node.left)
        self.visit(node.right)

    def visit_keyword(self, node: ast.keyword) -> None:
        self.visit(node.value)

    def _argparse(self, node: ast.Call) -> None:
        kw = {k.arg: k.value for k in node.keywords if k.arg}
        if isinstance(node.func, ast.Attribute) and node.func.attr == "set_defaults":
            for dest, value in kw.items():
                old = self.info.argparse.get(dest)
                self.info.argparse[dest] = ArgDef(old.flag if old else dest, value, node.lineno)
            return
        flags = [a.value for a in node.args if isinstance(a, ast.Constant) and isinstance(a.value, str)]
        if not flags:
            return
        long_flags = [f for f in flags if f.startswith("--")]
        flag = long_flags[0] if long_flags else flags[0]
        dest_node = kw.get("dest")
        if isinstance(dest_node, ast.Constant) and isinstance(dest_node.value, str):
            dest = dest_node.value
        else:
            dest = flag.lstrip("-").replace("-", "_")
        action = kw.get("action")
        act = action.value if isinstance(action, ast.Constant) else None
        self.info.argparse[dest] = ArgDef(
            flag, kw.get("default"), node.lineno, store_true=act == "store_true", store_false=act == "store_false"
        )


def _is_main_guard(test: ast.expr) -> bool:
    return (
        isinstance(test, ast.Compare)
        and isinstance(test.left, ast.Name)
        and test.left.id == "__name__"
        and len(test.comparators) == 1
        and isinstance(test.comparators[0], ast.Constant)
        and test.comparators[0].value == "__main__"
    )
