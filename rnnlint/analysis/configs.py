"""YAML/JSON training configs, read as the Python they stand for.

A config is calls written in YAML (Hydra ``_target_``, Lightning CLI
``class_path``, HyperPyYAML ``!new:``) or options of a known recipe format
(OpenNMT-py, ESPnet2, rnnlint's own schema) whose framework defaults are known.
Either way this module writes the equivalent Python, one statement a line, each
line mapped back to the YAML key it comes from, so that the same facts and rules
apply. Nothing is imported, constructed or evaluated: values become literals,
unknown values the name ``__unknown__``.
"""

from __future__ import annotations

import difflib
import json
import keyword
import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from rnnlint.analysis.yamlsites import ConfigFix, setting
from rnnlint.read.source import SourceError, read_regular
from rnnlint.read.yamlnodes import YamlDoc, YMap, YNode, YScalar, YSeq, load, to_python
from rnnlint.settings.recipe import SECTIONS, TrainingConfig

UNKNOWN = "__unknown__"
TRAINING_FUNCTION = "__config_training__"
_DOTTED = re.compile(r"^[A-Za-z_][\w]*(\.[A-Za-z_][\w]*)+$")
_INTERP = re.compile(r"^\$\{([\w.]+)\}$")


@dataclass
class Problem:
    """A config-level finding (RNN002 / RNN003) at a YAML position."""

    code: str
    message: str
    line: int
    col: int
    end_col: int
    path: tuple[str, ...] = ()


@dataclass
class Translation:
    source: str
    positions: list[tuple[int, int, int]]  # generated line -> (yaml line, col, end col)
    problems: list[Problem] = field(default_factory=list)
    kind: str = "generic"
    fixes: dict[str, ConfigFix] = field(default_factory=dict)  # "clip" / "weight_decay": where the recipe sets it


class _Writer:
    def __init__(self, doc: YamlDoc, path: str | None = None) -> None:
        self.doc = doc
        self.path = path
        self._composed: list[YMap] | None = None
        self.lines: list[str] = []
        self.positions: list[tuple[int, int, int]] = []
        self.packages: set[str] = set()
        self.invalid: set[tuple[str, ...]] = set()  # own-schema keys that failed validation: their value is unknown

    @property
    def composed(self) -> list[YMap]:
        """Hydra: the primary configs above a group file, for ${...} lookups (read only when a lookup needs them)."""
        if self._composed is None:
            self._composed = _composition_roots(self.path)
        return self._composed

    def known(self, value: Any, *path: str) -> str:
        """``repr(value)``, or the unknown name where the config gave an invalid value at ``path``."""
        return UNKNOWN if tuple(path) in self.invalid else repr(value)

    def emit(self, code: str, at: tuple[int, int, int]) -> None:
        for line in code.splitlines():
            self.lines.append(line)
            self.positions.append(at)

    def finish(self, problems: list[Problem], kind: str) -> Translation:
        header = [f"import {p}" for p in sorted(self.packages)]
        head_pos = [(1, 1, 1)] * len(header)
        return Translation("\n".join(header + self.lines) + "\n", head_pos + self.positions, problems, kind)

    # -- values ------------------------------------------------------------------------
    def value(self, node: YNode | None, depth: int = 0) -> str:
        """A Python expression for ``node``; calls for instantiation mappings and tags."""
        if node is None or depth > 30:
            return UNKNOWN
        if node.tag:
            return self._tagged(node, depth)
        if isinstance(node, YScalar):
            return self._scalar(node.value, depth)
        if isinstance(node, YSeq):
            return "[" + ", ".join(self.value(n, depth + 1) for n in node.items) + "]"
        if isinstance(node, YMap):
            target = _target_of(node)
            if target:
                return self.call(target, _call_kwargs(node), depth)
            items = ", ".join(f"{k!r}: {self.value(v, depth + 1)}" for k, v in node.items.items())
            return "{" + items + "}"
        return UNKNOWN

    def _scalar(self, value: Any, depth: int) -> str:
        if isinstance(value, str):
            m = _INTERP.match(value.strip())
            if m:  # ${model.hidden}: the value at that path, here or in the primary config that composes this file
                keys = m.group(1).split(".")
                roots = [self.doc.root, *self.composed] if isinstance(self.doc.root, YMap) else self.composed
                target = next((r.get(*keys) for r in roots if isinstance(r, YMap) and r.get(*keys) is not None), None)
                return self.value(target, depth + 1) if target is not None and depth < 10 else UNKNOWN
            if "${" in value:
                return UNKNOWN
        if isinstance(value, (str, int, float, bool)) or value is None:
            return repr(value)
        return UNKNOWN

    def _tagged(self, node: YNode, depth: int) -> str:
        tag = node.tag or ""
        for prefix in ("!new:", "!name:", "!apply:"):
            if tag.startswith(prefix):
                target = tag[len(prefix) :]
                kwargs = node.items if isinstance(node, YMap) else {}
                args = node.items if isinstance(node, YSeq) else []
                return self.call(target, kwargs, depth, args)
        if tag == "!ref" and isinstance(node, YScalar) and isinstance(node.value, str):
            m = re.fullmatch(r"<([\w.\[\]]+)>", node.value.strip())
            if m and isinstance(self.doc.root, YMap) and depth < 10:
                keys = m.group(1).replace("[", ".").replace("]", "").split(".")
                referred = self.doc.root.get(*keys)
                if referred is not None and (referred.tag or (isinstance(referred, YMap) and _target_of(referred))):
                    return _identifier(keys[-1], [])  # a reference to an object is that object, not a new one
                return self.value(referred, depth + 1)
        return UNKNOWN

    def call(self, target: str, kwargs: dict[str, YNode], depth: int, args: list[YNode] | None = None) -> str:
        if not _DOTTED.match(target) or any(keyword.iskeyword(part) for part in target.split(".")):
            return UNKNOWN
        self.packages.add(target.split(".")[0])
        parts = [self.value(a, depth + 1) for a in args or []]
        parts += [f"{k}={self.value(v, depth + 1)}" for k, v in kwargs.items() if _keyword_name(k) and not k.startswith("_")]
        return f"{target}({', '.join(parts)})"


