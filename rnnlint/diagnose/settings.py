"""``[tool.rnnlint.diagnose]``: the thresholds the detectors use, validated with pydantic."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError


class DiagnoseSettings(BaseModel):
    """Defaults follow the guidelines (clip at 5, decay by 0.5) and survive the benchmark's noise."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True, frozen=True)

    min_points: int = Field(8, ge=3, alias="min-points")  # fewer logged values: too short to judge a trend
    window: int = Field(5, ge=3)  # the shortest window a trend verdict rests on
    confidence: float = Field(0.95, gt=0.5, lt=1)  # of the Theil-Sen bound
    divergence_ratio: float = Field(1.0, gt=0, alias="divergence-ratio")  # tail above best + ratio * (start - best)
    spike_factor: float = Field(10.0, gt=1, alias="spike-factor")  # a gradient norm this many times the median
    min_spikes: int = Field(2, ge=2, alias="min-spikes")
    clip_share: float = Field(0.5, gt=0, le=1, alias="clip-share")  # clipping active on this share of steps
    growth_factor: float = Field(100.0, gt=1, alias="growth-factor")  # gradient norm grown this much, first to last window
    vanishing_ratio: float = Field(0.01, gt=0, alias="vanishing-ratio")  # recurrent / input gradient norm
    vanishing_decay: float = Field(1e-3, gt=0, alias="vanishing-decay")  # last / first gradient norm
    patience: int = Field(5, ge=2)  # points without improvement that make a plateau
    min_delta: float = Field(0.02, ge=0, alias="min-delta")  # an improvement: this share of the loss's range
    overfit_rise: float = Field(0.1, gt=0, alias="overfit-rise")  # validation loss risen this share above its best
    underfit_fraction: float = Field(0.6, gt=0, lt=1, alias="underfit-fraction")  # flat while above this share of the start
    oscillation: float = Field(0.5, gt=0, alias="oscillation")  # swing amplitude / progress made
    slow_ratio: float = Field(0.3, gt=0, lt=1, alias="slow-ratio")  # late slope / early slope
    slow_remaining: float = Field(0.2, gt=0, alias="slow-remaining")  # another run at the late slope would remove this share
    memorise_loss: float = Field(0.05, gt=0, alias="memorise-loss")  # T2: a memorised subset ends below this loss
    memorise_fraction: float = Field(0.05, gt=0, lt=1, alias="memorise-fraction")  # ... or below this share of the start
    clip_norm: float = Field(5.0, gt=0, alias="clip-norm")  # the advice's values (D6.4, D6.2)
    decay_factor: float = Field(0.5, gt=0, lt=1, alias="decay-factor")


class DiagnoseSettingsError(ValueError):
    pass


def make_diagnose_settings(raw: dict[str, Any], source: str) -> DiagnoseSettings:
    try:
        return DiagnoseSettings.model_validate(raw)
    except ValidationError as exc:
        lines = []
        for err in exc.errors():
            where = ".".join(str(p) for p in err["loc"])
            lines.append(f"  diagnose.{where}: {'unknown key' if err['type'] == 'extra_forbidden' else err['msg']}")
        raise DiagnoseSettingsError(f"invalid configuration in {source}:\n" + "\n".join(lines)) from None
