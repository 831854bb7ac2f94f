"""Applying fixes to YAML configs: the edits spliced into the text as YAML counts its lines (UTF-8, byte-order
mark and line breaks kept); a fixed config must still load with the project's safe loader. Where each edit goes
is found by :mod:`rnnlint.analysis.yamlsites`."""

from __future__ import annotations

from rnnlint.diagnostics import Diagnostic
from rnnlint.fix.textedit import apply_to_text
from rnnlint.read.source import SourceError
from rnnlint.read.textpos import split_bom
from rnnlint.read.yamlnodes import load, yaml_lines


def apply(original: bytes, diags: list[Diagnostic]) -> tuple[bytes, list[Diagnostic]]:
    """The config with the fixes applied (UTF-8, byte-order mark and line breaks kept)."""
    bom, rest = split_bom(original)
    try:
        text = rest.decode("utf-8")
    except UnicodeDecodeError:
        return original, []
    fixed, applied = apply_to_text(text, yaml_lines(text), diags)
    return bom + fixed.encode("utf-8"), applied


def valid(data: bytes, original: bytes) -> bool:
    """The edited config still loads with the project's safe loader."""
    return not isinstance(load(data), SourceError)
