"""Settings: ``[tool.rnnlint]`` in pyproject.toml or ``rnnlint.toml``, then CLI flags.

Validated by pydantic so that a bad config names the key and why; keys mirror the
flags (``select``, ``ignore``, ``per-file-ignores``, ``exclude``, thresholds).
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib  # type: ignore[import-not-found,unused-ignore]

OutputFormat = Literal["full", "concise", "json", "json-lines", "github", "sarif", "junit"]
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


CONFIG_NAMES = ("rnnlint.toml", ".rnnlint.toml")
# Lists that a config adds to what it extends instead of replacing it.
_EXTENDING_KEYS = ("extend-select", "extend-exclude")


def _config_in(folder: Path) -> Path | None:
    for name in CONFIG_NAMES:
        if (folder / name).is_file():
            return folder / name
    pyproject = folder / "pyproject.toml"
    if pyproject.is_file():
        try:
            data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
            return None
        if "rnnlint" in data.get("tool", {}):
            return pyproject
    return None


class ConfigFinder:
    """Nearest-config lookups, cached per folder (one run asks once per folder)."""

    def __init__(self) -> None:
        self._by_folder: dict[Path, Path | None] = {}

    def find(self, start: Path) -> Path | None:
        """The nearest rnnlint.toml, or pyproject.toml with a [tool.rnnlint] table, upward from ``start``."""
        here = start.resolve()
        if here.is_file() or not here.exists():
            here = here.parent
        walked: list[Path] = []
        found: Path | None = None
        for folder in [here, *here.parents]:
            if folder in self._by_folder:
                found = self._by_folder[folder]
                break
            walked.append(folder)
            found = _config_in(folder)
            if found is not None:
                break
        for folder in walked:
            self._by_folder[folder] = found
        return found


def find_config(start: Path) -> Path | None:
    """The nearest rnnlint.toml, or pyproject.toml with a [tool.rnnlint] table, upward from ``start``."""
    return ConfigFinder().find(start)


def enabled_here(settings: Settings, config: Path | None, code: str, path: str) -> bool:
    """``settings.enabled`` with ``per-file-ignores`` globs read relative to the config's folder."""
    if config is None:
        return settings.enabled(code, path)
    try:
        rel = Path(path).resolve().relative_to(config.resolve().parent).as_posix()
    except ValueError:
        rel = path
    return settings.enabled(code, rel) and settings.enabled(code, path)


def _read_table(path: Path) -> dict[str, Any]:
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


def load_config(path: Path, chain: list[Path] | None = None) -> dict[str, Any]:
    """The raw rnnlint table of a config file, merged over what its ``extend`` names.

    ``extend = "../pyproject.toml"`` is relative to the config's folder; the extended
    file's settings apply first and this file's keys replace them, except
    ``extend-select`` and ``extend-exclude``, which add to them. ``chain`` collects
    every file read, this one first. ConfigError if unreadable or circular.
    """
    chain = [] if chain is None else chain
    resolved = path.resolve()
    if resolved in chain:
        cycle = " -> ".join(str(p) for p in [*chain, resolved])
        raise ConfigError(f"{path}: extend: circular ({cycle})")
    chain.append(resolved)
    raw = _read_table(path)
    extend = raw.pop("extend", None)
    if extend is None:
        return raw
    if not isinstance(extend, str) or not extend.strip():
        raise ConfigError(f"invalid configuration in {path}:\n  extend: must be the path of a config file")
    target = path.parent / os.path.expanduser(extend)
    if target.is_dir():
        target = target / "pyproject.toml"
    if not target.is_file():
        raise ConfigError(f"invalid configuration in {path}:\n  extend: {extend!r} not found")
    merged = load_config(target, chain)
    for key, value in raw.items():
        if key in _EXTENDING_KEYS and isinstance(value, list) and isinstance(merged.get(key), list):
            merged[key] = [*merged[key], *value]
        else:
            merged[key] = value
    return merged


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
