"""Imported modules are parsed once per process and shared by groups, without changing any finding."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from rnnlint.analysis import pyindex
from rnnlint.report.formats import as_json
from rnnlint.run import engine
from rnnlint.run.runner import lint_files
from rnnlint.settings.model import Settings

LIBRARY = """
import torch.nn as nn

class Tagger(nn.Module):
    def __init__(self, hidden):
        super().__init__()
        self.rnn = nn.LSTM(32, hidden, dropout=0.5)
        self.out = nn.Linear(hidden, 10)
"""

SCRIPT = """
import torch
from pkg.model import Tagger

model = Tagger({hidden})
opt = torch.optim.SGD(model.parameters(), lr=1.0)
for x, y in data:
    loss = torch.nn.functional.cross_entropy(model(x), y)
    loss.backward()
    opt.step()
"""


def project(tmp_path: Path) -> list[Path]:
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "__init__.py").write_text("")
    (tmp_path / "pkg" / "model.py").write_text(textwrap.dedent(LIBRARY))
    scripts = []
    for name, hidden in (("a.py", 64), ("b.py", 128), ("c.py", "hidden")):
        (tmp_path / name).write_text(textwrap.dedent(SCRIPT.format(hidden=hidden)))
        scripts.append(tmp_path / name)
    return scripts  # three groups (the scripts do not import each other), one library they all import


def run(scripts: list[Path], root: Path) -> list[dict[str, object]]:
    return [as_json(d) for d in lint_files(scripts, Settings(), [root], jobs=1).diagnostics]


@pytest.fixture
def parses(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    seen: list[str] = []
    real = pyindex.parse_module

    def counting(data: bytes, path: str, display: str) -> object:
        seen.append(Path(path).name)
        return real(data, path, display)

    monkeypatch.setattr(pyindex, "parse_module", counting)
    monkeypatch.setattr(engine, "PARSED_IMPORTS", engine.ParsedImports())
    return seen


def test_a_library_imported_by_three_groups_is_parsed_once(tmp_path: Path, parses: list[str]) -> None:
    scripts = project(tmp_path)
    found = run(scripts, tmp_path)
    assert parses.count("model.py") == 1
    assert sorted(n for n in parses if n != "model.py" and n != "__init__.py") == ["a.py", "b.py", "c.py"]
    assert any(str(f["path"]).endswith("model.py") for f in found)  # the library's layer is judged in each unit


def test_findings_are_those_of_parsing_each_time(tmp_path: Path, parses: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    scripts = project(tmp_path)
    shared = run(scripts, tmp_path)
    monkeypatch.setattr(engine, "PARSED_IMPORTS", engine.ParsedImports(budget=0))  # nothing kept: parse every time
    parses.clear()
    alone = run(scripts, tmp_path)
    assert parses.count("model.py") == 3
    assert shared == alone and shared


def test_changed_bytes_are_parsed_again(tmp_path: Path, parses: list[str]) -> None:
    scripts = project(tmp_path)
    run(scripts[:1], tmp_path)
    library = tmp_path / "pkg" / "model.py"
    library.write_text(library.read_text().replace("dropout=0.5", "dropout=0.2"))
    found = run(scripts[:1], tmp_path)
    assert parses.count("model.py") == 2
    assert not any("0.5" in str(f["message"]) for f in found if str(f["path"]).endswith("model.py"))


def test_the_budget_bounds_what_is_kept() -> None:
    cache = engine.ParsedImports(budget=100)
    for n in range(5):
        cache.get(f"x = {'1' * 30}\n".encode(), f"/m{n}.py", f"m{n}.py")
    assert cache.size <= 100 and len(cache.entries) == 2
    assert [k[0] for k in cache.entries] == ["/m3.py", "/m4.py"]  # the least recently used went first