def _target_of(node: YMap) -> str | None:
    for key in ("_target_", "class_path"):
        t = node.scalar(key)
        if isinstance(t, str):
            return t
    return None


def _call_kwargs(node: YMap) -> dict[str, YNode]:
    init = node.get("init_args")
    if isinstance(init, YMap):
        return init.items
    return {k: v for k, v in node.items.items() if k not in ("_target_", "_partial_", "_recursive_", "_convert_", "class_path")}


def _pos(node: YNode | None, key_pos: tuple[int, int] | None = None, width: int = 1) -> tuple[int, int, int]:
    if key_pos is not None:
        return (key_pos[0], key_pos[1], key_pos[1] + width)
    if node is None:
        return (1, 1, 1)
    return (node.line, node.col, node.col + 1)


def _key_pos(root: YMap, *path: str) -> tuple[int, int, int]:
    node: YNode | None = root
    pos = (1, 1, 1)
    for key in path:
        if not isinstance(node, YMap) or key not in node.items:
            return pos
        line, col = node.keys[key]
        pos = (line, col, col + len(key))
        node = node.items[key]
    return pos


# -- generic: instantiation configs -------------------------------------------------------
def _instantiations(w: _Writer, node: YNode, path: list[str]) -> None:
    """Every ``_target_`` / ``class_path`` / tagged mapping becomes ``name = call``; scalars ``name = value``."""
    if not path and isinstance(node, YMap) and _target_of(node):  # a Hydra group file is itself one object
        call_key = next(k for k in ("_target_", "class_path") if k in node.keys)  # at the key that makes the call
        line, col = node.keys[call_key]
        w.emit(f"obj = {w.value(node)}", (line, col, col + len(call_key)))
        return
    if isinstance(node, YMap) and not node.tag:
        for key, child in node.items.items():
            name = _identifier(key, path)
            at = (node.keys[key][0], node.keys[key][1], node.keys[key][1] + len(key))
            if (
                (isinstance(child, YMap) and (_target_of(child) or child.tag))
                or (isinstance(child, YScalar) and child.tag)
                or isinstance(child, YScalar)
            ):
                w.emit(f"{name} = {w.value(child)}", at)
            elif key == "trainer" and isinstance(child, YMap) and not path:
                # Lightning CLI: the trainer section holds Trainer arguments
                w.packages.add("lightning")
                kwargs = ", ".join(f"{k}={w.value(v)}" for k, v in child.items.items() if _keyword_name(k))
                w.emit(f"trainer = lightning.pytorch.Trainer({kwargs})", at)
            else:
                _instantiations(w, child, [*path, key])
    elif isinstance(node, YSeq):
        for item in node.items:
            _instantiations(w, item, path)


