"""``rnnlint server``: a Language Server (LSP over stdio) for editors, built on pygls.

It lints the text the editor holds (never the file on disk) on didOpen and didSave, and
when typing pauses after didChange; publishes the findings as diagnostics, and offers a
diagnostic's fix as a quick-fix code action. Jupyter notebooks come through LSP 3.17
notebook sync: linted as one notebook, each finding published on its cell. Settings come from the nearest ``[tool.rnnlint]`` config of
the document, as on the command line. pygls is an optional dependency (the ``lsp``
extra); the CLI imports this module only for ``rnnlint server``.
"""

from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import replace
from pathlib import Path
from typing import Any

from lsprotocol import types as lsp
from pygls.lsp.server import LanguageServer
from pygls.uris import from_fs_path, to_fs_path

from rnnlint import __version__
from rnnlint.diagnostics import Diagnostic, Loc, Severity

log = logging.getLogger("rnnlint.lsp")

LINTED_SUFFIXES = (".py", ".pyi", ".yaml", ".yml", ".json")
_SEVERITY = {
    Severity.ERROR: lsp.DiagnosticSeverity.Error,
    Severity.WARNING: lsp.DiagnosticSeverity.Warning,
    Severity.INFO: lsp.DiagnosticSeverity.Information,
}


def lint_text(path: str, text: str) -> list[Diagnostic]:
    """Lint ``text`` as if it were the file at ``path`` (with the settings of its nearest config)."""
    from rnnlint.run.engine import Linter
    from rnnlint.settings.files import enabled_here, find_config, load_config
    from rnnlint.settings.model import Settings, make_settings
    from rnnlint.settings.selection import ConfigError

    file = Path(path)
    settings = Settings()
    root = file.parent
    try:
        config = find_config(file)
    except ConfigError as exc:  # a broken pyproject.toml: the editor still gets findings, the log says why
        log.warning("rnnlint: %s; using the default settings", exc)
        config = None
    if config is not None:
        try:
            settings = make_settings(load_config(config), str(config))
            root = config.parent
        except ConfigError as exc:
            log.warning("rnnlint: %s; using the default settings", exc)
    result = Linter(settings, [root]).run([], (path, text.encode("utf-8")))
    return [d for d in result.diagnostics if d.loc.path == path and enabled_here(settings, config, d.code, path)]


def _units(line: str, col: int, encoding: str) -> int:
    """A 1-based code-point column as a 0-based LSP character offset in ``encoding``."""
    prefix = line[: max(col - 1, 0)]
    if encoding == lsp.PositionEncodingKind.Utf8:
        return len(prefix.encode("utf-8"))
    if encoding == lsp.PositionEncodingKind.Utf32:
        return len(prefix)
    return len(prefix.encode("utf-16-le")) // 2


def to_range(loc: Loc, lines: list[str], encoding: str = lsp.PositionEncodingKind.Utf16) -> lsp.Range:
    """rnnlint spans (1-based, end column exclusive, code points) to an LSP range (0-based)."""
    start_line = max(loc.line - 1, 0)
    end_line = max(loc.end_line - 1, start_line)

    def text(n: int) -> str:
        return lines[n] if n < len(lines) else ""

    start = lsp.Position(start_line, _units(text(start_line), loc.col, encoding))
    end = lsp.Position(end_line, _units(text(end_line), loc.end_col, encoding))
    if (end.line, end.character) < (start.line, start.character):
        end = start
    return lsp.Range(start, end)


def to_lsp(d: Diagnostic, lines: list[str], encoding: str = lsp.PositionEncodingKind.Utf16) -> lsp.Diagnostic:
    """One rnnlint diagnostic as an LSP diagnostic (its fix travels in ``data``)."""
    from rnnlint.report.formats import as_json, rule_url

    return lsp.Diagnostic(
        range=to_range(d.loc, lines, encoding),
        message=d.message,
        severity=_SEVERITY[d.severity],
        code=d.code,
        code_description=lsp.CodeDescription(href=rule_url(d.code)),
        source="rnnlint",
        data={"name": d.name, "fix": as_json(d)["fix"]},
    )


def code_actions(
    uri: str, diags: list[Diagnostic], lines: list[str], wanted: lsp.Range, encoding: str = lsp.PositionEncodingKind.Utf16
) -> list[lsp.CodeAction]:
    """Quick fixes for the diagnostics with a Fix whose range touches ``wanted``."""
    actions: list[lsp.CodeAction] = []
    for d in diags:
        if d.fix is None or not d.fix.edits:
            continue
        shown = to_lsp(d, lines, encoding)
        r = shown.range
        if (r.end.line, r.end.character) < (wanted.start.line, wanted.start.character) or (r.start.line, r.start.character) > (
            wanted.end.line,
            wanted.end.character,
        ):
            continue
        changes: dict[str, list[lsp.TextEdit]] = {}
        for edit in d.fix.edits:
            target = uri if edit.loc.path == d.loc.path else (from_fs_path(str(Path(edit.loc.path).resolve())) or uri)
            changes.setdefault(target, []).append(lsp.TextEdit(to_range(edit.loc, lines, encoding), edit.content))
        actions.append(
            lsp.CodeAction(
                title=f"{d.fix.message} ({d.code})" + ("" if d.fix.applicability == "safe" else " [unsafe]"),
                kind=lsp.CodeActionKind.QuickFix,
                diagnostics=[shown],
                edit=lsp.WorkspaceEdit(changes=changes),
                is_preferred=d.fix.applicability == "safe",
            )
        )
    return actions


