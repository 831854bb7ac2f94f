"""Fix edits made with LibCST: each change parses only its own call, expression or statement, when a fix is shown.

The analysis records where a fix goes and what it does (the changes in :mod:`rnnlint.facts`: a call's span and
text and the keyword to set, a statement to add after another). Here each change's source is parsed alone with
LibCST's native parser (``parse_expression`` / ``parse_statement``), changed node by node with ``with_changes``
and generated back: one text edit for that span, so the comments, commas and layout inside it stay as written.
New statements are LibCST's code for the statement, on a line of their own in the block's indentation.

Cost follows the fixes, not the files: a :class:`Codemod` runs the first time its fix's edits are read (``--fix``,
``--diff``, JSON/SARIF output, a code action), and LibCST is imported then. For the same reason nodes are tested
with ``isinstance`` rather than ``libcst.matchers``, and imports are added without ``libcst.codemod``: those two
imports take 0.2 s and 0.3 s, more than the edits of a whole project's fixes. Import additions follow the rules of
LibCST's ``AddImportsVisitor`` on the leading import block only: what is imported already is not added again, a
``from`` import joins the one from the same module, new imports go after the others (``__future__`` stays first).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from rnnlint.analysis.tfsites import MINIMIZE_POSITIONAL, TO_APPLY, TO_COMPUTE
from rnnlint.diagnostics import Edit, Loc
from rnnlint.facts import AddImport, CallChange, Change, ExprChange, InsertStatement, MoveStatement, SplitMinimize

if TYPE_CHECKING:
    import libcst as cst

_HOLE = "__rnnlint_expr__"


class _Unfit(Exception):
    """The source is not the shape the change expects (the file changed, or a form the change does not handle)."""


@dataclass(frozen=True)
class Codemod:
    """A fix's changes; their edits are made on first use (:attr:`rnnlint.diagnostics.Fix.edits`)."""

    changes: tuple[Change, ...]

    def edits(self) -> tuple[Edit, ...]:
        import libcst

        out: list[Edit] = []
        try:
            for change in dict.fromkeys(self.changes):
                out += _RENDER[type(change)](change)
        except (libcst.ParserSyntaxError, libcst.CSTValidationError, _Unfit, RecursionError):
            return ()  # no fix rather than a wrong one
        return tuple(dict.fromkeys(out))

    def paths(self) -> set[str]:
        """The files the edits will be in (known without making them)."""
        return {loc.path for change in self.changes for loc in _locs(change)}


def _locs(change: Change) -> tuple[Loc, ...]:
    if isinstance(change, CallChange):
        return (change.call.loc,)
    if isinstance(change, ExprChange):
        return (change.expr.loc,)
    if isinstance(change, InsertStatement):
        return (change.site.loc,)
    if isinstance(change, MoveStatement):
        return (change.lines, change.to.loc)
    if isinstance(change, AddImport):
        return (change.block.loc,)
    return (change.site.statement.loc,)


# -- parsing and generating --------------------------------------------------------------------------------------
def _expression(text: str) -> cst.BaseExpression:
    import libcst

    return libcst.parse_expression(text)


def _statement(text: str) -> cst.SimpleStatementLine:
    import libcst

    node = libcst.parse_statement(text)
    if not isinstance(node, libcst.SimpleStatementLine) or len(node.body) != 1:
        raise _Unfit(text)
    return node


def _code(node: cst.CSTNode) -> str:
    import libcst

    return libcst.Module(body=[]).code_for_node(node)


def _line(code: str) -> str:
    """A statement as LibCST writes it (parsed first: a change never writes code that does not parse)."""
    return _code(_statement(code)).rstrip("\n")


