"""Running the linter over many files: independent groups, a process pool, and a cache.

Files that import each other (found by a byte scan, no parse) form a group; groups
share nothing, so they can run in any process and in any order, and the merged,
sorted findings are the same as a serial run's. Each group's findings are cached
under a key made of the contents of its files, the settings and rnnlint's version;
an entry is used only if every file the group read (imports, configs) is unchanged.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import signal
import stat
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rnnlint.diagnostics import Diagnostic, Edit, Fix, Loc, Severity
from rnnlint.read.source import read_regular
from rnnlint.ruledocs import group_of
from rnnlint.run import cachefiles
from rnnlint.run.cachefiles import build_id, read_json, write_json
from rnnlint.run.engine import Linter, Result, collector_paused
from rnnlint.run.units import CONSULTED, ModuleFinder, is_relevant, local_import_names
from rnnlint.settings.files import RunSettings, real_path

if TYPE_CHECKING:
    from rnnlint.settings.model import Settings

PARALLEL_MIN_FILES = 40  # below this a pool costs more than it saves
EMPTY_DIGEST = hashlib.sha256(b"").hexdigest()


@dataclass
class Group:
    """Files that import each other, keyed by resolved path; ``data`` may be left empty when ``digests`` is known."""

    files: list[Path]
    data: dict[str, bytes]
    digests: dict[str, str] = field(default_factory=dict)

    def digest_map(self) -> dict[str, str]:
        if not self.digests:
            self.digests = {k: hashlib.sha256(v).hexdigest() for k, v in self.data.items()}
        return self.digests

    def load(self) -> None:
        """Read the files when only their digests were known (a group the cache could not serve)."""
        if self.data or not self.digests:
            return
        for key in self.digests:
            try:
                self.data[key] = read_regular(key)
            except OSError:
                self.data[key] = b""


def lint_files(
    files: list[Path],
    settings: RunSettings | Settings,
    roots: list[Path],
    jobs: int = 1,
    cache_dir: Path | None = None,
    stdin: tuple[str, bytes] | None = None,
    progress: Callable[[int], None] | None = None,
) -> Result:
    """Lint ``files`` (plus a stdin buffer) with ``jobs`` processes and an optional cache.

    Groups of files that import each other are analysed one at a time (or one per process), so memory
    holds one group's trees, not the corpus's. ``progress`` hears how many files each finished group had.
    The pydantic settings model is built only if some group has to be analysed.
    """
    run = settings if isinstance(settings, RunSettings) else RunSettings.of(settings)
    if stdin is not None:  # an editor buffer: one small serial run, never cached
        return Linter(run.model(), roots).run(files, stdin)
    with collector_paused():  # decoding cached findings and merging them only grows the heap too
        return _lint_files(files, run, roots, jobs, cache_dir, progress or (lambda _n: None))


def _lint_files(
    files: list[Path], run: RunSettings, roots: list[Path], jobs: int, cache_dir: Path | None, progress: Callable[[int], None]
) -> Result:
    cache = _Cache(cache_dir, run, roots) if cache_dir is not None else None
    groups = cache.groups(files, roots) if cache else list(_groups(files, roots))
    result = Result()
    todo: list[Group] = []
    for group in groups:
        hit = cache.get(group) if cache else None
        if hit is None:
            group.load()
            todo.append(group)
        else:
            _merge(result, hit)
            progress(len(group.files))
    if cache:
        cache.save()
    for group, part, deps in _analysed(todo, run, roots, jobs):
        _merge(result, part)
        progress(len(group.files))
        if cache:
            cache.put(group, part, deps)
    if cache:
        cache.save_pack()
    result.diagnostics.sort(key=Diagnostic.sort_key)
    say_notices(result.notices)
    return result


_SAID: set[str] = set()  # a fix loop lints again: each notice is said once per process


def say_notices(notices: list[str]) -> None:
    """rnnlint's own limits, on stderr (never findings: RNN001 is only for files that do not parse)."""
    import sys

    for notice in notices:
        if notice not in _SAID:
            _SAID.add(notice)
            sys.stderr.write(f"rnnlint: note: {notice}\n")


def _analysed(
    todo: list[Group], run: RunSettings, roots: list[Path], jobs: int
) -> Iterator[tuple[Group, Result, dict[str, str]]]:
    """Each group of ``todo`` analysed (in a process pool when it pays), with the digests of the files it read."""
    if not todo:
        return  # a run the cache served whole: no pydantic model, no process pool
    settings = run.model()
    if jobs > 1 and sum(len(g.files) for g in todo) >= PARALLEL_MIN_FILES:
        from concurrent.futures import ProcessPoolExecutor

        batches = _batches(todo, jobs)
        with ProcessPoolExecutor(max_workers=jobs, initializer=die_with_parent) as pool, _terminate_on_sigterm(pool):
            outputs = list(pool.map(_run_batch, [([todo[i] for i in b], settings, roots) for b in batches]))
        done = {i: out for batch, output in zip(batches, outputs, strict=True) for i, out in zip(batch, output, strict=True)}
        for i, group in enumerate(todo):  # in the serial order: equal findings from two groups keep their order
            part, deps = done[i]
            yield group, part, deps
    else:
        for group in todo:
            part, deps = _run_group(group, settings, roots)
            yield group, part, deps


