"""Hostile inputs: one CLI run over a folder of them, next to a normal script.

Every hostile file yields RNN001 (or is read correctly, or is skipped with a reason the
test names); the normal script's findings are all still reported; the run exits 1 (findings),
never 2 (internal error), within a time bound and under 1 GiB of memory (the child's peak
RSS, from ``getrusage(RUSAGE_CHILDREN)`` in a wrapper process that runs only the CLI).
Paths that vanish mid-run are tested in-process, by deleting a file between two steps.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from rnnlint import cli
from rnnlint.run import discovery, engine, runner
from rnnlint.run.engine import Linter
from rnnlint.settings.model import Settings

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
TIME_LIMIT_S = 120  # generous for a slow CI machine; the run takes ~15 s here
MEMORY_LIMIT_KB = 1024 * 1024  # 1 GiB (ru_maxrss is in KiB on Linux)
IS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0
HAS_FIFO = hasattr(os, "mkfifo")

# A line that always fires RNN104 (hidden size 4096): proves the file was decoded and parsed.
LSTM_4096 = "rnn = nn.LSTM(8, 4096, 2, dropout=0.5)"

# Runs the CLI as its only child and reports that child's peak RSS once it has exited.
WRAPPER = """
import json, resource, subprocess, sys, time
start = time.perf_counter()
try:
    p = subprocess.run(sys.argv[2:], capture_output=True, timeout=float(sys.argv[1]))
    rc, out, err = p.returncode, p.stdout.decode("utf-8", "replace"), p.stderr.decode("utf-8", "replace")
except subprocess.TimeoutExpired as exc:
    rc, out, err = None, "", f"timed out after {exc.timeout} s"
