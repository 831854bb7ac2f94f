"""Safe, bounded YAML/JSON reading into a small node tree that keeps every key's position.

Nothing is ever constructed from a tag: ``!new:torch.nn.LSTM``, ``!!python/object``
and every other tag are read as data (the tag is kept beside the value). Aliases
are followed with a budget, so a "billion laughs" document is refused instead of
expanded; very deep nesting is refused too. Duplicate keys are reported.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import yaml

from rnnlint.read.source import SourceError

MAX_NODES = 50_000  # nodes visited, aliases counted each time they are reached
MAX_DEPTH = 200


@dataclass
class YNode:
    line: int  # 1-based
    col: int  # 1-based
    tag: str | None = None  # a non-standard tag such as "!new:torch.nn.LSTM"


@dataclass
class YScalar(YNode):
    value: Any = None


@dataclass
class YSeq(YNode):
    items: list[YNode] = field(default_factory=list)


@dataclass
class YMap(YNode):
    items: dict[str, YNode] = field(default_factory=dict)
    keys: dict[str, tuple[int, int]] = field(default_factory=dict)  # key -> (line, col) of the key itself

    def get(self, *path: str) -> YNode | None:
        node: YNode | None = self
        for key in path:
            node = node.items.get(key) if isinstance(node, YMap) else None
        return node

    def scalar(self, *path: str, default: Any = None) -> Any:
        node = self.get(*path)
        return node.value if isinstance(node, YScalar) else default


@dataclass
class YamlDoc:
    root: YNode
    duplicates: list[tuple[str, int, int, int]]  # key, line, col, first line


class _Loader(yaml.SafeLoader):
    """SafeLoader that never constructs anything; we only compose nodes."""


_STANDARD = "tag:yaml.org,2002:"
_SCALARS = yaml.constructor.SafeConstructor()


def load(data: bytes) -> YamlDoc | SourceError:
    """Compose a YAML (or JSON) document safely and convert it to YNodes within budgets."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        return SourceError(f"cannot decode as UTF-8: {exc.reason}")
    if text.lstrip()[:1] in ("{", "["):
        # a flow document (JSON): indentation means nothing there and JSON allows tabs in it, which PyYAML's scanner
        # refuses; one space per leading tab keeps every column (block YAML with tabs stays refused)
        text = re.sub(r"(?m)^[ \t]+", lambda m: m.group(0).replace("\t", " "), text)
    node = _compose_fast(text)
    try:
        if node is None:
            node = next((n for n in yaml.compose_all(text, Loader=_Loader) if n is not None), None)  # first document
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        return SourceError(f"invalid YAML: {exc.problem or exc.context}", line, col)
    except yaml.YAMLError as exc:
        return SourceError(f"invalid YAML: {exc}")
    except RecursionError:
        return SourceError(f"YAML nested too deeply (over {MAX_DEPTH} levels)")
    if node is None:
        return YamlDoc(YMap(1, 1), [])
    converter = _Converter()
    try:
        root = converter.convert(node, 0)
    except _TooBig as exc:
        # past the depth budget the document still parsed: rnnlint's limit (a notice); an alias bomb is refused
        return SourceError(str(exc), internal=exc.depth)
    return YamlDoc(root, converter.duplicates)


_FAST = getattr(yaml, "CSafeLoader", None)  # libyaml: composes 50-100x faster than the pure-Python loader


def _compose_fast(text: str) -> yaml.Node | None:
    """The first document's nodes by libyaml (same marks), or None: no libyaml, an empty document, or an error, which
    the pure-Python loader then reports in its own, more precise words. libyaml refuses nesting past 1000 levels
    itself, so it never exhausts the C stack."""
    if _FAST is None:
        return None
    try:
        return next((n for n in yaml.compose_all(text, Loader=_FAST) if n is not None), None)
    except (yaml.YAMLError, RecursionError, MemoryError):
        return None


class _TooBig(Exception):
    def __init__(self, message: str, depth: bool = False) -> None:
        super().__init__(message)
        self.depth = depth


class _Converter:
    def __init__(self) -> None:
        self.visited = 0
        self.duplicates: list[tuple[str, int, int, int]] = []

    def convert(self, node: yaml.Node, depth: int) -> YNode:
        self.visited += 1
        if self.visited > MAX_NODES:
            raise _TooBig(f"YAML expands to more than {MAX_NODES} nodes (an alias bomb?): refused")
        if depth > MAX_DEPTH:
            raise _TooBig(f"YAML nested too deeply for rnnlint (over {MAX_DEPTH} levels)", depth=True)
        line, col = node.start_mark.line + 1, node.start_mark.column + 1
        tag = None if node.tag.startswith(_STANDARD) else node.tag
        if isinstance(node, yaml.MappingNode):
            out = YMap(line, col, tag)
            for key_node, value_node in node.value:
                key = self._key(key_node)
                kline, kcol = key_node.start_mark.line + 1, key_node.start_mark.column + 1
                if key == "<<" and isinstance(value_node, (yaml.MappingNode, yaml.SequenceNode)):
                    self._merge(out, value_node, depth)
                    continue
                if key in out.keys:
                    self.duplicates.append((key, kline, kcol, out.keys[key][0]))
                out.keys[key] = (kline, kcol)
                out.items[key] = self.convert(value_node, depth + 1)
            return out
        if isinstance(node, yaml.SequenceNode):
            return YSeq(line, col, tag, [self.convert(n, depth + 1) for n in node.value])
        return YScalar(line, col, tag, self._scalar(node))

    def _merge(self, out: YMap, node: yaml.Node, depth: int) -> None:
        sources = node.value if isinstance(node, yaml.SequenceNode) else [node]
        for src in sources:
            merged = self.convert(src, depth + 1)
            if isinstance(merged, YMap):
                for k, v in merged.items.items():
                    out.items.setdefault(k, v)
                    out.keys.setdefault(k, merged.keys[k])

    @staticmethod
    def _key(node: yaml.Node) -> str:
        return str(node.value) if isinstance(node, yaml.ScalarNode) else f"<{node.tag}>"

    @staticmethod
    def _scalar(node: yaml.Node) -> Any:
        if not isinstance(node, yaml.ScalarNode):
            return None
        if node.tag.startswith(_STANDARD) and node.tag[len(_STANDARD) :] in ("int", "float", "bool", "null", "str"):
            try:
                return _SCALARS.construct_object(node)
            except (ValueError, yaml.YAMLError):
                return node.value
        return node.value  # any other tag: the text, as data


def to_python(node: YNode | None, budget: list[int] | None = None) -> Any:
    """Plain Python data (dicts, lists, scalars) of a node, for schema validation."""
    budget = budget if budget is not None else [MAX_NODES]
    budget[0] -= 1
    if budget[0] < 0 or node is None:
        return None
    if isinstance(node, YMap):
        return {k: to_python(v, budget) for k, v in node.items.items()}
    if isinstance(node, YSeq):
        return [to_python(v, budget) for v in node.items]
    return node.value if isinstance(node, YScalar) else None


_LINE = re.compile(r"[^\r\n\x85\u2028\u2029]*(?:\r\n|[\r\n\x85\u2028\u2029]|$)")  # YAML's line breaks, as PyYAML counts


def yaml_lines(text: str) -> list[str]:
    """``text`` split into lines with their breaks, as PyYAML counts lines (also NEL, LS, PS)."""
    return [m.group(0) for m in _LINE.finditer(text) if m.group(0)] or [""]