def _identifier(key: str, path: list[str]) -> str:
    """A Python name standing for a config key: never a keyword (`if:`, `with:` are keys of CI files and recipes)."""
    name = re.sub(r"\W", "_", key)
    if not name or name[0].isdigit() or keyword.iskeyword(name) or name == "__debug__":
        name = f"k_{name}"
    return name


def _keyword_name(key: str) -> bool:
    """Can ``key`` be a keyword argument's name?"""
    return key.isidentifier() and not keyword.iskeyword(key) and key != "__debug__"


def _training_step(w: _Writer, at: tuple[int, int, int], clip: str | None) -> None:
    lines = [f"def {TRAINING_FUNCTION}():", "    loss.backward()"]
    if clip:
        lines.append(f"    torch.nn.utils.clip_grad_norm_(parameters, max_norm={clip})")
        w.packages.add("torch")
    lines.append("    optimizer.step()")
    w.emit("\n".join(lines), at)


# -- known recipe formats ---------------------------------------------------------------------
def _opennmt(w: _Writer, root: YMap) -> None:
    """OpenNMT-py options (defaults from its opts.py documentation)."""
    get = root.scalar
    w.packages.add("torch")
    encoder_type = get("encoder_type", default="rnn")
    rnn_type = str(get("rnn_type", default="LSTM")).upper()
    cell = {"LSTM": "LSTM", "GRU": "GRU"}.get(rnn_type)
    hidden = get("enc_hid_size", default=get("rnn_size", default=get("hidden_size", default=500)))
    layers = get("enc_layers", default=get("layers", default=2))
    dec_layers = get("dec_layers", default=get("layers", default=2))
    dropout = root.get("dropout")
    p = (
        dropout.items[0].value
        if isinstance(dropout, YSeq) and dropout.items and isinstance(dropout.items[0], YScalar)
        else get("dropout", default=0.3)
    )
    bidirectional = encoder_type == "brnn"
    per_direction = hidden // 2 if bidirectional and isinstance(hidden, int) else hidden  # brnn splits the size
    size_key = next((key for key in ("enc_hid_size", "rnn_size", "hidden_size") if key in root.items), "encoder_type")
    at = _key_pos(root, size_key)
    if cell and encoder_type in ("rnn", "brnn"):
        w.emit("class Encoder:\n    def __init__(self):", at)
        w.emit(
            f"        self.rnn = torch.nn.{cell}(0, {per_direction!r}, {layers!r}, dropout={p!r}, bidirectional={bidirectional})",
            at,
        )
    if cell and get("decoder_type", default="rnn") == "rnn":
        dec_at = _key_pos(root, "decoder_type") if "decoder_type" in root.items else at
        w.emit("class Decoder:\n    def __init__(self):", dec_at)
        w.emit(f"        self.rnn = torch.nn.{cell}(0, {hidden!r}, {dec_layers!r}, dropout={p!r})", dec_at)
    optim = str(get("optim", default="sgd")).lower()
    lr = get("learning_rate", default=1.0)
    opt_cls = {"sgd": "SGD", "adam": "Adam", "adagrad": "Adagrad", "adadelta": "Adadelta", "adamw": "AdamW"}.get(optim)
    opt_at = _key_pos(root, "optim") if "optim" in root.items else _key_pos(root, "learning_rate")
    w.emit(f"optimizer = torch.optim.{opt_cls}(parameters, lr={lr!r})" if opt_cls else f"optimizer = {UNKNOWN}", opt_at)
    decay = get("learning_rate_decay", default=0.5)
    method = get("decay_method", default="none")
    if method in ("noam", "noamwd", "rsqrt"):
        w.emit("scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, schedule)", _key_pos(root, "decay_method"))
    elif isinstance(decay, (int, float)) and decay < 1:
        w.emit(
            f"scheduler = torch.optim.lr_scheduler.StepLR(optimizer, 1, gamma={decay!r})", _key_pos(root, "learning_rate_decay")
        )
        w.emit("scheduler.step()", _key_pos(root, "learning_rate_decay"))
    w.emit(f"valid_steps = {get('valid_steps', default=10000)!r}", _key_pos(root, "valid_steps"))
    w.emit("report_every_loss_history = []", (1, 1, 1))  # OpenNMT reports train/valid loss and perplexity
    norm = get("max_grad_norm", default=5)
    _training_step(w, opt_at, repr(norm) if isinstance(norm, (int, float)) and norm > 0 else None)


