"""A script's flags for each guideline hyperparameter, from rnnlint's static analysis (never by running it).

Two kinds of evidence, strongest first:

1. *Data flow*: the analysis resolves the values that reach the recurrent layers, optimizers, clipping and
   schedulers, with their provenance (``hidden size 256 (argparse default of --hidden, train.py:6)``); a value
   that is an argparse default names the flag that sets that hyperparameter.
2. *Names*: a flag whose destination reads as the hyperparameter (``--lr``, ``--n_layers``, ``--grad-clip``).

argparse is read from the index (``add_argument`` / ``set_defaults``); the flag's ``type=`` and ``choices=``
come from the same calls. click, typer and Hydra flags are not found yet: name them in a ``--space`` file
(``--hidden`` for a flag, ``model.hidden=`` style keys for Hydra overrides).
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rnnlint.tune.space import BY_NAME, Dimension, Param, SpaceError

# dest names that read as each hyperparameter (lower case, '-' as '_')
NAMES: dict[str, tuple[str, ...]] = {
    "hidden_size": (
        "hidden_size",
        "hidden",
        "hidden_dim",
        "n_hidden",
        "nhid",
        "hid_dim",
        "rnn_hidden",
        "units",
        "rnn_units",
        "hidden_units",
    ),
    "num_layers": ("num_layers", "layers", "n_layers", "nlayers", "rnn_layers", "num_rnn_layers", "depth"),
    "dropout": ("dropout", "drop", "dropout_rate", "rnn_dropout", "dropout_prob", "p_dropout"),
    "lr": ("lr", "learning_rate", "learningrate", "init_lr", "base_lr", "lr0"),
    "clip_norm": (
        "clip",
        "clip_norm",
        "grad_clip",
        "max_grad_norm",
        "clip_grad",
        "clip_grad_norm",
        "gradient_clip_val",
        "clipnorm",
        "grad_norm",
    ),
    "decay_factor": ("lr_decay", "decay_factor", "lr_factor", "factor", "gamma", "lr_gamma", "decay_rate"),
    "optimizer": ("optimizer", "optim", "opt", "optimiser", "optimizer_name"),
}
OUTPUT_NAMES = (
    "output_dir",
    "out_dir",
    "outdir",
    "output",
    "log_dir",
    "logdir",
    "save_dir",
    "savedir",
    "run_dir",
    "checkpoint_dir",
    "workdir",
    "work_dir",
)
OPTIMIZER_WORDS = ("adam", "adamw", "sgd", "rmsprop", "adadelta", "adagrad", "nadam", "adamax")
_ORIGIN = re.compile(r"argparse default of (\S+?), ")


class FlagError(SpaceError):
    """The script cannot be tuned through its flags as asked (it does not parse, a named flag is missing)."""


@dataclass(frozen=True)
class ScriptFlag:
    flag: str  # "--hidden"
    dest: str
    line: int
    path: str  # the module that declares it (shown)
    default: Any = None  # the resolved default, or None
    type_name: str | None = None  # "int", "float", "str" from type=
    choices: tuple[Any, ...] | None = None
    switch: bool = False  # store_true / store_false: no value to pass


@dataclass
class Found:
    hyper: str
    flag: ScriptFlag
    evidence: str


@dataclass
class ScriptAnalysis:
    script: Path
    flags: dict[str, ScriptFlag] = field(default_factory=dict)  # by flag
    found: list[Found] = field(default_factory=list)
    output_flag: ScriptFlag | None = None
    notes: list[str] = field(default_factory=list)

    def space(self) -> list[Dimension]:
        """The guideline space over the flags found: each flag's range from the guideline, its default kept."""
        dims = []
        for f in self.found:
            hyper = BY_NAME[f.hyper]
            param = hyper.param
            if hyper.name == "optimizer" and f.flag.choices:
                usable = [c for c in param.choices or [] if c in f.flag.choices]
                param = Param(type="categorical", choices=usable) if usable else Param(type="fixed", value=f.flag.default)
            dims.append(Dimension(f.flag.dest, param, f.flag.flag, hyper.name, hyper.why, f.flag.default, f.evidence))
        return dims

    def dimension_for(self, name: str) -> Dimension | None:
        """A space file's entry that names a flag (``--batch-size``), or a Hydra-style override key (``model.hidden``)."""
        if name.startswith("-"):
            flag = self.flags.get(name)
            if flag is None:
                known = ", ".join(sorted(self.flags)) or "none"
                raise FlagError(f"{self.script} has no flag {name} (its flags: {known})")
            return Dimension(
                flag.dest, Param(type="fixed", value=0), flag.flag, None, "", flag.default, f"{flag.path}:{flag.line}"
            )
        if re.fullmatch(r"[A-Za-z_][\w.]*", name):
            return Dimension(name.replace(".", "_"), Param(type="fixed", value=0), name, None, "", None, "override key=value")
        return None


