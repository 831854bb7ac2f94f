"""Placing and splicing fix edits: shared by Python files, notebook cells and YAML configs."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from rnnlint.diagnostics import Diagnostic, Edit
from rnnlint.read.textpos import line_starts, offset

Span = tuple[int, int, int]  # region (a notebook's cell; 0 in a plain file), start offset, end offset


def choose(
    diags: list[Diagnostic], locate: Callable[[Edit], Span | None]
) -> tuple[list[tuple[int, int, int, str, int]], list[Diagnostic]]:
    """The edits of every fix that can be placed and overlaps none taken before it: (region, start, end, content, order)."""
    taken: list[Span] = []
    chosen: list[tuple[int, int, int, str, int]] = []
    applied = []
    for d in sorted(diags, key=Diagnostic.sort_key):
        assert d.fix is not None
        spans = [(locate(e), e) for e in d.fix.edits]
        placed = [(span, e) for span, e in spans if span is not None]
        if len(placed) != len(spans):
            continue  # an edit rnnlint cannot place here (a notebook magic line): the whole fix waits
        if any(_overlaps(span, taken) for span, _ in placed):
            continue  # the next round applies it, on the text this round produces
        for span, edit in placed:
            taken.append(span)
            chosen.append((*span, edit.content, len(chosen)))
        applied.append(d)
    return chosen, applied


def splice(text: str, edits: list[tuple[int, int, str, int]]) -> str:
    """Apply (start, end, content, order) edits, from the end so that earlier offsets stay right."""
    for s, e, content, _ in sorted(edits, key=lambda c: (c[0], c[3]), reverse=True):
        text = text[:s] + content + text[e:]
    return text


def _overlaps(span: Span, taken: list[Span]) -> bool:
    r, s, e = span
    return any(r == tr and ((s < te and ts < e) or (s == e == ts == te)) for tr, ts, te in taken)


def apply_to_text(text: str, lines: Iterable[str], diags: list[Diagnostic]) -> tuple[str, list[Diagnostic]]:
    """Apply the fixes that can be placed to ``text`` split into ``lines`` as its format counts them; new lines
    in the edits take the text's own line break."""
    newline = "\r\n" if "\r\n" in text[:4096] else "\n"
    starts = line_starts(lines)
    chosen, applied = choose(
        diags, lambda e: (0, offset(starts, text, e.loc.line, e.loc.col), offset(starts, text, e.loc.end_line, e.loc.end_col))
    )
    return splice(text, [(s, e, content.replace("\n", newline), order) for _, s, e, content, order in chosen]), applied
