"""``rnnlint server`` driven by a real LSP client over stdio (JSON-RPC with Content-Length framing)."""

from __future__ import annotations

import json
import os
import queue
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest

from rnnlint.diagnostics import Diagnostic, Edit, Fix, Loc, Severity

pytest.importorskip("pygls", reason="the language server needs the lsp extra (pygls)")

BAD = """\
import torch
import torch.nn as nn

class SentimentClassifier(nn.Module):
    def __init__(self):
        super().__init__()
        self.rnn = nn.RNN(64, 1024, dropout=0.5)

model = SentimentClassifier()
opt = torch.optim.Adam(model.parameters(), lr=1e-3)
for x, y in []:
    loss = model(x).sum()
    loss.backward()
    opt.step()
"""
TIMEOUT = 60.0


class Client:
    """A minimal LSP client: framing, requests with ids, notifications, a reader thread."""

    def __init__(self, cwd: Path) -> None:
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "rnnlint", "server"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            cwd=cwd,
            env=env,
        )
        self.inbox: queue.Queue[dict[str, Any] | None] = queue.Queue()
        self.next_id = 0
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        out = self.proc.stdout
        assert out is not None
        while True:
            headers: dict[str, str] = {}
            while True:
                line = out.readline()
                if not line:
                    self.inbox.put(None)
                    return
                line = line.strip()
                if not line:
                    break
                key, _, value = line.decode("ascii").partition(":")
                headers[key.strip().lower()] = value.strip()
            body = out.read(int(headers["content-length"]))
            self.inbox.put(json.loads(body))

    def send(self, message: dict[str, Any]) -> None:
        body = json.dumps({"jsonrpc": "2.0", **message}).encode("utf-8")
        assert self.proc.stdin is not None
        self.proc.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        self.proc.stdin.flush()

    def notify(self, method: str, params: dict[str, Any] | None = None) -> None:
        self.send({"method": method, **({"params": params} if params is not None else {})})

    def request(self, method: str, params: dict[str, Any] | None = None) -> Any:
        self.next_id += 1
        ident = self.next_id
        self.send({"id": ident, "method": method, **({"params": params} if params is not None else {})})
        reply = self.wait(lambda m: m.get("id") == ident and "method" not in m)
        assert "error" not in reply, reply
        return reply.get("result")

    def wait(self, match: Any) -> dict[str, Any]:
        """The next message ``match`` accepts (answering server requests on the way); fail after TIMEOUT."""
        while True:
            try:
                msg = self.inbox.get(timeout=TIMEOUT)
            except queue.Empty:
                pytest.fail("the language server did not answer in time")
            if msg is None:
                err = self.proc.stderr.read().decode() if self.proc.stderr else ""
                pytest.fail(f"the language server closed its output: {err}")
            if "method" in msg and "id" in msg:  # a request from the server (e.g. client/registerCapability)
                self.send({"id": msg["id"], "result": None})
                continue
            if match(msg):
                return msg

    def diagnostics(self, uri: str, version: int) -> list[dict[str, Any]]:
        msg = self.wait(
            lambda m: m.get("method") == "textDocument/publishDiagnostics"
            and m["params"]["uri"] == uri
            and m["params"].get("version") == version
        )
        return list(msg["params"]["diagnostics"])

    def close(self) -> int:
        try:
            self.request("shutdown")
            self.notify("exit")
            return self.proc.wait(timeout=TIMEOUT)
        finally:
            if self.proc.poll() is None:
                self.proc.kill()
                self.proc.wait(timeout=TIMEOUT)


@pytest.fixture
def client(tmp_path: Path) -> Any:
    c = Client(tmp_path)
    try:
        yield c
    finally:
        if c.proc.poll() is None:
            c.proc.kill()
            c.proc.wait(timeout=TIMEOUT)


