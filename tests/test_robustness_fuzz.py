"""The fuzzer (benchmarks/fuzz.py) on a small, derandomized budget, its oracles, and the regressions it found.

The long run (>= 10k cases) is run by hand: ``python benchmarks/fuzz.py --cases 10000 --jobs 4``.
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

from rnnlint.analysis import pyindex
from rnnlint.fix import apply
from rnnlint.run.engine import Linter
from rnnlint.settings.model import Settings

REPO = Path(__file__).resolve().parent.parent
FIXTURES = REPO / "fixtures"
CI_CASES = 200
CI_SEED = 1


def _load_fuzz() -> ModuleType:
    spec = importlib.util.spec_from_file_location("rnnlint_fuzz", REPO / "benchmarks" / "fuzz.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["rnnlint_fuzz"] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def fuzz() -> ModuleType:
    return _load_fuzz()


def test_a_small_derandomized_fuzz_run_finds_nothing(fuzz: ModuleType) -> None:
    stats = fuzz.fuzz(cases=CI_CASES, seed=CI_SEED)
    summary = stats.as_dict()
    assert summary["cases"] == CI_CASES
    assert set(summary["by_kind"]) == {"grammar", "node", "mutation"}
    assert summary["crashes"] == 0 and summary["failures"] == {}, json.dumps(summary["examples"], indent=1)
    assert summary["fix_files_checked"] > 0 and summary["fixes_applied"] > 0, "the budget must reach the fix checks"
    assert summary["findings"] > 0


def test_the_same_seed_gives_the_same_cases(fuzz: ModuleType) -> None:
    def hows(seed: int) -> list[tuple[str, str]]:
        return [(c.kind, c.how) for c in fuzz.generate(seed, 12, float("inf"), ("mutation",))]

    assert hows(5) == hows(5) != hows(6)


def test_the_script_runs_with_a_case_count_and_a_time_budget(tmp_path: Path) -> None:
    cmd = [sys.executable, str(REPO / "benchmarks" / "fuzz.py"), "--cases", "1000", "--seconds", "3", "--kinds", "mutation", "--json"]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    assert 0 < summary["cases"] < 1000 and summary["crashes"] == 0  # the time budget stopped it
    text = subprocess.run([*cmd[:2], "--cases", "3", "--kinds", "mutation"], capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert text.returncode == 0 and "3 cases" in text.stdout and "crashes: 0" in text.stdout and "fix results checked" in text.stdout


def _case(fuzz: ModuleType, text: str) -> object:
    return fuzz.Case("mutation", {"train.py": text.encode()}, "train.py", "regression")


def _run_case(fuzz: ModuleType, case: object, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> object:
    monkeypatch.chdir(tmp_path)
    stats = fuzz.Stats()
    fuzz.Harness(tmp_path, stats, None).run(case)
    return stats


def test_the_placement_oracle_catches_a_fixer_that_counts_lines_like_splitlines(
    fuzz: ModuleType, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The bug the fuzzer found (fixes shifted by characters str.splitlines() breaks at) is caught by its oracle."""
    text = (FIXTURES / "sentiment" / "train.py").read_text().replace("import torch\n", "import torch  # page\x0cbreak\n", 1)
    stats = _run_case(fuzz, _case(fuzz, text), tmp_path, monkeypatch)
    assert stats.failures == {} and stats.fix_files_checked >= 1  # fixed: nothing to report

    def old_lines(text: str, keepends: bool = False) -> list[str]:  # the fixer before the fix counted lines so
        return text.splitlines(keepends=keepends)

    monkeypatch.setattr(apply, "python_lines", old_lines)
    monkeypatch.setattr(pyindex, "python_lines", lambda text: text.splitlines())  # and the index before the fix
    stats = _run_case(fuzz, _case(fuzz, text), tmp_path, monkeypatch)
    assert stats.failures["misplaced"] == 1


