"""Config files and what a run needs of them before any analysis, all without pydantic.

Finding the nearest config, reading and merging ``extend`` chains, the rule selection
(``select``/``ignore``/``per-file-ignores``), and :class:`RunSettings`: a run's settings as
plain values. A run that the cache serves whole reads its settings here and never imports
pydantic, which costs more than the rest of such a run; the pydantic model
(:mod:`rnnlint.settings.model`) validates every config and is built when files are analysed.
"""

from __future__ import annotations

import json
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path, PurePath
from typing import TYPE_CHECKING, Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib  # type: ignore[import-not-found,unused-ignore]

from rnnlint.settings.selection import ConfigError, Selects, path_globs, selected

if TYPE_CHECKING:
    from rnnlint.settings.model import Settings


def real_path(name: str, folders: dict[str, str]) -> str:
    """``name`` resolved as ``os.path.realpath`` does, each folder once (``folders`` remembers them): a component
    that is not a symlink resolves to its folder's resolved path plus its name, at one lstat per new folder instead
    of one per component of every path."""
    head, tail = os.path.split(name)
    if tail in ("", os.curdir, os.pardir) or name.count(os.sep) > 64 or os.path.islink(name):
        return os.path.realpath(name)
    if head not in folders:
        folders[head] = real_path(head, folders) if head else os.path.realpath(os.curdir)
    return os.path.join(folders[head], tail)


_STR_LISTS = ("select", "extend_select", "ignore", "exclude", "extend_exclude")


def plain_settings_ok(values: Any) -> bool:
    """Has ``values`` the shape of validated settings in what the command line reads before any analysis?

    A remembered set of values that fails this (a damaged or foreign cache file) is not used: pydantic validates
    the config again.
    """

    def str_list(v: Any) -> bool:
        return isinstance(v, list) and all(isinstance(x, str) for x in v)

    if not isinstance(values, dict) or not all(str_list(values.get(k)) for k in _STR_LISTS):
        return False
    pfi = values.get("per_file_ignores")
    return (
        isinstance(pfi, dict)
        and all(isinstance(k, str) and str_list(v) for k, v in pfi.items())
        and isinstance(values.get("respect_gitignore"), bool)
        and values.get("severity_threshold") in ("info", "warning", "error")
        and isinstance(values.get("output_format"), str)
    )


# Settings that change what is reported or how, never what a file's analysis finds: not part of the cache key.
_REPORT_ONLY = ("output_format", "severity_threshold", "show_advice")


@dataclass
class RunSettings:
    """A run's settings as validated plain values (field names, JSON types); ``model()`` is the pydantic model.

    ``values`` come from pydantic: validated in this run, or remembered from the run that validated the same
    ``raw`` table with the same rnnlint (see ``cachefiles.resolve_settings``).
    """

    raw: dict[str, Any]
    source: str
    values: dict[str, Any]
    _model: Settings | None = field(default=None, repr=False)

    @classmethod
    def of(cls, model: Settings, raw: dict[str, Any] | None = None, source: str = "settings") -> RunSettings:
        """Wrap a validated model (``raw``: the table it came from, by default its own dump)."""
        return cls(model.model_dump(by_alias=True) if raw is None else raw, source, model.model_dump(mode="json"), model)

    def model(self) -> Settings:
        """The pydantic Settings the analysis reads (imports pydantic on first use)."""
        if self._model is None:
            from rnnlint.settings.model import make_settings

            self._model = make_settings(self.raw, self.source)
        return self._model

    def __post_init__(self) -> None:
        v = self.values  # asked for every finding: the selection's pieces once
        self._chosen: list[str] = [*v["select"], *v["extend_select"]]
        self._globs = path_globs(v["per_file_ignores"])

    def enabled(self, code: str, path: str | None = None) -> bool:
        return selected(code, self._chosen, self.values["ignore"], self._globs, path)

    @property
    def per_file_ignores(self) -> dict[str, list[str]]:
        pfi: dict[str, list[str]] = self.values["per_file_ignores"]
        return pfi

    @property
    def exclude(self) -> list[str]:
        return list(self.values["exclude"])

    @property
    def extend_exclude(self) -> list[str]:
        return list(self.values["extend_exclude"])

    @property
    def respect_gitignore(self) -> bool:
        return bool(self.values["respect_gitignore"])

    @property
    def severity_threshold(self) -> str:
        return str(self.values["severity_threshold"])

    @property
    def show_advice(self) -> bool:
        return bool(self.values.get("show_advice", False))  # absent in values remembered before the key existed

    @property
    def output_format(self) -> str:
        return str(self.values["output_format"])

    def cache_salt(self) -> str:
        """The settings that can change findings, as canonical JSON."""
        return json.dumps({k: v for k, v in self.values.items() if k not in _REPORT_ONLY}, sort_keys=True)


