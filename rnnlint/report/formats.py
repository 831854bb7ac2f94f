"""Output formats: full (code frames with rich), concise, json, json-lines, github, sarif, junit."""

from __future__ import annotations

import io
import json
import re
from collections import Counter
from pathlib import Path
from typing import Any, TextIO

from rnnlint.diagnostics import Diagnostic, Fix, Loc, Severity

DOCS_URL = "https://github.com/rnnlint/rnnlint/blob/main/rules/{code}.md"
HOME_URL = "https://github.com/rnnlint/rnnlint"
FORMATS = ("full", "concise", "json", "json-lines", "github", "sarif", "junit")


def rule_url(code: str) -> str:
    """The documentation page of a rule."""
    return DOCS_URL.format(code=code)


def _fix_json(fix: Fix | None) -> dict[str, Any] | None:
    if fix is None:
        return None
    return {
        "applicability": fix.applicability,
        "message": fix.message,
        "edits": [
            {
                "content": e.content,
                "line": e.loc.shown_line,
                "column": e.loc.col,
                "end_line": e.loc.shown_end_line,
                "end_column": e.loc.end_col,
                **({"cell": e.loc.cell} if e.loc.cell is not None else {}),  # notebooks: lines count within the cell
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
        "group": d.group,
        "message": d.message,
        "path": d.loc.path,
        "line": d.loc.shown_line,
        "column": d.loc.col,
        "end_line": d.loc.shown_end_line,
        "end_column": d.loc.end_col,
        "fix": _fix_json(d.fix),
        "url": rule_url(d.code),
        **({"cell": d.loc.cell} if d.loc.cell is not None else {}),
    }


def write_json(diags: list[Diagnostic], out: TextIO) -> None:
    json.dump([as_json(d) for d in diags], out, indent=2)
    out.write("\n")


def write_json_lines(diags: list[Diagnostic], out: TextIO) -> None:
    """One JSON object per line, the same objects as ``json``."""
    for d in diags:
        out.write(json.dumps(as_json(d), ensure_ascii=False) + "\n")


def write_concise(diags: list[Diagnostic], out: TextIO) -> None:
    """One line per diagnostic, written as one string (a write per line costs more than the text)."""
    out.write("".join(f"{d.loc.short()}:{d.loc.col}: {d.code} [{d.severity.label}] {d.message}\n" for d in diags))


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


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'s' if n != 1 and word != 'info' else ''}"


def fixable(diags: list[Diagnostic]) -> tuple[int, int]:
    """How many diagnostics carry a safe fix, and how many an unsafe one."""
    safe = sum(1 for d in diags if d.fix is not None and d.fix.applicability == "safe")
    unsafe = sum(1 for d in diags if d.fix is not None and d.fix.applicability != "safe")
    return safe, unsafe


class FileCount(int):
    """How many files were checked, still an ``int`` for every format, with the local modules they import that
    findings were reported in (the summary counts and names them)."""

    imported: tuple[str, ...]

    def __new__(cls, checked: int, imported: tuple[str, ...] = ()) -> FileCount:
        count = super().__new__(cls, checked)
        count.imported = imported
        return count


def summary(diags: list[Diagnostic], files: int) -> str:
    """The last line of human output: counts per severity and how many are fixable."""
    checked = f"{files} file{'s' if files != 1 else ''} checked"
    imported: tuple[str, ...] = getattr(files, "imported", ())
    if imported:
        names = ", ".join(imported[:3]) + (", ..." if len(imported) > 3 else "")
        checked += f", {_plural(len(imported), 'imported module')} analysed ({names})"
    if not diags:
        return f"All checks passed ({checked})."
    counts = {label: sum(1 for d in diags if d.severity.label == label) for label in ("error", "warning", "info")}
    parts = ", ".join(_plural(n, label) for label, n in counts.items() if n)
    line = f"Found {_plural(len(diags), 'diagnostic')} ({parts}) in {checked}."
    safe, unsafe = fixable(diags)
    if safe:
        line += f" {safe} fixable with --fix."
    if unsafe:
        line += f" {unsafe} more fixable with --unsafe-fixes."
    return line


def statistics(diags: list[Diagnostic]) -> list[dict[str, Any]]:
    """Counts per code, most frequent first (``--statistics``)."""
    counts = Counter(d.code for d in diags)
    names = {d.code: d.name for d in diags}
    fixes = {d.code for d in diags if d.fix is not None and d.fix.applicability == "safe"}
    return [
        {"code": code, "name": names[code], "count": n, "fixable": code in fixes, "url": rule_url(code)}
        for code, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    ]


def write_statistics(diags: list[Diagnostic], out: TextIO, as_json_output: bool = False) -> None:
    """Like ruff: ``count<TAB>code<TAB>[*] name``, ``[*]`` marking codes with safe fixes."""
    rows = statistics(diags)
    if as_json_output:
        json.dump(rows, out, indent=2)
        out.write("\n")
        return
    width = max((len(str(r["count"])) for r in rows), default=1)
    code_width = max((len(str(r["code"])) for r in rows), default=6)
    any_fix = any(r["fixable"] for r in rows)
    for r in rows:
        mark = ("[*] " if r["fixable"] else "    ") if any_fix else ""
        out.write(f"{r['count']:>{width}}\t{r['code']:<{code_width}}\t{mark}{r['name']}\n")


_STYLES = {"error": "bold red", "warning": "bold yellow", "info": "bold cyan"}
# Rich expands tabs and drops some control characters; a line holding one is rendered by rich
# itself, so that piped output stays byte for byte what rich printed line by line.
_RICH_ONLY = re.compile(r"[\x00-\x1f\x7f]")

Line = list[tuple[str, str]]  # one output line: (text, rich style) pieces


def _frames(diags: list[Diagnostic], sources: dict[str, str], files: int) -> list[Line]:
    """The lines of the ``full`` format, each as styled pieces."""
    split: dict[str, list[str]] = {}  # each source split once, not once per diagnostic
    out: list[Line] = []
    for d in diags:
        style = _STYLES[d.severity.label]
        out.append([(f"{d.loc.short()}:{d.loc.col}: ", "bold"), (f"{d.code} ", style), (f"[{d.severity.label}] {d.message}", "")])
        lines = split.get(d.loc.path)
        if lines is None:
            lines = split[d.loc.path] = sources.get(d.loc.path, "").splitlines()
        if 0 < d.loc.line <= len(lines):
            text = lines[d.loc.line - 1].expandtabs(1)
            pad = " " * len(str(d.loc.shown_line))
            start = max(d.loc.col - 1, 0)
            end = d.loc.end_col - 1 if d.loc.end_line == d.loc.line else len(text)
            out.append([(f"{pad} |", "blue")])
            out.append([(f"{d.loc.shown_line} | {text}", "blue")])  # the code line is blue too, as it always was
            out.append([(f"{pad} | ", "blue"), (" " * start + "^" * max(end - start, 1), style), (f" {d.name}", style)])
        if d.fix is not None:
            out.append([(f"  help: {d.fix.message}", "green")])
        out.append([])
    out.append([(summary(diags, files), "")])
    return out


def write_full(diags: list[Diagnostic], sources: dict[str, str], files: int, out: TextIO) -> None:
    """Ruff-like code frames; colour only when ``out`` is a terminal (as rich decides, FORCE_COLOR included).

    The report is rendered into one string and written once: printing it through rich line by
    line cost a terminal measurement per line, 90% of a warm run (issue 18).
    """
    from rich.console import Console
    from rich.text import Text

    console = Console(file=out, highlight=False, soft_wrap=True)
    lines = _frames(diags, sources, files)
    if console.is_terminal:
        report = Text()
        for line in lines:
            for text, style in line:
                report.append(text, style=style or None)
            report.append("\n")
        console.print(report, end="")
        return
    plain: Console | None = None
    chunks: list[str] = []
    for line in lines:
        text = "".join(piece for piece, _ in line)
        if _RICH_ONLY.search(text):
            if plain is None:
                plain = Console(file=io.StringIO(), highlight=False, soft_wrap=True, color_system=None)
            with plain.capture() as captured:
                plain.print(Text(text))
            chunks.append(captured.get())
        else:
            chunks.append(text + "\n")
    out.write("".join(chunks))


# --- SARIF 2.1.0 ------------------------------------------------------------------

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
_SARIF_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}