# -- commas: the same rules for call arguments, list elements and imported names ---------------------------------
def _append(items: Sequence[Any], new: Any, closing: Any, opening: Any) -> tuple[list[Any], Any]:
    """``items`` with ``new`` last; ``closing`` is the whitespace before the closing bracket (returned, changed).

    One item per line with a trailing comma: the new item gets a line of its own, in the items' indentation,
    after the last one and its comment. Otherwise ``, new`` follows the last item (a trailing comma stays last).
    """
    import libcst

    if not items:
        return [new], closing
    last = items[-1]
    comma = last.comma
    if isinstance(comma, libcst.Comma) and isinstance(closing, libcst.ParenthesizedWhitespace):
        before = items[-2].comma.whitespace_after if len(items) > 1 and isinstance(items[-2].comma, libcst.Comma) else opening
        indent = before.last_line if isinstance(before, libcst.ParenthesizedWhitespace) else closing.last_line
        last = last.with_changes(comma=comma.with_changes(whitespace_after=closing.with_changes(last_line=indent)))
        new = new.with_changes(comma=libcst.Comma())
        closing = closing.with_changes(first_line=libcst.TrailingWhitespace(), empty_lines=[])
    elif isinstance(comma, libcst.Comma):
        new = new.with_changes(comma=comma)
        last = last.with_changes(comma=libcst.Comma(whitespace_after=libcst.SimpleWhitespace(" ")))
    else:
        last = last.with_changes(comma=libcst.Comma(whitespace_after=libcst.SimpleWhitespace(" ")))
    return [*items[:-1], last, new], closing


def _split_args(call: cst.Call) -> tuple[list[cst.Arg], Any]:
    """A call's arguments with the whitespace before ``)`` taken off the last one (after its comma, if any)."""
    import libcst

    args = list(call.args)
    if not args:
        return args, None
    last = args[-1]
    if isinstance(last.comma, libcst.Comma):
        closing = last.comma.whitespace_after
        args[-1] = last.with_changes(comma=last.comma.with_changes(whitespace_after=libcst.SimpleWhitespace("")))
    else:
        closing = last.whitespace_after_arg
        args[-1] = last.with_changes(whitespace_after_arg=libcst.SimpleWhitespace(""))
    return args, closing


def _join_args(call: cst.Call, args: list[cst.Arg], closing: Any) -> cst.Call:
    import libcst

    if args and closing is not None:
        last = args[-1]
        if isinstance(last.comma, libcst.Comma):
            args[-1] = last.with_changes(comma=last.comma.with_changes(whitespace_after=closing))
        else:
            args[-1] = last.with_changes(whitespace_after_arg=closing)
    return call.with_changes(args=args)


def _keyword(call: cst.Call, name: str) -> int | None:
    return next((i for i, a in enumerate(call.args) if a.keyword is not None and a.keyword.value == name), None)


def _add_arg(call: cst.Call, arg: cst.Arg) -> cst.Call:
    import libcst

    if any(isinstance(a.value, libcst.GeneratorExp) and not a.value.lpar for a in call.args):
        raise _Unfit("f(x for x in y): the generator's parentheses are the call's")
    args, closing = _split_args(call)
    before = call.whitespace_before_args
    args, closing = _append(args, arg, closing, before)
    return _join_args(call, args, closing)


def _drop(call: cst.Call, name: str) -> cst.Call:
    """The call without ``name=...`` and its comma (and its line, in a call laid out one argument per line)."""
    import libcst

    i = _keyword(call, name)
    if i is None:
        return call
    trailing = isinstance(call.args[-1].comma, libcst.Comma)
    args, closing = _split_args(call)
    del args[i]
    if args and i == len(args):  # the last one went: the one before it now ends the arguments
        prev = args[-1]
        if trailing and isinstance(prev.comma, libcst.Comma):
            own = prev.comma.whitespace_after
            if isinstance(own, libcst.ParenthesizedWhitespace) and isinstance(closing, libcst.ParenthesizedWhitespace):
                closing = closing.with_changes(first_line=own.first_line)  # its own comment stays on its line
        else:
            args[-1] = prev.with_changes(comma=libcst.MaybeSentinel.DEFAULT)
    return _join_args(call, args, closing)


def _set(call: cst.Call, name: str, value: str) -> cst.Call:
    import libcst

    i = _keyword(call, name)
    if i is not None:
        args = list(call.args)
        args[i] = args[i].with_changes(value=_expression(value))
        return call.with_changes(args=args)
    equal = libcst.AssignEqual(whitespace_before=libcst.SimpleWhitespace(""), whitespace_after=libcst.SimpleWhitespace(""))
    return _add_arg(call, libcst.Arg(keyword=libcst.Name(name), value=_expression(value), equal=equal))


