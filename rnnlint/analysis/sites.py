"""Where a fix can edit: the source of the call or statement it changes, the line after a statement.

A site is an exact span with its text; :mod:`rnnlint.checks.codemods` parses only that text with LibCST and makes
the edit, so the rest of the file stays byte for byte, and every fixed file is parsed again before it is written.
In a notebook a site's line counts through the joined code cells (its Loc carries the cell coordinates too); the
fixer maps it into the cell's source strings. YAML configs get no Python sites: their lines are generated code.
"""

from __future__ import annotations

import ast

from rnnlint.analysis.pyindex import ModuleInfo
from rnnlint.diagnostics import Loc
from rnnlint.facts import KwargSite, LineSite, Span
from rnnlint.read.source import char_col


def editable(mod: ModuleInfo) -> bool:
    """Python text at these positions: a .py file or a notebook's code cells (not a config's generated code)."""
    return mod.config_positions is None


def _text(mod: ModuleInfo, line: int, col: int, end_line: int, end_col: int) -> str:
    """The text between two 1-based (line, character column) positions, lines joined with ``\\n``."""
    lines = mod.lines[line - 1 : end_line]
    lines[-1] = lines[-1][: end_col - 1]
    lines[0] = lines[0][col - 1 :]
    return "\n".join(lines)


def span_of(mod: ModuleInfo, node: ast.AST) -> Span:
    """The node's exact span and text: what a codemod parses and replaces."""
    loc = mod.loc(node)
    return Span(loc, _text(mod, loc.line, loc.col, loc.end_line, loc.end_col))


def source_of(mod: ModuleInfo, node: ast.AST) -> str:
    return span_of(mod, node).text


def kwarg_site(mod: ModuleInfo, call: ast.Call) -> KwargSite | None:
    """The call, to take one more keyword argument (placed by LibCST after the last one, keeping commas and comments)."""
    if not editable(mod) or any(isinstance(a, ast.GeneratorExp) for a in call.args):
        return None  # `f(x for x in y)`: the generator's parentheses are the call's
    span = span_of(mod, call)
    return KwargSite(span.loc, span.text, frozenset(k.arg for k in call.keywords if k.arg))


def statement_of(mod: ModuleInfo, node: ast.AST) -> ast.stmt | None:
    parents = mod.parents()
    cur: ast.AST | None = node
    while cur is not None and not isinstance(cur, ast.stmt):
        cur = parents.get(id(cur))
    return cur


def line_site_after(mod: ModuleInfo, node: ast.AST) -> LineSite | None:
    """The end of the statement holding ``node``: new statements go on the lines after it."""
    stmt = statement_of(mod, node)
    if not editable(mod) or stmt is None or stmt.end_lineno is None or _shares_a_line(mod, stmt):
        return None
    first = mod.lines[stmt.lineno - 1]
    indent = first[: len(first) - len(first.lstrip())]
    last = mod.lines[stmt.end_lineno - 1]
    end = len(last.rstrip("\r\n"))
    return LineSite(mod.span(stmt.end_lineno, end + 1, stmt.end_lineno, end + 1), indent)


def _shares_a_line(mod: ModuleInfo, stmt: ast.stmt) -> bool:
    """``a; b`` or ``if c: a``: a statement that does not own its lines, so code put before or after them would
    run in the wrong place."""
    first = mod.lines[stmt.lineno - 1] if stmt.lineno <= len(mod.lines) else ""
    if char_col(first, stmt.col_offset) != len(first) - len(first.lstrip()):
        return True
    parent = mod.parents().get(id(stmt))
    for name in ("body", "orelse", "finalbody", "handlers"):
        block = getattr(parent, name, None)
        if isinstance(block, list) and any(s is stmt for s in block):
            i = next(i for i, s in enumerate(block) if s is stmt)
            after = block[i + 1] if i + 1 < len(block) else None
            return after is not None and after.lineno == stmt.end_lineno
    return False


def line_site_before(mod: ModuleInfo, node: ast.AST) -> LineSite | None:
    """The start of the statement holding ``node``: new statements go on the lines before it."""
    stmt = statement_of(mod, node)
    if not editable(mod) or stmt is None:
        return None
    first = mod.lines[stmt.lineno - 1]
    indent = first[: len(first) - len(first.lstrip())]
    return LineSite(mod.span(stmt.lineno, 1, stmt.lineno, 1), indent)


def statement_lines(mod: ModuleInfo, node: ast.AST) -> Loc | None:
    """The whole lines of the statement holding ``node`` (to move it), newline included."""
    stmt = statement_of(mod, node)
    if not editable(mod) or stmt is None or stmt.end_lineno is None:
        return None
    if _shares_a_line(mod, stmt):
        return None
    return mod.span(stmt.lineno, 1, stmt.end_lineno + 1, 1)


def module_alias(mod: ModuleInfo, module: str) -> str | None:
    """The name this module binds to ``module`` (``import torch`` -> "torch"), if any."""
    for name, ref in mod.imports.items():
        if ref.name is None and ref.module == module and "." not in name:
            return name
        if ref.name is not None and f"{ref.module}.{ref.name}" == module and ref.level == 0:
            return name
    return None


def import_block(mod: ModuleInfo) -> Span | None:
    """The module's leading import block, from its start to its last import (a notebook: within that import's cell);
    with no import, the docstring or the comments before the first statement (a shebang, a coding line), which new
    imports follow."""
    if not editable(mod):
        return None
    last: ast.stmt | None = None
    body = mod.tree.body
    for stmt in body:
        if isinstance(stmt, (ast.Import, ast.ImportFrom)):
            last = stmt
        elif last is not None:
            break
    if last is None and body and isinstance(body[0], ast.Expr) and isinstance(getattr(body[0].value, "value", None), str):
        last = body[0]  # new imports go after the docstring
    if last is None:
        starts = [body[0].lineno, *(d.lineno for d in getattr(body[0], "decorator_list", []))] if body else []
        end_line = min(starts) - 1 if starts else len(mod.lines)
    else:
        end_line = last.end_lineno or last.lineno
    if end_line < 1:
        return Span(mod.span(1, 1, 1, 1), "")
    first = 1
    if mod.cells:
        cell = mod.cells[end_line - 1][0]
        first = next(n for n in range(1, end_line + 1) if mod.cells[n - 1][0] == cell)
    end = len(mod.lines[end_line - 1]) + 1
    return Span(mod.span(first, 1, end_line, end), _text(mod, first, 1, end_line, end))