def die_with_parent() -> None:
    """In a pool worker: exit as soon as the process that started it is gone.

    A run stopped from outside (a CI timeout's SIGTERM, a SIGKILL) left its workers analysing for minutes, holding a
    gigabyte each. On Linux the kernel kills the worker with its parent (PR_SET_PDEATHSIG); everywhere a daemon
    thread also polls the parent's pid, which changes when the parent dies.
    """
    parent = os.getppid()
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            import ctypes

            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    if os.getppid() != parent:  # the parent died before the kernel was told
        os._exit(1)

    def watch() -> None:
        while True:
            time.sleep(0.5)
            if os.getppid() != parent:
                os._exit(1)

    threading.Thread(target=watch, name="rnnlint-parent-watch", daemon=True).start()


@contextlib.contextmanager
def _terminate_on_sigterm(pool: Any) -> Iterator[None]:
    """SIGTERM to the run ends its workers first (the pool would otherwise wait for their current batches)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def stop(signum: int, frame: object) -> None:
        for process in list(getattr(pool, "_processes", {}).values()):
            with contextlib.suppress(OSError, ValueError):
                process.kill()
        signal.signal(signum, signal.SIG_DFL)
        os.kill(os.getpid(), signum)  # die of the signal, as without the handler

    previous = signal.signal(signal.SIGTERM, stop)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _run_batch(args: tuple[list[Group], Settings, list[Path]]) -> list[tuple[Result, dict[str, str]]]:
    batch, settings, roots = args
    return [_run_group(g, settings, roots) for g in batch]


def _run_group(group: Group, settings: Settings, roots: list[Path]) -> tuple[Result, dict[str, str]]:
    from rnnlint.analysis import config_values  # YAML reading: only where files are analysed

    before = set(config_values.FILES_READ)
    linter = Linter(settings, roots)
    result = linter.run(group.files)
    read = {k for k, v in linter.loaded.items() if v is not None and not k.startswith("<")}
    read |= config_values.FILES_READ - before
    read -= {str(f.resolve()) for f in group.files}
    shown = {d.loc.path for d in result.diagnostics}
    result.sources = {k: v for k, v in result.sources.items() if k in shown}  # only code frames read them: ship less
    return result, {path: _digest_file(path) for path in sorted(read)}


def _merge(into: Result, part: Result) -> None:
    into.diagnostics.extend(part.diagnostics)
    into.files += part.files
    into.sources.update(part.sources)
    into.notices.extend(n for n in part.notices if n not in into.notices)


def _batches(groups: list[Group], jobs: int) -> list[list[int]]:
    """The groups' indexes in batches, costliest first, each batch about an eighth of a worker's share.

    The pool hands the next batch to whichever worker is free, so a worker that drew a group costlier
    than its bytes said (a script that imports a whole library) is not waited for with work queued behind
    it; on a whole repository one group holds most of the code and runs alone while the other workers take
    the rest. Batches, not single groups: hundreds of one-file groups would cost a round trip each.
    """
    costs = [_cost(g) for g in groups]
    share = max(sum(costs) // (8 * jobs), 1)
    batches: list[list[int]] = []
    load = 0
    for i in sorted(range(len(groups)), key=lambda i: (-costs[i], i)):
        if not batches or load + costs[i] > share:
            batches.append([])
            load = 0
        batches[-1].append(i)
        load += costs[i]
    return batches


def _cost(group: Group) -> int:
    """Bytes to analyse: a file the byte scan drops (library code) is only read, at a small fraction of the cost."""
    return sum(len(d) if is_relevant(d) else len(d) // 32 for d in group.data.values())


def _groups(files: list[Path], roots: list[Path]) -> Iterator[Group]:
    """Connected groups of files that import each other (byte scan, no parse)."""
    finder = ModuleFinder(roots)
    finder.add_files(files)
    data: dict[str, bytes] = {}
    index = real_paths(files)
    for key, f in index.items():
        try:
            data[key] = read_regular(f)  # issue 7: a FIFO must not block the run
        except OSError:
            data[key] = b""
    parent = {k: k for k in index}

    def find(k: str) -> str:
        while parent[k] != k:
            parent[k] = parent[parent[k]]
            k = parent[k]
        return k

    for key, blob in data.items():
        if not blob or not key.endswith(".py") or not is_relevant(blob):
            continue
        for level, dotted in local_import_names(blob):
            hit = finder.find(Path(key), dotted, level)
            if hit in parent:
                parent[find(hit)] = find(key)
    members: dict[str, list[str]] = {}
    for key in index:
        members.setdefault(find(key), []).append(key)
    for keys in sorted(members.values()):
        yield Group([index[k] for k in keys], {k: data[k] for k in keys})


def real_paths(files: list[Path]) -> dict[str, Path]:
    """Each file by its resolved path (``str(f.resolve())``), each folder resolved once."""
    folders: dict[str, str] = {}
    return {real_path(os.fspath(f), folders): f for f in files}


def _digest_file(path: str) -> str:
    try:
        return hashlib.sha256(read_regular(path)).hexdigest()  # issue 7: a FIFO must not block the run
    except OSError:
        return "missing"


class _Cache:
    """Findings per group, in ``<dir>/<version>/<key>.json``; anything unreadable is a miss.

    An index per (settings, roots) remembers each file's stat and content digest and the last import grouping, so
    that a run where nothing changed reads no source file: a file whose stat differs, or whose stat was taken too
    close to its last change to be sure of it (git's "racily clean" files), is read and hashed again.
    """

    def __init__(self, folder: Path, settings: RunSettings, roots: list[Path] | None = None) -> None:
        self.folder = cachefiles.folder(folder)
        # issue 7: cached findings name paths relative to the working directory, so it is part of the key; without it a
        # run from another folder reported stale paths and --fix edited whatever file they named there.
        salt = f"{self.folder.name}:{build_id()}:{os.getcwd()}:{settings.cache_salt()}"  # version and format too
        self.salt = hashlib.sha256(salt.encode()).hexdigest()
        where = json.dumps([self.salt, [str(r.resolve()) for r in roots or []]])
        self.index_path = self.folder / f"{hashlib.sha256(where.encode()).hexdigest()}.index"  # not *.json: no entry
        self.started = time.time_ns()  # before any stat: a change after it is never trusted from the stat alone
        self.old: dict[str, Any] = {}
        self.stats: dict[str, Any] = {}  # path -> [size, mtime_ns, ctime_ns, inode] (or None: racy) and digest
        self.grouping: dict[str, Any] | None = None
        self.pack_path = self.index_path.with_suffix(".pack")
        self.pack: dict[str, Any] | None = None
        self.used: dict[str, Any] = {}  # the entries this run read or wrote, by key

    def _load_index(self) -> None:
        data = read_json(self.index_path)  # missing or corrupt: every file is read and hashed, as without an index
        if isinstance(data, dict) and data.get("format") == cachefiles.CACHE_FORMAT and data.get("salt") == self.salt:
            self.old = data

    def _old_files(self) -> dict[str, Any]:
        files = self.old.get("files")
        return files if isinstance(files, dict) else {}

    def digest(self, path: str) -> str | None:
        """sha256 of the file's bytes (None: unreadable), from the index when its stat proves it unchanged."""
        try:
            st = os.stat(path)
        except (OSError, ValueError):
            return None
        if not stat.S_ISREG(st.st_mode):
            return None  # issue 7: a FIFO must not block the run
        seen = cachefiles.fingerprint(st)
        old = self._old_files().get(path)
        if isinstance(old, list) and len(old) == 2 and old[0] == seen and isinstance(old[1], str):
            digest: str | None = old[1]
        else:
            try:
                digest = hashlib.sha256(read_regular(path)).hexdigest()
            except OSError:
                return None
        self.stats[path] = [seen if cachefiles.settled(st, self.started) else None, digest]
        return digest

    def groups(self, files: list[Path], roots: list[Path]) -> list[Group]:
        """The import groups of ``files``: the index's when no file and no folder a lookup listed has changed."""
        self._load_index()
        index = real_paths(files)
        digests = {k: self.digest(k) or EMPTY_DIGEST for k in index}
        old = self.old.get("groups")
        if isinstance(old, dict) and self._same_tree(old, digests):
            return [Group([index[k] for k in keys], {}, {k: digests[k] for k in keys}) for keys in old["members"]]
        groups = list(_groups(files, roots))
        dirs = cachefiles.StatTrace(self.started)
        for listed in sorted(CONSULTED):
            dirs.note(listed)  # stats taken after the lookups: a change during them reads as racy
        seen = {k: v for g in groups for k, v in g.digest_map().items()}  # the bytes the grouping was made from
        if not dirs.racy:  # a folder changed too recently to trust: the next run groups again
            self.grouping = {"members": [list(g.data) for g in groups], "digests": seen, "dirs": dirs.stats}
        return groups

    def _same_tree(self, old: dict[str, Any], digests: dict[str, str]) -> bool:
        try:
            if old["digests"] != digests:
                return False
            members = old["members"]
            if not all(isinstance(keys, list) and keys and all(isinstance(k, str) for k in keys) for keys in members):
                return False
            if sorted(k for keys in members for k in keys) != sorted(digests):
                return False
            if not cachefiles.unchanged(old["dirs"]):
                return False
        except (KeyError, TypeError):
            return False
        self.grouping = old
        return True

    def save(self) -> None:
        """Write the index when it says something new (stats, digests, grouping); never fails the run."""
        data = {"format": cachefiles.CACHE_FORMAT, "salt": self.salt, "files": self.stats, "groups": self.grouping}
        if data == self.old:
            return
        with contextlib.suppress(OSError):
            self._write(self.index_path, data)

    def _key(self, group: Group) -> str:
        h = hashlib.sha256(self.salt.encode())
        digests = group.digest_map()
        for path in sorted(digests):
            h.update(path.encode())
            h.update(digests[path].encode())
        return h.hexdigest()

    def get(self, group: Group) -> Result | None:
        key = self._key(group)
        entry = self._packed().get(key)
        if entry is None:
            entry = read_json(self.folder / f"{key}.json")
        try:
            if entry.get("salt") != self.salt or entry.get("format") != cachefiles.CACHE_FORMAT:
                return None
            if any((self.digest(dep) or "missing") != digest for dep, digest in entry["deps"].items()):
                return None
            result = _decode(entry["result"])
        except (ValueError, KeyError, TypeError, AttributeError, RecursionError):
            return None  # missing, corrupt or foreign: never trusted
        self.used[key] = entry
        return result

    def put(self, group: Group, result: Result, deps: dict[str, str]) -> None:
        key = self._key(group)
        entry = {"format": cachefiles.CACHE_FORMAT, "salt": self.salt, "deps": deps, "result": _encode(result)}
        self.used[key] = entry
        with contextlib.suppress(OSError):  # a read-only tree still lints, just without a cache
            self._write(self.folder / f"{key}.json", entry)

    def _packed(self) -> dict[str, Any]:
        """The entries the last run with this index used, from one file (one read instead of one per group)."""
        if self.pack is None:
            data = read_json(self.pack_path)
            ok = isinstance(data, dict) and data.get("salt") == self.salt and isinstance(data.get("entries"), dict)
            self.pack = data["entries"] if ok else {}
        return self.pack

    def save_pack(self) -> None:
        """Pack this run's entries for the next run, unless the pack holds exactly them already."""
        if self.used.keys() == self._packed().keys():
            return
        with contextlib.suppress(OSError):
            self._write(self.pack_path, {"salt": self.salt, "entries": self.used})

    def _write(self, path: Path, data: dict[str, Any]) -> None:
        write_json(self.folder, path, data)


def clean(folder: Path) -> int:
    """Remove a cache folder; the number of files removed."""
    removed = 0
    if not folder.is_dir():
        return 0
    for p in sorted(folder.rglob("*"), reverse=True):
        try:
            if p.is_file():
                p.unlink()
                removed += 1
            else:
                p.rmdir()
        except OSError:
            continue
    with contextlib.suppress(OSError):
        folder.rmdir()
    return removed


def _encode(result: Result) -> dict[str, Any]:
    shown = {d.loc.path for d in result.diagnostics}
    return {
        "files": result.files,
        "notices": list(result.notices),
        "sources": {k: v for k, v in result.sources.items() if k in shown},
        "diagnostics": [
            {
                "code": d.code,
                "message": d.message,
                "name": d.name,
                "severity": int(d.severity),
                "loc": _loc_json(d.loc),
                "notes": list(d.notes),
                "fix": None
                if d.fix is None
                else {
                    "applicability": d.fix.applicability,
                    "message": d.fix.message,
                    "edits": [{"loc": _loc_json(e.loc), "content": e.content} for e in d.fix.edits],
                },
            }
            for d in result.diagnostics
        ],
    }


def _loc_json(loc: Loc) -> list[Any]:
    return [loc.path, loc.line, loc.col, loc.end_line, loc.end_col, loc.cell, loc.cell_line, loc.cell_end_line]


def _decode(data: dict[str, Any]) -> Result:
    diags = []
    for d in data["diagnostics"]:
        fix = d["fix"]
        diags.append(
            Diagnostic(
                d["code"],
                d["message"],
                Loc(*d["loc"]),
                d["name"],
                Severity(d["severity"]),
                None
                if fix is None
                else Fix(fix["applicability"], fix["message"], tuple(Edit(Loc(*e["loc"]), e["content"]) for e in fix["edits"])),
                tuple(d["notes"]),
                group_of(d["code"]),
            )
        )
    return Result(diags, int(data["files"]), dict(data["sources"]), [str(n) for n in data.get("notices", [])])
