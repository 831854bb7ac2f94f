"""The statistics and the designs of ``rnnlint verify`` (numpy only, no framework): paired bootstrap
intervals, verdicts, manipulation checks and how an experiment is judged."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest

np = pytest.importorskip("numpy")

from rnnlint.reference import stats  # noqa: E402
from rnnlint.reference.experiments import (  # noqa: E402
    clipping_acts,
    decay_acts,
    experiments,
    learns,
    memory_span,
    overfits,
)
from rnnlint.reference.verify import Options, judge  # noqa: E402


def test_bootstrap_interval_is_fixed_and_brackets_the_mean() -> None:
    diffs = [0.1, 0.3, -0.05, 0.2, 0.15]
    low, high = stats.bootstrap_interval(diffs)
    assert stats.bootstrap_interval(diffs) == (low, high)  # the resampling seed is fixed
    assert low < float(np.mean(diffs)) < high and low > min(diffs) and high < max(diffs)
    assert stats.bootstrap_interval([0.2] * 5) == (pytest.approx(0.2), pytest.approx(0.2))


@pytest.mark.parametrize(
    ("guideline", "baseline", "higher", "smallest", "verdict"),
    [
        ([0.9, 0.95, 0.92, 0.91, 0.97], [0.3, 0.35, 0.28, 0.33, 0.31], True, 0.05, "supported"),
        ([0.3, 0.35, 0.28, 0.33, 0.31], [0.9, 0.95, 0.92, 0.91, 0.97], True, 0.05, "contradicted"),
        ([0.01, 0.02, 0.01, 0.03, 0.02], [0.16, 0.17, 0.15, 0.16, 0.17], False, 0.05, "supported"),  # lower is better
        ([0.5, 0.7, 0.4, 0.6, 0.55], [0.6, 0.5, 0.55, 0.45, 0.65], True, 0.05, "inconclusive"),  # the interval holds 0
        ([1e-4, 1.1e-4, 1.2e-4, 1e-4, 1.3e-4], [2e-4, 2.1e-4, 2e-4, 2.2e-4, 2e-4], False, 0.01, "inconclusive"),  # last digits
        ([0.9, 0.95], [0.3, 0.35], True, 0.05, "inconclusive"),  # too few seeds
    ],
)
def test_paired_verdicts(guideline: list[float], baseline: list[float], higher: bool, smallest: float, verdict: str) -> None:
    result = stats.paired(guideline, baseline, higher, smallest)
    assert result["verdict"] == verdict, result["why"]
    assert result["ci_low"] <= result["mean_difference"] <= result["ci_high"]
    assert result["n"] == len(guideline) and len(result["differences"]) == len(guideline)


def test_effect_size_is_the_mean_over_the_spread() -> None:
    result = stats.paired([2.0, 3.0, 4.0], [1.0, 1.0, 1.0], True, 0.1)
    assert result["effect_size_dz"] == pytest.approx(2.0 / 1.0)
    assert result["favours_guideline"] == 3 and result["favours_baseline"] == 0


def _run(**values: Any) -> dict[str, Any]:
    return {"diverged": False, "history": [], "environment": {"framework": "torch"}, **values}


def test_manipulation_checks() -> None:
    assert clipping_acts(1.0)([], [_run(max_grad_norm=3.0), _run(diverged=True, max_grad_norm=None)])[0]
    ok, seen = clipping_acts(5.0)([], [_run(max_grad_norm=4.1), _run(max_grad_norm=9.0)])
    assert not ok and "1 of 2" in seen  # the RNN201 run the issue describes: clipping never acted in one seed
    assert decay_acts([_run(decays=2), _run(decays=1)], [])[0]
    assert not decay_acts([_run(decays=2), _run(decays=0)], [])[0]
    assert overfits([], [_run(train_eval_acc=1.0, val_acc=0.8)] * 3)[0]
    assert not overfits([], [_run(train_eval_acc=0.9, val_acc=0.88)] * 3)[0]
    lstm_learns = learns("guideline", "val_loss", below=0.05)
    assert lstm_learns([_run(val_loss=0.01), _run(val_loss=0.02), _run(val_loss=0.16)], [])[0]
    assert not lstm_learns([_run(val_loss=0.01), _run(diverged=True), _run(val_loss=0.16)], [])[0]  # diverged fails
    assert memory_span("adding", {"n": 64, "n_val": 64, "length": 40}, 20)([], [])[0]
    assert not memory_span("adding", {"n": 64, "n_val": 64, "length": 40}, 25)([], [])[0]


def _options(tmp_path: Path, seeds: int = 5) -> Options:
    return Options("medium", str(tmp_path), 1, "cpu", tuple(range(seeds)))


def test_a_failed_check_is_an_invalid_design_whatever_the_numbers(tmp_path: Path) -> None:
    clip = next(e for e in experiments("medium") if e.rule == "RNN201")
    runs = {}
    for s in range(5):
        runs["guideline", s] = _run(max_grad_norm=0.5, val_loss=0.1)
        runs["baseline", s] = _run(diverged=s < 3, max_grad_norm=0.5, val_loss=0.2)  # the two not diverged stayed below 1.0
    entry = judge(clip, "torch", _options(tmp_path), runs)
    assert entry["outcome"] == "invalid design" and not entry["check"]["passed"]
    assert entry["comparison"]["mean_difference"] == pytest.approx(0.6)  # still reported, but not as a verdict


def test_judge_pairs_by_seed_and_gives_a_verdict(tmp_path: Path) -> None:
    lstm = next(e for e in experiments("medium") if e.rule == "RNN101")
    runs = {}
    for s in range(5):
        runs["guideline", s] = _run(val_loss=0.002 * (s + 1))
        runs["baseline", s] = _run(val_loss=0.16 + 0.001 * s)
    entry = judge(lstm, "torch", _options(tmp_path), runs)
    assert entry["check"]["passed"], entry["check"]["seen"]
    assert entry["outcome"] == "supported" and not entry["smoke_test"]
    assert [p["seed"] for p in entry["per_seed"]] == [0, 1, 2, 3, 4]
    assert entry["per_seed"][2]["guideline"] == pytest.approx(0.006) and entry["per_seed"][2]["baseline"] == pytest.approx(0.162)
    assert entry["comparison"]["ci_low"] > 0.1
    # a diverged run scores the constant predictor's MSE, not a missing value
    runs["guideline", 0] = _run(diverged=True, val_loss=None)
    assert judge(lstm, "torch", _options(tmp_path), runs)["per_seed"][0]["guideline"] == pytest.approx(1 / 6)


def test_a_crashed_run_makes_the_experiment_an_error(tmp_path: Path) -> None:
    exp = experiments("medium")[1]
    runs = {(arm, s): _run(val_acc=0.9) for arm in ("guideline", "baseline") for s in range(5)}
    runs["baseline", 3] = {"error": "RuntimeError: boom", "traceback": "tb", "wall_s": 0.0}
    entry = judge(exp, "torch", _options(tmp_path), runs)
    assert entry["outcome"] == "error" and entry["error"] == "RuntimeError: boom"


def test_every_design_states_claim_check_and_statistic() -> None:
    for mode in ("quick", "medium", "full"):
        designs = experiments(mode)
        assert len({e.rule for e in designs}) == len(designs)
        for e in designs:
            assert e.claim and e.check and e.statistic and e.smallest_effect > 0, e.rule
    full = {e.rule: e for e in experiments("full")}
    assert full["RNN101"].task == "adding" and full["RNN101"].task_params["length"] == 100  # Le, Jaitly & Hinton's T
    assert full["RNN101"].recipe("guideline", "full")["model"]["hidden_size"] >= 128
    assert math.isclose(full["RNN201"].value({"diverged": True}), 1.0)