def _first(call: cst.Call, code: str) -> cst.Call:
    """``code`` as the first argument, separated from the next as the arguments are from each other."""
    import libcst

    args = list(call.args)
    comma = args[0].comma if len(args) > 1 else libcst.MaybeSentinel.DEFAULT
    if not isinstance(comma, libcst.Comma):
        comma = libcst.Comma(whitespace_after=libcst.SimpleWhitespace(" "))
    new = libcst.Arg(value=_expression(code), comma=comma) if args else libcst.Arg(value=_expression(code))
    return call.with_changes(args=[new, *args])


def _append_to(call: cst.Call, name: str, element: str) -> cst.Call:
    """``element`` last in the list ``name=[...]``, or ``name=[element]`` when the call has no such keyword."""
    import libcst

    i = _keyword(call, name)
    if i is None:
        return _set(call, name, f"[{element}]")
    value = call.args[i].value
    if not isinstance(value, libcst.List):
        raise _Unfit(f"{name}= is not a list")
    new = libcst.Element(value=_expression(element))
    elements, closing = _append(list(value.elements), new, value.rbracket.whitespace_before, value.lbracket.whitespace_after)
    args = list(call.args)
    args[i] = args[i].with_changes(
        value=value.with_changes(elements=elements, rbracket=value.rbracket.with_changes(whitespace_before=closing))
    )
    return call.with_changes(args=args)


def _callee(old: cst.BaseExpression, new: str) -> cst.BaseExpression:
    """The new callee; ``nn.RNN`` -> ``nn.GRU`` changes only the name after the dot, keeping what precedes it."""
    import libcst

    node = _expression(new)
    if isinstance(old, libcst.Attribute) and isinstance(node, libcst.Attribute) and _code(old.value) == _code(node.value):
        return old.with_changes(attr=node.attr)
    return node


# -- rendering each kind of change ------------------------------------------------------------------------------
def _call_change(c: CallChange) -> list[Edit]:
    import libcst

    call = _expression(c.call.text)
    if not isinstance(call, libcst.Call):
        raise _Unfit(c.call.text)
    if c.func is not None:
        call = call.with_changes(func=_callee(call.func, c.func))
    for name in c.drop:
        call = _drop(call, name)
    for name, value in c.set:
        call = _set(call, name, value)
    if c.first is not None:
        call = _first(call, c.first)
    if c.append is not None:
        call = _append_to(call, *c.append)
    out: cst.BaseExpression = call
    if c.wrap is not None:
        out = libcst.Call(func=_expression(c.wrap), args=[libcst.Arg(call)])
    return [Edit(c.call.loc, _code(out))]


_ATOMS = ("Name", "Attribute", "Call", "Subscript", "Integer", "Float", "Imaginary", "SimpleString", "List", "Dict", "Set")


def _expr_change(c: ExprChange) -> list[Edit]:
    import libcst

    node = _expression(c.expr.text)
    if not node.lpar and type(node).__name__ not in _ATOMS:
        node = node.with_changes(lpar=[libcst.LeftParen()], rpar=[libcst.RightParen()])

    class Fill(libcst.CSTTransformer):
        def leave_Name(self, original: libcst.Name, updated: libcst.Name) -> libcst.BaseExpression:
            return node if original.value == _HOLE else updated

    filled = _expression(c.template.replace("{}", _HOLE)).visit(Fill())
    if not isinstance(filled, libcst.CSTNode):
        raise _Unfit(c.template)
    return [Edit(c.expr.loc, _code(filled))]


def _insert(c: InsertStatement) -> list[Edit]:
    code = _line(c.code)
    return [Edit(c.site.loc, f"{c.site.indent}{code}\n" if c.before else f"\n{c.site.indent}{code}")]


def _move(c: MoveStatement) -> list[Edit]:
    import libcst

    stmt = _statement(c.statement.text).with_changes(trailing_whitespace=libcst.TrailingWhitespace())
    return [Edit(c.lines, ""), Edit(c.to.loc, f"\n{c.to.indent}{_code(stmt).rstrip()}")]