print(json.dumps({"rc": rc, "stdout": out, "stderr": err, "seconds": time.perf_counter() - start,
                  "maxrss_kb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss}))
"""


def _notebook(*sources: str) -> str:
    cells = [{"cell_type": "code", "metadata": {}, "execution_count": None, "outputs": [], "source": s} for s in sources]
    return json.dumps({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}, indent=1)


def _alias_bomb() -> str:
    lines = ["model:", "  cell: lstm", "  hidden_size: 256", 'l_a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for prev, name in zip("abcdefgh", "bcdefghi", strict=True):
        lines.append(f"l_{name}: &{name} [" + ", ".join([f"*{prev}"] * 9) + "]")
    return "\n".join([*lines, "lstm: *i"]) + "\n"


def _big_file() -> str:
    lines = ["import torch", "import torch.nn as nn", ""]
    i = 0
    while len(lines) < 40_000:
        lines += [f"def helper_{i}(x, y={i}):", f'    """Helper {i}."""', f'    z = [x * y, x + {i}, {{"k": {i}}}]', "    return sum(z[:2])", ""]
        i += 1
    return "\n".join([*lines, LSTM_4096]) + "\n"


def build_hostile_tree(root: Path) -> None:
    """Every hostile input of issue 7, plus normal/train.py (the sentiment fixture)."""
    (root / "normal").mkdir(parents=True)
    shutil.copy(FIXTURES / "sentiment" / "train.py", root / "normal" / "train.py")
    head = "import torch.nn as nn\n"
    w = root / "inputs"
    w.mkdir()
    # Bytes that are not text.
    (w / "binary.py").write_bytes(b"import torch\n\x00\x01\x02\xff\xfe" + bytes(range(256)) * 8)
    (w / "not_utf8.py").write_bytes(b"import torch\nx = '\xff\xfe\xc3\x28 caf\xe9'\n")
    (w / "bogus_cookie.py").write_bytes(b"# -*- coding: no-such-codec -*-\nimport torch\n")
    # Encodings and line endings that are valid Python: decoded and linted normally.
    (w / "latin1.py").write_bytes(f"# -*- coding: latin-1 -*-\n{head}name = 'caf\xe9 \xfc\xdf'\n{LSTM_4096}\n".encode("latin-1"))
    (w / "bom.py").write_bytes(b"\xef\xbb\xbf" + f"{head}# caf\u00e9\n{LSTM_4096}\n".encode())
    (w / "crlf.py").write_bytes(f"{head}\n# comment\n{LSTM_4096}\n".replace("\n", "\r\n").encode())
    (w / "empty.py").write_bytes(b"")
    (w / "only_comment.py").write_text("# torch lstm\n")
    # Nesting past the parser's limits, and very long expressions.
    (w / "parens.py").write_text("import torch\nx = " + "(" * 6000 + "1" + ")" * 6000 + "\n")
    (w / "brackets.py").write_text("import torch\nx = " + "[" * 3000 + "]" * 3000 + "\n")
    (w / "long_chain.py").write_text(f"{head}{LSTM_4096}\nx = " + " + ".join(["1"] * 100_000) + "\n")
    (w / "lambdas.py").write_text(f"{head}{LSTM_4096}\nf = " + "lambda: " * 5000 + "1\n")
    (w / "big.py").write_text(_big_file())
    # YAML.
    (w / "bomb.yaml").write_text(_alias_bomb())
    (w / "deep.yaml").write_text("# lstm\nhidden_sizes: " + "[" * 20_000 + "]" * 20_000 + "\n")
    (w / "tabs.yaml").write_text("# lstm recipe\nmodel:\n\tcell: lstm\n\thidden_size: 256\n")
    (w / "deep.json").write_text('{"lstm": ' + "[" * 20_000 + "]" * 20_000 + "}\n")
    # Notebooks.
    good_nb = _notebook(f"{head}{LSTM_4096}\n")
    (w / "truncated.ipynb").write_text(good_nb[: good_nb.index("LSTM") + 40])  # cut after the relevant text
    (w / "not_a_notebook.ipynb").write_text('{"torch": {"lstm": [1, 2, 3]}}\n')
    (w / "list_notebook.ipynb").write_text('["torch", "lstm"]\n')
    (w / "bad_cell.ipynb").write_text('{"cells": [{"cell_type": "code", "source": 42}], "lstm": 1}\n')
    (w / "deep.ipynb").write_text('{"lstm": ' + "[" * 100_000 + "]" * 100_000 + "}\n")
    # Links: loops (a folder linking to itself, two files linking to each other), a dangling link,
    # a script next to the loop (its importer scan globs the loop) and a config that is a loop.
    loops = root / "loops"
    loops.mkdir()
    (loops / "self").symlink_to(".", target_is_directory=True)
    (loops / "a_loop.py").symlink_to("b_loop.py")
    (loops / "b_loop.py").symlink_to("a_loop.py")
    (loops / "c_loop.yaml").symlink_to("c_loop.yaml")
    (loops / "dangling.py").symlink_to(root / "does-not-exist.py")
    (loops / "model.py").write_text(f"{head}{LSTM_4096}\n")
    (loops / "train_cfg.py").write_text(f"import yaml\n{head}cfg = yaml.safe_load(open('c_loop.yaml'))\nrnn = nn.LSTM(8, cfg['hidden'], 2, dropout=0.5)\n{LSTM_4096}\n")
    # Things that are not regular files: a folder named like a script (its content is linted),
    # FIFOs (reading one blocks forever), a link to an endless device.
    (root / "folder.py").mkdir()
    (root / "folder.py" / "inside.py").write_text(f"{head}{LSTM_4096}\n")
    if HAS_FIFO:
        os.mkfifo(root / "special_fifo.py")
        os.mkfifo(root / "special_fifo.yaml")
    if Path("/dev/zero").exists():
        (root / "special_zero.py").symlink_to("/dev/zero")
    if not IS_ROOT:
        (root / "unreadable.py").write_text(f"{head}{LSTM_4096}\n")
        (root / "unreadable.py").chmod(0)


@dataclass
class Run:
    rc: int | None
    findings: list[dict[str, Any]]
    stderr: str
    seconds: float
    maxrss_kb: int

    def at(self, rel: str) -> list[dict[str, Any]]:
        return [f for f in self.findings if f["path"] == rel]

    def codes(self, rel: str) -> list[str]:
        return sorted(f["code"] for f in self.at(rel))

    def rnn001(self, rel: str) -> str:
        found = self.at(rel)
        assert [f["code"] for f in found] == ["RNN001"], f"{rel}: {found}"
        return str(found[0]["message"])


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, Run]]:
    root = tmp_path_factory.mktemp("hostile")
    build_hostile_tree(root)
    cmd = [sys.executable, "-m", "rnnlint", ".", "--output-format", "json", "--isolated", "--no-cache"]
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)}
    env.pop("RNNLINT_DEBUG", None)
    done = subprocess.run(
        [sys.executable, "-c", WRAPPER, str(TIME_LIMIT_S), *cmd], cwd=root, env=env, capture_output=True, text=True, timeout=TIME_LIMIT_S + 60
    )
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    findings = json.loads(report["stdout"]) if report["rc"] in (0, 1) else []
    yield root, Run(report["rc"], findings, report["stderr"], report["seconds"], report["maxrss_kb"])
    if not IS_ROOT and (root / "unreadable.py").exists():
        (root / "unreadable.py").chmod(0o644)  # let pytest clean up


def test_the_run_ends_with_exit_code_1_in_bounded_time_and_memory(hostile: tuple[Path, Run]) -> None:
    _, run = hostile
    assert run.rc == 1, f"exit code {run.rc}: {run.stderr}"
    assert "internal error" not in run.stderr and "Traceback" not in run.stderr
    assert run.seconds < TIME_LIMIT_S
    assert 0 < run.maxrss_kb < MEMORY_LIMIT_KB, f"peak RSS {run.maxrss_kb / 1024:.0f} MiB"


def test_the_normal_file_keeps_all_its_findings(hostile: tuple[Path, Run], tmp_path: Path) -> None:
    _, run = hostile
    alone = tmp_path / "train.py"
    shutil.copy(FIXTURES / "sentiment" / "train.py", alone)
    expected = sorted((d.code, d.loc.line, d.loc.col, d.message) for d in Linter(Settings(), [tmp_path]).run([alone]).diagnostics)
    got = sorted((f["code"], f["line"], f["column"], f["message"]) for f in run.at("normal/train.py"))
    assert expected and got == expected


def test_every_finding_names_a_real_path_once(hostile: tuple[Path, Run]) -> None:
    root, run = hostile
    for f in run.findings:
        assert os.path.lexists(root / f["path"]), f["path"]
        assert not f["path"].startswith("loops/self/"), "a symlink loop was walked twice"
    keys = [(f["path"], f["code"], f["line"], f["column"], f["message"]) for f in run.findings]
    assert len(keys) == len(set(keys))


def test_binary_data_named_py(hostile: tuple[Path, Run]) -> None:
    assert "NUL bytes" in hostile[1].rnn001("inputs/binary.py")


def test_undecodable_bytes(hostile: tuple[Path, Run]) -> None:
    assert "cannot decode as utf-8" in hostile[1].rnn001("inputs/not_utf8.py")
    assert "no-such-codec" in hostile[1].rnn001("inputs/bogus_cookie.py")


@pytest.mark.parametrize(("name", "line"), [("latin1.py", 4), ("bom.py", 3), ("crlf.py", 4)])
def test_latin1_cookie_bom_and_crlf_are_read_as_python(hostile: tuple[Path, Run], name: str, line: int) -> None:
    found = hostile[1].at(f"inputs/{name}")
    assert [(f["code"], f["line"], f["column"]) for f in found] == [("RNN104", line, 7)], found


def test_empty_and_comment_only_files_have_no_findings(hostile: tuple[Path, Run]) -> None:
    assert hostile[1].at("inputs/empty.py") == [] and hostile[1].at("inputs/only_comment.py") == []


@pytest.mark.parametrize("name", ["parens.py", "brackets.py"])
def test_6000_deep_parentheses_and_3000_deep_brackets(hostile: tuple[Path, Run], name: str) -> None:
    assert "too many nested parentheses" in hostile[1].rnn001(f"inputs/{name}")


@pytest.mark.parametrize("name", ["long_chain.py", "lambdas.py"])
def test_expressions_too_deep_for_the_parser(hostile: tuple[Path, Run], name: str) -> None:
    message = hostile[1].rnn001(f"inputs/{name}")
    assert message.startswith("cannot parse:") and ("RecursionError" in message or "MemoryError" in message)


def test_a_40k_line_file_is_linted_to_its_last_line(hostile: tuple[Path, Run]) -> None:
    found = hostile[1].at("inputs/big.py")
    assert [(f["code"], f["line"]) for f in found] == [("RNN104", 40_004)]


def test_yaml_alias_bomb(hostile: tuple[Path, Run]) -> None:
    assert "alias bomb" in hostile[1].rnn001("inputs/bomb.yaml")


@pytest.mark.parametrize("name", ["deep.yaml", "deep.json"])
def test_20k_deep_yaml_and_json(hostile: tuple[Path, Run], name: str) -> None:
    assert "nested too deeply" in hostile[1].rnn001(f"inputs/{name}")


def test_tab_indented_yaml(hostile: tuple[Path, Run]) -> None:
    found = hostile[1].at("inputs/tabs.yaml")
    assert [(f["code"], f["line"]) for f in found] == [("RNN001", 3)] and "'\\t'" in found[0]["message"]


def test_truncated_notebook(hostile: tuple[Path, Run]) -> None:
    assert "not a readable notebook" in hostile[1].rnn001("inputs/truncated.ipynb")


@pytest.mark.parametrize("name", ["not_a_notebook.ipynb", "list_notebook.ipynb", "bad_cell.ipynb"])
def test_valid_json_that_is_not_a_notebook(hostile: tuple[Path, Run], name: str) -> None:
    assert "not a Jupyter notebook" in hostile[1].rnn001(f"inputs/{name}")


def test_a_notebook_nested_too_deeply_for_json(hostile: tuple[Path, Run]) -> None:
    assert "RecursionError" in hostile[1].rnn001("inputs/deep.ipynb")


def test_symlink_loops_and_dangling_links(hostile: tuple[Path, Run]) -> None:
    run = hostile[1]
    # a_loop.py <-> b_loop.py cannot be opened: discovery skips them (os.scandir reports ELOOP);
    # the folder linking to itself is walked once; the script beside them is linted normally,
    # and its config that is a loop is an unknown value, not an internal error.
    assert not [f for f in run.findings if "_loop" in f["path"] or f["path"].startswith("loops/self")]
    assert run.codes("loops/model.py") == ["RNN104"]
    assert run.codes("loops/train_cfg.py") == ["RNN104"]
    assert "No such file or directory" in run.rnn001("loops/dangling.py")


def test_a_folder_named_like_a_script_is_walked(hostile: tuple[Path, Run]) -> None:
    assert hostile[1].at("folder.py") == [] and hostile[1].codes("folder.py/inside.py") == ["RNN104"]


@pytest.mark.skipif(not HAS_FIFO, reason="no FIFOs on this platform")
@pytest.mark.parametrize("name", ["special_fifo.py", "special_fifo.yaml"])
def test_a_fifo_is_reported_not_read(hostile: tuple[Path, Run], name: str) -> None:
    # Reading a FIFO blocks until a writer comes: the run would hang. It is refused instead.
    assert "not a regular file" in hostile[1].rnn001(name)


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="no /dev/zero")
def test_a_link_to_an_endless_device_is_reported_not_read(hostile: tuple[Path, Run]) -> None:
    assert "not a regular file" in hostile[1].rnn001("special_zero.py")


@pytest.mark.skipif(IS_ROOT, reason="running as root: permissions do not stop reads (the FIFO and device tests cover unreadable files)")
def test_an_unreadable_file(hostile: tuple[Path, Run]) -> None:
    assert "Permission denied" in hostile[1].rnn001("unreadable.py")


def test_explicit_symlink_loop_argument_is_a_missing_path(tmp_path: Path) -> None:
    (tmp_path / "a.py").symlink_to("b.py")
    (tmp_path / "b.py").symlink_to("a.py")
    done = subprocess.run(
        [sys.executable, "-m", "rnnlint", "a.py", "--isolated", "--no-cache"], cwd=tmp_path, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 2 and "path not found: a.py (a symlink loop)" in done.stderr and "internal error" not in done.stderr


def test_a_link_back_to_the_walked_root_does_not_rename_files(tmp_path: Path) -> None:
    (tmp_path / "loops").mkdir()
    (tmp_path / "loops" / "up").symlink_to("..", target_is_directory=True)
    (tmp_path / "z_train.py").write_text("import torch\n")
    found = [p.relative_to(tmp_path).as_posix() for p in discovery.discover([tmp_path], [])]
    assert found == ["z_train.py"]


# Paths that vanish mid-run (in-process: the file is deleted between two steps of one run).


def _vanish_project(tmp_path: Path) -> Path:
    shutil.copy(FIXTURES / "sentiment" / "train.py", tmp_path / "train.py")
    (tmp_path / "gone.py").write_text(f"import torch.nn as nn\n{LSTM_4096}\n")
    return tmp_path


def _run_cli(capsys: pytest.CaptureFixture[str], *extra: str) -> tuple[int, dict[str, list[dict[str, Any]]]]:
    rc = cli.main([".", "--output-format", "json", "--isolated", "-j", "1", *(extra or ("--no-cache",))])
    out = capsys.readouterr().out
    by_path: dict[str, list[dict[str, Any]]] = {}
    for f in json.loads(out):
        by_path.setdefault(f["path"], []).append(f)
    return rc, by_path


def test_a_file_deleted_between_discovery_and_reading(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(_vanish_project(tmp_path))
    real = discovery.discover

    def discover_then_delete(*args: Any, **kw: Any) -> Iterator[Path]:
        found = list(real(*args, **kw))
        assert any(p.name == "gone.py" for p in found)
        (tmp_path / "gone.py").unlink()
        return iter(found)

    monkeypatch.setattr(discovery, "discover", discover_then_delete)
    rc, by_path = _run_cli(capsys)
    assert rc == 1
    assert [(f["code"], f["message"]) for f in by_path["gone.py"]] == [("RNN001", "cannot read file: No such file or directory")]
    assert "RNN201" in {f["code"] for f in by_path["train.py"]}


def test_a_file_deleted_between_grouping_and_linting(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(_vanish_project(tmp_path))
    real = runner._groups

    def groups_then_delete(*args: Any, **kw: Any) -> Iterator[runner.Group]:
        groups = list(real(*args, **kw))
        assert any(p.name == "gone.py" for g in groups for p in g.files)
        (tmp_path / "gone.py").unlink()
        return iter(groups)

    monkeypatch.setattr(runner, "_groups", groups_then_delete)
    rc, by_path = _run_cli(capsys, "--cache-dir", str(tmp_path / ".cache"))  # a cache goes through the runner
    assert rc == 1
    assert [f["code"] for f in by_path["gone.py"]] == ["RNN001"] and "cannot read file" in by_path["gone.py"][0]["message"]
    assert "RNN201" in {f["code"] for f in by_path["train.py"]}


def test_a_file_deleted_between_the_prefilter_and_the_parse(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(_vanish_project(tmp_path))
    real = engine.Linter._relevant

    def relevant_then_delete(self: engine.Linter, path: Path, data: bytes, depth: int = 0) -> bool:
        answer = real(self, path, data, depth)
        if path.name == "gone.py":
            path.unlink()
        return answer

    monkeypatch.setattr(engine.Linter, "_relevant", relevant_then_delete)
    rc, by_path = _run_cli(capsys)
    assert rc == 1
    assert [f["code"] for f in by_path["gone.py"]] == ["RNN001"] and "cannot read file" in by_path["gone.py"][0]["message"]
    assert "RNN201" in {f["code"] for f in by_path["train.py"]}


def test_a_file_replaced_by_a_folder_mid_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(_vanish_project(tmp_path))
    real = discovery.discover

    def discover_then_swap(*args: Any, **kw: Any) -> Iterator[Path]:
        found = list(real(*args, **kw))
        (tmp_path / "gone.py").unlink()
        (tmp_path / "gone.py").mkdir()
        return iter(found)

    monkeypatch.setattr(discovery, "discover", discover_then_swap)
    start = time.perf_counter()
    rc, by_path = _run_cli(capsys)
    assert rc == 1 and time.perf_counter() - start < 60
    assert [f["code"] for f in by_path["gone.py"]] == ["RNN001"]
    assert by_path["gone.py"][0]["message"] in ("cannot read file: not a regular file", "cannot read file: Is a directory")
