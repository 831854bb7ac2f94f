"""Search spaces: the guidelines' ranges per hyperparameter, and ``--space`` files that override them.

A space is a list of :class:`Dimension`: an Optuna parameter name, its range (:class:`Param`), and where a
trial's value goes (a recipe key such as ``model.hidden_size``, a script flag such as ``--hidden``, or a
Hydra-style ``key=value`` override). Nothing here imports Optuna: :func:`suggest` takes the trial as it is.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, ValidationError, model_validator

from rnnlint.read.source import SourceError
from rnnlint.read.yamlnodes import YMap, YNode, YSeq, load, to_python

Scalar = str | int | float | bool


class SpaceError(ValueError):
    """A space that cannot be used (malformed file, unknown name): the user's input, exit 2."""


class Param(BaseModel):
    """One dimension's range, as a ``--space`` file writes it."""

    model_config = ConfigDict(extra="forbid")

    type: Literal["int", "float", "categorical", "fixed"]
    low: float | None = None
    high: float | None = None
    step: float | None = None
    log: bool = False
    choices: list[Scalar] | None = None
    value: Scalar | None = None
    grid: list[Scalar] | None = None  # the values the grid sampler tries (default: low, middle, high)

    @model_validator(mode="after")
    def _consistent(self) -> Param:
        if self.type in ("int", "float"):
            if self.low is None or self.high is None:
                raise ValueError(f"a {self.type} range needs low and high")
            if not self.low < self.high:
                raise ValueError(f"low ({self.low:g}) must be below high ({self.high:g})")
            if self.log and self.low <= 0:
                raise ValueError("a log range needs low > 0")
            if self.log and self.step is not None:
                raise ValueError("a log range cannot have a step")
            if self.type == "int" and not (float(self.low).is_integer() and float(self.high).is_integer()):
                raise ValueError("an int range needs whole low and high")
        elif self.type == "categorical":
            if not self.choices:
                raise ValueError("a categorical dimension needs a non-empty list of choices")
        elif self.value is None:
            raise ValueError("a fixed dimension needs a value")
        return self

    def grid_values(self) -> list[Scalar]:
        """The values the grid sampler tries."""
        if self.grid:
            return list(self.grid)
        if self.type == "fixed":
            return [self.value] if self.value is not None else []
        if self.type == "categorical":
            return list(self.choices or [])
        low, high = float(self.low or 0), float(self.high or 0)
        middle = math.sqrt(low * high) if self.log else (low + high) / 2
        values: list[Scalar] = [low, middle, high]
        if self.type == "int":
            step = int(self.step or 1)
            values = sorted({int(low) + step * round((v - low) / step) for v in (low, middle, high)})
        return values

    def describe(self) -> str:
        if self.type == "fixed":
            return f"fixed {self.value!r}"
        if self.type == "categorical":
            return "one of " + ", ".join(str(c) for c in self.choices or [])
        kind = "log " if self.log else ""
        step = f" step {self.step:g}" if self.step else ""
        return f"{self.type} {kind}{self.low:g}..{self.high:g}{step}"


@dataclass(frozen=True)
class Hyper:
    """A guideline hyperparameter: its range, where rnnlint's recipe keeps it, and why."""

    name: str
    recipe_key: str
    param: Param
    why: str


GUIDELINES: tuple[Hyper, ...] = (
    Hyper("hidden_size", "model.hidden_size", Param(type="int", low=128, high=512, step=64), "D4: 128-512 units"),
    Hyper("num_layers", "model.num_layers", Param(type="int", low=2, high=3), "D3: 2-3 stacked layers"),
    Hyper("dropout", "model.dropout", Param(type="float", low=0.3, high=0.7), "D7: dropout 0.3-0.7"),
    Hyper(
        "optimizer",
        "optim.name",
        Param(type="categorical", choices=["adam", "rmsprop", "adadelta"]),
        "D10: Adam, RMSprop or Adadelta",
    ),
    Hyper(
        "lr",
        "optim.lr",
        Param(type="float", low=1e-4, high=1e-2, log=True, grid=[1e-4, 1e-3, 1e-2]),
        "D6.3: a log range, lower for long sequences (Adadelta keeps 1.0)",
    ),
    Hyper("clip_norm", "optim.clip_norm", Param(type="float", low=2.5, high=10.0, log=True, grid=[5.0]), "D6.4: global norm ~5"),
    Hyper("decay_factor", "schedule.factor", Param(type="fixed", value=0.5), "D6.2: x0.5 on a validation plateau"),
)
BY_NAME = {h.name: h for h in GUIDELINES}
BY_RECIPE_KEY = {h.recipe_key: h for h in GUIDELINES}
# Adadelta adapts its own step sizes: its learning rate is a multiplier that stays 1.0, so `lr` is searched
# only for the other optimizers (a conditional dimension).
ADADELTA_LR = 1.0


