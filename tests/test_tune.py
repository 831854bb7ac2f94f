"""``rnnlint tune``: spaces from recipes and scripts' flags, samplers, bad input, snippets, the report.

Workers sharing one study (SQLite, PostgreSQL) and a killed worker are in test_tune_workers.py.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest
import yaml

from rnnlint.cli import main
from rnnlint.tune.space import Param, SpaceError, load_space_file

optuna = pytest.importorskip("optuna")

FIX = Path(__file__).resolve().parent.parent / "fixtures" / "tune"
RECIPE = FIX / "recipe_tiny.yaml"
SPACE = FIX / "space_tiny.yaml"
QUAD = FIX / "quadratic.py"
LSTM = FIX / "lstm_argparse.py"


def _report(out: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((out / "report.json").read_text())
    return data


def _tune(*args: object) -> int:
    return main(["tune", "--no-progress", *(str(a) for a in args)])


# -- space files --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "where", "words"),
    [
        ("hidden_size:\n  type: int\n  low: 512\n  high: 128\n", ":2:3:", "low (512) must be below high (128)"),
        ("lr: {type: float, low: 0, high: 0.1, log: true}\n", ":1:5:", "log range needs low > 0"),
        ("dropout:\n  type: float\n  low: 0.3\n  high: 0.7\n  lo: 0.1\n", ":5:7:", "dropout.lo: Extra inputs"),
        ("optimizer:\n  type: choice\n", ":2:9:", "optimizer.type"),
        ("hidden_size: [1, 2]\n", ":1:14:", "a range is a mapping"),
        ("a: {type: int\n", ":2:1:", "invalid YAML"),
        ("- 1\n- 2\n", ":1:1:", "mapping of names to ranges"),
    ],
)
def test_a_malformed_space_file_is_reported_at_its_line(tmp_path: Path, text: str, where: str, words: str) -> None:
    path = tmp_path / "space.yaml"
    path.write_text(text)
    with pytest.raises(SpaceError) as info:
        load_space_file(path)
    message = str(info.value)
    assert f"{path}{where}" in message and words in message, message


def test_a_valid_space_file_reads_every_range(tmp_path: Path) -> None:
    ranges = load_space_file(SPACE)
    assert ranges["hidden_size"][0] == Param(type="int", low=8, high=32, step=8, grid=[8, 32])
    assert ranges["optimizer"][0].grid_values() == ["adam", "rmsprop"]
    assert Param(type="float", low=1e-4, high=1e-2, log=True).grid_values() == pytest.approx([1e-4, 1e-3, 1e-2])
    assert Param(type="int", low=128, high=512, step=64).grid_values() == [128, 320, 512]


def test_malformed_space_file_exits_2_with_its_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "space.yaml"
    bad.write_text("hidden_size:\n  type: int\n  low: 9\n  high: 3\n")
    assert _tune(RECIPE, "--framework", "torch", "--space", bad, "--output-dir", tmp_path / "o", "--dry-run") == 2
    err = capsys.readouterr().err
    assert f"{bad}:2:3: hidden_size: Value error" not in err and f"{bad}:2:3: hidden_size: low (9" in err
    assert "Traceback" not in err


# -- a reference recipe ---------------------------------------------------------------------------


def test_the_recipe_space_is_the_guidelines_less_what_the_recipe_fixes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    recipe = tmp_path / "r.yaml"
    recipe.write_text(yaml.safe_dump({"model": {"hidden_size": 256, "embedding_dim": 16}, "optim": {"lr": 0.002}, "data": {"path": "synthetic:recall"}}))
    assert _tune(recipe, "--framework", "torch", "--dry-run") == 0
    out = capsys.readouterr().out
    for searched in ("model.num_layers", "model.dropout", "optim.name", "optim.clip_norm", "schedule.factor"):
        assert searched in out
    assert "model.hidden_size" not in out and "optim.lr" not in out
    assert "int 2..3" in out and "float 0.3..0.7" in out and "one of adam, rmsprop, adadelta" in out


@pytest.mark.parametrize("sampler", ["grid", "random", "tpe"])
def test_samplers_tune_a_reference_recipe(tmp_path: Path, sampler: str) -> None:
    pytest.importorskip("torch")
    out = tmp_path / "out"
    code = _tune(RECIPE, "--framework", "torch", "--space", SPACE, "--trials", 3, "--sampler", sampler, "--seed", 0, "--output-dir", out)
    assert code == 0
    report = _report(out)
    assert report["sampler"] == sampler and len(report["trials"]) == 3
    assert all(t["state"] in ("complete", "pruned") for t in report["trials"])
    seen = set()
    for t in report["trials"]:
        p = t["params"]
        assert p["model.hidden_size"] in (8, 16, 24, 32) and p["model.num_layers"] in (1, 2)
        assert 0.3 <= p["model.dropout"] <= 0.7 and p["optim.name"] in ("adam", "rmsprop")
        if p["optim.name"] != "adadelta":
            assert 1e-4 <= p["optim.lr"] <= 1e-2
        recipe = yaml.safe_load(Path(t["recipe"]).read_text())
        assert recipe["model"]["embedding_dim"] == 16 and recipe["model"]["bidirectional"] is False  # fixed by the recipe
        assert recipe["model"]["hidden_size"] == p["model.hidden_size"] and recipe["schedule"]["factor"] == 0.5
        assert (Path(t["dir"]) / "curves.csv").is_file()
        seen.add(tuple(sorted(p.items())))
        if sampler == "grid":
            assert p["model.hidden_size"] in (8, 32) and p["optim.lr"] in (1e-4, 1e-3, 1e-2) and p["model.dropout"] in (0.3, 0.5, 0.7)
    if sampler == "grid":
        assert len(seen) == 3  # the grid never repeats a combination
    best = report["best"]
    finished = [t["value"] for t in report["trials"] if t["state"] == "complete"]
    assert best["value"] == min(finished)
    assert (out / "report.md").read_text().count("\n| ") >= 4
    assert {"history", "best_curves"} <= set(report["plots"]) and (out / "history.png").stat().st_size > 1000


def test_a_recipe_metric_the_trainer_never_logs_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert _tune(RECIPE, "--framework", "torch", "--metric", "val_f1", "--output-dir", tmp_path) == 2
    assert "metric 'val_f1' is not one the reference trainer logs" in capsys.readouterr().err


def test_a_recipe_needs_a_framework(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert _tune(RECIPE, "--dry-run") == 2
    assert "--framework" in capsys.readouterr().err


# -- a script through its own flags ----------------------------------------------------------------


def test_dry_run_finds_the_flags_through_the_data_flow(capsys: pytest.CaptureFixture[str]) -> None:
    assert _tune(LSTM, "--dry-run", "--", "--epochs", "1") == 0
    out = capsys.readouterr().out
    lines = {line.split()[0]: line for line in out.splitlines() if line.strip().startswith("--") is False and line.split()}
    assert "argparse default of --width" in out  # --width is no usual name: found where it reaches nn.LSTM
    assert lines["width"].split()[1] == "--width" and "int 128..512 step 64" in lines["width"]
    assert "clipping threshold" in out and "argparse default of --clip" in out
    assert "one of adam, rmsprop" in lines["optimizer"]  # the flag's choices: adadelta is not one
    assert "--epochs 1 --width 320" in out and "--output-dir" in out


def test_a_script_is_tuned_through_its_flags_and_its_csv_log(tmp_path: Path) -> None:
    pytest.importorskip("torch")
    space = tmp_path / "space.yaml"
    space.write_text("width: {type: int, low: 8, high: 16, step: 8}\nlayers: {type: int, low: 1, high: 2}\n")
    out = tmp_path / "out"
    code = _tune(LSTM, "--trials", 2, "--space", space, "--output-dir", out, "--seed", 3, "--time-limit", 120, "--", "--epochs", "2")
    assert code == 0
    report = _report(out)
    for t in report["trials"]:
        assert t["state"] == "complete", t
        cmd = t["command"]
        assert f"--width {t['params']['width']}" in cmd and f"--output-dir {t['dir']}" in cmd and "--epochs 2" in cmd
        assert len(t["curve"]) == 2
        history = (Path(t["dir"]) / "history.csv").read_text().splitlines()
        assert float(history[-1].split(",")[2]) == pytest.approx(t["value"], rel=1e-6)
    assert report["best"]["command"].startswith(str(Path(report["best"]["command"].split()[0])))


def test_quadratic_tpe_finds_the_flags_by_name_and_prunes_nan(tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert _tune(QUAD, "--trials", 4, "--output-dir", out, "--seed", 0, "--", "--nan-after", "1") == 1
    report = _report(out)
    assert [t["state"] for t in report["trials"]] == ["pruned"] * 4
    assert all(t["verdict"].startswith("non-finite value (nan) after 2 reports") for t in report["trials"])


def test_the_median_pruner_cuts_a_worse_run(tmp_path: Path) -> None:
    out = tmp_path / "out"
    space = tmp_path / "space.yaml"  # one run far worse than the rest; the others pinned so that the grid is the four lrs
    space.write_text(
        "lr: {type: categorical, choices: [0.001, 0.0011, 0.0012, 10.0]}\nhidden_size: {type: fixed, value: 256}\n"
        "num_layers: {type: fixed, value: 2}\ndropout: {type: fixed, value: 0.5}\n"
    )
    # seed 5 puts lr=10.0 last, after the three trials the median pruner waits for
    code = _tune(QUAD, "--trials", 4, "--sampler", "grid", "--seed", 5, "--space", space, "--output-dir", out, "--", "--epochs", "3")
    assert code == 0
    trials = _report(out)["trials"]
    assert [t["params"]["lr"] for t in trials] == [0.001, 0.0011, 0.0012, 10.0]
    assert [t["state"] for t in trials] == ["complete", "complete", "complete", "pruned"]
    assert trials[3]["verdict"].startswith("pruned at step 2:") and "median" in trials[3]["verdict"]
    assert len(trials[3]["curve"]) == 2  # stopped before its third epoch


def test_a_metric_the_runs_never_log_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert _tune(QUAD, "--trials", 3, "--metric", "val_bleu", "--output-dir", tmp_path / "o") == 2
    err = capsys.readouterr().err
    assert "metric 'val_bleu' never appeared in the run's logs" in err and "Traceback" not in err
    study = optuna.load_study(study_name="rnnlint-quadratic", storage=f"sqlite:///{tmp_path / 'o' / 'study.db'}")
    assert len(study.trials) == 1  # stopped at the first run, not three


def test_an_unknown_flag_in_the_space_file_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    space = tmp_path / "space.yaml"
    space.write_text("--hidden-size: {type: int, low: 8, high: 16}\n--batch: {type: int, low: 8, high: 16}\n")
    assert _tune(QUAD, "--space", space, "--dry-run") == 2
    err = capsys.readouterr().err
    assert "has no flag --batch" in err and "--hidden-size" in err


def test_a_guideline_name_with_no_flag_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    space = tmp_path / "space.yaml"
    space.write_text("clip_norm: {type: float, low: 1, high: 5}\n")
    assert _tune(QUAD, "--space", space, "--dry-run") == 2
    assert "no flag sets clip_norm" in capsys.readouterr().err


def test_a_failing_run_fails_its_trial_and_the_study_goes_on(tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert _tune(QUAD, "--trials", 2, "--output-dir", out, "--", "--no-such-flag") == 1
    report = _report(out)
    assert [t["state"] for t in report["trials"]] == ["fail", "fail"]
    assert report["trials"][0]["verdict"] == "exit code 2"


def test_a_run_past_its_time_limit_is_stopped(tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert _tune(QUAD, "--trials", 1, "--time-limit", 1, "--output-dir", out, "--", "--sleep", "30") == 1
    trial = _report(out)["trials"][0]
    assert trial["state"] == "fail" and trial["verdict"] == "time limit (1 s) reached" and trial["seconds"] < 20


@pytest.mark.parametrize(
    ("storage", "words"),
    [
        ("postgresql://tuner:secret@127.0.0.1:1/studies", "cannot reach storage postgresql://tuner:***@127.0.0.1:1/studies"),
        ("studies.db", "is not a URL"),
        ("nosuchdb://x/y", "cannot reach storage nosuchdb://x/y"),
    ],
)
def test_an_unusable_storage_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str], storage: str, words: str) -> None:
    assert _tune(QUAD, "--storage", storage, "--output-dir", tmp_path) == 2
    err = capsys.readouterr().err
    assert words in err and "secret" not in err and "Traceback" not in err


def test_hydra_style_overrides_and_extra_flags_from_a_space_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    space = tmp_path / "space.yaml"
    space.write_text("model.hidden: {type: fixed, value: 128}\n--epochs: {type: int, low: 2, high: 4}\n")
    assert _tune(QUAD, "--space", space, "--dry-run") == 0
    out = capsys.readouterr().out
    assert "model.hidden=128" in out and "--epochs 3" in out


def test_a_journal_file_storage_and_the_gp_sampler(tmp_path: Path) -> None:
    pytest.importorskip("scipy")
    pytest.importorskip("torch")
    journal = tmp_path / "study.journal"
    code = _tune(QUAD, "--storage", f"journal:{journal}", "--sampler", "gp", "--trials", 3, "--seed", 0, "--output-dir", tmp_path / "o")
    assert code == 0 and journal.stat().st_size > 0
    report = _report(tmp_path / "o")
    assert report["storage"] == f"journal:{journal}" and report["counts"].get("complete", 0) + report["counts"].get("pruned", 0) == 3


def test_dry_run_and_emit_need_no_optuna() -> None:
    """The space is rnnlint's own (pydantic, the analysis): printing it or a snippet imports no Optuna."""
    import subprocess
    import sys

    code = (
        "import sys; from rnnlint.cli import main; "
        f"codes = [main(['tune', {str(LSTM)!r}, '--dry-run']), main(['tune', {str(LSTM)!r}, '--emit', 'ray'])]; "
        "print(codes, 'optuna' in sys.modules, 'torch' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip().splitlines()[-1] == "[0, 0] False False"


def test_a_missing_target_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert _tune(tmp_path / "nope.py") == 2
    assert "target not found" in capsys.readouterr().err


# -- snippets --------------------------------------------------------------------------------------


def _emit(capsys: pytest.CaptureFixture[str], target: Path, kind: str, *extra: object) -> str:
    assert _tune(target, "--emit", kind, *extra) == 0
    return capsys.readouterr().out


@pytest.mark.parametrize("target", [LSTM, RECIPE])
def test_the_optuna_snippet_runs(capsys: pytest.CaptureFixture[str], target: Path) -> None:
    code = _emit(capsys, target, "optuna", *(["--framework", "torch"] if target == RECIPE else []))
    namespace: dict[str, Any] = {}
    exec(compile(code, "snippet.py", "exec"), namespace)
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=0))
    seen: list[dict[str, Any]] = []

    def objective(trial: Any) -> float:
        params = namespace["search_space"](trial)
        seen.append(params)
        return float(len(seen))

    study.optimize(objective, n_trials=12)
    with pytest.raises(NotImplementedError):
        namespace["objective"](study.ask())
    hidden = "width" if target == LSTM else "model.hidden_size"
    optimizer = "optimizer" if target == LSTM else "optim.name"
    lr = "lr" if target == LSTM else "optim.lr"
    for p in seen:
        assert 128 <= p[hidden] <= 512 and (p[hidden] - 128) % 64 == 0
        assert p[lr] == 1.0 if p[optimizer] == "adadelta" else 1e-4 <= p[lr] <= 1e-2
    assert "sets --width" in code if target == LSTM else "sets model.hidden_size" in code