def test_the_crash_oracle_reports_an_escaping_exception(fuzz: ModuleType, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(*args: object, **kw: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(fuzz.formats, "write_full", boom)
    stats = _run_case(fuzz, _case(fuzz, "import torch\n"), tmp_path, monkeypatch)
    assert stats.crashes == 1 and "format: RuntimeError: boom" in stats.examples[0]["detail"]


# Regressions: each crash or hang found while building the robustness checks, reduced.


def test_regression_a_symlink_loop_beside_a_linted_module(tmp_path: Path) -> None:
    """RuntimeError('Symlink loop') escaped from the importer scan (engine._importers) on Python < 3.13."""
    (tmp_path / "a.py").symlink_to("b.py")
    (tmp_path / "b.py").symlink_to("a.py")
    (tmp_path / "model.py").write_text("import torch.nn as nn\nrnn = nn.LSTM(8, 4096, 2, dropout=0.5)\n")
    diags = Linter(Settings(), [tmp_path]).run([tmp_path / "model.py"]).diagnostics
    assert [d.code for d in diags] == ["RNN104"]


def test_regression_a_config_that_is_a_symlink_loop(tmp_path: Path) -> None:
    """RuntimeError('Symlink loop') escaped from config_values._locate for yaml.safe_load(open('c.yaml'))."""
    (tmp_path / "c.yaml").symlink_to("c.yaml")
    (tmp_path / "train.py").write_text("import yaml\nimport torch.nn as nn\ncfg = yaml.safe_load(open('c.yaml'))\nrnn = nn.LSTM(8, cfg['h'])\n")
    assert Linter(Settings(), [tmp_path]).run([tmp_path / "train.py"]).diagnostics is not None


@pytest.mark.skipif(not hasattr(__import__("os"), "mkfifo"), reason="no FIFOs on this platform")
@pytest.mark.parametrize("where", ["linted", "sibling", "imported", "composition root"])
def test_regression_a_fifo_never_blocks(tmp_path: Path, where: str) -> None:
    """Path.read_bytes() on a FIFO blocks until a writer comes: every read of a lint run hung on one."""
    code = f"""
import os, sys
from pathlib import Path
from rnnlint.run.engine import Linter
from rnnlint.settings.model import Settings
root = Path({str(tmp_path)!r})
(root / "conf" / "model").mkdir(parents=True)
(root / "model.py").write_text("import torch.nn as nn\\nrnn = nn.LSTM(8, 4096, 2, dropout=0.5)\\n")
where = {where!r}
if where == "linted":
    os.mkfifo(root / "fifo.py"); target = root / "fifo.py"
elif where == "sibling":
    os.mkfifo(root / "other.py"); target = root / "model.py"
elif where == "imported":
    os.mkfifo(root / "helpers.py"); (root / "train.py").write_text("import helpers\\n"); target = root / "train.py"
else:
    os.mkfifo(root / "fifo.yaml")
    (root / "conf" / "model" / "lstm.yaml").write_text("cell: lstm\\nhidden_size: 256\\n"); target = root / "conf" / "model" / "lstm.yaml"
print([(d.code, d.message) for d in Linter(Settings(), [root]).run([target]).diagnostics])
"""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, env={"PYTHONPATH": str(REPO), "PATH": ""})
    assert done.returncode == 0, done.stderr
    if where == "linted":
        assert "not a regular file" in done.stdout


# Found by the long fuzz run (benchmarks/fuzz.py --cases 10000 --seed 7: ctc_phonemes/train.py cut short), reduced.

STEP_IN_A_DEFAULT_DISABLED_BRANCH = """\
import torch
import torch.nn as nn


def run_epoch(model, loader, optimizer=None):
    training = optimizer is not None
    for x in loader:
        loss = model(x)[0].sum()
        if training:
            optimizer.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 5.0)
            optimizer.step()


model = nn.LSTM(8, 256, 2, dropout=0.5)
optimizer = torch.optim.Adam(model.parameters())
"""


def test_regression_fixing_converges_when_the_step_sits_in_a_branch_a_default_disables(tmp_path: Path) -> None:
    target = tmp_path / "train.py"
    target.write_text(STEP_IN_A_DEFAULT_DISABLED_BRANCH)
    lint = lambda: Linter(Settings(), [tmp_path]).run([target])  # noqa: E731
    first = apply.plan(lint().diagnostics, unsafe=True)
    apply.write(first)
    second = apply.plan(lint().diagnostics, unsafe=True)
    assert second.files == [], "a second plan changes the file again: fixing does not converge"
