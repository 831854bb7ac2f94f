"""The LibCST side of the fixes: each change parses only its own call, expression or statement, and gives its edits.

A change's source is parsed alone with LibCST's native parser (``parse_expression`` / ``parse_statement``),
changed node by node with ``with_changes`` and generated back: one edit for that span, so the comments, commas
and layout inside it stay as written; new statements are LibCST's code for them, in the block's indentation.
This module is imported only when a fix's edits are read (:class:`rnnlint.checks.fixes.Codemod`). Nodes are
tested with ``isinstance``, not ``libcst.matchers``, and imports are added without ``libcst.codemod``: importing
those takes 0.2 s and 0.3 s, more than making a whole project's edits. Imports follow the rules of LibCST's
``AddImportsVisitor``, on the leading import block only: nothing already imported is added, a ``from`` import
joins one from the same module, new imports go after the others (``__future__`` stays first).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from functools import partial
from itertools import pairwise
from typing import Any

import libcst as cst

from rnnlint.analysis.tfsites import MINIMIZE_POSITIONAL, TO_APPLY, TO_COMPUTE
from rnnlint.diagnostics import Edit
from rnnlint.facts import AddImport, CallChange, Change, ExprChange, InsertStatement, MinimizeRewrite, MoveStatement

_NONE = cst.SimpleWhitespace("")
_COMMA = cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))
_ATOMS = (cst.Name, cst.Attribute, cst.Call, cst.Subscript, cst.Integer, cst.Float, cst.SimpleString, cst.List, cst.Dict)
_code = cst.Module(body=[]).code_for_node


class Unfit(Exception):
    """The source is not the shape the change expects: no fix rather than a wrong one."""


def edits(changes: Iterable[Change]) -> tuple[Edit, ...]:
    """Every change's edits, or none when one of them cannot be made or two overlap (a call inside another)."""
    try:
        out = tuple(dict.fromkeys(e for c in dict.fromkeys(changes) for e in _RENDER[type(c)](c)))
    except (cst.ParserSyntaxError, cst.CSTValidationError, Unfit, RecursionError):
        return ()
    spans = sorted(((e.loc.line, e.loc.col), (e.loc.end_line, e.loc.end_col)) for e in out)
    return () if any(b[0] < a[1] for a, b in pairwise(spans)) else out


def _statement(text: str) -> cst.SimpleStatementLine:
    node = cst.parse_statement(text)
    if not isinstance(node, cst.SimpleStatementLine) or len(node.body) != 1:
        raise Unfit(text)
    return node


def _line(code: str) -> str:
    """A statement as LibCST writes it (parsed first: a fix never writes code that does not parse)."""
    return _code(_statement(code)).rstrip("\n")


# -- commas, the same for call arguments, list elements and imported names ------------------------------------
def _append(items: Sequence[Any], closing: Any, new: Any, opening: Any) -> tuple[list[Any], Any]:
    """``items`` and ``new`` after them; ``closing`` is the whitespace before the closing bracket.

    One item per line with a trailing comma: ``new`` gets a line of its own after the last item and its comment,
    in the items' indentation. Otherwise ``, new`` follows the last item (a trailing comma stays last).
    """
    if not items:
        return [new], closing
    last, comma = items[-1], items[-1].comma
    if isinstance(comma, cst.Comma) and isinstance(closing, cst.ParenthesizedWhitespace):
        before = items[-2].comma.whitespace_after if len(items) > 1 else opening
        indent = before.last_line if isinstance(before, cst.ParenthesizedWhitespace) else closing.last_line
        last = last.with_changes(comma=comma.with_changes(whitespace_after=closing.with_changes(last_line=indent)))
        new, closing = new.with_changes(comma=cst.Comma()), closing.with_changes(first_line=cst.TrailingWhitespace())
    elif isinstance(comma, cst.Comma):
        new, last = new.with_changes(comma=comma), last.with_changes(comma=_COMMA)
    else:
        last = last.with_changes(comma=_COMMA)
    return [*items[:-1], last, new], closing


def _drop(items: list[Any], closing: Any, i: int) -> tuple[list[Any], Any]:
    """``items`` without the ``i``-th and its comma (its line, one per line); the one before may now end them,
    keeping the comment after its comma."""
    trailing = isinstance(items[-1].comma, cst.Comma)
    items = items[:i] + items[i + 1 :]
    if items and i == len(items):
        own = items[-1].comma.whitespace_after
        if isinstance(own, cst.ParenthesizedWhitespace):
            closing = own.with_changes(last_line=closing.last_line if isinstance(closing, cst.ParenthesizedWhitespace) else _NONE)
        if not trailing:
            items[-1] = items[-1].with_changes(comma=cst.MaybeSentinel.DEFAULT)
    return items, closing


