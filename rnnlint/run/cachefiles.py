"""Files in the cache folder: where they live, what their keys include, JSON read and written without ever
failing a run. Settings validated by pydantic are remembered here too (``resolve_settings``)."""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import os
from pathlib import Path
from typing import Any

from rnnlint import __version__
from rnnlint.read.source import read_regular
from rnnlint.settings.files import RunSettings, plain_settings_ok

CACHE_FORMAT = 2
RACY_NS = 2_000_000_000  # a stat this close to the moment it was taken may not show a later edit (mtime granularity)


def folder(cache_dir: Path) -> Path:
    """This rnnlint version's part of a cache folder."""
    return cache_dir / f"v{__version__}-{CACHE_FORMAT}"


def fingerprint(st: os.stat_result) -> list[int]:
    """What a stat says of a file or folder: size, mtime, ctime, inode (compared whole)."""
    return [st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino]


def settled(st: os.stat_result, started: int) -> bool:
    """Was the last change ``st`` shows at least ``RACY_NS`` before ``started``? Only then does the same stat later
    prove the same contents (mtime granularity: git's "racily clean" files)."""
    return max(st.st_mtime_ns, st.st_ctime_ns) < started - RACY_NS


class StatTrace:
    """The fingerprints of the paths an answer depended on (None: missing), to reuse the answer while they hold.

    ``racy``: some path changed too close to ``started`` for its stat to show a later change; such an answer is
    not remembered.
    """

    def __init__(self, started: int) -> None:
        self.started = started
        self.stats: dict[str, list[int] | None] = {}
        self.racy = False

    def note(self, path: str) -> None:
        if path in self.stats:
            return
        try:
            st = os.stat(path)
        except (OSError, ValueError):
            self.stats[path] = None
            return
        self.stats[path] = fingerprint(st)
        if not settled(st, self.started):
            self.racy = True


def unchanged(stats: Any) -> bool:
    """Does every path of a remembered ``StatTrace.stats`` stat as it did (False for anything malformed)?"""
    if not isinstance(stats, dict):
        return False
    for path, seen in stats.items():
        try:
            now: list[int] | None = fingerprint(os.stat(path))
        except (OSError, ValueError):
            now = None
        if now != seen:
            return False
    return True


def memo_path(cache_dir: Path, key: str, suffix: str) -> Path:
    """Where a remembered answer for ``key`` lives (not ``*.json``: those are findings entries)."""
    return folder(cache_dir) / f"{hashlib.sha256(key.encode()).hexdigest()}{suffix}"


@functools.cache
def build_id() -> str:
    """rnnlint's own code and rule docs as sizes and mtimes: an edited checkout (an editable install) is not
    served findings that older code cached under the same version number."""
    from rnnlint.checks.catalogue import rules_dir

    h = hashlib.sha256()
    for where, pattern in ((Path(__file__).parent.parent, "*.py"), (rules_dir(), "*.md")):
        for path in sorted(where.rglob(pattern)):
            with contextlib.suppress(OSError):
                st = path.stat()
                h.update(f"{path}:{st.st_size}:{st.st_mtime_ns}".encode())
    return h.hexdigest()


@functools.cache
def validator_id() -> str:
    """The installed pydantic, by its files' stat (found, not imported): an upgrade re-validates remembered settings."""
    import importlib.util

    with contextlib.suppress(ImportError, ValueError, OSError):
        spec = importlib.util.find_spec("pydantic")
        if spec is not None and spec.origin is not None:
            st = os.stat(os.path.join(os.path.dirname(spec.origin), "version.py"))
            return f"{spec.origin}:{st.st_size}:{st.st_mtime_ns}"
    return "unknown"


def read_json(path: Path) -> Any:
    """A cache file's JSON; None when it is missing, unreadable or not JSON (never trusted, never fatal)."""
    try:
        return json.loads(read_regular(path).decode("utf-8"))  # issue 7: a FIFO or device as an entry hung the run
    except (OSError, ValueError, RecursionError):
        return None


def write_json(folder: Path, path: Path, data: dict[str, Any]) -> None:
    """Write JSON atomically: a reader sees the old file or the new one, never half of one."""
    import tempfile  # not on a run the cache serves whole

    folder.mkdir(parents=True, exist_ok=True)
    ignore = folder.parent / ".gitignore"
    if not ignore.exists():
        ignore.write_text("# created by rnnlint: the cache is never committed\n*\n")
    fd, tmp = tempfile.mkstemp(dir=folder, suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            json.dump(data, out)
        os.replace(tmp, path)
    except OSError:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def resolve_settings(raw: dict[str, Any], source: str, cache_dir: Path | None) -> RunSettings:
    """A config table (plus flags) validated into RunSettings; ConfigError names each bad key.

    The validated values are remembered in the cache under the table's own contents and rnnlint's build, so a
    later run with the same table reads them back instead of importing pydantic. Only a table that validated is
    remembered: a bad config fails every run, with pydantic's message.
    """
    memo = None
    if cache_dir is not None:
        try:
            key = json.dumps([__version__, build_id(), validator_id(), raw], sort_keys=True, allow_nan=False)
        except (TypeError, ValueError):
            key = None  # a TOML date or time, or a NaN: such a table is validated each time
        if key is not None:
            memo = memo_path(cache_dir, key, ".settings")
            values = read_json(memo)
            if plain_settings_ok(values):
                return RunSettings(raw, source, values)
    from rnnlint.settings.model import make_settings

    run = RunSettings.of(make_settings(raw, source), raw, source)
    if memo is not None:
        with contextlib.suppress(OSError):
            write_json(memo.parent, memo, run.values)
    return run
