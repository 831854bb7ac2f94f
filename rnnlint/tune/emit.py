"""``--emit optuna|ray|kerastuner``: the space rnnlint found, as a snippet for the user's own objective.

Each snippet defines the space under the names the target uses (a flag's destination, a recipe key with
``_`` for ``.``), and says in a comment where each value goes and why its range is the guideline's.
"""

from __future__ import annotations

from rnnlint.tune.space import ADADELTA_LR, Dimension, Param

EMITTERS = ("optuna", "ray", "kerastuner")


def _lit(value: object) -> str:
    return repr(value)


def _num(value: float | None, as_int: bool) -> str:
    v = float(value or 0)
    return str(int(v)) if as_int else repr(v)


def _comment(dim: Dimension) -> str:
    parts = [f"sets {dim.target}"]
    if dim.default is not None:
        parts.append(f"now {dim.default!r}")
    if dim.why:
        parts.append(dim.why)
    return "  # " + "; ".join(parts)


def _optimizer(space: list[Dimension]) -> Dimension | None:
    return next((d for d in space if d.hyper == "optimizer" and d.param.type == "categorical"), None)


def _optuna_call(dim: Dimension) -> str:
    p, n = dim.param, _lit(dim.name)
    if p.type == "fixed":
        return _lit(p.value)
    if p.type == "categorical":
        return f"trial.suggest_categorical({n}, {_lit(list(p.choices or []))})"
    if p.type == "int":
        step = f", step={int(p.step)}" if p.step else ""
        log = ", log=True" if p.log else ""
        return f"trial.suggest_int({n}, {_num(p.low, True)}, {_num(p.high, True)}{step}{log})"
    step = f", step={p.step!r}" if p.step else ""
    log = ", log=True" if p.log else ""
    return f"trial.suggest_float({n}, {_num(p.low, False)}, {_num(p.high, False)}{step}{log})"


def optuna_snippet(space: list[Dimension], target: str) -> str:
    opt = _optimizer(space)
    lines = [
        f'"""The guideline search space for {target}, found by rnnlint: fill in objective() and run it."""',
        "",
        "import optuna",
        "",
        "",
        "def search_space(trial: optuna.Trial) -> dict:",
        "    params = {}",
    ]
    for dim in sorted(space, key=lambda d: d.hyper != "optimizer"):
        call = _optuna_call(dim)
        if dim.hyper == "lr" and opt is not None:
            lines.append(f"    if params[{opt.name!r}] == 'adadelta':  # Adadelta adapts its steps: its lr stays {ADADELTA_LR}")
            lines.append(f"        params[{dim.name!r}] = {ADADELTA_LR!r}")
            lines.append("    else:")
            lines.append(f"        params[{dim.name!r}] = {call}{_comment(dim)}")
        else:
            lines.append(f"    params[{dim.name!r}] = {call}{_comment(dim)}")
    lines += [
        "    return params",
        "",
        "",
        "def objective(trial: optuna.Trial) -> float:",
        "    params = search_space(trial)",
        "    raise NotImplementedError('train with params and return the validation metric')",
        "",
        "",
        'if __name__ == "__main__":',
        '    study = optuna.create_study(direction="minimize")',
        "    study.optimize(objective, n_trials=20)",
        "    print(study.best_params)",
        "",
    ]
    return "\n".join(lines)


def _ray_call(p: Param) -> str:
    if p.type == "fixed":
        return _lit(p.value)
    if p.type == "categorical":
        return f"tune.choice({_lit(list(p.choices or []))})"
    if p.type == "int":
        if p.log:
            return f"tune.lograndint({_num(p.low, True)}, {_num(p.high, True) + '+1'})"
        return f"tune.qrandint({_num(p.low, True)}, {_num(p.high, True)}, {int(p.step or 1)})"
    if p.log:
        return f"tune.loguniform({_num(p.low, False)}, {_num(p.high, False)})"
    if p.step:
        return f"tune.quniform({_num(p.low, False)}, {_num(p.high, False)}, {p.step!r})"
    return f"tune.uniform({_num(p.low, False)}, {_num(p.high, False)})"


def ray_snippet(space: list[Dimension], target: str) -> str:
    opt = _optimizer(space)
    lines = [f'"""The guideline search space for {target}, found by rnnlint, for Ray Tune."""', "", "from ray import tune", ""]
    lines.append("param_space = {")
    for dim in space:
        call = _ray_call(dim.param)
        if dim.hyper == "lr" and opt is not None:
            lines.append(f"    {dim.name + '_range'!r}: {_ray_call(dim.param)},{_comment(dim)}")
            call = (
                f"tune.sample_from(lambda spec: {ADADELTA_LR!r} if spec.config[{opt.name!r}] == 'adadelta' "
                f"else spec.config[{dim.name + '_range'!r}])"
            )
        lines.append(f"    {dim.name!r}: {call},{_comment(dim)}")
    lines += ["}", "", "# tuner = tune.Tuner(train_fn, param_space=param_space); results = tuner.fit()", ""]
    return "\n".join(lines)


def _kt_call(dim: Dimension) -> str:
    p, n = dim.param, _lit(dim.name)
    if p.type == "fixed":
        return f"hp.Fixed({n}, {_lit(p.value)})"
    if p.type == "categorical":
        return f"hp.Choice({n}, {_lit(list(p.choices or []))})"
    if p.type == "int":
        sampling = ', sampling="log"' if p.log else ""
        return f"hp.Int({n}, {_num(p.low, True)}, {_num(p.high, True)}, step={int(p.step or 1)}{sampling})"
    sampling = ', sampling="log"' if p.log else ""
    step = f", step={p.step!r}" if p.step else ""
    return f"hp.Float({n}, {_num(p.low, False)}, {_num(p.high, False)}{step}{sampling})"


def kerastuner_snippet(space: list[Dimension], target: str) -> str:
    opt = _optimizer(space)
    lines = [
        f'"""The guideline search space for {target}, found by rnnlint, for KerasTuner: call it in build_model(hp)."""',
        "",
        "import keras_tuner as kt",
        "",
        "",
        "def search_space(hp: kt.HyperParameters) -> dict:",
        "    params = {}",
    ]
    for dim in sorted(space, key=lambda d: d.hyper != "optimizer"):
        if dim.hyper == "lr" and opt is not None:
            others = [c for c in opt.param.choices or [] if c != "adadelta"]
            lines.append(f"    with hp.conditional_scope({opt.name!r}, {others!r}):")
            lines.append(f"        params[{dim.name!r}] = {_kt_call(dim)}{_comment(dim)}")
            lines.append(f"    if params[{opt.name!r}] == 'adadelta':")
            lines.append(f"        params[{dim.name!r}] = {ADADELTA_LR!r}")
        else:
            lines.append(f"    params[{dim.name!r}] = {_kt_call(dim)}{_comment(dim)}")
    lines += ["    return params", ""]
    return "\n".join(lines)


def emit(kind: str, space: list[Dimension], target: str) -> str:
    return {"optuna": optuna_snippet, "ray": ray_snippet, "kerastuner": kerastuner_snippet}[kind](space, target)
