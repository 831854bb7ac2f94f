"""rnnlint never executes its input: canary files that anything run would create stay absent.

Every input below would create a canary file if any of it ran: a script's top level, a module
it imports, a notebook cell and its shell magics, YAML python tags (linted directly or loaded
by a script), HyperPyYAML tags. They are linted, fixed and diffed, in-process and through the
CLI, and no canary may exist afterwards. A lint run never imports torch, tensorflow or the
other frameworks it reads about: booby-trapped packages of those names are put first on the
path, and ``sys.modules`` is checked after the run.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from rnnlint.fix import apply
from rnnlint.fix.command import fix_files
from rnnlint.run.discovery import discover
from rnnlint.run.engine import Linter
from rnnlint.settings.model import Settings

REPO = Path(__file__).resolve().parent.parent
FIXTURES = REPO / "fixtures"
FRAMEWORKS = ("torch", "tensorflow", "keras", "jax", "flax", "optax", "lightning", "pytorch_lightning", "speechbrain", "hydra", "omegaconf", "optuna")


def _touch(canary: Path) -> str:
    return f"open({str(canary)!r}, 'w').write('ran')"


def build_canary_project(root: Path, canaries: Path) -> list[Path]:
    """A training project whose every part would create a canary file under ``canaries`` if it ran."""
    names = [
        "script_top_level",
        "script_main",
        "imported_module",
        "package_init",
        "notebook_cell",
        "notebook_shell",
        "notebook_cell_magic",
        "yaml_apply",
        "yaml_new",
        "yaml_name",
        "hyperpyyaml",
        "script_config",
        "script_unsafe_config",
        "hydra_config",
        "json_config",
    ]
    c = {n: canaries / n for n in names}
    root.mkdir(parents=True, exist_ok=True)
    exec_line = f"exec({_touch(c['script_top_level'])!r})"
    yaml_exec = _touch(c["script_config"])
    (root / "train.py").write_text(
        f"""import os
import torch
import torch.nn as nn
import yaml
from model import Net
import pkg

{_touch(c["script_top_level"])}
__import__("os").system("touch {c["script_top_level"]}")
{exec_line}

cfg = yaml.safe_load(open("safe.yaml"))
unsafe = yaml.load(open("unsafe.yaml"), Loader=yaml.UnsafeLoader)
net = Net(cfg["hidden"])
opt = torch.optim.SGD(net.parameters(), lr=cfg["lr"])
for x, y in []:
    loss = net(x).sum()
    loss.backward()
    opt.step()

if __name__ == "__main__":
    {_touch(c["script_main"])}
"""
    )
    (root / "model.py").write_text(
        f"""import torch.nn as nn
{_touch(c["imported_module"])}

class Net(nn.Module):
    def __init__(self, hidden=4096):
        super().__init__()
        self.rnn = nn.LSTM(8, hidden, 2, dropout=0.5)
"""
    )
    (root / "pkg").mkdir(exist_ok=True)
    (root / "pkg" / "__init__.py").write_text(f"import torch\n{_touch(c['package_init'])}\n")
    (root / "safe.yaml").write_text(
        f"hidden: 4096\nlr: 0.1\nhook: !!python/object/apply:os.system [\"touch {c['script_config']}\"]\n"
        f'other: !!python/object/apply:builtins.exec ["{yaml_exec}"]\n'
    )
    (root / "unsafe.yaml").write_text(f"x: !!python/object/new:subprocess.Popen [[\"touch\", \"{c['script_unsafe_config']}\"]]\n")
    (root / "recipe.yaml").write_text(
        f"""# an lstm recipe full of python tags
model:
  cell: lstm
  hidden_size: 256
  init: !!python/object/apply:os.system ["touch {c["yaml_apply"]}"]
  hook: !!python/object/new:subprocess.Popen [["touch", "{c["yaml_new"]}"]]
  act: !!python/name:os.system ''
  run: !!python/object/apply:subprocess.call [["touch", "{c["yaml_name"]}"]]
optimizer: !!python/object/apply:os.system ["touch {c["yaml_apply"]}"]
"""
    )
    (root / "hparams.yaml").write_text(
        f"""# speechbrain-style hyperpyyaml
enc: !new:torch.nn.LSTM
  input_size: 40
  hidden_size: 256
side: !apply:os.system ["touch {c["hyperpyyaml"]}"]
fn: !name:os.system
call: !new:subprocess.Popen
  args: ["touch", "{c["hyperpyyaml"]}"]
"""
    )
    (root / "conf").mkdir(exist_ok=True)
    (root / "conf" / "config.yaml").write_text(f'hidden: 256\nside: !!python/object/apply:os.system ["touch {c["hydra_config"]}"]\n')
    (root / "hy.py").write_text(
        "import hydra\nimport torch.nn as nn\n@hydra.main(config_path='conf', config_name='config', version_base=None)\n"
        "def main(cfg):\n    rnn = nn.GRU(32, cfg.hidden, 2, dropout=0.5)\n\nif __name__ == '__main__':\n    main()\n"
    )
    (root / "cfg.json").write_text(json.dumps({"lstm": {"hidden_size": 256, "__reduce__": f"os.system('touch {c['json_config']}')"}}))
    notebook = {
        "cells": [
            {"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None, "source": f"import torch\n{_touch(c['notebook_cell'])}\n"},
            {"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None, "source": f"!touch {c['notebook_shell']}\n%run -i nothing.py\n"},
            {"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None, "source": f"%%bash\ntouch {c['notebook_cell_magic']}\n"},
            {
                "cell_type": "code",
                "metadata": {},
                "outputs": [],
                "execution_count": None,
                "source": "rnn = torch.nn.RNN(8, 4096)\nopt = torch.optim.SGD(rnn.parameters(), lr=0.1)\nfor x in []:\n    rnn(x)[0].sum().backward()\n    opt.step()\n",
            },
        ],
        "metadata": {},
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    (root / "explore.ipynb").write_text(json.dumps(notebook))
    return list(c.values())


def _no_canary(canaries: Path) -> None:
    assert sorted(p.name for p in canaries.iterdir()) == [], "something rnnlint read was executed"


@pytest.fixture
def project(tmp_path: Path) -> tuple[Path, Path]:
    canaries = tmp_path / "canaries"
    canaries.mkdir()
    root = tmp_path / "project"
    build_canary_project(root, canaries)
    return root, canaries


def test_the_canaries_work(project: tuple[Path, Path]) -> None:
    """Control: executing the script's top level really does create its canary."""
    root, canaries = project
    line = next(x for x in (root / "train.py").read_text().splitlines() if x.startswith("open("))
    exec(line)
    assert (canaries / "script_top_level").exists()


