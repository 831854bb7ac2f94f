"""Training units: a script plus the local modules it imports, analysed together."""

from __future__ import annotations

import ast
import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from rnnlint.read.source import SourceError

if TYPE_CHECKING:  # the parser is imported where modules are analysed: the cached path only scans bytes
    from rnnlint.analysis.pyindex import ModuleInfo

# A cheap look at the bytes decides whether a file can matter at all.
RELEVANT = re.compile(
    rb"torch|tensorflow|keras|lightning|flax|optax|jax|LSTM|lstm|Lstm|GRU|\bgru\b|\bRNN|rnn|Trainer|\.backward\(|clip_grad"
    rb"|speechbrain|hidden_size|\boptim\b",
    re.ASCII,
)
# Plain substrings: finding one of _SURE is a RELEVANT match, and without them RELEVANT matches exactly where a
# _BOUNDED word does. `in` and find() on bytes are many times faster than the regex (on library code above all).
_SURE = (
    b"torch", b"tensorflow", b"keras", b"lightning", b"flax", b"optax", b"jax", b"LSTM", b"lstm", b"Lstm", b"GRU",
    b"rnn", b"Trainer", b".backward(", b"clip_grad", b"speechbrain", b"hidden_size",
)  # fmt: skip
_BOUNDED = ((b"RNN", False), (b"gru", True), (b"optim", True))  # \bRNN, \bgru\b, \boptim\b
_WORD_BYTES = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_")


def is_relevant(data: bytes) -> bool:
    """``RELEVANT.search(data) is not None``, without the regex."""
    if any(part in data for part in _SURE):
        return True
    return any(_has_word(data, word, bounded_after) for word, bounded_after in _BOUNDED)


def _has_word(data: bytes, word: bytes, bounded_after: bool) -> bool:
    at = data.find(word)
    while at != -1:
        end = at + len(word)
        if (at == 0 or data[at - 1] not in _WORD_BYTES) and (
            not bounded_after or end == len(data) or data[end] not in _WORD_BYTES
        ):
            return True
        at = data.find(word, at + 1)
    return False


_IMPORT = re.compile(rb"^[ \t]*(?:from[ \t]+(\.*)([\w.]*)[ \t]+import|import[ \t]+([\w.]+))", re.M)

Loader = Callable[[Path], "ModuleInfo | SourceError | None"]

# Folders whose listing an import lookup depended on since the finder's caches were last cleared: the runner's index
# reuses an import grouping only while none of them changed (a new `utils.py` next to a script can shadow another).
CONSULTED: set[str] = set()


@dataclass
class Unit:
    entry: ModuleInfo
    modules: list[ModuleInfo] = field(default_factory=list)


class ModuleFinder:
    """Resolves imports to local files, searching next to the importer and its package roots."""

    def __init__(self, roots: list[Path]) -> None:
        self.roots = [r.resolve() for r in roots]
        self._cache: dict[tuple[str, str, int], str | None] = {}
        self._tops: dict[str, set[Path]] = {}  # top-level package/module name -> folders holding it
        self._dirs: dict[str, list[str]] = {}  # folder -> where its absolute imports are searched
        _module_file.cache_clear()  # files may have come or gone since the last run (the LSP server lives long)
        _entries.cache_clear()
        _package_top.cache_clear()
        _module_count.cache_clear()
        CONSULTED.clear()

    def add_files(self, files: list[Path]) -> None:
        """Remember where the linted files' packages start, as a script's sys.path[0] would see them."""
        for f in files:
            path = f.resolve()
            child = path.with_suffix("") if path.suffix == ".py" else path
            for parent in path.parents:
                self._tops.setdefault(child.name, set()).add(parent)
                child = parent
                if len(self._tops.get(child.name, ())) > 64:
                    break

    def __call__(self, mod: ModuleInfo, dotted: str, level: int) -> str | None:
        key = (os.path.dirname(mod.path), dotted, level)
        if key in self._cache:  # before building a Path: the resolver asks this for every imported name it meets
            return self._cache[key]
        return self.find(Path(mod.path), dotted, level)

    def find(self, importer: Path, dotted: str, level: int) -> str | None:
        """The local file that ``importer``'s import of ``dotted`` (at ``level``) names, if any."""
        key = (os.path.dirname(importer), dotted, level)  # the answer depends on the importer's folder only
        if key not in self._cache:
            self._cache[key] = self._find(importer, dotted, level)
        return self._cache[key]

    def _find(self, importer: Path, dotted: str, level: int) -> str | None:
        hit = self._find_file(importer, dotted, level)
        if hit is not None and summarised(hit, str(importer.parent)):
            return None  # a big package's module reads as an installed library's name (`flax.linen.LSTMCell`)
        return hit

    def _find_file(self, importer: Path, dotted: str, level: int) -> str | None:
        folder = importer.parent
        if level == -1:  # a submodule of the package `importer` initialises
            return _module_file(str(folder), dotted)
        if level > 0:
            for _ in range(level - 1):
                folder = folder.parent
            if dotted:
                return _module_file(str(folder), dotted)
            CONSULTED.add(str(folder))
            return _existing(os.path.join(folder, "__init__.py"))
        for base in self._search_dirs(folder):
            hit = _module_file(base, dotted)
            if hit:
                return hit
        for top in sorted(self._tops.get(dotted.split(".")[0], ())):
            hit = _module_file(str(top), dotted)
            if hit:
                return hit
        return None

    def _search_dirs(self, folder: Path) -> list[str]:
        key = str(folder)
        if key not in self._dirs:
            self._dirs[key] = [str(d) for d in self._compute_search_dirs(folder)]
        return self._dirs[key]

    def _compute_search_dirs(self, folder: Path) -> list[Path]:
        dirs = [folder]
        top = folder
        CONSULTED.add(str(top))
        while (top / "__init__.py").is_file() and top.parent != top:
            top = top.parent
            dirs.append(top)
            CONSULTED.add(str(top))
        for extra in (folder / "src", *self.roots):
            if extra not in dirs:
                dirs.append(extra)
        return dirs