def _espnet(w: _Writer, root: YMap) -> None:
    """ESPnet2 task configs (defaults from espnet2's Trainer and RNNEncoder)."""
    w.packages.add("torch")
    conf = root.get("encoder_conf")
    get = conf.scalar if isinstance(conf, YMap) else (lambda *a, default=None: default)
    rnn_type = str(get("rnn_type", default="lstm"))
    cell = "GRU" if "gru" in rnn_type else "LSTM"
    bidirectional = rnn_type.startswith("b") or get("bidirectional", default=False) is True
    at = _key_pos(root, "encoder_conf", "hidden_size") if root.get("encoder_conf", "hidden_size") else _key_pos(root, "encoder")
    if str(root.scalar("encoder", default="")) == "rnn":
        w.emit("class Encoder:\n    def __init__(self):", at)
        w.emit(
            f"        self.rnn = torch.nn.{cell}(0, {get('hidden_size', default=320)!r}, {get('num_layers', default=4)!r}, "
            f"dropout={get('dropout', default=0.0)!r}, bidirectional={bidirectional})",
            at,
        )
    if str(root.scalar("decoder", default="")) == "rnn":
        dconf = root.get("decoder_conf")
        dget = dconf.scalar if isinstance(dconf, YMap) else (lambda *a, default=None: default)
        dat = _key_pos(root, "decoder")
        w.emit("class Decoder:\n    def __init__(self):", dat)
        w.emit(
            f"        self.rnn = torch.nn.LSTM(0, {dget('hidden_size', default=320)!r}, {dget('num_layers', default=1)!r})", dat
        )
    model_conf = root.get("model_conf")
    ctc_weight = model_conf.scalar("ctc_weight", default=0.5) if isinstance(model_conf, YMap) else 0.5
    if isinstance(ctc_weight, (int, float)) and ctc_weight > 0:
        w.emit("ctc = torch.nn.CTCLoss(zero_infinity=True)", _key_pos(root, "model_conf"))
    optim = str(root.scalar("optim", default="adadelta")).lower()
    oconf = root.get("optim_conf")
    lr = oconf.scalar("lr", default=None) if isinstance(oconf, YMap) else None
    wd = oconf.scalar("weight_decay", default=0) if isinstance(oconf, YMap) else 0
    opt_cls = {"adam": "Adam", "adamw": "AdamW", "adadelta": "Adadelta", "sgd": "SGD", "rmsprop": "RMSprop"}.get(optim)
    lr_arg = f", lr={lr!r}" if isinstance(lr, (int, float)) else ""
    opt_at = _key_pos(root, "optim")
    w.emit(
        f"optimizer = torch.optim.{opt_cls}(parameters{lr_arg}, weight_decay={wd!r})" if opt_cls else f"optimizer = {UNKNOWN}",
        opt_at,
    )
    scheduler = root.scalar("scheduler", default=None)
    if scheduler and str(scheduler).lower() not in ("none", "null"):
        w.emit("scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, schedule)", _key_pos(root, "scheduler"))
    w.emit("valid_loss_history = []\nnan_guard = torch.isfinite(grad_norm)", (1, 1, 1))  # espnet2's Trainer does both
    clip = root.scalar("grad_clip", default=5.0)
    _training_step(w, opt_at, repr(clip) if isinstance(clip, (int, float)) and clip > 0 else None)