def _uri(path: str) -> tuple[str, str | None]:
    """A file URI for an absolute path; a relative URI (against %SRCROOT%) otherwise."""
    from urllib.parse import quote

    p = Path(path)
    if p.is_absolute():
        return p.as_uri(), None
    return quote(p.as_posix()), "%SRCROOT%"


def _artifact(path: str) -> dict[str, Any]:
    uri, base = _uri(path)
    return {"uri": uri, **({"uriBaseId": base} if base else {})}


def _region(loc: Loc, shown: bool = True) -> dict[str, int]:
    """SARIF regions are 1-based with an exclusive end column, as rnnlint's."""
    line = max(loc.shown_line if shown else loc.line, 1)
    end_line = max(loc.shown_end_line if shown else loc.end_line, line)
    col = max(loc.col, 1)
    end_col = max(loc.end_col, 1)
    if end_line == line:
        end_col = max(end_col, col)
    return {"startLine": line, "startColumn": col, "endLine": end_line, "endColumn": end_col}


def _section(body: str, heading: str) -> str:
    """The prose of one ``## heading`` section of a rule doc, as one paragraph."""
    marker = f"## {heading}"
    if marker not in body:
        return ""
    text = body.split(marker, 1)[1].split("\n## ", 1)[0].strip()
    return " ".join(text.split("\n\n", 1)[0].split())