def _around_closing(items: Sequence[Any], change: Callable[[list[Any], Any], tuple[list[Any], Any]], pad: str) -> list[Any]:
    """``change`` applied to ``items`` with the whitespace before the closing bracket taken off the last one (after
    its comma, or its ``pad`` field when it has none) and put back on the new last one."""
    items, closing = list(items), None
    if items:
        last = items[-1]
        if isinstance(last.comma, cst.Comma):
            closing, items[-1] = (
                last.comma.whitespace_after,
                last.with_changes(comma=last.comma.with_changes(whitespace_after=_NONE)),
            )
        elif hasattr(last, pad):
            closing, items[-1] = getattr(last, pad), last.with_changes(**{pad: _NONE})
    items, closing = change(items, closing)
    if items and closing is not None:
        last = items[-1]
        comma = last.comma
        items[-1] = (
            last.with_changes(comma=comma.with_changes(whitespace_after=closing))
            if isinstance(comma, cst.Comma)
            else last.with_changes(**{pad: closing})
        )
    return items


def _args(call: cst.Call, change: Callable[[list[Any], Any], tuple[list[Any], Any]]) -> cst.Call:
    return call.with_changes(args=_around_closing(call.args, change, "whitespace_after_arg"))


def _keyword(call: cst.Call, name: str) -> int | None:
    return next((i for i, a in enumerate(call.args) if a.keyword is not None and a.keyword.value == name), None)


def _set(call: cst.Call, name: str, value: str) -> cst.Call:
    """``name=value``: the value replaced, or the keyword added after the last argument."""
    i = _keyword(call, name)
    if i is not None:
        return call.with_changes(
            args=[*call.args[:i], call.args[i].with_changes(value=cst.parse_expression(value)), *call.args[i + 1 :]]
        )
    if any(isinstance(a.value, cst.GeneratorExp) and not a.value.lpar for a in call.args):
        raise Unfit("f(x for x in y): the generator's parentheses are the call's")
    equal = cst.AssignEqual(whitespace_before=_NONE, whitespace_after=_NONE)
    new = cst.Arg(keyword=cst.Name(name), value=cst.parse_expression(value), equal=equal)
    return _args(call, partial(_append, new=new, opening=call.whitespace_before_args))


def _append_to(call: cst.Call, name: str, element: str) -> cst.Call:
    """``element`` last in the list ``name=[...]``, or ``name=[element]``."""
    i = _keyword(call, name)
    if i is None:
        return _set(call, name, f"[{element}]")
    value = call.args[i].value
    if not isinstance(value, cst.List):
        raise Unfit(f"{name}= is not a list")
    new = cst.Element(cst.parse_expression(element))
    elements, closing = _append(value.elements, value.rbracket.whitespace_before, new, value.lbracket.whitespace_after)
    value = value.with_changes(elements=elements, rbracket=value.rbracket.with_changes(whitespace_before=closing))
    return call.with_changes(args=[*call.args[:i], call.args[i].with_changes(value=value), *call.args[i + 1 :]])


# -- each kind of change --------------------------------------------------------------------------------------
def _call_change(c: CallChange) -> list[Edit]:
    call = cst.parse_expression(c.call.text)
    if not isinstance(call, cst.Call):
        raise Unfit(c.call.text)
    if c.func is not None:  # `nn.RNN` -> `nn.GRU` changes only the name after the dot
        func = cst.parse_expression(c.func)
        if isinstance(call.func, cst.Attribute) and isinstance(func, cst.Attribute):
            func = call.func.with_changes(attr=func.attr)  # the analysis spelled it with the same base
        call = call.with_changes(func=func)
    for name in c.drop:
        i = _keyword(call, name)
        call = _args(call, partial(_drop, i=i)) if i is not None else call
    for name, value in c.set:
        call = _set(call, name, value)
    if c.first is not None:  # separated from the next argument as the arguments are from each other
        comma = call.args[0].comma if len(call.args) > 1 and isinstance(call.args[0].comma, cst.Comma) else _COMMA
        call = call.with_changes(
            args=[cst.Arg(cst.parse_expression(c.first), comma=comma if call.args else cst.MaybeSentinel.DEFAULT), *call.args]
        )
    if c.append is not None:
        call = _append_to(call, *c.append)
    out = cst.Call(cst.parse_expression(c.wrap), [cst.Arg(call)]) if c.wrap is not None else call
    return [Edit(c.call.loc, _code(out))]