def _own_schema(w: _Writer, root: YMap, cfg: TrainingConfig) -> None:
    """rnnlint's schema: what the reference trainer will build from it."""
    w.packages |= {"torch", "csv"}
    m, o, s, t = cfg.model, cfg.optim, cfg.schedule, cfg.train
    owner = {
        "classification": "Classifier",
        "tagging": "Tagger",
        "ctc": "Recognizer",
        "language_model": "LanguageModel",
        "regression": "Forecaster",
    }[cfg.data.task]
    at = _key_pos(root, "model", "cell") if root.get("model", "cell") else _key_pos(root, "model")
    cls = {"rnn": "RNN", "lstm": "LSTM", "gru": "GRU"}[m.cell]
    w.emit(f"class {owner}:\n    def __init__(self):", at)
    if m.embedding_dim:
        w.emit(
            f"        self.embedding = torch.nn.Embedding({m.vocab_size or 0}, {m.embedding_dim})",
            _key_pos(root, "model", "embedding_dim"),
        )
    hidden_at = _key_pos(root, "model", "hidden_size") if root.get("model", "hidden_size") else at
    k = w.known
    hidden, layers = k(m.hidden_size, "model", "hidden_size"), k(m.num_layers, "model", "num_layers")
    dropout, bidirectional = k(m.dropout, "model", "dropout"), k(m.bidirectional, "model", "bidirectional")
    w.emit(
        f"        self.rnn = torch.nn.{cls}({m.embedding_dim or 0}, {hidden}, {layers}, dropout={dropout}, bidirectional={bidirectional})",
        hidden_at,
    )
    if m.dropout > 0 or dropout == UNKNOWN:
        w.emit(f"        self.out_dropout = torch.nn.Dropout({dropout})", _key_pos(root, "model", "dropout"))
    loss_at = _key_pos(root, "loss", "type") if root.get("loss", "type") else _key_pos(root, "loss")
    if cfg.loss.type == "ctc":
        w.emit(f"criterion = torch.nn.CTCLoss(blank={cfg.loss.blank}, zero_infinity=True)", loss_at)
    elif cfg.loss.type in ("ce", "bce"):
        weights = "class_weights" if cfg.loss.class_weights else "None"
        name = "CrossEntropyLoss" if cfg.loss.type == "ce" else "BCEWithLogitsLoss"
        w.emit(f"criterion = torch.nn.{name}(weight={weights})", loss_at)
    else:
        w.emit(f"criterion = torch.nn.{'MSELoss' if cfg.loss.type == 'mse' else 'L1Loss'}()", loss_at)
    opt_at = _key_pos(root, "optim", "lr") if root.get("optim", "lr") else _key_pos(root, "optim")
    opt_cls = {
        "adam": "Adam",
        "adamw": "AdamW",
        "sgd": "SGD",
        "rmsprop": "RMSprop",
        "adadelta": "Adadelta",
        "adagrad": "Adagrad",
    }[o.name]
    momentum = f", momentum={o.momentum}" if o.name in ("sgd", "rmsprop") else ""
    lr, decay = k(o.lr, "optim", "lr"), k(o.weight_decay, "optim", "weight_decay")
    w.emit(f"optimizer = torch.optim.{opt_cls}(parameters, lr={lr}{momentum}, weight_decay={decay})", opt_at)
    sched_at = _key_pos(root, "schedule", "factor") if root.get("schedule", "factor") else _key_pos(root, "schedule")
    if s.type == "plateau":
        w.emit(
            f"scheduler = torch.optim.lr_scheduler.ReduceLROnPlateau(optimizer, factor={s.factor}, patience={s.patience})",
            sched_at,
        )
    elif s.type == "step":
        w.emit(f"scheduler = torch.optim.lr_scheduler.StepLR(optimizer, {s.step_size}, gamma={s.factor})", sched_at)
    elif s.type in ("exponential", "cosine"):
        w.emit("scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, schedule)", sched_at)
    if s.type != "none":
        w.emit("scheduler.step()", sched_at)
    if t.validation_split > 0:
        w.emit(f"validation_split = {t.validation_split}", _key_pos(root, "train", "validation_split"))
    if t.nan_guard:
        w.emit("finite = torch.isfinite(loss)", _key_pos(root, "train", "nan_guard"))
    if t.log_csv:
        w.emit(f"curves = csv.writer({t.log_csv!r})", _key_pos(root, "train", "log_csv"))
    if t.balance != "none":
        w.emit(f"balance = {t.balance!r}\noversample = 1", _key_pos(root, "train", "balance"))
    clip = o.clip_norm
    _training_step(w, opt_at, repr(clip) if clip else None)


def _validate_own(root: YMap) -> tuple[TrainingConfig | None, list[Problem]]:
    """RNN002 for wrong values, RNN003 for unknown keys (with the closest known one)."""
    problems: list[Problem] = []
    try:
        return TrainingConfig.model_validate(to_python(root)), problems
    except ValidationError as exc:
        errors = exc.errors()
    data = to_python(root)
    for err in errors:
        path = [str(p) for p in err["loc"]]
        node_pos = _key_pos(root, *path)
        if err["type"] == "extra_forbidden":
            known = _known_keys(TrainingConfig, path[:-1])
            close = difflib.get_close_matches(path[-1], known, n=1)
            hint = f"; did you mean `{close[0]}`?" if close else f"; known keys: {', '.join(known)}"
            problems.append(Problem("RNN003", f"unknown key `{'.'.join(path)}`{hint}", *node_pos, tuple(path)))
        else:
            value = _lookup(data, path)
            problems.append(Problem("RNN002", f"`{'.'.join(path)}` = {value!r}: {err['msg']}", *node_pos, tuple(path)))
    cleaned = _drop(data, [[str(p) for p in e["loc"]] for e in errors])
    try:
        return TrainingConfig.model_validate(cleaned), problems
    except ValidationError:
        return None, problems