def sarif_rule(code: str) -> dict[str, Any]:
    """A SARIF reportingDescriptor for one catalogue rule."""
    from rnnlint.checks.catalogue import catalogue

    info = catalogue().get(code)
    if info is None:
        return {
            "id": code,
            "name": code,
            "shortDescription": {"text": code},
            "helpUri": rule_url(code),
            "defaultConfiguration": {"level": "warning"},
        }
    try:
        body = info.body()
    except OSError:
        body = ""
    full = _section(body, "What it does") or info.summary
    return {
        "id": info.code,
        "name": info.name,
        "shortDescription": {"text": info.summary or info.name},
        "fullDescription": {"text": full},
        "help": {"text": f"{info.summary}\nSee {rule_url(info.code)}", "markdown": body} if body else {"text": info.summary},
        "helpUri": rule_url(info.code),
        "defaultConfiguration": {"level": _SARIF_LEVEL[info.severity]},
        "properties": {
            "guideline": info.guideline,
            "fix": info.fix,
            "group": info.group,
            "tags": [info.severity.label, info.group],
        },
    }


def _sarif_fix(d: Diagnostic) -> dict[str, Any] | None:
    """A SARIF fix (artifactChanges -> replacements) for a diagnostic's Fix; None without edits."""
    if d.fix is None or not d.fix.edits or any(e.loc.cell is not None for e in d.fix.edits):
        return None  # a notebook's edits are in its code cells, not regions of the .ipynb file
    by_path: dict[str, list[dict[str, Any]]] = {}
    for e in d.fix.edits:
        by_path.setdefault(e.loc.path, []).append(
            {"deletedRegion": _region(e.loc, shown=False), "insertedContent": {"text": e.content}}
        )
    return {
        "description": {"text": f"{d.fix.message} ({d.fix.applicability})"},
        "artifactChanges": [{"artifactLocation": _artifact(path), "replacements": reps} for path, reps in by_path.items()],
    }


def sarif_log(diags: list[Diagnostic], version: str) -> dict[str, Any]:
    """A complete SARIF 2.1.0 log with one run: every catalogue rule, every diagnostic."""
    from rnnlint.checks.catalogue import catalogue

    codes = sorted({*catalogue(), *(d.code for d in diags)})
    index = {code: i for i, code in enumerate(codes)}
    results = []
    for d in diags:
        result: dict[str, Any] = {
            "ruleId": d.code,
            "ruleIndex": index[d.code],
            "level": _SARIF_LEVEL[d.severity],
            "message": {"text": d.message},
            "locations": [{"physicalLocation": {"artifactLocation": _artifact(d.loc.path), "region": _region(d.loc)}}],
        }
        fix = _sarif_fix(d)
        if fix is not None:
            result["fixes"] = [fix]
        props: dict[str, Any] = {"group": d.group} if d.group else {}
        if d.loc.cell is not None:
            props["cell"] = d.loc.cell
        if d.notes:
            props["notes"] = list(d.notes)
        if props:
            result["properties"] = props
        results.append(result)
    return {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "rnnlint",
                        "version": version,
                        "semanticVersion": version,
                        "informationUri": HOME_URL,
                        "rules": [sarif_rule(code) for code in codes],
                    }
                },
                "originalUriBaseIds": {"%SRCROOT%": {"uri": Path.cwd().as_uri() + "/"}},
                "invocations": [{"executionSuccessful": True}],
                "columnKind": "unicodeCodePoints",
                "results": results,
            }
        ],
    }


def write_sarif(diags: list[Diagnostic], out: TextIO, version: str) -> None:
    json.dump(sarif_log(diags, version), out, indent=2, ensure_ascii=False)
    out.write("\n")


# --- JUnit XML --------------------------------------------------------------------


def write_junit(diags: list[Diagnostic], checked: list[str], out: TextIO) -> None:
    """One testsuite, one testcase per checked file, one failure per diagnostic."""
    import xml.etree.ElementTree as ET

    by_path: dict[str, list[Diagnostic]] = {p: [] for p in checked}
    for d in diags:
        by_path.setdefault(d.loc.path, []).append(d)
    failures = sum(1 for ds in by_path.values() if ds)
    attrs = {"tests": str(len(by_path)), "failures": str(failures), "errors": "0", "skipped": "0"}
    root = ET.Element("testsuites", {"name": "rnnlint", **attrs})
    suite = ET.SubElement(root, "testsuite", {"name": "rnnlint", **attrs})
    for path, found in by_path.items():
        case = ET.SubElement(suite, "testcase", {"name": path, "classname": "rnnlint", "file": path})
        for d in found:
            failure = ET.SubElement(
                case, "failure", {"message": f"{d.code} {d.message}", "type": f"{d.code} {d.name} [{d.severity.label}]"}
            )
            failure.text = f"{d.loc.short()}:{d.loc.col}: {d.code} [{d.severity.label}] {d.message}\n{rule_url(d.code)}"
        if found:
            case.set("line", str(found[0].loc.shown_line))
    ET.indent(root)
    out.write('<?xml version="1.0" encoding="UTF-8"?>\n')
    out.write(ET.tostring(root, encoding="unicode"))
    out.write("\n")