@dataclass(frozen=True)
class Dimension:
    """One searched (or pinned) value of a space."""

    name: str  # the Optuna parameter name
    param: Param
    target: str  # a recipe key ("model.hidden_size"), a flag ("--hidden") or an override key ("model.hidden")
    hyper: str | None = None  # the guideline hyperparameter it is, if any
    why: str = ""
    default: Any = None  # the value the recipe or script uses without tuning (None: unknown)
    provenance: str = ""  # where rnnlint found the target ("argparse default of --hidden, train.py:6")


def suggest(trial: Any, space: list[Dimension]) -> dict[str, Any]:
    """The trial's value for every dimension (Optuna's ``trial.suggest_*``; fixed values as they are)."""
    values: dict[str, Any] = {}
    optimizer = next((d for d in space if d.hyper == "optimizer"), None)
    for dim in sorted(space, key=lambda d: d.hyper != "optimizer"):  # the optimizer first: lr depends on it
        p = dim.param
        if dim.hyper == "lr" and optimizer is not None and str(values.get(optimizer.name)) == "adadelta":
            values[dim.name] = ADADELTA_LR
        elif p.type == "fixed":
            values[dim.name] = p.value
        elif p.type == "categorical":
            values[dim.name] = trial.suggest_categorical(dim.name, list(p.choices or []))
        elif p.type == "int":
            values[dim.name] = trial.suggest_int(dim.name, int(p.low or 0), int(p.high or 0), step=int(p.step or 1), log=p.log)
        else:
            values[dim.name] = trial.suggest_float(dim.name, float(p.low or 0), float(p.high or 0), step=p.step, log=p.log)
    return {d.name: values[d.name] for d in space}


def grid_space(space: list[Dimension]) -> dict[str, list[Scalar]]:
    """The grid sampler's search space (fixed dimensions are not searched)."""
    return {d.name: d.param.grid_values() for d in space if d.param.type != "fixed"}


def grid_size(space: list[Dimension]) -> int:
    return math.prod(len(v) for v in grid_space(space).values())


# -- space files ----------------------------------------------------------------------------------


def load_space_file(path: Path) -> dict[str, tuple[Param, int]]:
    """A ``--space`` file: a mapping of names to ranges; each range's line, for messages.

    Errors name the file, line and column: ``space.yaml:3:9: hidden_size.low: ...``.
    """
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise SpaceError(f"cannot read space file {path}: {exc.strerror or exc}") from None
    doc = load(data)
    if isinstance(doc, SourceError):
        raise SpaceError(f"{path}:{doc.line}:{doc.col}: {doc.message}")
    root = doc.root
    for key, line, col, _first in doc.duplicates:
        raise SpaceError(f"{path}:{line}:{col}: {key!r} is given twice")
    if not isinstance(root, YMap):
        raise SpaceError(f"{path}:{root.line}:{root.col}: a space file is a mapping of names to ranges")
    out: dict[str, tuple[Param, int]] = {}
    for name, node in root.items.items():
        line, col = root.keys[name]
        raw = to_python(node)
        if not isinstance(raw, dict):
            raise SpaceError(f"{path}:{node.line}:{node.col}: {name}: a range is a mapping (type, low, high, ...)")
        try:
            out[name] = (Param.model_validate(raw), line)
        except ValidationError as exc:
            err = exc.errors()[0]
            where = _node_at(node, [str(p) for p in err["loc"]])
            field = ".".join(str(p) for p in (name, *err["loc"]))
            message = str(err["msg"]).removeprefix("Value error, ")
            raise SpaceError(f"{path}:{where.line}:{where.col}: {field}: {message}") from None
    return out


def _node_at(node: YNode, loc: list[str]) -> YNode:
    """The deepest node on pydantic's error path, for its line and column."""
    for part in loc:
        if isinstance(node, YMap) and part in node.items:
            node = node.items[part]
        elif isinstance(node, YSeq) and part.isdigit() and int(part) < len(node.items):
            node = node.items[int(part)]
        else:
            break
    return node


def apply_overrides(
    space: list[Dimension], overrides: dict[str, tuple[Param, int]], resolve: Any, source: Path
) -> list[Dimension]:
    """``space`` with a space file's ranges: an entry names a dimension, a guideline name or a target.

    ``resolve(name)`` returns a new Dimension for a name the space does not hold yet (a recipe key or a
    script flag), or None when the name means nothing here.
    """
    out = list(space)
    for name, (param, line) in overrides.items():
        index = next((i for i, d in enumerate(out) if name in (d.name, d.target, d.hyper)), None)
        if index is not None:
            out[index] = replace(out[index], param=param)
            continue
        dim = resolve(name)
        if dim is None:
            raise SpaceError(f"{source}:{line}:1: {name!r} is no hyperparameter, recipe key or flag of this target")
        out.append(replace(dim, param=param))
    return out
