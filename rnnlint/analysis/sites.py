"""Where a fix can edit: the spot for one more keyword argument, the line after a statement.

Fixes are minimal text edits at exact source positions (the rest of the file, its
comments, quotes and formatting stay byte for byte), and every fixed file is parsed
again before it is written. In a notebook a site's line counts through the joined code
cells (its Loc carries the cell coordinates too); the fixer maps it into the cell's
source strings. YAML configs get no Python sites: their lines are generated code.
"""

from __future__ import annotations

import ast
import re

from rnnlint.analysis.pyindex import ModuleInfo
from rnnlint.diagnostics import Loc
from rnnlint.facts import KwargSite, LineSite
from rnnlint.read.source import char_col

_TRAILING_COMMA = re.compile(r"\s*,\s*(#.*)?")


def editable(mod: ModuleInfo) -> bool:
    """Python text at these positions: a .py file or a notebook's code cells (not a config's generated code)."""
    return mod.config_positions is None


def kwarg_site(mod: ModuleInfo, call: ast.Call) -> KwargSite | None:
    """The insertion point for ``, name=value``: right after the last argument, or inside empty parentheses.

    Inserting after the last argument (not before ``)``) keeps a trailing comma and a
    comment after it where they are. In a call laid out one argument per line with a
    trailing comma the new argument gets a line of its own after the last one (and after
    its comment).
    """
    if not editable(mod) or call.end_lineno is None or call.end_col_offset is None:
        return None
    given = frozenset(k.arg for k in call.keywords if k.arg)
    arguments: list[ast.expr | ast.keyword] = [*call.args, *call.keywords]
    if arguments:
        last = max(arguments, key=lambda a: (a.end_lineno or 0, a.end_col_offset or 0))
        if last.end_lineno is None or last.end_col_offset is None:
            return None
        line, col, prefix = last.end_lineno, last.end_col_offset, ", "
    else:
        line, col, prefix = call.end_lineno, call.end_col_offset - 1, ""  # just inside the ")"
    if any(isinstance(a, ast.GeneratorExp) for a in call.args):
        return None  # `f(x for x in y)`: the generator's parentheses are the call's
    text = mod.lines[line - 1] if line <= len(mod.lines) else ""
    at = char_col(text, col)
    if not arguments and (at >= len(text) or text[at] != ")"):
        return None
    close = (call.end_lineno, char_col(mod.lines[call.end_lineno - 1], call.end_col_offset) - 1)
    probe = at
    while True:  # `f(a, k=(1))`: step past the argument's own closing parentheses
        while probe < len(text) and text[probe] in " \t":
            probe += 1
        if probe < len(text) and text[probe] == ")" and (line, probe) != close and arguments:
            at = probe = probe + 1
            continue
        break
    rest = text[at:].rstrip("\r\n")
    if arguments and call.end_lineno > line and _TRAILING_COMMA.fullmatch(rest):
        # one argument per line with a trailing comma: the new one gets its own line, as a formatter would write it
        indent = text[: len(text) - len(text.lstrip())]
        end = len(text.rstrip("\r\n"))
        return KwargSite(mod.span(line, end + 1, line, end + 1), f"\n{indent}", given, ",")
    return KwargSite(mod.span(line, at + 1, line, at + 1), prefix, given)


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


def import_site(mod: ModuleInfo) -> LineSite | None:
    """After the last top-level import (or at the top): where a missing import goes."""
    if not editable(mod):
        return None
    last = 0
    for stmt in mod.tree.body:
        if isinstance(stmt, (ast.Import, ast.ImportFrom)) and stmt.end_lineno is not None:
            last = stmt.end_lineno
        elif last:
            break
    if last == 0:
        return LineSite(mod.span(1, 1, 1, 1), "")
    end = len(mod.lines[last - 1].rstrip("\r\n"))
    return LineSite(mod.span(last, end + 1, last, end + 1), "")
