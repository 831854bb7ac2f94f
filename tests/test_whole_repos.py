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


# -- only training configs are configs -------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("keys.yaml", "if: torch\n"),  # a key that is a Python keyword once became Python syntax
        ("more_keys.yaml", "with: torch\nclass: LSTM\nNone: 1\n__debug__: 2\nlambda: x\n"),
        (".github/workflows/ci.yml", "on: [push]\njobs:\n  test:\n    if: github.event_name == 'push'\n    steps:\n      - run: pytest\n"),
        ("environment.yml", "name: lstm\nchannels: [pytorch]\ndependencies:\n  - pytorch\n  - pip:\n    - torch\n"),
        (".pre-commit-config.yaml", "repos:\n  - repo: https://github.com/psf/black\n    rev: 22.3.0\n"),
        ("deploy.yaml", "apiVersion: v1\nkind: Pod\n---\napiVersion: v1\nkind: Service\n"),  # several documents
        ("docs/conf.yaml", "model: {_target_: torch.nn.LSTM, hidden_size: 4096}\n"),
        ("data/train.json", '{"text": "a", "label": 1}\n{"text": "b", "label": 0}\n{"text": "c", "label": 1}\n'),
        ("plain.yaml", "max_grad_norm: 5.0\nbatch_size: 32\nlr: 0.1\n"),  # values a script may load: not a recipe
    ],
)
def test_files_that_are_not_training_configs_are_skipped_silently(tmp_path: Path, name: str, text: str) -> None:
    _write(tmp_path, {name: text})
    result = _run(tmp_path, [name])
    assert result.diagnostics == [] and result.notices == []


def test_keyword_keys_beside_a_real_config_do_not_break_it(tmp_path: Path) -> None:
    _write(
        tmp_path,
        {"conf.yaml": "if: 1\nwith: torch\nmodel:\n  _target_: torch.nn.LSTM\n  input_size: 8\n  hidden_size: 4096\n  if: 2\n"},
    )
    found = _run(tmp_path, ["conf.yaml"]).diagnostics
    assert "RNN001" not in {d.code for d in found}
    assert [(d.code, d.loc.line) for d in found if d.code == "RNN104"] == [("RNN104", 3)]  # at `model:`, the object


def test_a_recipe_format_needs_two_of_its_own_keys(tmp_path: Path) -> None:
    """`max_grad_norm` alone made a Conformer recipe an OpenNMT LSTM encoder trained with SGD."""
    conformer = (
        "max_grad_norm: 1.0\n"
        "model:\n  _target_: nemo.collections.asr.models.EncDecCTCModel\n"
        "optim:\n  _target_: torch.optim.AdamW\n  lr: 0.001\n"
    )
    opennmt = "encoder_type: rnn\nrnn_size: 2048\nsave_model: run/model\noptim: adam\nlearning_rate: 0.001\n"
    _write(tmp_path, {"conformer.yaml": conformer, "nmt.yaml": opennmt})
    found = _run(tmp_path, ["conformer.yaml", "nmt.yaml"]).diagnostics
    assert not any(d.loc.path.endswith("conformer.yaml") and d.code in ("RNN102", "RNN104", "RNN207") for d in found)
    assert any(d.loc.path.endswith("nmt.yaml") and d.code == "RNN104" for d in found)


def test_a_yaml_parse_error_points_at_its_line_and_column(tmp_path: Path) -> None:
    _write(tmp_path, {"conf.yaml": "model:\n  cell: lstm\n  hidden_size: [128, 256\noptim:\n  name: adam\n"})
    found = [d for d in _run(tmp_path, ["conf.yaml"]).diagnostics if d.code == "RNN001"]
    assert len(found) == 1 and found[0].message.startswith("invalid YAML")
    assert (found[0].loc.line, found[0].loc.col) == (4, 6)  # where PyYAML found the flow sequence unclosed


# -- notebooks as Jupyter runs them ------------------------------------------------------------------------------------------
def _notebook(*cells: str) -> str:
    import json

    return json.dumps(
        {"cells": [{"cell_type": "code", "source": c, "metadata": {}, "outputs": []} for c in cells], "nbformat": 4}
    )


IPYTHON_CELLS = [
    "files = !ls -la\nx, y = !pwd\n",
    "!pip install torch \\\n    torchaudio \\\n    --quiet\nimport torch\n",
    "import os\nif not os.path.exists('data'):\n    !wget http://x/data.zip\n    !unzip data.zip\n",
    "%%writefile train.py\nimport torch\nfor i in range(:\n",
    "%%bash\nset -e\nif [ -d x ]; then echo yes; fi\n",
    "pip install speechbrain\n",
    "%%time\n!nvidia-smi\nfor i in range(3):\n    pass\n",
    "%matplotlib inline\n%load_ext autoreload\nhelp?\n?len\n",
    "    x = 1\n    y = x\n",  # IPython removes the first line's indentation
    "await something()\n",  # autoawait
]


@pytest.mark.parametrize("cell", IPYTHON_CELLS)
def test_ipython_syntax_is_not_a_syntax_error(tmp_path: Path, cell: str) -> None:
    _write(tmp_path, {"nb.ipynb": _notebook(cell, "import torch\nrnn = torch.nn.LSTM(8, 4096)\n")})
    found = _run(tmp_path, ["nb.ipynb"]).diagnostics
    assert [d.message for d in found if d.code == "RNN001"] == []
    assert any(d.code == "RNN104" for d in found)


