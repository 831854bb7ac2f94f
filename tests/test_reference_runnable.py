"""fixtures/reference_runnable stays runnable: the scripts train, the recipes validate and train."""

from __future__ import annotations

import json
import runpy
import sys
from pathlib import Path

import pytest
import yaml

from rnnlint.settings.recipe import TrainingConfig

FOLDER = Path(__file__).resolve().parent.parent / "fixtures" / "reference_runnable"
RECIPES = sorted((FOLDER / "recipes").glob("*.yaml"))


@pytest.mark.parametrize("recipe", RECIPES, ids=[r.stem for r in RECIPES])
def test_recipes_validate(recipe: Path) -> None:
    cfg = TrainingConfig.model_validate(yaml.safe_load(recipe.read_text()))
    assert cfg.optim.clip_norm and cfg.train.nan_guard and cfg.schedule.type == "plateau"


def _run_script(name: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> dict[str, float]:
    monkeypatch.setattr(sys, "argv", [name, "--epochs", "1", "--samples", "64", "--batch-size", "32"])
    runpy.run_path(str(FOLDER / name), run_name="__main__")
    result: dict[str, float] = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    return result


@pytest.mark.filterwarnings("ignore:dropout option adds dropout")  # the RNN107 mistake, on purpose
def test_torch_script_runs(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("numpy")  # the script's data; torch itself imports without numpy
    torch = pytest.importorskip("torch")
    torch.set_num_threads(1)
    assert _run_script("torch_recall.py", capsys, monkeypatch)["val_loss"] > 0


def test_keras_script_runs(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("numpy")
    pytest.importorskip("tensorflow")
    assert _run_script("keras_recall.py", capsys, monkeypatch)["val_loss"] > 0


def test_recipe_trains_through_the_cli(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("numpy")
    torch = pytest.importorskip("torch")
    torch.set_num_threads(1)
    from rnnlint.reference.cli import main

    recipe = yaml.safe_load((FOLDER / "recipes" / "recall.yaml").read_text())
    recipe["train"]["epochs"] = 1
    recipe["data"]["path"] = "synthetic:recall?n=96&classes=4"
    recipe["model"]["hidden_size"] = 16
    path = tmp_path / "recall.yaml"
    path.write_text(yaml.safe_dump(recipe))
    code = main(["train", str(path), "--framework", "torch", "--output-dir", str(tmp_path / "out"), "--no-progress", "--overfit-check"])
    shown = json.loads(capsys.readouterr().out)
    assert (tmp_path / "out" / "curves.csv").is_file() and shown["verdict"]
    saved = json.loads((tmp_path / "out" / "metrics.json").read_text())
    assert code == (0 if saved["overfit_check"]["collapsed"] else 1)