@pytest.mark.parametrize("kind", ["ray", "kerastuner"])
def test_the_ray_and_kerastuner_snippets_compile(capsys: pytest.CaptureFixture[str], kind: str) -> None:
    code = _emit(capsys, LSTM, kind)
    compile(code, f"{kind}.py", "exec")
    assert ("tune.qrandint(128, 512, 64)" in code and "tune.loguniform(0.0001, 0.01)" in code) if kind == "ray" else (
        'hp.Int(\'width\', 128, 512, step=64)' in code and 'sampling="log"' in code
    )


def test_curves_and_printed_values_are_read() -> None:
    from rnnlint.tune.metrics import printed_values, verdict

    assert printed_values("epoch 3 val_loss=0.25 val_acc=0.9", "val_loss") == [0.25]
    assert printed_values("{'val_loss': 1e-3, 'loss': 2}", "val_loss") == [0.001]
    assert printed_values("train_val_loss=3 val_loss_ema=2", "val_loss") == []  # other metrics that contain the name
    assert math.isnan(printed_values("val_loss: nan", "val_loss")[0])
    assert verdict([1.0, 0.5, 6.0], minimize=True) is not None and verdict([1.0, 0.5, 0.6], minimize=True) is None
    assert verdict([0.5, 0.9], minimize=False) is None


@pytest.mark.parametrize("message", ["(sqlite3.IntegrityError) UNIQUE constraint failed: alembic_version.version_num", "duplicate key value"])
def test_a_worker_that_loses_the_table_creation_race_tries_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, message: str
) -> None:
    """Two workers starting on an empty database race to create Optuna's tables; the loser must retry, not fail."""
    from rnnlint.tune import study

    real, calls = optuna.storages.RDBStorage, []

    def racing(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError(message)
        return real(*args, **kwargs)

    monkeypatch.setattr(optuna.storages, "RDBStorage", racing)
    monkeypatch.setattr(study.time, "sleep", lambda _s: None)
    storage = study.open_storage(f"sqlite:///{tmp_path / 'race.db'}", None)
    assert len(calls) == 2 and storage is not None
