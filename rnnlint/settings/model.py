"""Settings: ``[tool.rnnlint]`` in pyproject.toml or ``rnnlint.toml``, then CLI flags.

Validated by pydantic so that a bad config names the key and why; keys mirror the
flags (``select``, ``ignore``, ``per-file-ignores``, ``exclude``, thresholds). Finding
and reading config files is :mod:`rnnlint.settings.files`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from rnnlint.ruledocs import GROUPS
from rnnlint.settings.selection import ConfigError, known_selector, path_globs, selected

OutputFormat = Literal["full", "concise", "json", "json-lines", "github", "sarif", "junit"]
SeverityName = Literal["info", "warning", "error"]


def _check_codes(codes: list[str]) -> list[str]:
    out = []
    for code in codes:
        c = known_selector(code)
        if c is None:
            raise ValueError(f"{code!r} is not a rule code, prefix or group (like RNN201, RNN2 or {' / '.join(GROUPS)})")
        out.append(c)
    return out


class FixSettings(BaseModel):
    """The constants ``--fix`` writes into code: the guidelines' values unless a project chooses its own."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True, frozen=True)

    clip_norm: float = Field(5.0, gt=0, alias="clip-norm")  # D6.4: clip_by_global_norm(grads, 5)
    weight_decay: float = Field(1e-5, gt=0, alias="weight-decay")  # D8: a small L2 penalty
    decay_factor: float = Field(0.5, gt=0, lt=1, alias="decay-factor")  # D6.2: halve on a plateau
    patience: int = Field(2, ge=0)  # validation checks without improvement before decaying
    dropout: float = Field(0.5, gt=0, lt=1)  # D7: 0.5 between layers and on the outputs


class Settings(BaseModel):
    """Resolved settings for a run."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True, frozen=True)

    select: list[str] = Field(default_factory=lambda: ["ALL"])
    ignore: list[str] = Field(default_factory=list)
    extend_select: list[str] = Field(default_factory=list, alias="extend-select")
    per_file_ignores: dict[str, list[str]] = Field(default_factory=dict, alias="per-file-ignores")
    exclude: list[str] = Field(default_factory=list)
    extend_exclude: list[str] = Field(default_factory=list, alias="extend-exclude")
    respect_gitignore: bool = Field(True, alias="respect-gitignore")
    severity_threshold: SeverityName = Field("warning", alias="severity-threshold")
    output_format: OutputFormat = Field("full", alias="output-format")
    show_advice: bool = Field(False, alias="show-advice")  # list the advice group in the human report (else one count)
    hidden_size: tuple[int, int] = Field((128, 512), alias="hidden-size")
    dropout: tuple[float, float] = (0.3, 0.7)
    decay_factor: tuple[float, float] = Field((0.1, 0.9), alias="decay-factor")
    max_learning_rate: dict[str, float] = Field(default_factory=dict, alias="max-learning-rate")
    fix: FixSettings = Field(default_factory=FixSettings)

    @field_validator("select", "ignore", "extend_select")
    @classmethod
    def _codes(cls, v: list[str]) -> list[str]:
        return _check_codes(v)

    @field_validator("per_file_ignores")
    @classmethod
    def _pfi(cls, v: dict[str, list[str]]) -> dict[str, list[str]]:
        return {k: _check_codes(codes) for k, codes in v.items()}

    @field_validator("hidden_size", "dropout", "decay_factor")
    @classmethod
    def _range(cls, v: tuple[float, float]) -> tuple[float, float]:
        if v[0] > v[1]:
            raise ValueError(f"range [{v[0]}, {v[1]}] has its lower bound above its upper bound")
        return v

    @model_validator(mode="after")
    def _positive(self) -> Settings:
        for family, bound in self.max_learning_rate.items():
            if bound <= 0:
                raise ValueError(f"max-learning-rate.{family} must be positive")
        return self

    def enabled(self, code: str, path: str | None = None) -> bool:
        """Is ``code`` selected (and not ignored for ``path``)?"""
        return selected(code, [*self.select, *self.extend_select], self.ignore, path_globs(self.per_file_ignores), path)


def _toml_value(value: Any) -> str:
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{_toml_key(k)} = {_toml_value(v)}" for k, v in value.items()) + " }" if value else "{}"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    return json.dumps(value, ensure_ascii=False)


def _toml_key(key: str) -> str:
    return key if key.replace("-", "").replace("_", "").isalnum() else json.dumps(key, ensure_ascii=False)


def settings_dict(settings: Settings) -> dict[str, Any]:
    """Settings as config keys (``per-file-ignores``, ...) with plain JSON values."""
    return settings.model_dump(by_alias=True, mode="json")


def show_settings(settings: Settings, chain: list[Path], fmt: str = "toml") -> str:
    """The resolved settings as TOML-like text (``rnnlint config --show``), or JSON."""
    data = settings_dict(settings)
    if fmt == "json":
        return json.dumps(
            {"config": str(chain[0]) if chain else None, "extends": [str(p) for p in chain[1:]], "settings": data}, indent=2
        )
    lines = [f"# config: {chain[0]}" if chain else "# config: none (defaults)"]
    lines += [f"# extends: {p}" for p in chain[1:]]
    lines.append("[tool.rnnlint]")
    tables = {k: v for k, v in data.items() if isinstance(v, dict) and v}
    for key, value in data.items():
        if key not in tables:
            lines.append(f"{_toml_key(key)} = {_toml_value(value)}")
    for key, value in tables.items():
        lines.append("")
        lines.append(f"[tool.rnnlint.{_toml_key(key)}]")
        lines += [f"{_toml_key(k)} = {_toml_value(v)}" for k, v in value.items()]
    return "\n".join(lines)


def make_settings(raw: dict[str, Any], source: str) -> Settings:
    """Validate a merged dict into Settings; ConfigError names each bad key."""
    try:
        return Settings.model_validate(raw)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            key = ".".join(str(p) for p in err["loc"]) or "<root>"
            msg = "unknown key" if err["type"] == "extra_forbidden" else err["msg"]
            problems.append(f"  {key}: {msg}")
        raise ConfigError(f"invalid configuration in {source}:\n" + "\n".join(problems)) from None
