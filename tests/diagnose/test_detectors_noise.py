"""Detectors on synthetic curves with noise: each fires on its cause across seeds, and stays silent on
healthy curves, noisy ones and one-epoch blips (never a verdict from one epoch)."""

from __future__ import annotations

import math
import random

import pytest

from rnnlint.diagnose.detectors import judge
from rnnlint.diagnose.run import Point, Run
from rnnlint.diagnose.settings import DiagnoseSettings
from rnnlint.diagnose.stats import mann_kendall, smooth, trend

SEEDS = range(20)


def make_run(**series: list[float]) -> Run:
    run = Run("run.csv", "csv", "torch")
    for name, ys in series.items():
        for e, v in enumerate(ys):
            run.add(name, name, Point(None, e, v, e + 2))
    run.finish()
    return run


def codes(run: Run, overfit_check: bool = False) -> set[str]:
    findings, _ = judge(run, DiagnoseSettings(), lambda c: True, overfit_check)
    return {f.code for f in findings}


def healthy(rng: random.Random, n: int = 30, noise: float = 0.03) -> dict[str, list[float]]:
    """Converging train and validation losses with a learning rate halved on each plateau."""
    loss = [2.0 * math.exp(-e / 4) + 0.1 + rng.gauss(0, noise) for e in range(n)]
    val = [2.0 * math.exp(-e / 4) + 0.3 + rng.gauss(0, noise) for e in range(n)]
    lr = [1e-3 * 0.5 ** (e // 5) for e in range(n)]
    grad = [abs(1.0 + rng.gauss(0, 0.2)) for _ in range(n)]
    return {"loss": loss, "val_loss": val, "lr": lr, "grad_norm": grad}


@pytest.mark.parametrize("seed", SEEDS)
def test_healthy_runs_are_silent(seed: int) -> None:
    assert codes(make_run(**healthy(random.Random(seed)))) == set()


@pytest.mark.parametrize("seed", SEEDS)
def test_one_epoch_blip_is_not_overfitting_or_divergence(seed: int) -> None:
    s = healthy(random.Random(seed))
    s["val_loss"][20] *= 3  # one bad validation epoch (UMLAUT would call it overfitting)
    s["loss"][21] *= 4  # one loss spike
    assert codes(make_run(**s)) == set()


@pytest.mark.parametrize("seed", SEEDS)
def test_overfitting_fires_across_seeds(seed: int) -> None:
    rng = random.Random(seed)
    s = healthy(rng)
    s["val_loss"] = [2.0 * math.exp(-e / 4) + 0.3 + 0.025 * max(0, e - 10) + rng.gauss(0, 0.03) for e in range(30)]
    assert "RNN606" in codes(make_run(**s))


@pytest.mark.parametrize("seed", SEEDS)
def test_plateau_with_a_fixed_rate_fires_and_a_decayed_one_does_not(seed: int) -> None:
    rng = random.Random(seed)
    s = healthy(rng)
    s["lr"] = [1e-3] * 30
    assert "RNN605" in codes(make_run(**s))
    s["lr"] = [1e-3 * 0.5 ** (e // 5) for e in range(30)]
    assert "RNN605" not in codes(make_run(**s))


@pytest.mark.parametrize("seed", SEEDS)
def test_divergence_nan_spikes_slow_underfit(seed: int) -> None:
    rng = random.Random(seed)
    s = healthy(rng)
    s["loss"] = [2.0 * math.exp(-e / 4) + 0.1 if e < 12 else 0.5 + 0.4 * (e - 12) for e in range(30)]
    assert "RNN602" in codes(make_run(**s))
    s = healthy(rng)
    s["loss"][25] = math.nan
    assert "RNN601" in codes(make_run(**s))
    s = healthy(rng)
    for e in (7, 15, 23):
        s["grad_norm"][e] = 60.0 + rng.random()
    assert "RNN603" in codes(make_run(**s))
    s = healthy(rng)
    s["grad_norm"][15] = 80.0  # one spike only
    assert "RNN603" not in codes(make_run(**s))
    s = healthy(rng)
    s["loss"] = [2.3 - 0.02 * e + rng.gauss(0, 0.005) for e in range(30)]
    s["val_loss"] = [x + 0.05 for x in s["loss"]]
    assert "RNN609" in codes(make_run(**s))
    s = healthy(rng)
    s["loss"] = [2.3 - 0.4 * (1 - math.exp(-e / 3)) + rng.gauss(0, 0.01) for e in range(30)]
    s["val_loss"] = [x + 0.05 for x in s["loss"]]
    assert "RNN607" in codes(make_run(**s))


def test_no_validation_and_overfit_check() -> None:
    rng = random.Random(0)
    s = healthy(rng)
    del s["val_loss"]
    assert "RNN611" in codes(make_run(**s))
    stuck = make_run(loss=[2.3 * 0.98**e for e in range(20)])
    memorised = make_run(loss=[2.3 * 0.6**e for e in range(20)])
    assert "RNN610" in codes(stuck, overfit_check=True) and "RNN611" not in codes(stuck, overfit_check=True)
    assert "RNN610" not in codes(memorised, overfit_check=True)


def test_trend_statistics() -> None:
    rng = random.Random(1)
    falling = [1 - 0.01 * i + rng.gauss(0, 0.05) for i in range(60)]
    t = trend(list(range(60)), falling)
    assert t.falling and t.lo <= -0.01 <= t.hi
    flat = trend(list(range(60)), [1 + rng.gauss(0, 0.05) for _ in range(60)])
    assert not flat.falling and not flat.rising
    s, _z, p = mann_kendall([1, 2, 3, 4, 5, 6, 7, 8])
    assert s == 28 and p < 0.01
    noisy = [math.sin(i / 5) + rng.gauss(0, 0.3) for i in range(80)]
    assert smooth(noisy)[1] > smooth([math.sin(i / 5) for i in range(80)])[1]


@pytest.mark.parametrize("seed", SEEDS)
def test_converged_run_with_tiny_gradients_is_not_exploding(seed: int) -> None:
    rng = random.Random(seed)
    s = healthy(rng, n=60)
    s["grad_norm"] = [2.0 * math.exp(-e / 4) + abs(rng.gauss(0, 0.01)) for e in range(60)]  # memorised: norms -> 0
    for e in (40, 50):
        s["grad_norm"][e] = 0.2  # ordinary steps, far above their tiny neighbours, far below the run's start
    assert "RNN603" not in codes(make_run(**s))