def recipe_problems(data: bytes) -> list[Problem] | SourceError:
    """What keeps ``data`` from being a recipe in rnnlint's schema (RNN002 / RNN003 at their keys), for the
    reference trainers, which say it as the linter does instead of with pydantic's errors."""
    doc = load(data)
    if isinstance(doc, SourceError):
        return doc
    if not isinstance(doc.root, YMap):
        return [Problem("RNN002", "a recipe is a mapping of sections (model, loss, optim, schedule, train, data)", 1, 1, 2)]
    return _validate_own(doc.root)[1]


def _known_keys(model: type[BaseModel], path: list[str]) -> list[str]:
    for key in path:
        info = model.model_fields.get(key)
        ann = info.annotation if info else None
        if not (isinstance(ann, type) and issubclass(ann, BaseModel)):
            return []
        model = ann
    return list(model.model_fields)


def _lookup(data: Any, path: list[str]) -> Any:
    for key in path:
        data = data.get(key) if isinstance(data, dict) else None
    return data


def _drop(data: Any, paths: list[list[str]]) -> Any:
    """The document without the offending keys, so the rest can still be linted."""
    if not isinstance(data, dict):
        return data
    out = dict(data)
    for path in paths:
        node = out
        for key in path[:-1]:
            child = node.get(key)
            if not isinstance(child, dict):
                break
            node[key] = child = dict(child)
            node = child
        else:
            node.pop(path[-1], None)
    return out


# -- detection and entry point ------------------------------------------------------------------
def _is_own(root: YMap) -> bool:
    return "model" in root.items and "optim" in root.items and set(root.items) <= set(SECTIONS)


# A recipe format is recognised by at least two of its own option names (one shared key, such as `max_grad_norm`,
# made every SpeechBrain or NeMo recipe an OpenNMT LSTM trained with SGD), and only in a plain options file.
_OPENNMT_KEYS = frozenset(
    {
        "encoder_type", "decoder_type", "rnn_size", "enc_layers", "dec_layers", "enc_hid_size", "dec_hid_size",
        "save_model", "save_data", "src_vocab", "tgt_vocab", "word_vec_size", "train_steps", "global_attention",
        "rnn_type", "src_seq_length", "tgt_seq_length", "share_vocab", "copy_attn", "position_encoding",
    }
)  # fmt: skip
_ESPNET_KEYS = frozenset(
    {"encoder_conf", "decoder_conf", "frontend", "frontend_conf", "model_conf", "optim_conf", "scheduler_conf", "specaug",
     "specaug_conf", "normalize", "normalize_conf", "encoder", "decoder"}
)  # fmt: skip

_FORMATS: list[tuple[str, Callable[[YMap], bool]]] = [
    ("opennmt", lambda r: len(_OPENNMT_KEYS & set(r.items)) >= 2),
    ("espnet", lambda r: "encoder_conf" in r.items and len(_ESPNET_KEYS & set(r.items)) >= 2),
]

# Files that are never training configs, by where they live or what they are called: CI, docs, environments,
# packaging and tool settings. Skipped silently, unparsed.
_NOT_CONFIG_DIRS = frozenset({".github", ".gitlab", ".circleci", ".azure-pipelines", "docs", "doc", ".vscode", ".devcontainer"})
_NOT_CONFIG_NAMES = re.compile(
    r"^(\.?pre-commit-(config|hooks)|\.?gitlab-ci|\.travis|\.readthedocs|readthedocs|codecov|\.codecov|mkdocs|"
    r"environment|env|conda|meta|azure-pipelines|appveyor|docker-compose|compose|action|dependabot|\.?clang-format|"
    r"\.?markdownlint|\.?yamllint|citation|package(-lock)?|tsconfig|jsconfig|\.?eslintrc|\.?prettierrc|"
    r"renovate|\.?mergify|\.?pep8speaks|\.?stale|labeler|release-drafter|\.?hound|cz|bower|composer|"
    r"requirements.*|setup|settings|launch|tasks|extensions|devcontainer)$",
    re.I,
)
MAX_CONFIG_BYTES = 2_000_000  # bigger YAML/JSON is data (vocabularies, annotations, results), not a training config


