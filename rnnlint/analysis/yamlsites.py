"""Where a fix sets one key of one block mapping in a YAML config, found by a minimal text edit, comments kept.

An existing key gets only its value's text replaced; a missing key gets a line of its
own after the mapping's last entry, at the mapping's indentation. Flow style
(``{...}``, JSON), block scalars and aliases are left alone (no fix). Every fix is
tried on the text before it is offered: the YAML must still load with the project's
safe loader and hold the new value at that key. Applying the edits is :mod:`rnnlint.fix.yamltext`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import yaml

from rnnlint.diagnostics import Edit, Fix, Loc
from rnnlint.read.source import SourceError
from rnnlint.read.textpos import line_starts, offset
from rnnlint.read.yamlnodes import YMap, YScalar, _Loader, load, yaml_lines

_REPLACEABLE = re.compile(r"^(?:[-+]?(?:\d[\d_]*)?\.?\d*(?:[eE][-+]?\d+)?|null|Null|NULL|~|false|False|FALSE)$")


def yaml_number(value: float) -> str:
    """A float YAML 1.1 reads as a float: ``5.0``, ``1.0e-5`` (``1e-5`` would be a string)."""
    text = repr(float(value))
    m = re.fullmatch(r"(-?\d+)(e[-+]?\d+)", text)
    if m:
        text = f"{m.group(1)}.0{m.group(2)}"
    return re.sub(r"e([+-])0*(\d)", lambda m: f"e{'-' if m.group(1) == '-' else '+'}{m.group(2)}", text)


@dataclass(frozen=True)
class ConfigFix:
    """Where ``key`` of the mapping at ``mapping`` gets its value: a span to replace, or a line to add."""

    text: str
    mapping: tuple[str, ...]
    key: str
    line: int
    col: int
    end_line: int
    end_col: int
    prefix: str  # "" when the value is replaced; the new line's break, indentation and "key: " otherwise

    @property
    def dotted(self) -> str:
        return ".".join([*self.mapping, self.key])

    def fix(self, path: str, value: float) -> Fix | None:
        """The edit that sets the key to ``value``; None unless the edited YAML loads and holds it."""
        content = self.prefix + yaml_number(value)
        edited = _splice(self.text, self.line, self.col, self.end_line, self.end_col, content)
        doc = load(edited.encode("utf-8"))
        if isinstance(doc, SourceError) or not isinstance(doc.root, YMap):
            return None
        node = doc.root.get(*self.mapping, self.key)
        if not isinstance(node, YScalar) or node.value != value:
            return None
        verb = "add" if self.prefix else "set"
        return Fix(
            "safe",
            f"{verb} `{self.dotted}: {yaml_number(value)}`",
            (Edit(Loc(path, self.line, self.col, self.end_line, self.end_col), content),),
        )


def setting(text: str, mapping: tuple[str, ...], key: str) -> ConfigFix | None:
    """Where to set ``key`` in the block mapping at ``mapping`` (the root for ``()``); None when unsure."""
    try:
        root = yaml.compose(text, Loader=_Loader)
    except (yaml.YAMLError, RecursionError):
        return None
    node = root
    for name in mapping:
        node = _child(node, name)
    if not isinstance(node, yaml.MappingNode) or node.flow_style or not node.value:
        return None
    if sum(isinstance(k, yaml.ScalarNode) and k.value == key for k, _ in node.value) > 1:
        return None  # a duplicated key: which one counts is not ours to guess
    value = _child(node, key)
    if value is not None:
        span = text[value.start_mark.index : value.end_mark.index]
        if not isinstance(value, yaml.ScalarNode) or value.style is not None or not span or not _REPLACEABLE.match(span):
            return None
        return ConfigFix(text, mapping, key, *_pos(value.start_mark), *_pos(value.end_mark), "")
    first_key, _ = node.value[0]
    end = _content_end(node)
    lines = yaml_lines(text)
    if end is None or end.line >= len(lines):
        return None
    line = end.line + 1
    col = len(lines[end.line].rstrip("\r\n\x85\u2028\u2029")) + 1
    indent = " " * first_key.start_mark.column
    return ConfigFix(text, mapping, key, line, col, line, col, f"\n{indent}{key}: ")


def _child(node: yaml.Node | None, name: str) -> yaml.Node | None:
    if not isinstance(node, yaml.MappingNode):
        return None
    found = [v for k, v in node.value if isinstance(k, yaml.ScalarNode) and k.value == name]
    return found[0] if len(found) == 1 else None  # a duplicated key: which one counts is not ours to guess


def _content_end(node: yaml.Node) -> yaml.Mark | None:
    """Where the last entry of a block collection ends (its last scalar or flow collection); None when unsure."""
    while True:
        if isinstance(node, yaml.ScalarNode):
            return node.end_mark if node.style is None or node.style in "'\"" else None  # not a block scalar
        if isinstance(node, (yaml.MappingNode, yaml.SequenceNode)) and (node.flow_style or not node.value):
            return node.end_mark if node.flow_style else None
        if isinstance(node, yaml.MappingNode):
            key, child = node.value[-1]
            if child.start_mark.index < key.start_mark.index:
                return None  # an alias: its node sits elsewhere in the file
            node = child
        elif isinstance(node, yaml.SequenceNode):
            node = node.value[-1]
        else:
            return None


def _pos(mark: yaml.Mark) -> tuple[int, int]:
    return mark.line + 1, mark.column + 1


def _splice(text: str, line: int, col: int, end_line: int, end_col: int, content: str) -> str:
    starts = line_starts(yaml_lines(text))
    return text[: offset(starts, text, line, col)] + content + text[offset(starts, text, end_line, end_col) :]