def test_server_publishes_diagnostics_and_answers_code_actions(tmp_path: Path, client: Client) -> None:
    path = tmp_path / "train.py"
    path.write_text("# not what the editor holds\n")  # the server lints the buffer, not the disk
    uri = path.resolve().as_uri()
    init = client.request(
        "initialize", {"processId": os.getpid(), "rootUri": tmp_path.resolve().as_uri(), "capabilities": {}}
    )
    assert init["serverInfo"]["name"] == "rnnlint"
    caps = init["capabilities"]
    assert caps["codeActionProvider"] and caps["textDocumentSync"]
    client.notify("initialized", {})

    client.notify("textDocument/didOpen", {"textDocument": {"uri": uri, "languageId": "python", "version": 1, "text": BAD}})
    diags = client.diagnostics(uri, 1)
    by_code = {d["code"]: d for d in diags}
    assert {"RNN101", "RNN104", "RNN201"} <= set(by_code)
    rnn101 = by_code["RNN101"]
    # rnnlint's 7:20 (1-based) is LSP's 6:19 (0-based); the span covers `nn.RNN(64, 1024, dropout=0.5)`
    assert rnn101["range"]["start"] == {"line": 6, "character": 19}
    assert rnn101["range"]["end"] == {"line": 6, "character": 19 + len("nn.RNN(64, 1024, dropout=0.5)")}
    assert rnn101["severity"] == 2 and rnn101["source"] == "rnnlint"
    assert rnn101["codeDescription"]["href"] == "https://github.com/rnnlint/rnnlint/blob/main/rules/RNN101.md"
    assert by_code["RNN107"]["severity"] == 1

    # didChange: fix the layer; RNN101 and RNN104 go away
    fixed = BAD.replace("nn.RNN(64, 1024, dropout=0.5)", "nn.LSTM(64, 256, num_layers=2, dropout=0.5)")
    client.notify(
        "textDocument/didChange",
        {"textDocument": {"uri": uri, "version": 2}, "contentChanges": [{"text": fixed}]},
    )
    after = {d["code"] for d in client.diagnostics(uri, 2)}
    assert "RNN101" not in after and "RNN104" not in after and "RNN201" in after

    client.notify("textDocument/didSave", {"textDocument": {"uri": uri}})
    client.wait(lambda m: m.get("method") == "textDocument/publishDiagnostics" and m["params"]["uri"] == uri)

    def code_actions(start: int, end: int) -> list[dict[str, Any]]:
        return list(
            client.request(
                "textDocument/codeAction",
                {
                    "textDocument": {"uri": uri},
                    "range": {"start": {"line": start, "character": 0}, "end": {"line": end, "character": 0}},
                    "context": {"diagnostics": []},
                },
            )
            or []
        )

    assert code_actions(0, 1) == []  # the imports: nothing to fix there
    actions = code_actions(12, 13)  # the backward() line that RNN201 reports
    clip = [a for a in actions if any(d["code"] == "RNN201" for d in a.get("diagnostics", []))]
    assert clip, actions
    action = clip[0]
    assert action["kind"] == "quickfix" and "RNN201" in action["title"]
    (edit,) = action["edit"]["changes"][uri]
    assert "clip_grad_norm_" in edit["newText"]
    assert edit["range"]["start"] == edit["range"]["end"] == {"line": 12, "character": len("    loss.backward()")}
    assert client.close() == 0


def test_clean_document_publishes_no_diagnostics(tmp_path: Path, client: Client) -> None:
    uri = (tmp_path / "util.py").resolve().as_uri()
    client.request("initialize", {"processId": None, "rootUri": None, "capabilities": {}})
    client.notify("initialized", {})
    client.notify(
        "textDocument/didOpen",
        {"textDocument": {"uri": uri, "languageId": "python", "version": 1, "text": "def add(a, b):\n    return a + b\n"}},
    )
    assert client.diagnostics(uri, 1) == []
    assert client.close() == 0


def test_fix_becomes_a_quick_fix_code_action() -> None:
    from lsprotocol import types as lsp

    from rnnlint.lsp import code_actions, to_lsp

    lines = ["x = 'é' + nn.RNN(1, 2)"]
    loc = Loc("/p/train.py", 1, 11, 1, 23)
    fix = Fix("safe", "use an LSTM", (Edit(Loc("/p/train.py", 1, 11, 1, 17), "nn.LSTM"),))
    d = Diagnostic("RNN101", "plain RNN", loc, "vanilla-rnn", Severity.WARNING, fix)
    shown = to_lsp(d, lines)
    assert shown.range.start.character == 10 and shown.data["fix"]["applicability"] == "safe"
    wanted = lsp.Range(lsp.Position(0, 0), lsp.Position(0, 30))
    (action,) = code_actions("file:///p/train.py", [d], lines, wanted)
    assert action.kind == lsp.CodeActionKind.QuickFix and action.is_preferred
    assert action.edit is not None and action.edit.changes is not None
    (edit,) = action.edit.changes["file:///p/train.py"]
    assert edit.new_text == "nn.LSTM" and (edit.range.start.character, edit.range.end.character) == (10, 16)
    # UTF-16: a character outside the BMP counts twice
    wide = to_lsp(d, ["x = '😀' + nn.RNN(1, 2)"])
    assert wide.range.start.character == 11
    elsewhere = lsp.Range(lsp.Position(3, 0), lsp.Position(4, 0))
    assert code_actions("file:///p/train.py", [d], lines, elsewhere) == []
    assert code_actions("file:///p/train.py", [Diagnostic("RNN101", "m", loc)], lines, wanted) == []


def test_lint_text_uses_the_nearest_config(tmp_path: Path) -> None:
    from rnnlint.lsp import lint_text

    (tmp_path / "pyproject.toml").write_text('[tool.rnnlint]\nhidden-size = [64, 2048]\n[tool.rnnlint.per-file-ignores]\n"exp/*" = ["RNN1"]\n')
    (tmp_path / "exp").mkdir()
    top = {d.code for d in lint_text(str(tmp_path / "train.py"), BAD)}
    assert "RNN101" in top and "RNN104" not in top
    nested = {d.code for d in lint_text(str(tmp_path / "exp" / "train.py"), BAD)}
    assert nested and not any(c.startswith("RNN1") for c in nested)