def not_a_config_path(path: str) -> bool:
    """A YAML/JSON file that, by its path alone, is not a training config (CI, docs, environments, tool settings)."""
    parts = Path(path).parts
    stem = Path(path).stem
    return bool(_NOT_CONFIG_DIRS & set(parts[:-1])) or bool(_NOT_CONFIG_NAMES.match(stem))


def _json_lines(data: bytes) -> bool:
    """Data in JSON lines (one object per line) named .json: never a config."""
    lines = [ln for ln in data.splitlines()[:5] if ln.strip()]
    if len(lines) < 2:
        return False
    try:
        return all(isinstance(json.loads(ln), (dict, list)) for ln in lines)
    except (ValueError, RecursionError):
        return False


def _instantiates(node: YNode, depth: int = 0, budget: list[int] | None = None) -> bool:
    """Does the document build objects (Hydra `_target_`, Lightning `class_path`, HyperPyYAML `!new:`)?"""
    budget = budget if budget is not None else [5000]
    budget[0] -= 1
    if budget[0] < 0 or depth > 60:
        return False
    if node.tag and node.tag.startswith(("!new:", "!name:", "!apply:")) and _DOTTED.match(node.tag.split(":", 1)[1]):
        return True
    if isinstance(node, YMap):
        if _target_of(node) and _DOTTED.match(_target_of(node) or ""):
            return True
        return any(_instantiates(v, depth + 1, budget) for v in node.items.values())
    if isinstance(node, YSeq):
        return any(_instantiates(v, depth + 1, budget) for v in node.items)
    return False


def _lightning_cli(root: YMap) -> bool:
    trainer = root.get("trainer")
    return isinstance(trainer, YMap) and ("model" in root.items or "seed_everything" in root.items or "data" in root.items)


def translate(data: bytes, path: str | None = None) -> Translation | SourceError | None:
    """The Python equivalent of a training config file, with its config-level problems; None when the file is no
    training config (a CI workflow, a conda environment, a data file, any YAML whose content names nothing to train)."""
    if path is not None and not_a_config_path(path):
        return None
    if len(data) > MAX_CONFIG_BYTES or (path is not None and path.endswith(".json") and _json_lines(data)):
        return None
    if path is not None and path.endswith(".json"):
        # JSON allows tabs between tokens, YAML does not; a valid JSON string holds none (they are escaped), so each
        # tab is a space in the same column
        data = data.replace(b"\t", b" ")
    doc = load(data)
    if isinstance(doc, SourceError):
        return doc
    root = doc.root
    if not isinstance(root, (YMap, YSeq)):
        return None
    if isinstance(root, YMap) and _is_own(root):
        kind = "rnnlint"
    elif isinstance(root, YMap) and not _instantiates(root) and any(test(root) for _, test in _FORMATS):
        kind = next(name for name, test in _FORMATS if test(root))
    elif _instantiates(root) or (isinstance(root, YMap) and _lightning_cli(root)):
        kind = "instantiation"
    else:
        return None
    w = _Writer(doc, path)
    problems = [
        Problem(
            "RNN002", f"duplicate key `{key}` (first at line {first}); the later value silently wins", line, col, col + len(key)
        )
        for key, line, col, first in doc.duplicates
    ]
    if kind == "rnnlint":
        assert isinstance(root, YMap)
        cfg, found = _validate_own(root)
        problems += found
        if cfg is not None:
            w.invalid = {p.path for p in found}
            _own_schema(w, root, cfg)
        done = w.finish(problems, kind)
        if cfg is not None:
            done.fixes = _own_fixes(data, cfg)
        return done
    if kind in ("opennmt", "espnet"):
        assert isinstance(root, YMap)
        _instantiations(w, root, [])
        (_opennmt if kind == "opennmt" else _espnet)(w, root)
        done = w.finish(problems, kind)
        done.fixes = _off_fix(data, root, "max_grad_norm" if kind == "opennmt" else "grad_clip")
        return done
    _instantiations(w, root, [])
    if any(".optim." in line or "optimizer" in line.split("=")[0] for line in w.lines):
        clip = None
        if "speechbrain" in w.packages:  # the Brain class clips at max_grad_norm (default 5.0) unless set to 0
            norm = root.scalar("max_grad_norm", default=5.0) if isinstance(root, YMap) else 5.0
            clip = repr(norm) if isinstance(norm, (int, float)) and norm > 0 else None
        # an instantiation config names the parts; evaluation, loss curves and NaN handling live in the
        # script that runs them, out of sight: say nothing about them
        w.emit("val_history_isfinite = __unknown__", (1, 1, 1))
        _training_step(w, _first_optimizer(w), clip)
        done = w.finish(problems, kind)
        if isinstance(root, YMap):
            done.fixes = _off_fix(data, root, "max_grad_norm") if "speechbrain" in w.packages else _trainer_fix(data, root)
        return done
    return w.finish(problems, "generic")