CONFIG_NAMES = ("rnnlint.toml", ".rnnlint.toml")
# Lists that a config adds to what it extends instead of replacing it.
_EXTENDING_KEYS = ("extend-select", "extend-exclude")


def _config_in(folder: str) -> Path | None:
    for name in CONFIG_NAMES:
        candidate = os.path.join(folder, name)
        if os.path.isfile(candidate):
            return Path(candidate)
    pyproject = os.path.join(folder, "pyproject.toml")
    if os.path.isfile(pyproject):
        try:
            with open(pyproject, encoding="utf-8") as handle:
                text = handle.read()
        except (OSError, UnicodeDecodeError):
            return None
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            # Another tool's broken pyproject is not ours to judge; one that holds rnnlint's table is (tomllib's
            # message says the line and column), else its settings would silently be the defaults.
            if "rnnlint" in text:
                raise ConfigError(f"{pyproject}: invalid TOML: {exc}") from None
            return None
        if "rnnlint" in data.get("tool", {}):
            return Path(pyproject)
    return None


class ConfigFinder:
    """Nearest-config lookups for one run, cached per path asked and per folder walked."""

    def __init__(self) -> None:
        self._by_folder: dict[str, Path | None] = {}  # resolved folder -> its nearest config
        self._by_start: dict[str, Path | None] = {}  # a run asks once per file, then once per finding
        self._real_dirs: dict[str, str] = {}
        self._relative: dict[tuple[str, Path], str] = {}
        self._roots: dict[Path, str] = {}  # config -> its resolved folder

    def find(self, start: Path | str) -> Path | None:
        """The nearest rnnlint.toml, or pyproject.toml with a [tool.rnnlint] table, upward from ``start``."""
        key = os.fspath(start)
        if key not in self._by_start:
            self._by_start[key] = self._walk_up(self._folder(key))
        return self._by_start[key]

    def relative(self, path: str, config: Path) -> str:
        """``path`` relative to ``config``'s folder (see ``enabled_here``), once per path and config."""
        key = (path, config)
        if key not in self._relative:
            if config not in self._roots:
                self._roots[config] = os.path.dirname(os.path.realpath(config))
            rel = relative_inside(real_path(path, self._real_dirs), self._roots[config])
            self._relative[key] = path if rel is None else rel
        return self._relative[key]

    def _folder(self, name: str) -> str:
        """Where the search starts: ``name`` resolved, or its folder when it is not a folder (a file, or missing)."""
        real = real_path(name, self._real_dirs)
        return real if os.path.isdir(real) else os.path.dirname(real)

    def _walk_up(self, here: str) -> Path | None:
        walked: list[str] = []
        found: Path | None = None
        folder = here
        while True:  # parent by parent: most folders' parents were asked already
            if folder in self._by_folder:
                found = self._by_folder[folder]
                break
            walked.append(folder)
            found = _config_in(folder)
            parent = os.path.dirname(folder)
            if found is not None or parent == folder:
                break
            folder = parent
        for folder in walked:
            self._by_folder[folder] = found
        return found


def find_config(start: Path) -> Path | None:
    """The nearest rnnlint.toml, or pyproject.toml with a [tool.rnnlint] table, upward from ``start``."""
    return ConfigFinder().find(start)


def enabled_here(settings: Selects, config: Path | None, code: str, path: str, finder: ConfigFinder | None = None) -> bool:
    """``settings.enabled`` with ``per-file-ignores`` globs read relative to the config's folder (``finder``: a
    run's lookups, which remember resolved paths)."""
    if config is None or not settings.per_file_ignores:
        return settings.enabled(code, path)
    if finder is not None:
        rel = finder.relative(path, config)
    else:
        inside = relative_inside(os.path.realpath(path), os.path.dirname(os.path.realpath(config)))
        rel = path if inside is None else inside
    return settings.enabled(code, rel) and settings.enabled(code, path)


def relative_inside(real: str, root: str) -> str | None:
    """``real`` relative to the folder ``root`` (both resolved), POSIX style; "." for ``root``, None outside it."""
    if real == root:
        return "."
    prefix = root if root.endswith(os.sep) else root + os.sep
    return PurePath(real[len(prefix) :]).as_posix() if real.startswith(prefix) else None


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