DEBOUNCE_S = 0.3  # lint when typing pauses this long, not on every keystroke

NOTEBOOK_SYNC = lsp.NotebookDocumentSyncOptions(
    notebook_selector=[
        lsp.NotebookDocumentFilterWithCells(cells=[lsp.NotebookCellLanguage(language="python")], notebook="jupyter-notebook")
    ],
    save=True,
)


def notebook_json(cells: list[tuple[bool, str]]) -> str:
    """An .ipynb holding the notebook's cells in order (code: its text; others: empty markdown), so that the
    notebook reader numbers them as the editor does: cell N is ``cells[N - 1]``."""
    return json.dumps(
        {
            "cells": [
                {"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None, "source": text}
                if code
                else {"cell_type": "markdown", "metadata": {}, "source": ""}
                for code, text in cells
            ],
            "metadata": {},
            "nbformat": 4,
            "nbformat_minor": 5,
        }
    )


def cell_diagnostic(d: Diagnostic) -> Diagnostic:
    """A notebook finding with its lines counted within its cell, as the cell's text document counts them."""
    loc = replace(d.loc, line=d.loc.cell_line, end_line=d.loc.cell_end_line)
    edits = (
        tuple(replace(e, loc=replace(e.loc, line=e.loc.cell_line, end_line=e.loc.cell_end_line)) for e in d.fix.edits)
        if d.fix
        else ()
    )
    fix = replace(d.fix, given=edits, codemod=None) if d.fix is not None else None  # cell lines: the edits made here
    return replace(d, loc=loc, fix=fix)


class RnnlintServer(LanguageServer):
    """Keeps the last findings per document so code actions can offer their fixes.

    Linting runs in a worker thread after the buffer stops changing (``debounce`` seconds after the last
    didChange; at once on didOpen and didSave). Each run carries the document's generation: a run that a newer
    change made stale is dropped when it ends, and a pending one is cancelled, so an editor only ever sees the
    findings of the text it holds.
    """

    def __init__(self, debounce: float = DEBOUNCE_S) -> None:
        super().__init__("rnnlint", __version__, notebook_document_sync=NOTEBOOK_SYNC)
        self.debounce = debounce
        self.findings: dict[str, list[Diagnostic]] = {}
        self._pending: dict[str, asyncio.TimerHandle] = {}
        self._generation: dict[str, int] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self.runs = 0  # lint runs started

    def encoding(self) -> str:
        try:
            chosen = self.server_capabilities.position_encoding
        except Exception:  # before initialize
            chosen = None
        return str(chosen) if chosen else lsp.PositionEncodingKind.Utf16

    def schedule(self, uri: str, delay: float) -> None:
        """Lint ``uri`` (a text document or a notebook) after ``delay`` seconds, replacing a pending run."""
        loop = asyncio.get_running_loop()
        old = self._pending.pop(uri, None)
        if old is not None:
            old.cancel()
        generation = self._generation[uri] = self._generation.get(uri, 0) + 1
        self._pending[uri] = loop.call_later(delay, self._start, uri, generation)

    def _start(self, uri: str, generation: int) -> None:
        task = asyncio.get_running_loop().create_task(self._run(uri, generation))
        self._tasks.add(task)  # the loop keeps only weak references to tasks
        task.add_done_callback(self._tasks.discard)

    def forget(self, uri: str) -> None:
        old = self._pending.pop(uri, None)
        if old is not None:
            old.cancel()
        self._generation[uri] = self._generation.get(uri, 0) + 1  # a run in flight is now stale

    def unpublish(self, uri: str) -> None:
        """Drop a closed document's findings and clear its diagnostics in the editor."""
        self.findings.pop(uri, None)
        self.text_document_publish_diagnostics(lsp.PublishDiagnosticsParams(uri=uri, diagnostics=[]))

    async def _run(self, uri: str, generation: int) -> None:
        self._pending.pop(uri, None)
        notebook = self.workspace.get_notebook_document(notebook_uri=uri)
        if notebook is not None:
            await self._lint_notebook(uri, notebook, generation)
        else:
            await self._lint_text(uri, generation)

    async def _linted(self, path: str, text: str) -> list[Diagnostic]:
        self.runs += 1
        try:
            return await asyncio.get_running_loop().run_in_executor(None, lint_text, path, text)
        except Exception as exc:  # an editor must never lose its server to one bad buffer
            log.exception("rnnlint failed on %s", path)
            self.window_log_message(lsp.LogMessageParams(lsp.MessageType.Error, f"rnnlint: internal error on {path}: {exc}"))
            return []

    async def _lint_text(self, uri: str, generation: int) -> None:
        path = to_fs_path(uri)
        if path is None or not path.endswith(LINTED_SUFFIXES):
            return
        doc = self.workspace.get_text_document(uri)
        source, version = doc.source, doc.version
        found = await self._linted(path, source)
        if self._generation.get(uri) != generation:
            return  # the buffer changed while this ran: a newer run publishes
        self.findings[uri] = found
        lines = source.splitlines()
        diagnostics = [to_lsp(d, lines, self.encoding()) for d in found]
        self.text_document_publish_diagnostics(lsp.PublishDiagnosticsParams(uri=uri, version=version, diagnostics=diagnostics))

    async def _lint_notebook(self, uri: str, notebook: lsp.NotebookDocument, generation: int) -> None:
        """A notebook as one .ipynb (its code cells joined, as on the command line); each cell's findings are
        published on that cell's document."""
        path = to_fs_path(uri) or "notebook.ipynb"
        path = path if path.endswith(".ipynb") else path + ".ipynb"
        cells = [(c.kind == lsp.NotebookCellKind.Code, c.document) for c in notebook.cells]
        texts = [(code, self.workspace.get_text_document(doc).source if code else "") for code, doc in cells]
        found = await self._linted(path, notebook_json(texts))
        if self._generation.get(uri) != generation:
            return
        by_cell: dict[str, list[Diagnostic]] = {doc: [] for _, doc in cells}
        for d in found:
            if d.loc.cell is not None and 0 < d.loc.cell <= len(cells):
                by_cell[cells[d.loc.cell - 1][1]].append(cell_diagnostic(d))
        for (_, doc_uri), (_, text) in zip(cells, texts, strict=True):
            self.findings[doc_uri] = by_cell[doc_uri]
            lines = text.splitlines()
            diagnostics = [to_lsp(d, lines, self.encoding()) for d in by_cell[doc_uri]]
            version = self.workspace.get_text_document(doc_uri).version
            self.text_document_publish_diagnostics(
                lsp.PublishDiagnosticsParams(uri=doc_uri, version=version, diagnostics=diagnostics)
            )


def build_server(debounce: float = DEBOUNCE_S) -> RnnlintServer:
    server = RnnlintServer(debounce)

    @server.feature(lsp.TEXT_DOCUMENT_DID_OPEN)
    def did_open(ls: RnnlintServer, params: lsp.DidOpenTextDocumentParams) -> None:
        if ls.workspace.get_notebook_document(cell_uri=params.text_document.uri) is None:
            ls.schedule(params.text_document.uri, 0)

    @server.feature(lsp.TEXT_DOCUMENT_DID_CHANGE)
    def did_change(ls: RnnlintServer, params: lsp.DidChangeTextDocumentParams) -> None:
        ls.schedule(params.text_document.uri, ls.debounce)

    @server.feature(lsp.TEXT_DOCUMENT_DID_SAVE)
    def did_save(ls: RnnlintServer, params: lsp.DidSaveTextDocumentParams) -> None:
        ls.schedule(params.text_document.uri, 0)

    @server.feature(lsp.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(ls: RnnlintServer, params: lsp.DidCloseTextDocumentParams) -> None:
        ls.forget(params.text_document.uri)
        ls.unpublish(params.text_document.uri)

    @server.feature(lsp.NOTEBOOK_DOCUMENT_DID_OPEN)
    def notebook_open(ls: RnnlintServer, params: lsp.DidOpenNotebookDocumentParams) -> None:
        ls.schedule(params.notebook_document.uri, 0)

    @server.feature(lsp.NOTEBOOK_DOCUMENT_DID_CHANGE)
    def notebook_change(ls: RnnlintServer, params: lsp.DidChangeNotebookDocumentParams) -> None:
        ls.schedule(params.notebook_document.uri, ls.debounce)

    @server.feature(lsp.NOTEBOOK_DOCUMENT_DID_SAVE)
    def notebook_save(ls: RnnlintServer, params: lsp.DidSaveNotebookDocumentParams) -> None:
        ls.schedule(params.notebook_document.uri, 0)

    @server.feature(lsp.NOTEBOOK_DOCUMENT_DID_CLOSE)
    def notebook_close(ls: RnnlintServer, params: lsp.DidCloseNotebookDocumentParams) -> None:
        ls.forget(params.notebook_document.uri)
        for cell in params.cell_text_documents:
            ls.unpublish(cell.uri)

    @server.feature(
        lsp.TEXT_DOCUMENT_CODE_ACTION,
        lsp.CodeActionOptions(code_action_kinds=[lsp.CodeActionKind.QuickFix], resolve_provider=False),
    )
    def code_action(ls: RnnlintServer, params: lsp.CodeActionParams) -> list[lsp.CodeAction]:
        uri = params.text_document.uri
        found = ls.findings.get(uri, [])
        if not found:
            return []
        lines = ls.workspace.get_text_document(uri).source.splitlines()
        return code_actions(uri, found, lines, params.range, ls.encoding())

    return server


def serve(**kwargs: Any) -> None:
    """Run the server on stdin/stdout until the client says exit."""
    logging.basicConfig(level=logging.WARNING, format="rnnlint-lsp %(levelname)s: %(message)s")  # stderr, never stdout
    build_server().start_io(**kwargs)
