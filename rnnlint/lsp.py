"""``rnnlint server``: a Language Server (LSP over stdio) for editors, built on pygls.

It lints the text the editor holds (never the file on disk) on didOpen, didChange and
didSave, publishes the findings as diagnostics, and offers a diagnostic's fix as a
quick-fix code action. Settings come from the nearest ``[tool.rnnlint]`` config of
the document, as on the command line. pygls is an optional dependency (the ``lsp``
extra); the CLI imports this module only for ``rnnlint server``.
"""

from __future__ import annotations

import logging
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
    config = find_config(file)
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


class RnnlintServer(LanguageServer):
    """Keeps the last findings per document so code actions can offer their fixes."""

    def __init__(self) -> None:
        super().__init__("rnnlint", __version__)
        self.findings: dict[str, list[Diagnostic]] = {}

    def encoding(self) -> str:
        try:
            chosen = self.server_capabilities.position_encoding
        except Exception:  # before initialize
            chosen = None
        return str(chosen) if chosen else lsp.PositionEncodingKind.Utf16

    def lint(self, uri: str) -> None:
        path = to_fs_path(uri)
        if path is None or not path.endswith(LINTED_SUFFIXES):
            return
        doc = self.workspace.get_text_document(uri)
        try:
            found = lint_text(path, doc.source)
        except Exception as exc:  # an editor must never lose its server to one bad buffer
            log.exception("rnnlint failed on %s", uri)
            self.window_log_message(lsp.LogMessageParams(lsp.MessageType.Error, f"rnnlint: internal error on {path}: {exc}"))
            found = []
        self.findings[uri] = found
        lines = doc.source.splitlines()
        diagnostics = [to_lsp(d, lines, self.encoding()) for d in found]
        self.text_document_publish_diagnostics(
            lsp.PublishDiagnosticsParams(uri=uri, version=doc.version, diagnostics=diagnostics)
        )


def build_server() -> RnnlintServer:
    server = RnnlintServer()

    @server.feature(lsp.TEXT_DOCUMENT_DID_OPEN)
    def did_open(ls: RnnlintServer, params: lsp.DidOpenTextDocumentParams) -> None:
        ls.lint(params.text_document.uri)

    @server.feature(lsp.TEXT_DOCUMENT_DID_CHANGE)
    def did_change(ls: RnnlintServer, params: lsp.DidChangeTextDocumentParams) -> None:
        ls.lint(params.text_document.uri)

    @server.feature(lsp.TEXT_DOCUMENT_DID_SAVE)
    def did_save(ls: RnnlintServer, params: lsp.DidSaveTextDocumentParams) -> None:
        ls.lint(params.text_document.uri)

    @server.feature(lsp.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(ls: RnnlintServer, params: lsp.DidCloseTextDocumentParams) -> None:
        ls.findings.pop(params.text_document.uri, None)
        ls.text_document_publish_diagnostics(lsp.PublishDiagnosticsParams(uri=params.text_document.uri, diagnostics=[]))

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