def analyse(script: Path) -> ScriptAnalysis:
    """The script's flags and which guideline hyperparameter each sets."""
    from rnnlint.analysis.pyfacts import build_unit_facts
    from rnnlint.analysis.pyindex import ModuleInfo, parse_module
    from rnnlint.analysis.resolve import Ctx, Resolver
    from rnnlint.read.source import SourceError
    from rnnlint.run.units import ModuleFinder, build_units

    try:
        data = script.read_bytes()
    except OSError as exc:
        raise FlagError(f"cannot read {script}: {exc.strerror or exc}") from None
    key = str(script.resolve())
    info = parse_module(data, key, str(script))
    if isinstance(info, SourceError):
        raise FlagError(f"{script}:{info.line}:{info.col}: cannot parse: {info.message}")
    if info is None:
        raise FlagError(f"{script}: not a Python script rnnlint can read")
    finder = ModuleFinder([script.parent])
    finder.add_files([script])
    cache: dict[str, ModuleInfo | None] = {}

    def load(path: Path) -> ModuleInfo | None:
        p = str(path.resolve())
        if p not in cache:
            try:
                loaded = parse_module(path.read_bytes(), p, str(path))
            except OSError:
                loaded = None
            cache[p] = loaded if isinstance(loaded, ModuleInfo) else None
        return cache[p]

    units = build_units({info.path: info}, load, finder)
    unit = next((u for u in units if u.entry.path == info.path), None)
    modules = unit.modules if unit is not None else [info]
    resolver = Resolver(modules, finder)
    out = ScriptAnalysis(script)
    for mod in modules:
        extra = _call_details(mod.tree)
        for dest, arg in mod.argparse.items():
            if arg.flag in out.flags or not arg.flag.startswith("-"):
                continue  # positional arguments are inputs, not hyperparameters
            value = resolver.evaluate(arg.default, Ctx(mod, mod.module_scope)) if arg.default is not None else None
            default = value.value if value is not None and value.known and isinstance(value.value, (int, float, str)) else None
            type_name, choices = extra.get(arg.flag, (None, None))
            out.flags[arg.flag] = ScriptFlag(
                arg.flag, dest, arg.line, mod.display, default, type_name, choices, arg.store_true or arg.store_false
            )
    by_dest = {f.dest: f for f in out.flags.values()}
    taken: set[str] = set()
    if unit is not None:
        facts = build_unit_facts(unit.modules, unit.entry.display, resolver)
        for hyper, what, val in _fact_values(facts):
            m = _ORIGIN.match(val.origin or "")
            flag = out.flags.get(m.group(1)) if m else None
            if flag is None or hyper in {f.hyper for f in out.found} or flag.switch:
                continue
            out.found.append(Found(hyper, flag, f"{what}: {val.describe()}"))
            taken.add(flag.flag)
    else:
        out.notes.append("no training unit found in the script: flags matched by name only")
    for hyper, names in NAMES.items():
        if any(f.hyper == hyper for f in out.found):
            continue
        for name in names:
            flag = by_dest.get(name)
            if flag is None or flag.flag in taken or flag.switch:
                continue
            if hyper == "optimizer" and not (isinstance(flag.default, str) and flag.default.lower() in OPTIMIZER_WORDS):
                continue  # `--opt` could be anything; an optimizer flag names an optimizer by default
            out.found.append(Found(hyper, flag, f"flag name {flag.flag} ({flag.path}:{flag.line})"))
            taken.add(flag.flag)
            break
    out.output_flag = next((by_dest[n] for n in OUTPUT_NAMES if n in by_dest and not by_dest[n].switch), None)
    order = list(NAMES)
    out.found.sort(key=lambda f: order.index(f.hyper))
    return out


