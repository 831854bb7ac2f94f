"""Settings: ``[tool.rnnlint]`` in pyproject.toml or ``rnnlint.toml``, then CLI flags.

Validated by pydantic so that a bad config names the key and why; keys mirror the
flags (``select``, ``ignore``, ``per-file-ignores``, ``exclude``, thresholds).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib  # type: ignore[import-not-found,unused-ignore]

OutputFormat = Literal["full", "concise", "json", "github"]
SeverityName = Literal["info", "warning", "error"]


class ConfigError(Exception):
    """A config file that cannot be used; the CLI exits 2 with this message."""


def _check_codes(codes: list[str]) -> list[str]:
    out = []
    for code in codes:
        c = code.strip().upper()
        if c != "ALL" and not ((c.startswith("RNN") and c[3:].isdigit()) or c == "RNN"):
            raise ValueError(f"{code!r} is not a rule code or prefix (like RNN201 or RNN2)")
        out.append(c)
    return out


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
    hidden_size: tuple[int, int] = Field((128, 512), alias="hidden-size")
    dropout: tuple[float, float] = (0.3, 0.7)
    decay_factor: tuple[float, float] = Field((0.1, 0.9), alias="decay-factor")
    max_learning_rate: dict[str, float] = Field(default_factory=dict, alias="max-learning-rate")

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
        chosen = [*self.select, *self.extend_select]
        if not any(_matches(code, c) for c in chosen):
            return False
        ignored = list(self.ignore)
        if path is not None and self.per_file_ignores:
            import fnmatch

            posix = Path(path).as_posix()
            for pattern, codes in self.per_file_ignores.items():
                if fnmatch.fnmatch(posix, pattern) or fnmatch.fnmatch(Path(path).name, pattern):
                    ignored += codes
        # the most specific of select / ignore wins, as in ruff
        best_select = max((len(c) for c in chosen if _matches(code, c)), default=-1)
        best_ignore = max((len(c) for c in ignored if _matches(code, c)), default=-1)
        return best_select > best_ignore


def _matches(code: str, prefix: str) -> bool:
    return prefix == "ALL" or code.startswith(prefix)


def find_config(start: Path) -> Path | None:
    """The nearest rnnlint.toml, or pyproject.toml with a [tool.rnnlint] table, upward from ``start``."""
    here = start.resolve()
    if here.is_file():
        here = here.parent
    for folder in [here, *here.parents]:
        for name in ("rnnlint.toml", ".rnnlint.toml"):
            if (folder / name).is_file():
                return folder / name
        pyproject = folder / "pyproject.toml"
        if pyproject.is_file():
            try:
                data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
            except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
                continue
            if "rnnlint" in data.get("tool", {}):
                return pyproject
    return None


def load_config(path: Path) -> dict[str, Any]:
    """The raw rnnlint table of a config file; ConfigError if unreadable."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read: {exc}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}") from exc
    if path.name == "pyproject.toml":
        table = data.get("tool", {}).get("rnnlint", {})
        return {str(k): v for k, v in table.items()} if isinstance(table, dict) else {}
    return {str(k): v for k, v in data.items()}


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
