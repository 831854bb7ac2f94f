"""Import weight of the new modules and the CLI's manners for the ecosystem commands."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from rnnlint.cli import main


def _loaded(code: str) -> list[str]:
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120).stdout
    return out.split()


def test_import_rnnlint_stays_light() -> None:
    heavy = ("rich", "pydantic", "pygls", "lsprotocol", "flake8", "pre_commit", "torch", "tensorflow")
    assert _loaded(f"import sys, rnnlint; print(*[m for m in {heavy!r} if m in sys.modules])") == []
    # the CLI, the flake8 entry point and the reporters import nothing heavy until they run
    code = (
        "import sys, rnnlint.cli, rnnlint.flake8_plugin, rnnlint.report.formats, rnnlint.report.progress; "
        f"print(*[m for m in {heavy[2:] + ('rich',)!r} if m in sys.modules])"
    )
    assert _loaded(code) == []


def test_server_without_pygls_is_a_message_not_a_traceback() -> None:
    code = "import sys; sys.modules['pygls'] = None; from rnnlint.cli import main; sys.exit(main(['server']))"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    assert "pip install 'rnnlint[lsp]'" in proc.stderr and "Traceback" not in proc.stderr


def test_new_flags_keep_usage_errors_at_exit_2() -> None:
    assert main(["--output-format", "xml"]) == 2
    assert main(["server", "--bogus"]) == 2
    assert main(["config", "--output-format", "yaml"]) == 2


def test_console_script_sarif_to_file_without_traceback(tmp_path: Path) -> None:
    (tmp_path / "train.py").write_text("import torch\nimport torch.nn as nn\nrnn = nn.RNN(8, 16)\n")
    proc = subprocess.run(
        [sys.executable, "-m", "rnnlint", "train.py", "--isolated", "--output-format", "sarif", "-o", "out/r.sarif"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=120,
    )
    assert "Traceback" not in proc.stderr and proc.stdout == ""
    assert (tmp_path / "out" / "r.sarif").read_text().lstrip().startswith("{")


class _ClosedPipe:
    def write(self, text: str) -> int:
        raise BrokenPipeError(32, "Broken pipe")

    def flush(self) -> None:
        pass


def test_a_reader_that_leaves_early_is_not_an_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "train.py").write_text("import torch\nimport torch.nn as nn\nrnn = nn.RNN(8, 16)\n")
    monkeypatch.setattr(sys, "stdout", _ClosedPipe())
    code = main([str(tmp_path / "train.py"), "--isolated", "--no-cache", "--output-format", "concise"])
    assert code == 1
    assert capsys.readouterr().err == ""