def _fact_values(facts: Any) -> list[tuple[str, str, Any]]:
    """(hyperparameter, what, value) for each value the rules see."""
    out: list[tuple[str, str, Any]] = []
    for layer in facts.recurrent:
        where = f"{layer.display} at {layer.loc.short()}"
        out += [
            ("hidden_size", f"hidden size of {where}", layer.hidden_size),
            ("num_layers", f"layers of {where}", layer.num_layers),
        ]
        out.append(("dropout", f"dropout of {where}", layer.dropout))
    for loc, value in facts.dropouts:
        out.append(("dropout", f"dropout at {loc.short()}", value))
    for opt in facts.optimizers:
        out.append(("lr", f"learning rate of {opt.display} at {opt.loc.short()}", opt.lr))
    for clip in facts.clips:
        out.append(("clip_norm", f"clipping threshold at {clip.loc.short()}", clip.threshold))
    for trainer in facts.trainers:
        out.append(("clip_norm", f"gradient_clip_val at {trainer.loc.short()}", trainer.clip_value))
    for sched in facts.schedulers:
        out.append(("decay_factor", f"decay factor of {sched.display} at {sched.loc.short()}", sched.factor))
    return [(h, w, v) for h, w, v in out if v.known and v.origin]


def _call_details(tree: ast.Module) -> dict[str, tuple[str | None, tuple[Any, ...] | None]]:
    """``type=`` and ``choices=`` of each ``add_argument`` call, by its first long flag."""
    out: dict[str, tuple[str | None, tuple[Any, ...] | None]] = {}
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "add_argument"):
            continue
        flags = [a.value for a in node.args if isinstance(a, ast.Constant) and isinstance(a.value, str)]
        long_flags = [f for f in flags if f.startswith("--")]
        if not flags:
            continue
        kw = {k.arg: k.value for k in node.keywords if k.arg}
        type_node = kw.get("type")
        type_name = type_node.id if isinstance(type_node, ast.Name) else None
        choices: tuple[Any, ...] | None = None
        if isinstance(kw.get("choices"), (ast.List, ast.Tuple)):
            try:
                choices = tuple(ast.literal_eval(kw["choices"]))
            except ValueError:
                choices = None
        out[(long_flags or flags)[0]] = (type_name, choices)
    return out


def flag_value(flag: ScriptFlag | None, value: Any) -> str:
    """A trial's value as the flag's text: an int flag gets an int, a float keeps its precision."""
    if isinstance(value, bool):
        return str(value)
    if flag is not None and flag.type_name == "int" and isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, float):
        return repr(value)
    return str(value)


def script_command(
    analysis: ScriptAnalysis, space: list[Dimension], fixed_args: list[str], python: str, values: dict[str, Any], folder: Path
) -> list[str]:
    """``python SCRIPT FIXED_ARGS --flag value ... key=value ...`` for one trial, its folder given to an output flag."""
    argv = [python, str(analysis.script), *fixed_args]
    for dim in space:
        text = flag_value(analysis.flags.get(dim.target), values[dim.name])
        argv += [dim.target, text] if dim.target.startswith("-") else [f"{dim.target}={text}"]
    out_flag = analysis.output_flag
    if out_flag is not None and out_flag.flag not in argv:
        argv += [out_flag.flag, str(folder)]
    return argv