@pytest.mark.parametrize("cell", IPYTHON_CELLS)
def test_cells_read_as_ipython_reads_them(cell: str) -> None:
    """IPython's input transformations are the reference: a cell is Python after them exactly when it is for rnnlint."""
    interactiveshell = pytest.importorskip("IPython.core.interactiveshell")
    from rnnlint.read.notebook import FLAGS, cell_python

    reference = interactiveshell.InteractiveShell.instance().transform_cell(cell)
    compile(reference, "<cell>", "exec", FLAGS)
    compile("\n".join(cell_python(cell)) + "\n", "<cell>", "exec", FLAGS)
    assert len(cell_python(cell)) == len(cell.splitlines())  # line numbers kept


def test_a_multi_line_cell_is_no_automagic() -> None:
    """IPython applies automagic to one-line cells only: `pip install x` in a longer cell is a SyntaxError there too."""
    from rnnlint.read.notebook import read_notebook

    nb = read_notebook(_notebook("import os\npip install torch\n").encode())
    assert not isinstance(nb, type(None)) and len(getattr(nb, "errors", [])) == 1


def test_every_broken_cell_is_reported_and_the_others_analysed(tmp_path: Path) -> None:
    _write(
        tmp_path,
        {
            "nb.ipynb": _notebook(
                "import torch\n",
                "def broken(:\n    pass\n",
                "rnn = torch.nn.LSTM(8, 4096)\n",
                "x = (1,\n",
            )
        },
    )
    found = _run(tmp_path, ["nb.ipynb"]).diagnostics
    assert sorted((d.loc.cell, d.loc.line) for d in found if d.code == "RNN001") == [(2, 1), (4, 1)]
    assert any(d.code == "RNN104" and d.loc.cell == 3 for d in found)


# -- library code and tests are what they are -------------------------------------------------------------------------------
LOOP = "opt = torch.optim.SGD(model.parameters(), lr=0.1)\nfor x, y in data:\n    loss = model(x)\n    loss.backward()\n    opt.step()\n"


def test_a_unit_tests_values_are_not_the_librarys(tmp_path: Path) -> None:
    """speechbrain: a unit test's `hidden_size=5` was reported at the library's nnet/RNN.py."""
    _write(
        tmp_path,
        {
            "nnet/RNN.py": "import torch\n\nclass LSTM(torch.nn.Module):\n    def __init__(self, hidden_size=256):\n"
            "        super().__init__()\n        self.rnn = torch.nn.LSTM(8, hidden_size, 2, dropout=0.3)\n",
            "tests/unittests/test_RNN.py": "import torch\nfrom nnet.RNN import LSTM\nmodel = LSTM(hidden_size=5)\n" + LOOP,
            "test_small.py": "import torch\nmodel = torch.nn.GRU(2, 3)\n" + LOOP,
        },
    )
    found = _run(tmp_path, ["nnet/RNN.py", "tests/unittests/test_RNN.py", "test_small.py"]).diagnostics
    assert [(d.code, d.loc.path) for d in found if d.code in ("RNN104", "RNN201", "RNN207")] == []


def test_a_project_under_a_folder_named_test_is_still_linted(tmp_path: Path) -> None:
    root = tmp_path / "test" / "proj"
    _write(root, {"train.py": "import torch\nmodel = torch.nn.LSTM(8, 4096)\n"})
    assert any(d.code == "RNN104" for d in _run(root, ["train.py"]).diagnostics)


def test_a_librarys_own_trainer_is_not_a_training_script(tmp_path: Path) -> None:
    files = {f"sb/util/m{i}.py": "import torch\n" for i in range(BIG_PACKAGE_MODULES)}
    files |= {
        "sb/__init__.py": "",
        "sb/util/__init__.py": "",
        "sb/core.py": "import torch\n\nclass Brain:\n    def fit(self, model, data):\n"
        + "".join(f"        {line}\n" for line in LOOP.splitlines()),
        "sb/bin/__init__.py": "",
        "sb/bin/train.py": "import torch\nmodel = torch.nn.LSTM(8, 4096)\n" + LOOP + "if __name__ == '__main__':\n    pass\n",
    }
    _write(tmp_path, files)
    found = _run(tmp_path, ["sb/core.py", "sb/bin/train.py"]).diagnostics
    assert not any(d.loc.path.endswith("core.py") for d in found)
    assert any(d.code == "RNN104" and d.loc.path.endswith("train.py") for d in found)  # a script in it still is one


def test_tab_indented_json_is_json(tmp_path: Path) -> None:
    """A Keras project's config.json indented with tabs: valid JSON, but YAML refuses tabs."""
    _write(tmp_path, {"config.json": '{\n\t"model": {\n\t\t"_target_": "torch.nn.LSTM",\n\t\t"hidden_size": 4096\n\t}\n}\n'})
    found = _run(tmp_path, ["config.json"]).diagnostics
    assert "RNN001" not in {d.code for d in found} and any(d.code == "RNN104" for d in found)


def test_a_file_too_deep_for_the_indexer_but_valid_python_is_a_notice(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from rnnlint.analysis import pyindex

    def too_deep(self: object) -> None:
        raise RecursionError

    monkeypatch.setattr(pyindex._Indexer, "run", too_deep)
    _write(tmp_path, {"train.py": "import torch\nrnn = torch.nn.LSTM(8, 4096)\n"})
    result = _run(tmp_path, ["train.py"])
    assert result.diagnostics == [] and len(result.notices) == 1 and "indexer" in result.notices[0]


def test_yaml_deeper_than_rnnlints_budget_but_valid_is_a_notice(tmp_path: Path) -> None:
    deep = "model:\n  _target_: torch.nn.LSTM\nhidden_sizes: " + "[" * 300 + "1" + "]" * 300 + "\n"
    _write(tmp_path, {"conf.yaml": deep})
    result = _run(tmp_path, ["conf.yaml"])
    assert "RNN001" not in {d.code for d in result.diagnostics}
    assert len(result.notices) == 1 and "nested too deeply for rnnlint" in result.notices[0]