def _split_minimize(c: SplitMinimize) -> list[Edit]:
    """``head opt.minimize(loss, k=v)`` -> compute_gradients, clip_by_global_norm, apply_gradients (same head)."""
    import libcst

    site = c.site
    small = _statement(site.statement.text).body[0]
    if isinstance(small, libcst.Assign) and len(small.targets) == 1:
        head = f"{_code(small.targets[0].target)} = "
    elif isinstance(small, libcst.Return):
        head = "return "
    elif isinstance(small, libcst.Expr):
        head = ""
    else:
        raise _Unfit(site.statement.text)
    call = small.value
    if not (isinstance(call, libcst.Call) and isinstance(call.func, libcst.Attribute) and call.func.attr.value == "minimize"):
        raise _Unfit(site.statement.text)
    named: dict[str, str] = {}
    for i, arg in enumerate(call.args):
        name = arg.keyword.value if arg.keyword is not None else MINIMIZE_POSITIONAL[i] if i < len(MINIMIZE_POSITIONAL) else ""
        if arg.star or name not in TO_COMPUTE | TO_APPLY or name in named:
            raise _Unfit(site.statement.text)
        named[name] = _code(arg.value)
    if "loss" not in named:
        raise _Unfit(site.statement.text)
    receiver = _code(call.func.value)
    optimizer = "optimizer" if site.bind else receiver
    compute = ", ".join([named["loss"], *(f"{k}={v}" for k, v in named.items() if k in TO_COMPUTE and k != "loss")])
    apply = "".join(f", {k}={v}" for k, v in named.items() if k in TO_APPLY)
    g, v = site.grads, site.variables
    lines = [f"optimizer = {receiver}"] if site.bind else []
    lines += [
        f"{g}, {v} = zip(*{optimizer}.compute_gradients({compute}))",
        f"{g}, _ = {c.tf}.clip_by_global_norm({g}, {c.norm})",
        f"{head}{optimizer}.apply_gradients(zip({g}, {v}){apply})",
    ]
    return [Edit(site.statement.loc, f"\n{site.indent}".join(_line(line) for line in lines))]


def _add_import(c: AddImport) -> list[Edit]:
    """AddImportsVisitor's rules on the import block: nothing twice, ``from`` imports merged, new ones last."""
    import libcst

    text = c.block.text
    block = libcst.parse_module(text + "\n" if text else "")
    body = list(block.body)
    imports = [(i, s.body[0]) for i, s in enumerate(body) if isinstance(s, libcst.SimpleStatementLine) and len(s.body) == 1]
    for i, node in imports:
        if c.name is None and isinstance(node, libcst.Import):
            if any(a.asname is None and _code(a.name) == c.module for a in node.names):
                return []
        elif c.name is not None and isinstance(node, libcst.ImportFrom) and not node.relative and node.module is not None:
            if _code(node.module) != c.module or isinstance(node.names, libcst.ImportStar):
                continue
            if any(a.asname is None and _code(a.name) == c.name for a in node.names):
                return []
            merged = _merge_names(node, c.name)
            body[i] = body[i].with_changes(body=[merged])
            return [Edit(c.block.loc, _strip(block, body, text))]
    new = f"import {c.module}" if c.name is None else f"from {c.module} import {c.name}"
    if not text:
        return [Edit(c.block.loc, _line(new) + "\n")]
    body.append(_statement(new))
    return [Edit(c.block.loc, _strip(block, body, text))]


def _merge_names(node: cst.ImportFrom, name: str) -> cst.ImportFrom:
    import libcst

    names = list(node.names) if not isinstance(node.names, libcst.ImportStar) else []
    alias = libcst.ImportAlias(name=libcst.Name(name))
    closing = node.rpar.whitespace_before if node.rpar is not None else None
    opening = node.lpar.whitespace_after if node.lpar is not None else None
    names, closing = _append(names, alias, closing, opening)
    changed = node.with_changes(names=names)
    if node.rpar is not None:
        changed = changed.with_changes(rpar=node.rpar.with_changes(whitespace_before=closing))
    return changed


def _strip(block: cst.Module, body: list[Any], text: str) -> str:
    """The block's new code, ending as the block did (its span stops at the end of its last line)."""
    code = block.with_changes(body=body).code
    return code[:-1] if code.endswith("\n") and not text.endswith("\n") else code


_RENDER: dict[type, Callable[[Any], list[Edit]]] = {
    CallChange: _call_change,
    ExprChange: _expr_change,
    InsertStatement: _insert,
    MoveStatement: _move,
    SplitMinimize: _split_minimize,
    AddImport: _add_import,
}