BIG_PACKAGE_MODULES = 40  # a local package with this many modules or more is a library, summarised by its names


def summarised(module: str, importer_folder: str) -> bool:
    """Is ``module`` (a resolved file) part of a big local package, seen from outside its own folder?

    A repository's own library (flax/, 100k lines; nemo/, speechbrain/) is imported by every example, test and notebook
    beside it; pulling it into each of their units made every unit the size of the library. Seen from outside its
    folder, such a package is read as if installed: its names are dotted names (``flax.linen.LSTMCell``), which the
    API tables know, and values do not flow from a test or an example into the library's code. Modules of one folder
    still form units together, so a library module is judged with its siblings only.
    """
    folder = os.path.dirname(module)
    if folder == importer_folder:
        return False
    top = _package_top(folder)
    return top is not None and _module_count(top) >= BIG_PACKAGE_MODULES


def library_module(path: str) -> bool:
    """Is ``path`` (resolved) a module of a big local package, i.e. a library's code rather than a training script?"""
    top = _package_top(os.path.dirname(path))
    return top is not None and _module_count(top) >= BIG_PACKAGE_MODULES


_TEST_FOLDERS = frozenset({"tests", "test"})


def test_module(path: Path, roots: list[Path]) -> bool:
    """Test code (``tests/``, ``test_*.py``, ``*_test.py``, ``conftest.py``): its tiny sizes and one-step loops are
    fixtures for the code under test, not a training run. Folders count from the lint root only (a project may live
    under a folder named ``test``)."""
    name = path.name
    path = Path(os.path.abspath(path))
    if name.startswith("test_") or name.endswith(("_test.py", "_test.ipynb")) or name == "conftest.py":
        return True
    for root in roots:
        try:
            rel = path.relative_to(root)
        except ValueError:
            continue
        return bool(_TEST_FOLDERS & set(rel.parts[:-1]))
    return False


@lru_cache(maxsize=4096)
def _package_top(folder: str) -> str | None:
    """The outermost folder of the regular package holding ``folder`` (None: not in a package)."""
    if "__init__.py" not in _entries(folder):
        return None
    top = folder
    while True:
        parent = os.path.dirname(top)
        if parent == top or "__init__.py" not in _entries(parent):
            return top
        top = parent


@lru_cache(maxsize=1024)
def _module_count(top: str) -> int:
    """Python modules under a package folder, counted up to BIG_PACKAGE_MODULES (a bounded walk)."""
    count = 0
    for _folder, dirs, files in os.walk(top):
        dirs[:] = [d for d in dirs if not d.startswith(".") and d != "__pycache__"]
        count += sum(1 for f in files if f.endswith(".py"))
        if count >= BIG_PACKAGE_MODULES:
            break
    CONSULTED.add(top)
    return count


