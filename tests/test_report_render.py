"""The ``full`` format renders into one string: bytes identical to rich printing it line by line.

The reference below is how ``full`` was written before issue 18 (one ``Console.print`` per
line); the rendered report must match it byte for byte, piped and in a colour terminal, over
the fixtures' findings and over text rich treats specially (tabs, control characters, wide
characters, markup-like brackets).
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from rnnlint.diagnostics import Diagnostic, Edit, Fix, Loc, Severity
from rnnlint.report import formats
from tests.helpers import lint_files

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


def rich_per_line(diags: list[Diagnostic], sources: dict[str, str], files: int, out: io.StringIO) -> None:
    """The ``full`` format as rich printed it line by line (the reference)."""
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
    console.print(formats.summary(diags, files))


def both(diags: list[Diagnostic], sources: dict[str, str], files: int) -> tuple[str, str]:
    new, old = io.StringIO(), io.StringIO()
    formats.write_full(diags, sources, files, new)
    rich_per_line(diags, sources, files, old)
    return new.getvalue(), old.getvalue()


@pytest.fixture(params=["pipe", "terminal"])
def output(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Piped output (no colour) and a colour terminal (rich honours FORCE_COLOR)."""
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.delenv("TTY_COMPATIBLE", raising=False)
    if request.param == "terminal":
        monkeypatch.setenv("FORCE_COLOR", "1")
    else:
        monkeypatch.delenv("FORCE_COLOR", raising=False)
    return str(request.param)


def fixture_findings(tmp_path: Path) -> tuple[list[Diagnostic], dict[str, str]]:
    from rnnlint.run.engine import Linter
    from rnnlint.settings.model import Settings

    files = sorted(p for p in FIXTURES.rglob("*.py") if "fixes" not in p.parts)
    result = Linter(Settings(), [FIXTURES]).run(files)
    return result.diagnostics, result.sources


def test_fixture_reports_are_byte_identical(tmp_path: Path, output: str) -> None:
    diags, sources = fixture_findings(tmp_path)
    assert len(diags) > 50 and any(d.fix is not None for d in diags)  # a report with frames, fixes and all severities
    assert {d.severity for d in diags} >= {Severity.ERROR, Severity.WARNING}
    new, old = both(diags, sources, 99)
    assert new == old
    if output == "terminal":
        assert "\x1b[" in new  # colour really was on
    else:
        assert "\x1b[" not in new


TRICKY = [
    "plain ascii",
    "a\ttab in the middle\tand\tmore",
    "bell\x07 backspace\x08 vt\x0b ff\x0c cr\r end",
    "escape \x1b[31m inside",
    "wide 漢字 and emoji 🙂 :smile: [bold]not markup[/bold]",
    "nul \x00 and del \x7f",
    "two\nlines",
    "",
]


@pytest.mark.parametrize("text", TRICKY)
def test_text_rich_treats_specially_renders_as_rich_did(tmp_path: Path, output: str, text: str) -> None:
    path = str(tmp_path / "t.py")
    source = f"x = 1\n\t{text}  # trailing  \ny = 2\r\nz\x1c3\n"
    diags = [
        Diagnostic("RNN101", f"message with {text}", Loc(path, 2, 2, 2, 6), "name", Severity.ERROR,
                   Fix("safe", f"fix {text}", (Edit(Loc(path, 2, 1, 2, 2), ""),))),
        Diagnostic("RNN102", text, Loc(path, 2, 1, 4, 1), "other", Severity.INFO),
        Diagnostic("RNN103", "past the end", Loc(path, 40, 1, 40, 2), "gone", Severity.WARNING),
        Diagnostic("RNN104", "in a cell", Loc(path, 3, 1, 3, 2, cell=2, cell_line=1, cell_end_line=1), "nb", Severity.WARNING),
    ]
    new, old = both(diags, {path: source}, 1)
    assert new == old


def test_no_findings(output: str) -> None:
    new, old = both([], {}, 3)
    assert new == old == "All checks passed (3 files checked).\n"


def test_concise_is_one_line_per_finding(tmp_path: Path) -> None:
    diags = lint_files(tmp_path, {"m.py": "import torch\nrnn = torch.nn.LSTM(10, 20, dropout=0.5)\n"})
    out = io.StringIO()
    formats.write_concise(diags, out)
    lines = out.getvalue().splitlines()
    assert diags and len(lines) == len(diags)
    assert all(line.startswith(f"{d.loc.short()}:{d.loc.col}: {d.code} [") for line, d in zip(lines, diags, strict=True))
