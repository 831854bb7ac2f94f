"""The API knowledge table: framework qualified names -> role and parameters.

Rules never name a framework API; they read facts built from this table. Each row
gives a role (what the API is for), a ``kind`` inside that role (the cell type,
optimizer family, loss kind ...), the signature as Python source (positions and
defaults come from it) and, where a framework spells a parameter differently,
the canonical name rules read. Adding a framework is adding rows.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from rnnlint.knowledge.rows import Row
from rnnlint.values import _MISSING


@dataclass(frozen=True)
class ParamSpec:
    canonical: str
    name: str
    position: int | None  # None: keyword-only
    default: Any = _MISSING


@dataclass(frozen=True)
class ApiSpec:
    qname: str
    role: str
    kind: str
    framework: str
    params: tuple[ParamSpec, ...]
    extra: dict[str, Any] = field(default_factory=dict)

    def param(self, canonical: str) -> ParamSpec | None:
        for p in self.params:
            if p.canonical == canonical:
                return p
        return None


def _rows() -> list[Row]:
    from rnnlint.knowledge import jax_api, keras_api, tf_api, torch_api

    return [*torch_api.ROWS, *keras_api.ROWS, *tf_api.ROWS, *jax_api.ROWS]


@cache
def _table() -> dict[str, ApiSpec]:
    table: dict[str, ApiSpec] = {}
    for role, kind, framework, names, sig, renames, extra in _rows():
        params = _parse_signature(sig, renames)
        spec = ApiSpec(names[0], role, kind, framework, params, dict(extra))
        for name in names:
            table[name] = spec
    return table


def _parse_signature(sig: str, renames: dict[str, str]) -> tuple[ParamSpec, ...]:
    fn = ast.parse(f"def f({sig}): pass").body[0]
    assert isinstance(fn, ast.FunctionDef)
    args = fn.args
    out: list[ParamSpec] = []
    defaults: list[ast.expr | None] = [None] * (len(args.args) - len(args.defaults)) + list(args.defaults)
    for i, (a, d) in enumerate(zip(args.args, defaults, strict=False)):
        out.append(ParamSpec(renames.get(a.arg, a.arg), a.arg, i, _MISSING if d is None else ast.literal_eval(d)))
    for a, kd in zip(args.kwonlyargs, args.kw_defaults, strict=False):
        out.append(ParamSpec(renames.get(a.arg, a.arg), a.arg, None, _MISSING if kd is None else ast.literal_eval(kd)))
    return tuple(out)


def lookup(qname: str | None) -> ApiSpec | None:
    """The table row for a fully qualified name, or None."""
    if qname is None:
        return None
    return _table().get(qname)


def all_specs() -> list[ApiSpec]:
    """Every distinct row (for docs and tests)."""
    seen: dict[int, ApiSpec] = {}
    for spec in _table().values():
        seen[id(spec)] = spec
    return list(seen.values())


# Upper bound of a sensible initial learning rate per optimizer family (RNN206).
LR_BOUNDS: dict[str, float] = {
    "adam": 0.01,
    "rmsprop": 0.01,
    "adagrad": 0.1,
    "adadelta": 10.0,
    "rprop": 0.1,
    "sgd": 1.0,
    "sgd_averaged": 1.0,
}