def local_import_names(data: bytes) -> list[tuple[int, str]]:
    """(level, dotted) of each import statement, by a byte scan (no parse)."""
    out = []
    for m in _IMPORT.finditer(data):
        if m.group(3) is not None:
            out.append((0, m.group(3).decode("ascii", "replace")))
        else:
            out.append((len(m.group(1)), m.group(2).decode("ascii", "replace")))
    return out


@lru_cache(maxsize=65536)
def _module_file(base: str, dotted: str) -> str | None:
    parts = [p for p in dotted.split(".") if p]
    if not parts:
        return None
    parent = base
    CONSULTED.add(base)  # every folder listed on the way: an entry created in one can make the module appear
    for part in parts[:-1]:
        if part not in _entries(parent):
            return None
        parent = os.path.join(parent, part)
        CONSULTED.add(parent)
    if not _entries(parent) & {parts[-1], f"{parts[-1]}.py"}:
        return None  # one listing per folder instead of two stats per import (most imports are not local)
    stem = os.path.join(parent, parts[-1])  # strings, not Paths: this runs for every import of every file
    CONSULTED.add(stem)
    return _existing(stem + ".py") or _existing(os.path.join(stem, "__init__.py"))


@lru_cache(maxsize=4096)
def _entries(folder: str) -> frozenset[str]:
    try:
        return frozenset(os.listdir(folder))
    except (OSError, ValueError):
        return frozenset()


def _existing(path: str) -> str | None:
    return os.path.realpath(path) if os.path.isfile(path) else None


def local_imports(mod: ModuleInfo, finder: ModuleFinder) -> list[str]:
    """Paths of the unit-local modules that ``mod`` imports."""
    out: list[str] = []
    for ref in [*mod.imports.values(), *mod.star_imports]:
        hits = []
        if ref.name is not None:
            full = f"{ref.module}.{ref.name}" if ref.module else ref.name
            hits.append(finder(mod, full, ref.level))
        if ref.module or ref.level:
            hits.append(finder(mod, ref.module, ref.level))
        for hit in hits:
            if hit and hit != mod.path and hit not in out:
                out.append(hit)
                break
    return out


def build_units(modules: dict[str, ModuleInfo], load: Loader, finder: ModuleFinder, max_modules: int = 64) -> list[Unit]:
    """Split the linted modules into units; imported local modules join their importer's unit."""
    from rnnlint.analysis.pyindex import ModuleInfo

    imports: dict[str, list[str]] = {}

    def closure(start: ModuleInfo) -> list[ModuleInfo]:
        order, queue = [start], [start]
        seen = {start.path}
        while queue and len(order) < max_modules:
            mod = queue.pop(0)
            if mod.path not in imports:
                imports[mod.path] = local_imports(mod, finder)
            for path in imports[mod.path]:
                if path in seen:
                    continue
                seen.add(path)
                dep = modules.get(path) or load(Path(path))
                if isinstance(dep, ModuleInfo):
                    order.append(dep)
                    queue.append(dep)
        return order

    closures = {path: closure(mod) for path, mod in modules.items()}
    imported = {m.path for path, mods in closures.items() for m in mods[1:]}
    units = []
    entries = [path for path in closures if path not in imported]
    covered = {m.path for path in entries for m in closures[path]}
    for path in closures:  # import cycles: a module nobody outside the cycle imports still gets a unit
        if path not in covered:
            entries.append(path)
            covered |= {m.path for m in closures[path]}
    for path, mods in closures.items():
        mod = modules[path]
        if path in entries:  # an imported module is analysed inside each unit that imports it
            # the entry runs as a script: its main-guarded code counts, that of imported modules does not
            entry = (
                replace(mod, calls=sorted([*mod.calls, *mod.main_calls], key=lambda c: c.order), includes_main=True)
                if _runs_training(mod)
                else mod
            )
            units.append(Unit(entry, [entry, *mods[1:]]))
    return units


_TRAINING_CALLS = {"backward", "fit", "step", "minimize", "apply_gradients", "train", "main", "run"}


def _runs_training(mod: ModuleInfo) -> bool:
    """Does the main-guarded block train (or call the module's own functions), rather than smoke-test a layer?"""
    for site in mod.main_calls:
        fn = site.node.func
        if isinstance(fn, ast.Attribute) and fn.attr in _TRAINING_CALLS:
            return True
        if isinstance(fn, ast.Name) and (fn.id in mod.scopes or fn.id in _TRAINING_CALLS):
            return True
    return False
