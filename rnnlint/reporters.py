"""Output formats: full (code frames with rich), concise, json, github."""

from __future__ import annotations

import json
from typing import Any, TextIO

from rnnlint.diagnostics import Diagnostic, Fix


def _fix_json(fix: Fix | None) -> dict[str, Any] | None:
    if fix is None:
        return None
    return {
        "applicability": fix.applicability,
        "message": fix.message,
        "edits": [
            {
                "content": e.content,
                "line": e.loc.line,
                "column": e.loc.col,
                "end_line": e.loc.end_line,
                "end_column": e.loc.end_col,
            }
            for e in fix.edits
        ],
    }


def as_json(d: Diagnostic) -> dict[str, Any]:
    """The contract's JSON object for one diagnostic (1-based lines and columns)."""
    return {
        "code": d.code,
        "name": d.name,
        "severity": d.severity.label,
        "message": d.message,
        "path": d.loc.path,
        "line": d.loc.shown_line,
        "column": d.loc.col,
        "end_line": d.loc.shown_end_line,
        "end_column": d.loc.end_col,
        "fix": _fix_json(d.fix),
        **({"cell": d.loc.cell} if d.loc.cell is not None else {}),
    }


def write_json(diags: list[Diagnostic], out: TextIO) -> None:
    json.dump([as_json(d) for d in diags], out, indent=2)
    out.write("\n")


def write_concise(diags: list[Diagnostic], out: TextIO) -> None:
    for d in diags:
        out.write(f"{d.loc.short()}:{d.loc.col}: {d.code} [{d.severity.label}] {d.message}\n")


def _escape_github(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def write_github(diags: list[Diagnostic], out: TextIO) -> None:
    level = {"error": "error", "warning": "warning", "info": "notice"}
    for d in diags:
        cell = f" (cell {d.loc.cell})" if d.loc.cell is not None else ""
        out.write(
            f"::{level[d.severity.label]} file={d.loc.path},line={d.loc.shown_line},col={d.loc.col},"
            f"endLine={d.loc.shown_end_line},endColumn={d.loc.end_col},title={d.code} {d.name}{cell}::{_escape_github(d.message)}\n"
        )


def summary(diags: list[Diagnostic], files: int) -> str:
    if not diags:
        return f"All checks passed ({files} file{'s' if files != 1 else ''} checked)."
    counts = {label: sum(1 for d in diags if d.severity.label == label) for label in ("error", "warning", "info")}
    parts = ", ".join(f"{n} {label}{'s' if n != 1 and label != 'info' else ''}" for label, n in counts.items() if n)
    return f"Found {len(diags)} diagnostic{'s' if len(diags) != 1 else ''} ({parts}) in {files} file{'s' if files != 1 else ''} checked."


def write_full(diags: list[Diagnostic], sources: dict[str, str], files: int, out: TextIO) -> None:
    """Ruff-like code frames; colour only when ``out`` is a terminal."""
    from rich.console import Console
    from rich.text import Text

    console = Console(file=out, highlight=False, soft_wrap=True)
    style = {"error": "bold red", "warning": "bold yellow", "info": "bold cyan"}
    for d in diags:
        head = Text()
        head.append(f"{d.loc.short()}:{d.loc.col}: ", style="bold")
        head.append(f"{d.code} ", style=style[d.severity.label])
        head.append(f"[{d.severity.label}] {d.message}")
        console.print(head)
        lines = sources.get(d.loc.path, "").splitlines()
        if 0 < d.loc.line <= len(lines):
            text = lines[d.loc.line - 1].expandtabs(1)
            width = len(str(d.loc.shown_line))
            pad = " " * width
            console.print(Text(f"{pad} |", style="blue"))
            frame = Text(f"{d.loc.shown_line} | ", style="blue")
            frame.append(text)
            console.print(frame)
            start = max(d.loc.col - 1, 0)
            end = d.loc.end_col - 1 if d.loc.end_line == d.loc.line else len(text)
            marks = Text(f"{pad} | ", style="blue")
            marks.append(" " * start + "^" * max(end - start, 1), style=style[d.severity.label])
            marks.append(f" {d.name}", style=style[d.severity.label])
            console.print(marks)
        if d.fix is not None:
            console.print(Text(f"  help: {d.fix.message}", style="green"))
        console.print()
    console.print(summary(diags, files))