def _expr_change(c: ExprChange) -> list[Edit]:
    node = cst.parse_expression(c.expr.text)
    if not node.lpar and not isinstance(node, _ATOMS):
        node = node.with_changes(lpar=[cst.LeftParen()], rpar=[cst.RightParen()])
    hole = "__rnnlint_expr__"

    class Fill(cst.CSTTransformer):
        def leave_Name(self, original: cst.Name, updated: cst.Name) -> cst.BaseExpression:
            return node if original.value == hole else updated

    return [Edit(c.expr.loc, _code(cst.parse_expression(c.template.replace("{}", hole)).visit(Fill())))]  # type: ignore[arg-type]


def _insert(c: InsertStatement) -> list[Edit]:
    code = _line(c.code)
    return [Edit(c.site.loc, f"{c.site.indent}{code}\n" if c.before else f"\n{c.site.indent}{code}")]


def _move(c: MoveStatement) -> list[Edit]:
    stmt = _statement(c.statement.text).with_changes(trailing_whitespace=cst.TrailingWhitespace())
    return [Edit(c.lines, ""), Edit(c.to.loc, f"\n{c.to.indent}{_code(stmt).rstrip()}")]


def _split_minimize(m: MinimizeRewrite) -> list[Edit]:
    """``head opt.minimize(loss, k=v)`` -> compute_gradients, clip_by_global_norm, apply_gradients (same head)."""
    small = _statement(m.statement.text).body[0]
    head = {cst.Return: "return ", cst.Expr: ""}.get(type(small))
    if isinstance(small, cst.Assign) and len(small.targets) == 1:
        head = f"{_code(small.targets[0].target)} = "
    call = getattr(small, "value", None)
    if head is None or not isinstance(call, cst.Call) or not isinstance(call.func, cst.Attribute):
        raise Unfit(m.statement.text)
    named: dict[str, str] = {}
    for i, arg in enumerate(call.args):  # the analysis checked that each goes to one of the two calls
        named[arg.keyword.value if arg.keyword else MINIMIZE_POSITIONAL[i]] = _code(arg.value)
    receiver = _code(call.func.value)
    optimizer = "optimizer" if m.bind else receiver
    compute = ", ".join([named.pop("loss"), *(f"{k}={v}" for k, v in named.items() if k in TO_COMPUTE)])
    apply = "".join(f", {k}={v}" for k, v in named.items() if k in TO_APPLY)
    g, v = m.grads, m.variables
    lines = [f"optimizer = {receiver}"] if m.bind else []
    lines += [
        f"{g}, {v} = zip(*{optimizer}.compute_gradients({compute}))",
        f"{g}, _ = {m.tf}.clip_by_global_norm({g}, {m.norm})",
        f"{head}{optimizer}.apply_gradients(zip({g}, {v}){apply})",
    ]
    return [Edit(m.statement.loc, f"\n{m.indent}".join(_line(line) for line in lines))]


def _add_import(c: AddImport) -> list[Edit]:
    """AddImportsVisitor's rules, on the import block: nothing twice, a ``from`` import joins one from its module."""
    if not c.block.text:
        return [Edit(c.block.loc, _line(f"import {c.module}" if c.name is None else f"from {c.module} import {c.name}") + "\n")]
    block = cst.parse_module(c.block.text + "\n")
    body = list(block.body)
    for i, line in enumerate(body):
        node = line.body[0] if isinstance(line, cst.SimpleStatementLine) else None
        if isinstance(node, cst.Import) and c.name is None:
            if any(a.asname is None and _code(a.name) == c.module for a in node.names):
                return []
        elif (
            isinstance(node, cst.ImportFrom)
            and c.name is not None
            and not node.relative
            and not isinstance(node.names, cst.ImportStar)
        ):
            if node.module is None or _code(node.module) != c.module:
                continue
            if any(a.asname is None and _code(a.name) == c.name for a in node.names):
                return []
            opening, alias = node.lpar.whitespace_after if node.lpar else None, cst.ImportAlias(cst.Name(c.name))
            names = _around_closing(node.names, partial(_append, new=alias, opening=opening), "")
            body[i] = line.with_changes(body=[node.with_changes(names=names)])
            break
    else:
        body.append(_statement(f"import {c.module}" if c.name is None else f"from {c.module} import {c.name}"))
    return [Edit(c.block.loc, block.with_changes(body=body).code[:-1])]


_RENDER: dict[type, Callable[[Any], list[Edit]]] = {
    CallChange: _call_change,
    ExprChange: _expr_change,
    InsertStatement: _insert,
    MoveStatement: _move,
    MinimizeRewrite: _split_minimize,
    AddImport: _add_import,
}
