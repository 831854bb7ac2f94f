"""Issue 15: whole repositories linted root to root, each cause of a false RNN001 from a minimal reproduction."""

from __future__ import annotations

from pathlib import Path

import pytest

import rnnlint.run.engine as engine
from rnnlint.run.units import BIG_PACKAGE_MODULES
from rnnlint.settings.model import Settings


def _write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        p = root / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)


def _run(root: Path, names: list[str]) -> engine.Result:
    return engine.Linter(Settings(), [root]).run([root / n for n in names])


# -- internal limits are never the user's error ------------------------------------------------------------------------
def test_re_exports_in_a_cycle_are_no_error(tmp_path: Path) -> None:
    """flax: `import flax` made the resolver follow `from flax.linen import X` round a package cycle until the stack
    overflowed, reported as RNN001 at 1:1 of a valid file."""
    _write(
        tmp_path,
        {
            "pkg/__init__.py": "from pkg import linen\n",
            "pkg/linen/__init__.py": "from pkg.linen.recurrent import Cell\nfrom pkg import linen\n",
            "pkg/linen/recurrent.py": "from pkg.linen import Cell\n",
            "train.py": "import torch\nimport pkg\nfrom pkg.linen import Cell\nc = Cell()\nrnn = torch.nn.LSTM(8, 4096)\n",
        },
    )
    result = _run(tmp_path, ["train.py"])
    assert [d.code for d in result.diagnostics if d.code == "RNN001"] == []
    assert any(d.code == "RNN104" for d in result.diagnostics)  # the rest of the unit is still judged
    assert result.notices == []


def test_a_unit_that_fails_is_said_once_and_its_files_are_analysed_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _write(
        tmp_path,
        {
            "model.py": "import torch.nn as nn\nrnn = nn.LSTM(8, 2048)\n",
            "train.py": "import torch\nimport model\nother = torch.nn.GRU(8, 4096)\n",
        },
    )
    from rnnlint.analysis import pyfacts

    real = pyfacts.build_unit_facts

    def fails_whole(modules, entry, resolver):  # type: ignore[no-untyped-def]
        if len(modules) > 1:
            raise RecursionError("maximum recursion depth exceeded")
        return real(modules, entry, resolver)

    monkeypatch.setattr(pyfacts, "build_unit_facts", fails_whole)
    result = _run(tmp_path, ["train.py", "model.py"])
    assert "RNN001" not in {d.code for d in result.diagnostics}
    assert {(d.code, d.loc.path.rsplit("/", 1)[-1]) for d in result.diagnostics if d.code == "RNN104"} == {
        ("RNN104", "train.py"),
        ("RNN104", "model.py"),
    }
    assert len(result.notices) == 1 and "train.py" in result.notices[0] and "nesting limit" in result.notices[0]


def test_the_notice_reaches_stderr_once_and_the_exit_code_is_the_findings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from rnnlint.analysis import pyfacts
    from rnnlint.cli import main

    _write(tmp_path, {"train.py": "import torch\nrnn = torch.nn.LSTM(8, 4096)\n"})

    def broken(modules, entry, resolver):  # type: ignore[no-untyped-def]
        raise KeyError("a bug in rnnlint")

    monkeypatch.setattr(pyfacts, "build_unit_facts", broken)
    monkeypatch.chdir(tmp_path)
    code = main(["--no-cache", "--output-format", "concise", "train.py"])
    out, err = capsys.readouterr()
    assert code == 0 and "RNN001" not in out
    assert err.count("could not be analysed whole") == 1 and err.count("could not be analysed (") == 1


# -- a repository's own big library is read as an installed one ------------------------------------------------------------
def _big_flax(root: Path) -> None:
    files = {
        "flax/__init__.py": "from flax import linen\n",
        "flax/linen/__init__.py": "from flax.linen.recurrent import LSTMCell\nfrom flax import linen\n",
        "flax/linen/recurrent.py": "from flax.linen import LSTMCell\nimport jax\n",
    }
    files |= {f"flax/core/m{i}.py": "import jax\nfrom flax.linen import recurrent\n" for i in range(BIG_PACKAGE_MODULES)}
    files["examples/sst2/train.py"] = (
        "import flax.linen as nn\n\nclass M(nn.Module):\n    def __call__(self, x):\n"
        "        return nn.RNN(nn.LSTMCell(features=4096))(x)\n"
    )
    _write(root, files)


def test_an_example_beside_a_big_library_is_judged_with_the_library_as_installed(tmp_path: Path) -> None:
    _big_flax(tmp_path)
    result = _run(tmp_path, ["examples/sst2/train.py"])
    assert any(d.code == "RNN104" and "4096" in d.message for d in result.diagnostics), result.diagnostics
    assert "RNN001" not in {d.code for d in result.diagnostics}


def test_units_do_not_pull_a_big_library_in(tmp_path: Path) -> None:
    from rnnlint.run.units import build_units

    _big_flax(tmp_path)
    linter = engine.Linter(Settings(), [tmp_path])
    linter.finder.add_files([tmp_path / "examples/sst2/train.py"])
    entry = linter._load(tmp_path / "examples/sst2/train.py")
    assert not isinstance(entry, type(None))
    units = build_units({entry.path: entry}, linter._load, linter.finder)  # type: ignore[union-attr,dict-item]
    assert [len(u.modules) for u in units] == [1]


def test_a_small_local_package_still_joins_the_unit(tmp_path: Path) -> None:
    """Below the size of a library, a local package is the project's own code: values flow from it."""
    _write(
        tmp_path,
        {
            "proj/__init__.py": "",
            "proj/config.py": "HIDDEN = 4096\n",
            "train.py": "import torch\nfrom proj.config import HIDDEN\nrnn = torch.nn.LSTM(8, HIDDEN)\n",
        },
    )
    found = [d for d in _run(tmp_path, ["train.py"]).diagnostics if d.code == "RNN104"]
    assert found and "proj/config.py" in found[0].message