def test_linting_runs_nothing(project: tuple[Path, Path]) -> None:
    root, canaries = project
    files = list(discover([root], []))
    assert {f.name for f in files} >= {"train.py", "model.py", "recipe.yaml", "hparams.yaml", "explore.ipynb", "cfg.json"}
    result = Linter(Settings(), [root]).run(files)
    codes = {d.code for d in result.diagnostics}
    assert {"RNN104", "RNN201", "RNN101"} <= codes, "the project was really analysed"
    assert [d for d in result.diagnostics if d.code == "RNN001"] == [], "every input parsed"
    hidden = [d for d in result.diagnostics if d.code == "RNN104" and d.loc.path.endswith("model.py")]
    assert hidden and "safe.yaml:1" in hidden[0].message, "the config with python tags was loaded, as data"
    _no_canary(canaries)


def test_fixing_and_diffing_run_nothing(project: tuple[Path, Path]) -> None:
    root, canaries = project

    def lint() -> object:
        return Linter(Settings(), [root]).run(list(discover([root], [])))

    _, _, shown = fix_files(lint, True, True, io.StringIO(), io.StringIO())  # type: ignore[arg-type]
    assert shown
    _, applied, _ = fix_files(lint, True, False, io.StringIO(), io.StringIO())  # type: ignore[arg-type]
    assert applied >= 1
    apply.plan(Linter(Settings(), [root]).run(list(discover([root], []))).diagnostics, unsafe=True)
    _no_canary(canaries)


def _trap_packages(folder: Path, canaries: Path) -> None:
    """Packages named like the frameworks, first on the path: importing one creates a canary and fails."""
    for name in FRAMEWORKS:
        (folder / name).mkdir(parents=True)
        (folder / name / "__init__.py").write_text(f"{_touch(canaries / ('imported_' + name))}\nraise ImportError('rnnlint imported {name}')\n")


def test_a_cli_run_imports_no_framework_and_runs_nothing(project: tuple[Path, Path], tmp_path: Path) -> None:
    root, canaries = project
    shutil.copytree(FIXTURES, root / "fixtures", ignore=shutil.ignore_patterns("reference_runnable"))
    traps = tmp_path / "traps"
    _trap_packages(traps, canaries)
    code = (
        "import json, sys\n"
        "import rnnlint\n"
        f"after_import = [m for m in {FRAMEWORKS!r} if m in sys.modules]\n"
        "from rnnlint.cli import main\n"
        "rcs = [main(['.', '--output-format', 'json', '-o', 'report.json', '-j', '1', '--no-cache']),\n"
        "       main(['.', '--diff', '-j', '1', '--no-cache']),\n"
        "       main(['.', '--fix', '--unsafe-fixes', '-j', '2', '--cache-dir', '.cache'])]\n"
        f"after_run = [m for m in {FRAMEWORKS!r} if m in sys.modules]\n"
        "print(json.dumps({'rcs': rcs, 'after_import': after_import, 'after_run': after_run}), file=sys.stderr)\n"
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(traps), str(REPO)])}
    done = subprocess.run([sys.executable, "-c", code], cwd=root, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stderr.strip().splitlines()[-1])
    assert report["after_import"] == [] and report["after_run"] == []
    assert report["rcs"] == [1, 1, 1]
    assert {d["code"] for d in json.loads((root / "report.json").read_text())} >= {"RNN104", "RNN201"}
    _no_canary(canaries)


@pytest.mark.parametrize("tag", ["!!python/object/apply:os.system", "!!python/object/new:os.system", "!!python/name:os.system", "!apply:os.system", "!new:os.system"])
def test_every_python_tag_in_a_config_a_script_loads_is_data(tmp_path: Path, tag: str) -> None:
    canary = tmp_path / "canary"
    (tmp_path / "c.yaml").write_text(f'hidden: 2048\nhook: {tag} ["touch {canary}"]\nnested:\n  deeper: {tag} ["touch {canary}"]\n')
    (tmp_path / "train.py").write_text(
        "import yaml\nimport torch.nn as nn\ncfg = yaml.safe_load(open('c.yaml'))\nrnn = nn.LSTM(8, cfg['hidden'], 2, dropout=0.5)\n"
    )
    diags = Linter(Settings(select=["RNN104"]), [tmp_path]).run([tmp_path / "train.py"]).diagnostics
    assert [d.code for d in diags] == ["RNN104"] and "c.yaml:1" in diags[0].message  # the config was read, as data
    assert not canary.exists()
