"""The performance shortcuts answer exactly what the slow paths they replace answered."""

from __future__ import annotations

import ast
import gc
import random
import textwrap
from pathlib import Path

import pytest

from rnnlint.analysis.pyindex import ModuleInfo, expr_text, parse_module
from rnnlint.run.engine import collector_paused
from rnnlint.run.units import RELEVANT, ModuleFinder, is_relevant
from rnnlint.settings.model import Settings

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


def _module(source: str) -> ModuleInfo:
    info = parse_module(textwrap.dedent(source).encode(), "/x/m.py", "m.py")
    assert isinstance(info, ModuleInfo)
    return info


def _full_parents(tree: ast.AST) -> dict[int, ast.AST]:
    # contexts and operators are shared singletons (one Load() for the whole tree): they have no one parent
    shared = (ast.expr_context, ast.operator, ast.unaryop, ast.boolop, ast.cmpop)
    return {id(c): node for node in ast.walk(tree) for c in ast.iter_child_nodes(node) if not isinstance(c, shared)}


def test_relevance_scan_matches_the_regex_on_fixtures_and_odd_bytes() -> None:
    blobs = [p.read_bytes() for p in sorted(FIXTURES.rglob("*.py"))]
    rng = random.Random(7)
    parts = [b"RNN", b"gru", b"optim", b"x", b"_", b" ", b"9", b"\xff", b"(", b"GRU", b"Rnn", b"optimize"]
    blobs += [b"".join(rng.choice(parts) for _ in range(rng.randint(0, 5))) for _ in range(20_000)]
    for blob in blobs:
        assert is_relevant(blob) == (RELEVANT.search(blob) is not None), blob[:80]


@pytest.mark.parametrize("text", ["x", "self.lstm", "a.b.c", "f(x).y", "x[0].z", "(a, b)", "a.b[1]", "(1).real"])
def test_expr_text_is_unparse(text: str) -> None:
    node = ast.parse(text, mode="eval").body
    assert expr_text(node) == ast.unparse(node)


def test_lazy_parents_answer_as_a_full_table() -> None:
    source = (FIXTURES / "sentiment" / "train.py").read_text()
    info = _module(source)
    full = _full_parents(info.tree)
    parents = info.parents()
    for site in info.calls:  # the walks the analysis does: from a call up to its statement
        node: ast.AST | None = site.node
        while node is not None and not isinstance(node, ast.stmt):
            assert parents.get(id(node)) is full.get(id(node))
            node = parents.get(id(node))
    for key, parent in full.items():  # and any other question fills the whole table
        assert parents.get(key) is parent
    assert parents.get(id(info.tree)) is None


def test_enclosing_ifs_stop_at_the_function_as_a_parents_walk_did() -> None:
    info = _module(
        """
        if A:
            @deco(f1())
            def g(x=f2()):
                if B:
                    f3()
                elif C:
                    f4()
                else:
                    f5()
                return lambda: f6() if D else None
        else:
            f7()
        while f8():
            pass
        """
    )
    full = _full_parents(info.tree)

    def by_walk(call: ast.Call) -> list[tuple[ast.If, bool]]:
        out: list[tuple[ast.If, bool]] = []
        child: ast.AST = call
        parent = full.get(id(child))
        while parent is not None and not isinstance(parent, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Module)):
            if isinstance(parent, ast.If) and (child in parent.body or child in parent.orelse):
                out.append((parent, child in parent.body))
            child, parent = parent, full.get(id(parent))
        return out[::-1]

    sites = [*info.calls, *info.main_calls]
    assert len(sites) == 9
    for site in sites:
        assert list(site.ifs) == by_walk(site.node), ast.unparse(site.node)


def test_collector_paused_restores_the_collector() -> None:
    assert gc.isenabled()
    with collector_paused():
        assert not gc.isenabled()
        with collector_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert gc.isenabled()
    gc.disable()
    try:
        with collector_paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_module_finder_reads_folders_as_the_stat_lookups_did(tmp_path: Path) -> None:
    (tmp_path / "pkg" / "sub").mkdir(parents=True)
    (tmp_path / "pkg" / "__init__.py").write_text("")
    (tmp_path / "pkg" / "sub" / "__init__.py").write_text("")
    (tmp_path / "pkg" / "sub" / "mod.py").write_text("")
    (tmp_path / "helpers.py").write_text("")
    (tmp_path / "notafile.py").mkdir()
    train = tmp_path / "train.py"
    train.write_text("")
    finder = ModuleFinder([tmp_path])
    finder.add_files([train])
    assert finder.find(train, "helpers", 0) == str((tmp_path / "helpers.py").resolve())
    assert finder.find(train, "pkg.sub.mod", 0) == str((tmp_path / "pkg" / "sub" / "mod.py").resolve())
    assert finder.find(train, "pkg.sub", 0) == str((tmp_path / "pkg" / "sub" / "__init__.py").resolve())
    assert finder.find(train, "notafile", 0) is None
    assert finder.find(train, "torch", 0) is None
    assert finder.find(tmp_path / "pkg" / "sub" / "mod.py", "", 2) == str((tmp_path / "pkg" / "__init__.py").resolve())


