"""The language server lints when typing pauses and understands notebooks (LSP 3.17 notebook sync), driven by the
stdio client of test_ecosystem_lsp (issue 23, item 11)."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("pygls", reason="the language server needs the lsp extra (pygls)")

from test_ecosystem_lsp import BAD, Client


@pytest.fixture
def client(tmp_path: Path) -> Any:
    c = Client(tmp_path)
    try:
        yield c
    finally:
        if c.proc.poll() is None:
            c.proc.kill()
            c.proc.wait(timeout=60)


def _initialize(client: Client, tmp_path: Path, capabilities: dict[str, Any]) -> dict[str, Any]:
    init = client.request(
        "initialize", {"processId": os.getpid(), "rootUri": tmp_path.resolve().as_uri(), "capabilities": capabilities}
    )
    client.notify("initialized", {})
    return dict(init["capabilities"])


def _frame(method: str, params: dict[str, Any]) -> bytes:
    body = json.dumps({"jsonrpc": "2.0", "method": method, "params": params}).encode()
    return b"Content-Length: %d\r\n\r\n" % len(body) + body


def test_changes_in_a_burst_are_linted_once(tmp_path: Path, client: Client) -> None:
    _initialize(client, tmp_path, {})
    uri = (tmp_path / "train.py").resolve().as_uri()
    client.notify("textDocument/didOpen", {"textDocument": {"uri": uri, "languageId": "python", "version": 1, "text": BAD}})
    assert "RNN101" in {d["code"] for d in client.diagnostics(uri, 1)}
    # five keystrokes in one write: the server must wait for the pause, then lint the last text only
    texts = [BAD[: len(BAD) - n] for n in (4, 3, 2, 1)] + [BAD.replace("nn.RNN(64, 1024", "nn.LSTM(64, 256")]
    burst = b"".join(
        _frame("textDocument/didChange", {"textDocument": {"uri": uri, "version": v}, "contentChanges": [{"text": t}]})
        for v, t in enumerate(texts, start=2)
    )
    assert client.proc.stdin is not None
    client.proc.stdin.write(burst)
    client.proc.stdin.flush()
    seen: list[int] = []

    def publish(m: dict[str, Any]) -> bool:
        if m.get("method") == "textDocument/publishDiagnostics" and m["params"]["uri"] == uri:
            seen.append(m["params"]["version"])
            return bool(m["params"]["version"] == 6)
        return False

    last = client.wait(publish)
    assert seen == [6], f"linted stale versions {seen[:-1]}"
    codes = {d["code"] for d in last["params"]["diagnostics"]}
    assert "RNN101" not in codes and "RNN201" in codes
    assert client.close() == 0


NOTEBOOK_CELLS = [
    (1, "# Sentiment\nA markdown cell."),
    (2, "import torch\nimport torch.nn as nn\n%matplotlib inline"),
    (2, "rnn = nn.RNN(64, 1024)\nopt = torch.optim.Adam(rnn.parameters(), lr=1e-3)"),
]


def test_notebook_findings_land_on_their_cell(tmp_path: Path, client: Client) -> None:
    caps = _initialize(client, tmp_path, {"notebookDocument": {"synchronization": {"dynamicRegistration": False}}})
    assert caps["notebookDocumentSync"]["notebookSelector"][0]["notebook"] == "jupyter-notebook"
    nb_uri = (tmp_path / "explore.ipynb").resolve().as_uri()
    cell_uris = [f"vscode-notebook-cell:{tmp_path.resolve()}/explore.ipynb#cell{i}" for i in range(len(NOTEBOOK_CELLS))]
    client.notify(
        "notebookDocument/didOpen",
        {
            "notebookDocument": {
                "uri": nb_uri,
                "notebookType": "jupyter-notebook",
                "version": 1,
                "cells": [{"kind": kind, "document": u} for (kind, _), u in zip(NOTEBOOK_CELLS, cell_uris, strict=True)],
            },
            "cellTextDocuments": [
                {"uri": u, "languageId": "python" if kind == 2 else "markdown", "version": 1, "text": text}
                for (kind, text), u in zip(NOTEBOOK_CELLS, cell_uris, strict=True)
            ],
        },
    )
    published: dict[str, list[dict[str, Any]]] = {}

    def every_cell(m: dict[str, Any]) -> bool:
        if m.get("method") == "textDocument/publishDiagnostics" and m["params"]["uri"] in cell_uris:
            published[m["params"]["uri"]] = m["params"]["diagnostics"]
        return len(published) == len(cell_uris)

    client.wait(every_cell)
    third = published[cell_uris[2]]
    rnn101 = next(d for d in third if d["code"] == "RNN101")
    # cell 3, line 1 in the cell: LSP line 0; `nn.RNN(64, 1024)` starts at character 6
    assert rnn101["range"]["start"] == {"line": 0, "character": 6}
    assert rnn101["range"]["end"] == {"line": 0, "character": 6 + len("nn.RNN(64, 1024)")}
    assert published[cell_uris[0]] == [] and published[cell_uris[1]] == []  # the markdown and the imports

    lstm = "rnn = nn.LSTM(64, 256, num_layers=2, dropout=0.5)\nopt = torch.optim.Adam(rnn.parameters(), lr=1e-3)"
    client.notify(
        "notebookDocument/didChange",
        {
            "notebookDocument": {"uri": nb_uri, "version": 2},
            "change": {
                "cells": {"textContent": [{"document": {"uri": cell_uris[2], "version": 2}, "changes": [{"text": lstm}]}]}
            },
        },
    )
    assert "RNN101" not in {d["code"] for d in client.diagnostics(cell_uris[2], 2)}
    client.notify(
        "notebookDocument/didClose",
        {"notebookDocument": {"uri": nb_uri}, "cellTextDocuments": [{"uri": u} for u in cell_uris]},
    )
    cleared = client.wait(lambda m: m.get("method") == "textDocument/publishDiagnostics" and m["params"]["uri"] == cell_uris[2])
    assert cleared["params"]["diagnostics"] == []
    assert client.close() == 0
