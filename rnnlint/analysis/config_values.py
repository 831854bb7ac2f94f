"""Values a script reads from its config files: ``yaml.safe_load(open(p))``, ``OmegaConf.load``, ``@hydra.main``.

The file is read with the same safe, bounded YAML reader as linted configs and
turned into known values that remember their file and line, so that
``nn.LSTM(n, cfg["model"]["hidden"])`` reports ``hidden size 2048 (conf.yaml:4)``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from rnnlint.read.yamlnodes import YMap, YNode, YScalar, YSeq, load
from rnnlint.values import UNKNOWN, DictObj, SeqObj, Value

FILES_READ: set[str] = set()  # every config file read in this process (cache dependencies)

CONFIG_LOADERS = {
    "yaml.safe_load",
    "yaml.load",
    "yaml.full_load",
    "json.load",
    "omegaconf.OmegaConf.load",
    "ruamel.yaml.YAML.load",
}


@dataclass(frozen=True)
class FileRef:
    """A file a script opens, named relative to the script that opens it."""

    path: str
    opener: str  # the module that names it


class ConfigValues:
    def __init__(self) -> None:
        self._cache: dict[str, Value] = {}

    def load(self, ref: FileRef) -> Value:
        path = _locate(ref.path, ref.opener)
        return self._read(path) if path else UNKNOWN

    def hydra(self, opener: str, folder: str, name: str) -> Value:
        """A Hydra primary config composed with its defaults list (groups read from sub-folders)."""
        base = Path(opener).parent / folder
        root = self._node(base / (name if name.endswith((".yaml", ".yml")) else f"{name}.yaml"))
        if not isinstance(root, YMap):
            return UNKNOWN
        items = dict(_value(root, self._display(base / name)).value.items)
        defaults = root.get("defaults")
        for entry in defaults.items if isinstance(defaults, YSeq) else []:
            if isinstance(entry, YMap) and len(entry.items) == 1:
                group, choice = next(iter(entry.items.items()))
                if isinstance(choice, YScalar) and isinstance(choice.value, str):
                    sub = base / group / f"{choice.value}.yaml"
                    node = self._node(sub)
                    if node is not None:
                        items[group.split("/")[-1]] = _value(node, self._display(sub))
        return Value(DictObj(items))

    def _read(self, path: Path) -> Value:
        key = str(path)
        if key not in self._cache:
            node = self._node(path)
            self._cache[key] = _value(node, self._display(path)) if node is not None else UNKNOWN
        return self._cache[key]

    @staticmethod
    def _node(path: Path) -> YNode | None:
        FILES_READ.add(str(path.resolve()))
        try:
            if not path.is_file() or path.stat().st_size > 2_000_000:
                return None
            doc = load(path.read_bytes())
        except OSError:
            return None
        return getattr(doc, "root", None)

    @staticmethod
    def _display(path: Path) -> str:
        try:
            return os.path.relpath(path)
        except ValueError:
            return str(path)


def _locate(name: str, opener: str) -> Path | None:
    for base in (Path(opener).parent, Path.cwd()):
        try:  # issue 7: a config that is a looping symlink made resolve() raise RuntimeError (Python < 3.13)
            candidate = (base / name).resolve()
        except (OSError, RuntimeError):
            continue
        if candidate.is_file():
            return candidate
    return None


def _value(node: YNode, display: str, depth: int = 0) -> Value:
    if depth > 50:
        return UNKNOWN
    if isinstance(node, YMap):
        return Value(DictObj({k: _value(v, display, depth + 1) for k, v in node.items.items()}))
    if isinstance(node, YSeq):
        return Value(SeqObj(tuple(_value(v, display, depth + 1) for v in node.items)))
    if isinstance(node, YScalar) and not node.tag:
        return Value(node.value, f"{display}:{node.line}")
    return UNKNOWN