def test_real_paths_resolve_as_path_resolve(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from rnnlint.run.runner import real_paths

    (tmp_path / "pkg" / "sub").mkdir(parents=True)
    (tmp_path / "pkg" / "a.py").write_text("x = 1\n")
    (tmp_path / "pkg" / "sub" / "b.py").write_text("y = 2\n")
    (tmp_path / "linked").symlink_to(tmp_path / "pkg")  # a folder link
    (tmp_path / "pkg" / "alias.py").symlink_to(tmp_path / "pkg" / "sub" / "b.py")  # a file link
    (tmp_path / "pkg" / "dangling.py").symlink_to(tmp_path / "nowhere.py")
    monkeypatch.chdir(tmp_path / "pkg")
    files = [
        Path("a.py"),
        Path("./sub/b.py"),
        Path("sub/../a.py"),
        Path("../linked/a.py"),
        Path("../linked/sub/b.py"),
        Path("alias.py"),
        Path("dangling.py"),
        Path("missing.py"),
        tmp_path / "linked" / "sub" / ".." / "a.py",
        tmp_path / "pkg" / "sub" / "b.py",
    ]
    expected: dict[str, Path] = {}
    for f in files:
        expected[str(f.resolve())] = f
    assert real_paths(files) == expected
    assert list(real_paths(files)) == list(expected)


def _tree_with_links(root: Path) -> list[str]:
    """Folders, nested configs and symlinks (to a folder, to a file, dangling, chained); every path to ask about."""
    (root / "proj" / "pkg" / "sub").mkdir(parents=True)
    (root / "proj" / "other").mkdir()
    (root / "proj" / "pyproject.toml").write_text("[tool.rnnlint]\nselect = ['RNN1']\n")
    (root / "proj" / "pkg" / "rnnlint.toml").write_text("select = ['RNN2']\n")
    (root / "proj" / "other" / "pyproject.toml").write_text("[tool.black]\n")  # not rnnlint's: keeps looking up
    for rel in ("proj/a.py", "proj/pkg/b.py", "proj/pkg/sub/c.py", "proj/other/d.py"):
        (root / rel).write_text("x = 1\n")
    (root / "link_pkg").symlink_to(root / "proj" / "pkg")
    (root / "proj" / "other" / "c_alias.py").symlink_to(root / "proj" / "pkg" / "sub" / "c.py")
    (root / "proj" / "dangling.py").symlink_to(root / "nowhere" / "x.py")
    (root / "chain").symlink_to(root / "link_pkg")
    names = [
        "proj/a.py", "proj/pkg/b.py", "proj/pkg/sub/c.py", "proj/other/d.py", "link_pkg/b.py", "link_pkg/sub/c.py",
        "chain/sub/c.py", "chain/sub/../b.py", "proj/other/c_alias.py", "proj/dangling.py", "proj/missing.py",
        "proj/pkg", "proj/pkg/", "link_pkg", "chain/sub", "proj/./pkg/sub/c.py", "proj//pkg/b.py", "proj/pkg/sub/..",
        ".", "proj/other/../a.py",
    ]  # fmt: skip
    return [*names, *(str(root / n) for n in names)]


def test_real_path_is_realpath(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    from rnnlint.settings.files import real_path

    names = _tree_with_links(tmp_path)
    monkeypatch.chdir(tmp_path)
    folders: dict[str, str] = {}
    for name in names * 2:  # the second round is served from the remembered folders
        assert real_path(name, folders) == os.path.realpath(name), name
    deep = "/".join(["d"] * 80) + "/x.py"
    assert real_path(deep, {}) == os.path.realpath(deep)


def test_config_finder_answers_as_a_resolve_and_walk_up(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from rnnlint.settings.files import ConfigFinder, RunSettings, enabled_here

    def slow_find(start: Path) -> Path | None:  # the lookup as it was: resolve, then every parent
        here = start.resolve()
        if here.is_file() or not here.exists():
            here = here.parent
        for folder in [here, *here.parents]:
            for name in ("rnnlint.toml", ".rnnlint.toml"):
                if (folder / name).is_file():
                    return folder / name
            if (folder / "pyproject.toml").is_file() and "[tool.rnnlint]" in (folder / "pyproject.toml").read_text():
                return folder / "pyproject.toml"
        return None

    names = _tree_with_links(tmp_path)
    monkeypatch.chdir(tmp_path)
    finder = ConfigFinder()
    settings = RunSettings.of(Settings.model_validate({"per-file-ignores": {"sub/*.py": ["RNN1"], "b.py": ["RNN2"]}}))
    for name in names * 2:
        config = slow_find(Path(name))
        assert finder.find(name) == config, name
        assert finder.find(Path(name)) == config, name
        if config is None:
            continue
        try:
            rel = Path(name).resolve().relative_to(config.resolve().parent).as_posix()
        except ValueError:
            rel = name
        for code in ("RNN101", "RNN201", "RNN301"):
            slow = settings.enabled(code, rel) and settings.enabled(code, name)
            assert enabled_here(settings, config, code, name, finder) == slow, (name, code)
            assert enabled_here(settings, config, code, name) == slow, (name, code)
