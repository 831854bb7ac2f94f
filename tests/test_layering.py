"""The package's layout is its pipeline: a stage imports only the stages below it, and no modules import each other.

read -> analysis -> facts -> checks -> fix -> report, driven by run, with settings below them all. Every
import counts, also one inside a function or under ``TYPE_CHECKING``: a lazy import is still a dependency.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "rnnlint"

# The stages, lowest first. A module may import its own stage and any stage of a lower rank; stages of the
# same rank are independent of each other.
RANKS: dict[str, int] = {
    "rnnlint": 0,  # the package itself (its version)
    "rnnlint.diagnostics": 0,  # the finding model every stage passes on
    "rnnlint.values": 0,  # values with provenance
    "rnnlint.ruledocs": 0,  # the rule docs' front matter (codes, groups), read by settings and checks
    "rnnlint.settings": 1,
    "rnnlint.read": 2,
    "rnnlint.facts": 3,
    "rnnlint.knowledge": 3,
    "rnnlint.analysis": 4,
    "rnnlint.checks": 5,
    "rnnlint.fix": 6,
    "rnnlint.report": 7,
    "rnnlint.run": 7,
    "rnnlint.reference": 8,  # the reference trainers (they read the recipe schema)
    "rnnlint.diagnose": 8,  # `rnnlint diagnose`: training logs, runtime findings, live callbacks
    "rnnlint.lsp": 8,  # the language server, the flake8 plugin: entry points beside the CLI
    "rnnlint.flake8_plugin": 8,
    "rnnlint.tune": 9,  # hyperparameter search: trains reference recipes, reads scripts through the analysis
    "rnnlint.cli": 10,
    "rnnlint.__main__": 11,
}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _stage(module: str) -> str:
    """The longest stage name that is ``module`` or a package holding it."""
    best = max((s for s in RANKS if module == s or module.startswith(s + ".")), key=len, default=None)
    if best is None:
        raise AssertionError(f"{module} belongs to no stage: add it to a stage package (or to RANKS)")
    return best


def _imports(path: Path, module: str) -> set[str]:
    """Every rnnlint module ``path`` imports, wherever the import statement is."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.split(".")[0] == "rnnlint")
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                target = ".".join([*base, node.module] if node.module else base)
            else:
                target = node.module or ""
            if target.split(".")[0] != "rnnlint":
                continue
            for alias in node.names:  # `from rnnlint.fix import apply` imports the module rnnlint.fix.apply
                sub = f"{target}.{alias.name}"
                found.add(sub if _is_module(sub) else target)
    return found


def _is_module(name: str) -> bool:
    rel = Path(*name.split("."))
    return (PACKAGE.parent / rel).with_suffix(".py").is_file() or (PACKAGE.parent / rel / "__init__.py").is_file()


def _graph() -> dict[str, set[str]]:
    return {_module_name(p): _imports(p, _module_name(p)) for p in sorted(PACKAGE.rglob("*.py"))}


def layer_violations(graph: dict[str, set[str]]) -> list[str]:
    bad = []
    for module, targets in sorted(graph.items()):
        own = _stage(module)
        for target in sorted(targets):
            stage = _stage(target)
            if stage != own and RANKS[stage] >= RANKS[own] and not (own.startswith(stage + ".") or stage == "rnnlint"):
                bad.append(f"{module} (stage {own}, rank {RANKS[own]}) imports {target} (stage {stage}, rank {RANKS[stage]})")
    return bad


def import_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan), or a module importing itself."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph.get(v, ()):
            if w not in graph:
                continue
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                comp.append(w)
                if w == v:
                    break
            # a package importing its own submodules (registration) is not a cycle of two modules
            if len(comp) > 1:
                cycles.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return cycles


def test_every_module_imports_only_its_stage_and_the_stages_below() -> None:
    assert layer_violations(_graph()) == []


def test_no_modules_import_each_other() -> None:
    assert import_cycles(_graph()) == []


def test_every_module_belongs_to_a_stage() -> None:
    for module in _graph():
        _stage(module)


@pytest.mark.parametrize(
    ("graph", "kind"),
    [
        ({"rnnlint.read.source": {"rnnlint.analysis.pyindex"}, "rnnlint.analysis.pyindex": set()}, "layer"),
        ({"rnnlint.run.engine": {"rnnlint.report.formats"}, "rnnlint.report.formats": set()}, "layer"),  # peers
        ({"rnnlint.fix.a": {"rnnlint.fix.b"}, "rnnlint.fix.b": {"rnnlint.fix.a"}}, "cycle"),
        ({"rnnlint.fix.a": {"rnnlint.fix.b"}, "rnnlint.fix.b": {"rnnlint.fix.c"}, "rnnlint.fix.c": {"rnnlint.fix.a"}}, "cycle"),
    ],
)
def test_the_checks_catch_a_planted_violation(graph: dict[str, set[str]], kind: str) -> None:
    """The two checks above would fail on an upward import, an import between peer stages, or a cycle."""
    assert (layer_violations(graph) if kind == "layer" else import_cycles(graph)) != []


def test_allowed_imports_pass() -> None:
    graph = {
        "rnnlint.analysis.pyfacts": {"rnnlint.read.source", "rnnlint.facts", "rnnlint.knowledge", "rnnlint.analysis.steps"},
        "rnnlint.analysis.steps": set(),
        "rnnlint.cli": {"rnnlint.run.engine", "rnnlint.report.formats", "rnnlint"},
    }
    assert layer_violations(graph) == [] and import_cycles(graph) == []