# -- where a fix sets clipping (and weight decay) ---------------------------------------------------------
def _text(data: bytes) -> str:
    return data.decode("utf-8-sig", errors="replace")


def _own_fixes(data: bytes, cfg: TrainingConfig) -> dict[str, ConfigFix]:
    """rnnlint's schema: ``optim.clip_norm`` and ``optim.weight_decay`` when they turn clipping / decay off."""
    fixes: dict[str, ConfigFix] = {}
    if not cfg.optim.clip_norm:
        clip = setting(_text(data), ("optim",), "clip_norm")
        if clip is not None:
            fixes["clip"] = clip
    if cfg.optim.weight_decay == 0:
        decay = setting(_text(data), ("optim",), "weight_decay")
        if decay is not None:
            fixes["weight_decay"] = decay
    return fixes


def _off_fix(data: bytes, root: YMap, key: str) -> dict[str, ConfigFix]:
    """A top-level clipping option set to 0 (or below): OpenNMT/SpeechBrain ``max_grad_norm``, ESPnet ``grad_clip``."""
    value = root.scalar(key)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value > 0:
        return {}
    site = setting(_text(data), (), key)
    return {"clip": site} if site is not None else {}


_TRAINERS = ("lightning.pytorch.Trainer", "lightning.pytorch.trainer.Trainer", "pytorch_lightning.Trainer", "lightning.Trainer")


def _trainer_fix(data: bytes, root: YMap) -> dict[str, ConfigFix]:
    """Lightning CLI's ``trainer:`` section, or a Hydra Trainer mapping: ``gradient_clip_val``."""
    path: tuple[str, ...] | None = None
    if _target_of(root) in _TRAINERS:
        path = ()
    else:
        trainer = root.get("trainer")
        lightning_cli = "seed_everything" in root.items or any(
            isinstance(v, YMap) and v.scalar("class_path") for v in root.items.values()
        )
        if (
            isinstance(trainer, YMap)
            and not trainer.tag
            and (_target_of(trainer) in _TRAINERS or (lightning_cli and not _target_of(trainer)))
        ):
            path = ("trainer",)
    if path is None:
        return {}
    section = root.get(*path)
    assert isinstance(section, YMap)
    value = section.scalar("gradient_clip_val")
    algorithm = section.scalar("gradient_clip_algorithm", default="norm")
    if (
        algorithm != "norm"
        or isinstance(value, bool)
        or (value is not None and not isinstance(value, (int, float)))
        or (value or 0) > 0
    ):
        return {}
    site = setting(_text(data), path, "gradient_clip_val")
    return {"clip": site} if site is not None else {}


def _first_optimizer(w: _Writer) -> tuple[int, int, int]:
    for line, pos in zip(w.lines, w.positions, strict=False):
        if "optim" in line:
            return pos
    return (1, 1, 1)


def _composition_roots(path: str | None) -> list[YMap]:
    """Hydra group files (conf/model/lstm.yaml) interpolate keys of the primary configs one or two folders up."""
    if path is None:
        return []
    here = Path(path).parent
    roots: list[YMap] = []
    for folder in (here.parent, here.parent.parent):
        for candidate in sorted(folder.glob("*.yaml"))[:10]:
            root = _primary_config(str(candidate))
            if root is not None:
                roots.append(root)
    return roots


_PRIMARY: dict[tuple[str, int, int], YMap | None] = {}  # (path, size, mtime) -> its root when it has a defaults list


def _primary_config(candidate: str) -> YMap | None:
    """A Hydra primary config's root, read once per run for all the group files below it."""
    try:
        st = os.stat(candidate)
    except OSError:
        return None
    key = (candidate, st.st_size, st.st_mtime_ns)
    if key not in _PRIMARY:
        root = None
        if st.st_size < 200_000:
            try:
                doc = load(read_regular(candidate))  # issue 7: read_regular, so that a FIFO named *.yaml cannot block
            except OSError:
                doc = None
            if isinstance(doc, YamlDoc) and isinstance(doc.root, YMap) and "defaults" in doc.root.items:
                root = doc.root
        if len(_PRIMARY) > 4096:
            _PRIMARY.clear()
        _PRIMARY[key] = root
    return _PRIMARY[key]
