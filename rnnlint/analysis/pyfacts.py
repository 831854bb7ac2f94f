"""Build :class:`~rnnlint.facts.UnitFacts` from the indexed Python modules of a unit.

The API table says what each resolved call is; this module binds its arguments,
orders the training-step events of each function (helpers inlined) and collects
the evidence rules need. Framework knowledge lives in the table, the word lists
below are the heuristics for intent (task kind, validation, logging).
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field

from rnnlint import knowledge
from rnnlint.analysis import rewrites
from rnnlint.analysis.applicability import add_applicability
from rnnlint.analysis.bugfacts import BugFinder
from rnnlint.analysis.pyindex import CallSite, ModuleInfo, Scope, expr_text, split_words
from rnnlint.analysis.resolve import LOCAL, Ctx, Resolver, split_local
from rnnlint.analysis.sites import kwarg_site, module_alias
from rnnlint.analysis.steps import TrainingSteps
from rnnlint.analysis.tfsites import (
    keras_l2_site,
    log_softmax_edits,
    optax_chain_site,
    tape_qname_node,
    tape_regularization,
    tf1_optimizer_api,
    tf1_regularization,
    tf_namespace,
    torch_regularization,
)
from rnnlint.analysis.wrappers import WrapperFinder
from rnnlint.diagnostics import Edit, Loc
from rnnlint.facts import (
    Clipping,
    CtcCheck,
    Finding,
    Loss,
    LossApplication,
    Misplacement,
    ModelTask,
    OptaxChainSite,
    Optimizer,
    RecurrentLayer,
    Scheduler,
    StepLoop,
    Trainer,
    TrainingLoop,
    UnitFacts,
)
from rnnlint.knowledge import ApiSpec
from rnnlint.values import _MISSING, UNKNOWN, SeqObj, Value

# Words that show intent. Matching is on identifier words (snake/camel split).
VALIDATION_WORDS = {"val", "valid", "validation", "validate", "eval", "evaluate", "evaluation", "dev", "test", "testing"}
VALIDATION_KEYWORDS = {"validation_data", "validation_split", "validation_steps", "val_dataloaders", "eval_dataset"}
NAN_WORDS = {"isnan", "finite", "isfinite", "anomaly", "nans"}
LOGGING_WORDS = {"tensorboard", "wandb", "mlflow", "history", "curve", "curves", "writer", "neptune", "comet"}
REGULARIZATION_WORDS = {"l2", "regularization", "regularizer", "regularize", "penalty"}
MASK_WORDS = {"mask", "masks", "masked", "masking"}
OVERSAMPLING_WORDS = {"oversample", "oversampling", "upsample", "upsampling", "resample", "balanced", "weighted", "undersample"}
IMBALANCE_IDS = {"class_weights", "class_weight", "class_counts", "pos_weight", "label_counts", "class_freq", "class_frequencies"}
IMBALANCE_WORDS = {"imbalance", "imbalanced", "minority", "majority"}
ATTENTION_WORDS = {"attention", "attn", "decoder", "transformer", "seq2seq", "multihead"}
ATTENTION_PARTS = {"attention", "attn", "attend", "pointer", "alignment", "scorer"}  # classes whose softmax weighs, not predicts
UNALIGNED_WORDS = {
    "speech",
    "audio",
    "asr",
    "mfcc",
    "fbank",
    "spectrogram",
    "spectrograms",
    "wav",
    "ocr",
    "handwriting",
    "handwritten",
    "phoneme",
    "phonemes",
    "transcript",
    "transcription",
    "utterance",
    "utterances",
    "torchaudio",
    "librosa",
}
LABEL_SEQUENCE_IDS = {
    "target_lengths",
    "label_lengths",
    "target_lens",
    "label_lens",
    "transcripts",
    "transcript",
    "label_seqs",
    "target_seqs",
    "targets_lengths",
    "label_length",
    "target_length",
    "labels_lengths",
}
SEQUENCE_LENGTH_IDS = {
    "bptt",
    "seq_len",
    "seq_length",
    "sequence_length",
    "max_len",
    "max_seq_len",
    "max_length",
    "timesteps",
    "time_steps",
    "seqlen",
    "max_seq_length",
    "num_steps",
}
CAUSAL_UNIT_WORDS = {
    "temperature",
    "greedy",
    "beam",
    "multinomial",
    "generate",
    "generation",
    "autoregressive",
    "perplexity",
    "ppl",
    "bptt",
    "repackage",
    "forecast",
    "forecasting",
    "horizon",
    "lookback",
    "teacher",
    "streaming",
    "causal",
    "lm",
}
CAUSAL_OWNER_WORDS = {"decoder", "dec", "generator", "lm", "language", "forecaster", "forecast", "autoregressive", "causal"}
WHOLE_INPUT_UNIT_WORDS = {
    "classifier",
    "classification",
    "classify",
    "sentiment",
    "tagger",
    "tagging",
    "tagset",
    "ner",
    "crf",
    "intent",
    "recognizer",
    "recognition",
    "asr",
    "ocr",
}
WHOLE_INPUT_OWNER_WORDS = {"encoder", "enc", "classifier", "tagger", "sentiment", "recognizer", "bilstm"}
CLASS_COUNT_IDS = {
    "num_classes",
    "n_classes",
    "nclasses",
    "num_labels",
    "n_labels",
    "num_tags",
    "tagset_size",
    "labels",
    "classes",
    "label",
}
BLANK_LIKE = {"", "_", "-", "<blank>", "<b>", "blank", "<pad>", "<eps>", "\u03b5", "<ctc_blank>", "<BLANK>", "<PAD>", "~"}
_LR_WORDS = {"lr", "learning"}
_CURVE_WORDS = {"loss", "losses", "ppl", "perplexity", "accuracy", "acc", "history"}
GRADIENT_WORDS = {"grad", "grads", "gradient", "gradients", "g", "gv", "gvs"}
# Roles whose mere presence is evidence of a practice.
_EVIDENCE_ROLES = {
    "nan_guard": "nan_guard",
    "logger": "logging",
    "sampler": "sampler",
    "packing": "packing",
    "attention": "attention",
    "class_weights": "imbalance",
    "masking": "masking",
    "crf": "crf",
}
_TRANSPARENT = {
    "transpose",
    "permute",
    "float",
    "double",
    "half",
    "to",
    "contiguous",
    "view",
    "reshape",
    "cpu",
    "cuda",
    "squeeze",
    "unsqueeze",
    "flatten",
    "detach",
    "type",
}


@dataclass
class _Api:
    site: CallSite
    mod: ModuleInfo
    spec: ApiSpec
    args: dict[str, Value]
    qname: str = ""  # the name as the code spells it (spec.qname is the row's first alias)

    @property
    def ctx(self) -> Ctx:
        return Ctx(self.mod, self.site.scope)

    @property
    def target(self) -> str | None:
        return self.mod.assign_target.get(id(self.site.node))


@dataclass
class _Builder:
    modules: list[ModuleInfo]
    resolver: Resolver
    facts: UnitFacts
    apis: list[_Api] = field(default_factory=list)
    words: set[str] = field(default_factory=set)
    string_words: set[str] = field(default_factory=set)
    identifiers: set[str] = field(default_factory=set)
    wrappers: WrapperFinder = field(init=False)
    _loss_specs: dict[int, ApiSpec] = field(default_factory=dict)
    _layer_regularizers: list[Finding] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.wrappers = WrapperFinder(self.resolver)

    # -- entry point -------------------------------------------------------------
    def build(self) -> UnitFacts:
        for mod in self.modules:
            self.words |= mod.words
            self.string_words |= mod.string_words
            self.identifiers |= mod.identifiers
            for site in mod.calls:
                q = self.resolver.qualname(site.node.func, Ctx(mod, site.scope))
                spec = knowledge.lookup(q)
                if spec is not None and q is not None:
                    self.apis.append(_Api(site, mod, spec, self._bind(spec, site.node, Ctx(mod, site.scope)), q))
        self.apis = [api for api in self.apis if not self._dead(api.site, api.mod)]
        for api in self.apis:
            self._from_api(api)
        if any(layer.owner and layer.framework == "torch" for layer in self.facts.recurrent):
            # beside model classes, a torch layer built loose at module level is a demo or a test, not the model
            self.facts.recurrent = [
                layer for layer in self.facts.recurrent if layer.owner or layer.framework != "torch" or layer.target is None
            ]
        self._method_clips()
        self._training()
        self._plateau()
        self._evidence()
        self._tasks()
        self._losses()
        self._inputs_and_loops()
        self._regularization_terms()
        self._regularization_fixes()
        BugFinder(self.modules, self.resolver, self.facts, list(self.apis)).run()
        add_applicability(self.modules, self.resolver, self.facts)
        return self.facts

    def _regularization_fixes(self) -> None:
        """For each unused regularization term, the edits that add it to the optimized loss (RNN302)."""
        for hit in self.facts.unused_regularization:
            if hit.text.endswith("_regularizer"):
                hit.added_to_loss = self._tape_regularization()
                continue
            api = next((a for a in self.apis if a.mod.loc(a.site.node) == hit.loc and a.target == hit.text), None)
            if api is not None:
                hit.added_to_loss = self._tf1_regularization(api)
            else:
                hit.added_to_loss = self._torch_regularization(hit)

    def _torch_regularization(self, hit: Finding) -> tuple[Edit, ...]:
        """``loss = loss + l2_penalty`` before the ``loss.backward()`` that follows a torch penalty term."""
        for mod in self.modules:
            for scope in [mod.module_scope, *mod.scopes.values()]:
                for b in scope.bindings.get(hit.text, []):
                    if b.node is not None and mod.loc(b.node) == hit.loc:
                        return torch_regularization(mod, scope, b.node, hit.text, [s.node for s in mod.calls if s.scope is scope])
        return ()

    def _tape_regularization(self) -> tuple[Edit, ...]:
        """``loss += sum(model.losses)`` in every GradientTape step (custom Keras loops)."""
        edits: list[Edit] = []
        for mod in self.modules:
            for site in mod.calls:
                tape = tape_qname_node(mod, site.node)
                if tape is not None:
                    ctx = Ctx(mod, site.scope)
                    edits += tape_regularization(mod, site.node, self.resolver.qualname(tape, ctx))
        return tuple(dict.fromkeys(edits))

    def _tf1_regularization(self, api: _Api) -> tuple[Edit, ...]:
        """``loss += tf.reduce_sum(reg_losses)`` before the TF1 step of the same function that follows the term."""
        name = api.qname.rsplit(".", 1)[-1]
        if name not in ("get_collection", "get_regularization_losses", "get_regularization_loss") or not api.target:
            return ()  # nn.l2_loss carries no coefficient: adding it as is would not be the author's penalty
        term = api.target if name == "get_regularization_loss" else None
        tf = tf_namespace(api.mod, api.qname)
        for site in api.mod.calls:
            fn = site.node.func
            if site.scope is not api.site.scope or site.order <= api.site.order or not isinstance(fn, ast.Attribute):
                continue
            if fn.attr in ("minimize", "compute_gradients") and tf and tf1_optimizer_api(site.node, self.facts.optimizers):
                return tf1_regularization(api.mod, term or f"{tf}.reduce_sum({api.target})", site.node)
        return ()

    def _dead(self, site: CallSite, mod: ModuleInfo) -> bool:
        """Is the call in an ``if`` branch that statically never runs (``if clip > 0:`` with clip = -1)?"""
        for branch, in_body in reversed(site.ifs):  # innermost first; the indexer kept the enclosing `if`s
            taken = self.resolver.evaluate(branch.test, Ctx(mod, site.scope)).truthy()
            if taken is not None and in_body != taken:
                return True
        return False

    def _bind(self, spec: ApiSpec, call: ast.Call, ctx: Ctx) -> dict[str, Value]:
        kwargs = {k.arg: k.value for k in call.keywords if k.arg}
        double_star = any(k.arg is None for k in call.keywords)
        out: dict[str, Value] = {}
        for p in spec.params:
            if p.name in kwargs:
                out[p.canonical] = self.resolver.evaluate(kwargs[p.name], ctx)
            elif (
                p.position is not None
                and p.position < len(call.args)
                and not any(isinstance(a, ast.Starred) for a in call.args[: p.position + 1])
            ):
                out[p.canonical] = self.resolver.evaluate(call.args[p.position], ctx)
            elif double_star or any(isinstance(a, ast.Starred) for a in call.args):
                out[p.canonical] = UNKNOWN
            elif p.default is not _MISSING:
                out[p.canonical] = Value(p.default, None, is_default=True)
            else:
                out[p.canonical] = UNKNOWN
        return out

    def _arg_node(self, spec: ApiSpec, call: ast.Call, canonical: str) -> ast.expr | None:
        p = spec.param(canonical)
        if p is None:
            return None
        for k in call.keywords:
            if k.arg == p.name:
                return k.value
        if p.position is not None and p.position < len(call.args):
            return call.args[p.position]
        return None

    # -- table-driven facts ------------------------------------------------------------
    def _from_api(self, api: _Api) -> None:
        handler = getattr(self, f"_role_{api.spec.role}", None)
        if handler is not None:
            handler(api, api.mod.loc(api.site.node))
        self._declared_regularizers(api)
        kind = _EVIDENCE_ROLES.get(api.spec.role)
        if kind:
            self.facts.add_evidence(kind, f"{api.qname} at {api.mod.where(api.site.node.lineno)}")

    def _role_recurrent(self, api: _Api, loc: Loc) -> None:
        spec, a = api.spec, api.args
        wrap = self.wrappers.find(api.site.node, api.mod, api.site.scope)
        layer = RecurrentLayer(
            loc,
            api.qname,
            spec.framework,
            spec.kind,
            spec.role == "cell" and not wrap.fused,
            hidden_size=a.get("hidden_size", UNKNOWN),
            num_layers=wrap.layers or a.get("num_layers", Value(1, None, True)),
            bidirectional=wrap.bidirectional or a.get("bidirectional", Value(False, None, True)),
            dropout=a.get("dropout", Value(0.0, None, True)),
            dropout_scope=spec.extra.get("dropout_scope", "inputs"),
            recurrent_dropout=a.get("recurrent_dropout", Value(0.0, None, True)),
            owner=api.site.scope.cls,
            target=api.target,
            alternatives=self._assigned_twice(api),
            go_backwards=a.get("go_backwards", Value(False, None, True)),
            half_of_pair=wrap.half_of_pair,
            instances=self._instances(api),
        )
        if spec.framework == "keras" and spec.param("kernel_regularizer") is not None:
            layer.l2_site = keras_l2_site(api.mod, api.qname, kwarg_site(api.mod, api.site.node))
        direction = spec.extra.get("direction_param")
        if direction and a.get(direction, UNKNOWN).known:
            layer.bidirectional = Value(a[direction].value == "bidirectional", a[direction].origin)
        if wrap.keep_probs:
            layer.dropout = _keep_to_rate(wrap.keep_probs)
            layer.dropout_scope = "wrapper"
        for option, required in spec.extra.get("cudnn", {}).items():
            v = a.get(option, UNKNOWN)
            if v.known and v.value != required and not (v.value is None and option == "activation"):
                layer.cudnn_blockers.append(f"{option}={v.value!r}")
        hidden = self._arg_node(spec, api.site.node, "hidden_size")
        layer.rewrites = rewrites.layer_rewrites(api.mod, api.site, api.qname, layer, hidden, self.resolver)
        self.facts.recurrent.append(layer)

    _role_cell = _role_recurrent

    def _instances(self, api: _Api) -> Value:
        """How many times the class that builds this layer is instantiated (a block used twice is two layers)."""
        owner = api.site.scope.cls
        if owner is None:
            return Value(1)
        qname = f"{LOCAL}{api.mod.path}::{owner}"
        sites = self.resolver.call_sites(qname)
        if not sites:
            return Value(1)
        for site, mod in sites:
            if site.loops or self._in_comprehension(site.node, mod):
                return UNKNOWN
        return Value(len(sites))

    def _in_comprehension(self, node: ast.AST, mod: ModuleInfo) -> bool:
        parents = self.wrappers.parents(mod)
        parent = parents.get(id(node))
        while parent is not None and not isinstance(parent, ast.stmt):
            if isinstance(parent, (ast.ListComp, ast.GeneratorExp, ast.SetComp, ast.DictComp)):
                return True
            parent = parents.get(id(parent))
        return False

    def _role_optimizer(self, api: _Api, loc: Loc) -> None:
        spec, a = api.spec, api.args
        node = self._arg_node(spec, api.site.node, "params")
        group_decay = self._group_weight_decay(node, api.ctx)
        if group_decay is not None:
            a = {**a, "weight_decay": group_decay}
        legacy = a.get("lr_legacy")
        lr = legacy if legacy is not None and not legacy.is_default and legacy.value is not None else a.get("lr", UNKNOWN)
        decay = a.get("weight_decay", Value(0, None, True))
        if decay.is_default and "weight_decay_default" in spec.extra:
            decay = Value(spec.extra["weight_decay_default"], None, True)
        self.facts.optimizers.append(
            Optimizer(
                loc,
                api.qname,
                spec.kind,
                lr=lr,
                momentum=a.get("momentum", Value(0, None, True)),
                weight_decay=decay,
                lr_decay=a.get("lr_decay", Value(0, None, True)),
                supports_weight_decay=not spec.extra.get("no_weight_decay", False),
                param_roots=self._roots(node, api.ctx),
                target=api.target,
                kwargs=kwarg_site(api.mod, api.site.node),
                params_text=_reusable_params(node, api.ctx),
                optax_chain=self._optax_chain(api),
            )
        )
        for param, method in spec.extra.get("clip_params", {}).items():
            v = a.get(param, UNKNOWN)
            if not v.known or v.value is not None:
                name = api.qname.rsplit(".", 1)[-1]
                self.facts.clips.append(Clipping(loc, f"{name}({param}=...)", method, v, "optimizer"))

    def _optax_chain(self, api: _Api) -> OptaxChainSite | None:
        """Where an optax optimizer gets ``clip_by_global_norm`` (RNN201)."""
        if not api.qname.startswith("optax."):
            return None
        parent = api.mod.parents().get(id(api.site.node))
        chain = self.resolver.qualname(parent.func, api.ctx) if isinstance(parent, ast.Call) else None
        return optax_chain_site(api.mod, api.site.node, chain)

    def _role_scheduler(self, api: _Api, loc: Loc) -> None:
        spec, a = api.spec, api.args
        decays = spec.extra.get("decays")
        if decays == "linear":
            start, end = a["start_factor"].number(), a["end_factor"].number()
            decays = None if start is None or end is None else end < start
        target = api.target
        self.facts.schedulers.append(
            Scheduler(loc, api.qname, spec.kind, decays, a.get("factor", UNKNOWN), target, self._referenced(target, api.mod))
        )

    def _role_clipper(self, api: _Api, loc: Loc) -> None:
        spec, a = api.spec, api.args
        grad_arg = spec.extra.get("gradient_arg")
        if spec.extra.get("needs_grad_words"):
            node = self._arg_node(spec, api.site.node, grad_arg) if grad_arg else None
            if node is None or not set(split_words(ast.unparse(node))) & GRADIENT_WORDS:
                return  # tf.clip_by_value on activations or probabilities is not gradient clipping
        node = self._arg_node(spec, api.site.node, "parameters")
        roots = self._roots(node, api.ctx)
        self.facts.clips.append(
            Clipping(loc, api.qname, spec.kind, a.get("threshold", UNKNOWN), "call", roots, id(api.site.node))
        )

    def _role_loss(self, api: _Api, loc: Loc) -> None:
        spec = api.spec
        target = api.target if spec.role == "loss" else None
        expects = spec.extra.get("ctc_input", "log_probs")
        site = kwarg_site(api.mod, api.site.node) if spec.role == "loss" else None
        self.facts.losses.append(Loss(loc, api.qname, spec.kind, dict(api.args), target, expects, site))
        self._loss_specs[id(self.facts.losses[-1])] = spec

    _role_loss_fn = _role_loss

    def _role_trainer(self, api: _Api, loc: Loc) -> None:
        a = api.args
        clip = a.get("clip_value", UNKNOWN)
        self.facts.trainers.append(
            Trainer(
                loc,
                api.qname,
                clip,
                a.get("detect_anomaly", UNKNOWN),
                a.get("logger", UNKNOWN),
                kwarg_site(api.mod, api.site.node),
            )
        )
        if not clip.known or (clip.value not in (None, 0, 0.0)):
            algo = a.get("clip_algorithm", UNKNOWN).value
            self.facts.clips.append(Clipping(loc, api.qname, "value" if algo == "value" else "norm", clip, "trainer"))
        if a.get("detect_anomaly", UNKNOWN).value is True:
            self.facts.add_evidence("nan_guard", f"Trainer(detect_anomaly=True) at {loc.short()}")

    def _role_dropout(self, api: _Api, loc: Loc) -> None:
        keeps = [api.args[k] for k in api.spec.extra.get("keep_params", []) if k in api.args]
        rate = _keep_to_rate(keeps) if keeps else api.args.get("rate", UNKNOWN)
        if rate.number() != 0.0:
            self.facts.add_evidence("dropout", f"{api.qname} at {loc.short()}")
            self.facts.dropouts.append((loc, rate))

    def _role_padding(self, api: _Api, loc: Loc) -> None:
        self.facts.padding.append(Finding(loc, api.qname.rsplit(".", 1)[-1]))

    def _role_embedding(self, api: _Api, loc: Loc) -> None:
        param = api.spec.extra.get("masking_param")
        if param and api.args.get(param, UNKNOWN).value is not False:
            self.facts.add_evidence("masking", f"{param} at {loc.short()}")

    def _role_regularizer(self, api: _Api, loc: Loc) -> None:
        if api.args.get("weight_decay", UNKNOWN).number() == 0.0:
            return  # add_decayed_weights(0.0)
        self.facts.add_evidence("regularization", f"{api.qname.rsplit('.', 1)[-1]} at {loc.short()}")
        self._unused_result(api, loc)

    def _role_lr_assign(self, api: _Api, loc: Loc) -> None:
        ref = api.site.node.args[0] if api.site.node.args else None
        if ref is not None and _LR_WORDS & set(split_words(ast.unparse(ref))):
            self.facts.add_evidence("lr_update", f"tf.assign of the learning rate at {loc.short()}")

    def _role_reg_collection(self, api: _Api, loc: Loc) -> None:
        if "REGULARIZATION" in ast.unparse(api.site.node).upper():
            self.facts.add_evidence("regularization", f"regularization losses collected at {loc.short()}")
            self._unused_result(api, loc)

    def _unused_result(self, api: _Api, loc: Loc) -> None:
        """A regularization term assigned to a name nobody reads never reaches the loss (RNN302)."""
        target = api.target
        if target and target.isidentifier() and api.mod.name_loads.get(target, 0) == 0:
            self.facts.unused_regularization.append(Finding(loc, target))

    def _declared_regularizers(self, api: _Api) -> None:
        for name, v in api.args.items():
            if name.endswith("_regularizer") and (not v.known or v.value is not None):
                where = api.mod.where(api.site.node.lineno)
                self.facts.add_evidence("regularization", f"{name} at {where}")
                self._layer_regularizers.append(Finding(api.mod.loc(api.site.node), name))

    def _group_weight_decay(self, node: ast.expr | None, ctx: Ctx) -> Value | None:
        """``Adam([{"params": ..., "weight_decay": 1e-4}, ...])``: the largest per-group decay."""
        if not isinstance(node, (ast.List, ast.Tuple)):
            return None
        values = []
        for elt in node.elts:
            if isinstance(elt, ast.Dict):
                for k, v in zip(elt.keys, elt.values, strict=False):
                    if isinstance(k, ast.Constant) and k.value == "weight_decay":
                        values.append(self.resolver.evaluate(v, ctx))
        if not values:
            return None
        if any(v.number() is None for v in values):
            return UNKNOWN
        return max(values, key=lambda v: v.number() or 0.0)

    @staticmethod
    def _assigned_twice(api: _Api) -> bool:
        target, scope = api.target, api.site.scope
        if not target:
            return False
        if target.startswith("self.") and scope.cls and scope.cls in api.mod.classes:
            return len(api.mod.classes[scope.cls].self_attrs.get(target[5:], [])) > 1
        return len(scope.bindings.get(target, [])) > 1

    def _referenced(self, target: str | None, mod: ModuleInfo) -> bool:
        if target is None or mod.config_positions is not None:
            return True  # a config's scheduler is wired up by the framework that reads it
        last = target.rsplit(".", 1)[-1]
        if "." in target:
            return mod.attr_uses.get(last, 0) > 0
        return mod.name_loads.get(last, 0) > 0 or (
            last in mod.identifiers and any(m is not mod and last in m.identifiers for m in self.modules)
        )

    def _roots(self, node: ast.AST | None, ctx: Ctx, depth: int = 0) -> frozenset[str] | None:
        """Which objects' ``.parameters()`` an expression draws on; None when unknown."""
        if node is None or depth > 3:
            return None
        if isinstance(node, ast.Name):
            b = self.resolver._reaching(ctx.scope.bindings.get(node.id, []), getattr(node, "lineno", 10**9))
            return self._roots(b.node, ctx, depth + 1) if b is not None else None
        found = {
            ast.unparse(n.func.value)
            for n in ast.walk(node)
            if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and n.func.attr in ("parameters", "named_parameters")
        }
        if not found or any(r == "self" or r.startswith("self.") for r in found):
            return None
        roots = {self._alias_root(r, ctx) for r in found}
        return None if None in roots else frozenset(r for r in roots if r is not None)

    def _alias_root(self, root: str, ctx: Ctx) -> str | None:
        """``encoder = model.lstm`` makes ``encoder`` the root ``model.lstm``; a parameter is what its caller passes."""
        if not root.isidentifier():
            return root
        if root not in ctx.scope.bindings and root in ctx.scope.params:
            sites = self.resolver.call_sites(f"{LOCAL}{ctx.mod.path}::{ctx.scope.key}")
            params = ctx.scope.params
            texts = set()
            for site, _mod in sites:
                arg = next((k.value for k in site.node.keywords if k.arg == root), None)
                if arg is None and params.index(root) < len(site.node.args):
                    arg = site.node.args[params.index(root)]
                texts.add(ast.unparse(arg) if arg is not None else None)
            return texts.pop() if len(texts) == 1 else None
        scope = ctx.scope if root in ctx.scope.bindings else ctx.mod.module_scope
        b = self.resolver._reaching(scope.bindings.get(root, []), 10**9)
        if b is not None and isinstance(b.node, (ast.Attribute, ast.Name)) and not b.index:
            return ast.unparse(b.node)
        return root

    def _method_clips(self) -> None:
        """Clipping spelled as methods of trainers/accelerators, and manual clamps of ``.grad``."""
        for mod in self.modules:
            for site in mod.calls:
                fn = site.node.func
                if not isinstance(fn, ast.Attribute):
                    continue
                if (
                    fn.attr in ("clip_grad_norm_", "clip_grad_value_", "clip_gradients")
                    and knowledge.lookup(self.resolver.qualname(fn, Ctx(mod, site.scope))) is None
                ):
                    method = "value" if fn.attr == "clip_grad_value_" else "norm"
                    self.facts.clips.append(Clipping(mod.loc(site.node), fn.attr, method, UNKNOWN, "call", node_id=id(site.node)))
                elif fn.attr in ("clamp_", "clamp", "clip_") and _mentions_grad(fn.value):
                    self.facts.clips.append(
                        Clipping(mod.loc(site.node), "grad.clamp_", "value", UNKNOWN, "call", node_id=id(site.node))
                    )
            for info in mod.classes.values():
                if "configure_gradient_clipping" in info.methods:
                    node = info.methods["configure_gradient_clipping"].node
                    self.facts.clips.append(Clipping(mod.loc(node), "configure_gradient_clipping", "norm", UNKNOWN, "hook"))

    # -- training steps ------------------------------------------------------------------
    def _training(self) -> None:
        TrainingSteps(self.modules, self.resolver, self.wrappers, self.facts, self._dead).run()
        self._lightning()
        self._keras_fit()
        self._foreign_clips()
        kinds = {loop.kind for loop in self.facts.loops}
        if self._layer_regularizers and "tf" in kinds and "keras" not in kinds:
            if not self._reads_model_losses():
                first = self._layer_regularizers[0]
                self.facts.unused_regularization.append(Finding(first.loc, first.text))

    def _plateau(self) -> None:
        """Where RNN204's unsafe fix puts a ReduceLROnPlateau: one torch epoch loop, or one Keras fit."""
        kinds = {loop.kind for loop in self.facts.loops}
        if kinds == {"torch"} and self.facts.optimizers:
            first = self.facts.optimizers[0]
            for api in self.apis:
                if api.spec.role == "optimizer" and api.mod.loc(api.site.node) == first.loc:
                    self.facts.plateau = rewrites.torch_plateau(api.mod, api.site, api.target)
                    return
        elif kinds == {"keras"} and len(self.facts.loops) == 1:
            for mod in self.modules:
                for site in mod.calls:
                    if isinstance(site.node.func, ast.Attribute) and site.node.func.attr == "fit":
                        self.facts.plateau = rewrites.keras_plateau(mod, site)

    def _reads_model_losses(self) -> bool:
        """Is ``<model>.losses`` (not the ``keras.losses`` module) read anywhere?"""
        for mod in self.modules:
            if "losses" not in mod.attr_uses:
                continue
            for node in ast.walk(mod.tree):
                if isinstance(node, ast.Attribute) and node.attr == "losses":
                    q = self.resolver.qualname(node, Ctx(mod, mod.module_scope)) or ""
                    if not q.startswith(("tensorflow", "keras", "tf_keras", "torch", "optax")):
                        return True
        return False

    def _keras_fit(self) -> None:
        """compile()/fit() of a Keras model: string optimizers and losses, the fit loop, its inputs."""
        if not any(api.spec.framework == "keras" for api in self.apis):
            return
        for mod in self.modules:
            for site in mod.calls:
                fn = site.node.func
                if not isinstance(fn, ast.Attribute):
                    continue
                ctx = Ctx(mod, site.scope)
                if fn.attr == "compile":
                    self._keras_compile(site.node, mod, ctx)
                elif fn.attr in ("fit", "fit_generator", "train_on_batch"):
                    loc = mod.loc(site.node)
                    self.facts.loops.append(TrainingLoop(loc, "keras", site.scope.key or "<module>"))
                    if any(k.arg == "class_weight" for k in site.node.keywords):
                        self.facts.add_evidence("sampler", f"fit(class_weight=...) at {loc.short()}")
                    if site.node.args and not any(a.spec.role == "embedding" for a in self.apis):
                        hot = self._one_hot_call(site.node.args[0], ctx)
                        if hot is not None:
                            self.facts.one_hot_inputs.append(Finding(mod.loc(hot), "the recurrent model"))

    def _keras_compile(self, call: ast.Call, mod: ModuleInfo, ctx: Ctx) -> None:
        from rnnlint.knowledge.keras_api import LOSS_STRINGS, OPTIMIZER_STRINGS

        args = {k.arg: k.value for k in call.keywords if k.arg}
        for i, name in enumerate(("optimizer", "loss")):
            if name not in args and i < len(call.args):
                args[name] = call.args[i]
        opt = args.get("optimizer")
        text = self.resolver.evaluate(opt, ctx).value if opt is not None else None
        if opt is not None and isinstance(text, str) and text.lower() in OPTIMIZER_STRINGS:
            family, lr = OPTIMIZER_STRINGS[text.lower()]
            decay = 0.004 if text.lower() == "adamw" else 0.0
            self.facts.optimizers.append(
                Optimizer(
                    mod.loc(opt),
                    f"compile(optimizer={text!r})",
                    family,
                    lr=Value(lr, f"Keras default for {text!r}", True),
                    momentum=Value(0.0, None, True),
                    weight_decay=Value(decay, None, True),
                    lr_decay=Value(0, None, True),
                    keras_string=_keras_optimizer_call(mod, text.lower()),
                )
            )
        loss = args.get("loss")
        text = self.resolver.evaluate(loss, ctx).value if loss is not None else None
        if loss is not None and isinstance(text, str) and text.lower() in LOSS_STRINGS:
            self.facts.losses.append(Loss(mod.loc(loss), f"loss={text!r}", LOSS_STRINGS[text.lower()]))

    def _foreign_clips(self) -> None:
        roots = [o.param_roots for o in self.facts.optimizers]
        if not roots or any(r is None for r in roots):
            return
        updated = frozenset().union(*[r for r in roots if r is not None])
        for clip in self.facts.clips:
            if clip.param_roots is None:
                continue
            if not any(_same_root(a, b) for a in clip.param_roots for b in updated):
                mine, theirs = ", ".join(sorted(clip.param_roots)), ", ".join(sorted(updated))
                self.facts.misplaced_clips.append(
                    Misplacement(clip.loc, f"it clips the parameters of `{mine}`, but the optimizer updates `{theirs}`")
                )

    def _lightning(self) -> None:
        if not self.facts.trainers or "fit" not in set().union(*(m.attr_uses for m in self.modules)):
            return
        lightning_bases = {name for spec in knowledge.all_specs() if spec.role == "lightning_module" for name in _names_of(spec)}
        for mod in self.modules:
            for info in mod.classes.values():
                q = f"{LOCAL}{mod.path}::{info.name}"
                if "training_step" in info.methods and self.resolver.base_qualnames(q) & lightning_bases:
                    trainer = self.facts.trainers[0]
                    self.facts.loops.append(TrainingLoop(trainer.loc, "lightning", f"{info.name}.training_step"))
                    return

    # -- evidence --------------------------------------------------------------------------
    def _evidence(self) -> None:
        f, words, ids = self.facts, self.words, self.identifiers
        # string literals ("val_loss", "mfcc") show what a script does, never how it is configured
        said = words | self.string_words
        for kind, hits in (
            ("validation", (said & VALIDATION_WORDS) | (ids & VALIDATION_KEYWORDS)),
            ("nan_guard", said & NAN_WORDS),
            ("logging", said & LOGGING_WORDS),
            ("regularization", words & REGULARIZATION_WORDS),
            ("masking", said & MASK_WORDS),
            ("oversampling", words & OVERSAMPLING_WORDS),
            ("imbalance", (ids & IMBALANCE_IDS) | (words & IMBALANCE_WORDS)),
            ("attention", words & ATTENTION_WORDS),
            ("unaligned_domain", said & UNALIGNED_WORDS),
            ("label_sequences", ids & LABEL_SEQUENCE_IDS),
        ):
            for w in sorted(hits):
                f.add_evidence(kind, f"identifier `{w}`")
        for mod in self.modules:
            for node in mod.lr_writes:
                f.add_evidence("lr_update", f"learning-rate update at {mod.where(getattr(node, 'lineno', 1))}")
            for site in mod.calls:
                fn = site.node.func
                if not isinstance(fn, ast.Attribute):
                    continue
                if fn.attr in ("log", "log_dict") and isinstance(fn.value, ast.Name) and fn.value.id == "self":
                    f.add_evidence("logging", f"self.{fn.attr} at {mod.where(site.node.lineno)}")
                elif fn.attr == "plot" and _CURVE_WORDS & {w for a in site.node.args for w in split_words(ast.unparse(a))}:
                    f.add_evidence("logging", f"loss curve plotted at {mod.where(site.node.lineno)}")
                elif fn.attr in ("add_scalar", "add_scalars", "log_metrics", "writerow"):
                    f.add_evidence("logging", f"{fn.attr} at {mod.where(site.node.lineno)}")
                elif fn.attr == "append" and set(split_words(ast.unparse(fn.value))) & {"loss", "losses", "history", "curve"}:
                    f.add_evidence("logging", f"losses kept at {mod.where(site.node.lineno)}")
                elif fn.attr in ("isnan", "isinf", "isfinite", "check_numerics"):
                    f.add_evidence("nan_guard", f"{fn.attr} at {mod.where(site.node.lineno)}")
                elif fn.attr in ("assign", "assign_sub", "assign_add", "set_value") and _LR_WORDS & set(
                    split_words(ast.unparse(site.node.args[0] if fn.attr == "set_value" and site.node.args else fn.value))
                ):
                    f.add_evidence("lr_update", f"learning rate assigned at {mod.where(site.node.lineno)}")
                elif fn.attr in ("pack_padded_sequence", "pack_sequence"):
                    f.add_evidence("packing", f"{fn.attr} at {mod.where(site.node.lineno)}")
            for info in mod.classes.values():
                if set(split_words(info.name)) & {"dropout", "drop", "zoneout", "dropconnect"}:
                    f.add_evidence("dropout", f"class {info.name}")
        self._sequence_length()
        for o in f.optimizers:
            if (o.weight_decay.number() or 0) > 0 or not o.weight_decay.known:
                f.add_evidence("regularization", f"weight_decay on {o.display} at {o.loc.short()}")
            if (o.lr_decay.number() or 0) > 0 or not o.lr_decay.known:
                f.add_evidence("lr_update", f"lr_decay on {o.display} at {o.loc.short()}")
        for layer in f.recurrent:
            if (layer.dropout.number() or 0) > 0 or not layer.dropout.known:
                f.add_evidence("dropout", f"{layer.display}(dropout=...) at {layer.loc.short()}")
            if (layer.recurrent_dropout.number() or 0) > 0 or not layer.recurrent_dropout.known:
                f.add_evidence("dropout", f"recurrent dropout at {layer.loc.short()}")
        if any(loss.kind == "ctc" for loss in f.losses):
            f.add_evidence("ctc", "CTC loss")

    def _sequence_length(self) -> None:
        """The longest known sequence length from argparse defaults or module constants (RNN206)."""
        best = UNKNOWN
        for mod in self.modules:
            candidates = [self.resolver._argparse_value(mod.path, d) for d in mod.argparse if d.lower() in SEQUENCE_LENGTH_IDS]
            candidates += [
                self.resolver._name_value(name, Ctx(mod, mod.module_scope), 10**9)
                for name in mod.module_scope.bindings
                if name.lower() in SEQUENCE_LENGTH_IDS
            ]
            for v in candidates:
                n = v.number()
                if n is not None and n > (best.number() or 0):
                    best = v
        self.facts.sequence_length = best

    # -- task kind (RNN102) ------------------------------------------------------------------
    def _tasks(self) -> None:
        f = self.facts
        if any(layer.go_backwards.value is not False for layer in f.recurrent):
            # a forward layer beside a go_backwards one is a hand-made bidirectional pair
            for layer in f.recurrent:
                layer.bidirectional = UNKNOWN
        unit = f.unit_task
        unit.causal += [f"`{w}`" for w in sorted(self.words & CAUSAL_UNIT_WORDS)]
        if any(loss.kind in ("mse", "l1") for loss in f.losses):
            unit.causal.append("a regression loss (forecasting)")
        unit.whole_input += [f"`{w}`" for w in sorted(self.words & WHOLE_INPUT_UNIT_WORDS)]
        seen_keys: set[str] = set()
        if f.has("ctc"):
            unit.whole_input.append("CTC over whole utterances")
        if any(loss.kind in ("ce", "nll", "bce", "bce_logits") for loss in f.losses) and self.identifiers & CLASS_COUNT_IDS:
            unit.whole_input.append("classification loss over labels")
        for layer in f.recurrent:
            # the class name speaks for all its layers; an attribute name only for its own layer
            for key, words, where in (
                (layer.owner, set(split_words(layer.owner or "")), layer.owner),
                (layer.task_key, set(split_words(layer.target or "")), layer.target),
            ):
                if not key or key in seen_keys:
                    continue
                seen_keys.add(key)
                task = f.tasks.setdefault(key, ModelTask())
                task.causal += [f"`{w}` in {where}" for w in sorted(words & CAUSAL_OWNER_WORDS)]
                task.whole_input += [f"`{w}` in {where}" for w in sorted(words & WHOLE_INPUT_OWNER_WORDS)]
        # A head that projects back to the embedding's vocabulary is a language model.
        vocab: dict[str | None, set[str]] = {}
        heads: dict[str | None, set[str]] = {}
        for api in self.apis:
            if api.spec.role == "embedding" and api.spec.param("num_embeddings"):
                node = self._arg_node(api.spec, api.site.node, "num_embeddings")
                if node is not None:
                    vocab.setdefault(api.site.scope.cls, set()).add(_expr_key(node, api.args.get("num_embeddings", UNKNOWN)))
            elif api.spec.role == "linear":
                node = self._arg_node(api.spec, api.site.node, "out_features")
                if node is not None:
                    heads.setdefault(api.site.scope.cls, set()).add(_expr_key(node, api.args.get("out_features", UNKNOWN)))
        for owner, keys in heads.items():
            if keys & vocab.get(owner, set()):
                target = f.tasks.setdefault(owner, ModelTask()) if owner else unit
                target.causal.append("an output layer that projects back to the input vocabulary")

    # -- losses --------------------------------------------------------------------------------
    def _losses(self) -> None:
        f = self.facts
        by_target = {(loss.target): loss for loss in f.losses if loss.target}
        by_loc = {(loss.loc.path, loss.loc.line, loss.loc.col): loss for loss in f.losses}
        has_log_softmax = any(a.spec.kind == "log_softmax" for a in self.apis) or any(
            "log_softmax" in m.attr_uses for m in self.modules
        )
        if has_log_softmax:
            f.add_evidence("log_softmax", "log_softmax")
        loss_paths = {loss.loc.path for loss in f.losses}
        for mod in self.modules if f.losses else ():
            for site in mod.calls:
                ctx = Ctx(mod, site.scope)
                # a Loc per call costs: only where a loss construction can match it
                loc = mod.loc(site.node) if mod.display in loss_paths else None
                loss = by_loc.get((loc.path, loc.line, loc.col)) if loc is not None else None
                if loss is not None and loss.target is not None:
                    continue  # the construction, not an application
                constructed = loss is not None
                if loss is None:
                    loss = by_target.get(expr_text(site.node.func)) if by_target else None
                if loss is None:
                    continue
                loc = loc or mod.loc(site.node)
                nodes = self._loss_operands(loss, site.node, constructed)
                if nodes is None:
                    continue
                inp, tgt, lengths = nodes
                app = LossApplication(loc, loss, self._input_source(inp, ctx), self._target_source(tgt, ctx))
                if loss.kind == "ctc" and loss.expects == "log_probs" and app.input_source == "model_output":
                    app.log_softmax = log_softmax_edits(mod, inp)
                if loss.kind == "ctc" and lengths is not None:
                    app.lengths_constant = self._constant_lengths(lengths, ctx)
                f.loss_applications.append(app)
        for loss in f.losses:
            if loss.kind == "ctc":
                apps = [a for a in f.loss_applications if a.loss is loss]
                variable = any(a.lengths_constant is False for a in apps) or (
                    not any(a.lengths_constant for a in apps) and (bool(f.padding) or f.has("packing"))
                )
                f.ctc.append(CtcCheck(loss, self._blank_collision(loss), variable))
        for mod in self.modules:
            for info in mod.classes.values():
                fwd = info.methods.get("forward")
                if fwd is None or not isinstance(fwd.node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    continue
                if self._submodule(f"{LOCAL}{mod.path}::{info.name}") or set(split_words(info.name)) & ATTENTION_PARTS:
                    continue  # a sub-module (attention weights ...): its softmax does not reach the loss
                last = fwd.node.body[-1] if fwd.node.body else None
                if isinstance(last, ast.Return) and last.value is not None:
                    if self._input_source(last.value, Ctx(mod, fwd)) == "softmax":
                        f.softmax_outputs.append(Finding(mod.loc(last.value), f"{info.name}.forward"))

    def _submodule(self, qname: str) -> bool:
        """Is the class built inside another model: in a class, as another constructor's argument
        (``Decoder(..., Attention(...))``), or bound to a name that a constructor takes (``Decoder(..., attn)``)?"""
        for site, mod in self.resolver.call_sites(qname):
            if site.scope.cls:
                return True
            target = mod.assign_target.get(id(site.node))
            for other in mod.calls:
                given = [*other.node.args, *(k.value for k in other.node.keywords)]
                if any(a is site.node or (target and isinstance(a, ast.Name) and a.id == target) for a in given):
                    if other.node is not site.node and expr_text(other.node.func).rsplit(".", 1)[-1][:1].isupper():
                        return True
        return False

    def _loss_operands(self, loss: Loss, call: ast.Call, functional: bool) -> tuple[ast.expr, ast.expr, ast.expr | None] | None:
        """(input, target, input lengths) of a loss call, by the loss's own signature or calling convention."""
        spec = self._loss_specs.get(id(loss))
        if functional and spec is not None:
            inp = self._arg_node(spec, call, "input")
            tgt = self._arg_node(spec, call, "target")
            if inp is None or tgt is None:
                return None
            return inp, tgt, self._arg_node(spec, call, "input_lengths")
        args = call.args
        if len(args) < 2:
            return None
        if spec is not None and spec.extra.get("call_order") == "true_pred":
            return args[1], args[0], None  # Keras losses take (y_true, y_pred)
        return args[0], args[1], args[2] if len(args) >= 3 else None

    def _core(self, node: ast.expr) -> ast.expr:
        while isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in _TRANSPARENT:
            node = node.func.value
        return node

    def _input_source(self, node: ast.expr, ctx: Ctx, depth: int = 0) -> str:
        node = self._core(node)
        if isinstance(node, ast.Name) and depth < 3:
            b = self.resolver._reaching(ctx.scope.bindings.get(node.id, []), node.lineno)
            if b is not None and b.node is not None and not b.index:
                return self._input_source(b.node, ctx, depth + 1)
            return "unknown"
        if not isinstance(node, ast.Call):
            return "unknown"
        fn = node.func
        if isinstance(fn, ast.Attribute) and fn.attr in ("log_softmax", "softmax"):
            return fn.attr
        spec = knowledge.lookup(self.resolver.qualname(fn, ctx))
        if spec is None and isinstance(fn, ast.Attribute) and isinstance(fn.value, ast.Name) and fn.value.id == "self":
            spec = self._self_module_spec(ctx, fn.attr)
        if spec is not None and spec.role == "softmax":
            return spec.kind
        return "model_output"

    def _self_module_spec(self, ctx: Ctx, attr: str) -> ApiSpec | None:
        if ctx.scope.cls is None:
            return None
        info = ctx.mod.classes.get(ctx.scope.cls)
        sets = info.self_attrs.get(attr, []) if info else []
        for scope, b in sets:
            if isinstance(b.node, ast.Call):
                return knowledge.lookup(self.resolver.qualname(b.node.func, Ctx(ctx.mod, scope)))
        return None

    def _target_source(self, node: ast.expr, ctx: Ctx) -> str:
        node = self._core(node)
        if isinstance(node, ast.Name):
            b = self.resolver._reaching(ctx.scope.bindings.get(node.id, []), node.lineno)
            node = self._core(b.node) if b is not None and b.node is not None and not b.index else node
        if isinstance(node, ast.Call):
            spec = knowledge.lookup(self.resolver.qualname(node.func, ctx))
            if spec is not None and spec.role == "one_hot":
                return "one_hot"
        return "unknown"

    def _constant_lengths(self, node: ast.expr, ctx: Ctx) -> bool | None:
        node = self._core(node)
        if isinstance(node, ast.Name):
            b = self.resolver._reaching(ctx.scope.bindings.get(node.id, []), node.lineno)
            if b is None or b.node is None:
                return None
            node = self._core(b.node)
        if isinstance(node, ast.Call):
            q = self.resolver.qualname(node.func, ctx) or ""
            if q in ("torch.full", "torch.full_like", "torch.ones", "torch.ones_like"):
                return True
            if q in ("torch.tensor", "torch.LongTensor", "torch.IntTensor") and node.args and isinstance(node.args[0], ast.BinOp):
                return True  # torch.tensor([T] * B)
            return False
        return None

    def _blank_collision(self, loss: Loss) -> str | None:
        blank = loss.args.get("blank", UNKNOWN).value
        if not isinstance(blank, int) or isinstance(blank, bool):
            return None
        for mod in self.modules:
            for node in ast.walk(mod.tree):
                if isinstance(node, ast.Dict) and len(node.keys) >= 3:
                    pairs = [
                        (k.value, v.value)
                        for k, v in zip(node.keys, node.values, strict=False)
                        if isinstance(k, ast.Constant) and isinstance(k.value, str) and isinstance(v, ast.Constant)
                    ]
                    if len(pairs) == len(node.keys) and all(isinstance(v, int) for _, v in pairs):
                        for key, value in pairs:
                            if value == blank and key not in BLANK_LIKE:
                                return f"label {key!r} is also index {blank} ({mod.where(node.lineno)})"
                elif isinstance(node, ast.DictComp) and blank == 0:
                    hit = self._enumerate_from_zero(node, mod)
                    if hit:
                        return hit
        return None

    def _enumerate_from_zero(self, node: ast.DictComp, mod: ModuleInfo) -> str | None:
        gen = node.generators[0] if node.generators else None
        if gen is None or not isinstance(gen.iter, ast.Call) or not isinstance(gen.iter.func, ast.Name):
            return None
        if gen.iter.func.id != "enumerate" or len(gen.iter.args) != 1 or gen.iter.keywords:
            return None
        if not (isinstance(gen.target, ast.Tuple) and len(gen.target.elts) == 2 and isinstance(gen.target.elts[0], ast.Name)):
            return None
        index = gen.target.elts[0].id
        if not (isinstance(node.value, ast.Name) and node.value.id == index):
            return None
        seq = self.resolver.evaluate(gen.iter.args[0], Ctx(mod, mod.module_scope))
        first = (
            seq.value.member(0).value
            if isinstance(seq.value, SeqObj)
            else (seq.value[:1] if isinstance(seq.value, str) else _MISSING)
        )
        if first is _MISSING:
            return None  # cannot see the vocabulary: stay silent
        if first in BLANK_LIKE:
            return None
        return f"labels from enumerate() start at 0 ({mod.where(node.lineno)})"

    # -- inputs and step loops ----------------------------------------------------------------
    def _inputs_and_loops(self) -> None:
        layers = {(layer.owner, layer.target): layer for layer in self.facts.recurrent if layer.target}
        layers.update(self._wrapped_cells())
        models = {layer.owner: layer for layer in self.facts.recurrent if layer.owner and layer.framework == "torch"}
        for mod in self.modules if layers else ():
            for site in mod.calls:
                text = expr_text(site.node.func)
                layer = layers.get((site.scope.cls, text)) or layers.get((None, text))
                if layer is None and site.loops and site.node.args and _one_step(site.node.args[0], site.loops[-1]):
                    # `output, hidden = decoder(inp[:, c], hidden)`: a whole recurrent model stepped one time step per call
                    model = self._model_class(text, Ctx(mod, site.scope), models)
                    if model is not None and _teacher_forced(site.node.args[0], site.loops[-1]):
                        self.facts.step_loops.append(StepLoop(mod.loc(site.node), model.display, "torch", False, text))
                    continue
                if layer is None or not site.node.args:
                    continue
                ctx = Ctx(mod, site.scope)
                hot = self._one_hot_call(site.node.args[0], ctx)
                if hot is not None:
                    self.facts.one_hot_inputs.append(Finding(mod.loc(hot), layer.display))
                # a cell, or a whole torch layer fed one time step per call (`self.gru(x[:, t:t+1], h)`)
                arg, loop = site.node.args[0], site.loops[-1] if site.loops else None
                stepped = layer.is_cell or (layer.framework == "torch" and loop is not None and _one_step(arg, loop))
                if stepped and loop is not None and _teacher_forced(arg, loop):
                    self.facts.step_loops.append(StepLoop(mod.loc(site.node), layer.display, layer.framework, layer.is_cell))

    def _model_class(self, name: str, ctx: Ctx, models: dict[str, RecurrentLayer]) -> RecurrentLayer | None:
        """The recurrent (non-cell) layer of the local model class that ``name`` is an instance of."""
        if not name.isidentifier():
            return None
        bindings = ctx.scope.bindings.get(name) or ctx.mod.module_scope.bindings.get(name, [])
        if len(bindings) != 1 or not isinstance(bindings[0].node, ast.Call):
            return None
        layer = models.get(expr_text(bindings[0].node.func).rsplit(".", 1)[-1])
        return layer if layer is not None and not layer.is_cell else None

    def _wrapped_cells(self) -> dict[tuple[str | None, str], RecurrentLayer]:
        """``cell = MultiRNNCell([LSTMCell(n) for _ in ...])``: the name a wrapper of cells is bound to, and a cell in
        it, so that stepping the wrapper in a Python loop is seen as stepping the cells (RNN501)."""
        out: dict[tuple[str | None, str], RecurrentLayer] = {}
        for mod in self.modules:
            for site in mod.calls:
                fn = site.node.func
                name = fn.attr if isinstance(fn, ast.Attribute) else fn.id if isinstance(fn, ast.Name) else ""
                target = mod.assign_target.get(id(site.node))
                if name not in _CELL_WRAPPERS or not target:
                    continue
                first, last = site.node.lineno, site.node.end_lineno or site.node.lineno
                inner = [
                    layer
                    for layer in self.facts.recurrent
                    if layer.is_cell and layer.loc.path == mod.display and first <= layer.loc.line <= last
                ]
                if inner:
                    out.setdefault((site.scope.cls, target), inner[0])
        return out

    def _one_hot_call(self, node: ast.expr, ctx: Ctx) -> ast.Call | None:
        """The one-hot call an input comes from, through rebinding, slicing, unpacking and returns."""
        found = self._trace(node, ctx, 0)
        if found is None:
            return None
        call, call_ctx = found
        spec = knowledge.lookup(self.resolver.qualname(call.func, call_ctx))
        return call if spec is not None and spec.role == "one_hot" else None

    def _trace(self, node: ast.expr, ctx: Ctx, depth: int, index: tuple[int, ...] = ()) -> tuple[ast.Call, Ctx] | None:
        if depth > 6:
            return None
        node = self._core(node)
        if isinstance(node, ast.Subscript):
            return self._trace(node.value, ctx, depth + 1)
        if isinstance(node, (ast.Tuple, ast.List)) and index:
            elts = node.elts
            return self._trace(elts[index[0]], ctx, depth + 1, index[1:]) if index[0] < len(elts) else None
        if isinstance(node, ast.Name):
            b = self.resolver._reaching(ctx.scope.bindings.get(node.id, []), node.lineno)
            if b is None and node.id in ctx.scope.params:
                return self._trace_parameter(node.id, ctx, depth, index)
            if b is None or b.node is None:
                return None
            return self._trace(b.node, ctx, depth + 1, b.index + index)
        if not isinstance(node, ast.Call):
            return None
        if not index:
            return node, ctx
        # `x, y = load_data()`: follow the element of what the local function returns
        q = self.resolver.qualname(node.func, ctx)
        if not q or not q.startswith(LOCAL):
            return None
        path, inner = split_local(q)
        mod = self.resolver.modules.get(path)
        scope = mod.scopes.get(inner) if mod else None
        if mod is None or scope is None:
            return None
        returns = [n for n in ast.walk(scope.node) if isinstance(n, ast.Return) and n.value is not None]
        if len(returns) != 1 or returns[0].value is None:
            return None
        return self._trace(returns[0].value, Ctx(mod, scope), depth + 1, index)

    def _trace_parameter(self, name: str, ctx: Ctx, depth: int, index: tuple[int, ...]) -> tuple[ast.Call, Ctx] | None:
        """A parameter: follow the argument of the function's only call site."""
        sites = self.resolver.call_sites(f"{LOCAL}{ctx.mod.path}::{ctx.scope.key}")
        if len(sites) != 1:
            return None
        site, mod = sites[0]
        params = ctx.scope.params[1:] if ctx.scope.cls and ctx.scope.parent is None else ctx.scope.params
        arg = next((k.value for k in site.node.keywords if k.arg == name), None)
        if arg is None and name in params and params.index(name) < len(site.node.args):
            arg = site.node.args[params.index(name)]
        return self._trace(arg, Ctx(mod, site.scope), depth + 1, index) if arg is not None else None

    def _regularization_terms(self) -> None:
        for mod in self.modules:
            for scope in [mod.module_scope, *mod.scopes.values()]:
                for name, bindings in scope.bindings.items():
                    if not set(split_words(name)) & (REGULARIZATION_WORDS | {"reg", "l1"}):
                        continue
                    for b in bindings:
                        if b.node is not None and _uses_parameters(b.node) and mod.name_loads.get(name, 0) == 0:
                            self.facts.unused_regularization.append(Finding(mod.loc(b.node), name))


_CELL_WRAPPERS = {"MultiRNNCell", "DropoutWrapper", "ResidualWrapper", "StackedRNNCells", "AttentionWrapper"}

_KERAS_CLASSES = {
    "adam": "Adam",
    "adamw": "AdamW",
    "adamax": "Adamax",
    "nadam": "Nadam",
    "sgd": "SGD",
    "rmsprop": "RMSprop",
    "adagrad": "Adagrad",
    "adadelta": "Adadelta",
    "lion": "Lion",
    "ftrl": "Ftrl",
}


def _keras_optimizer_call(mod: ModuleInfo, name: str) -> str | None:
    """``keras.optimizers.Adam`` spelled with this module's own name for keras, for compile(optimizer="adam")."""
    cls = _KERAS_CLASSES.get(name)
    keras = module_alias(mod, "keras") or module_alias(mod, "tensorflow.keras")
    if keras is None and module_alias(mod, "tensorflow"):
        keras = f"{module_alias(mod, 'tensorflow')}.keras"
    return f"{keras}.optimizers.{cls}" if cls and keras else None


def _reusable_params(node: ast.expr | None, ctx: Ctx) -> str | None:
    """The optimizer's parameters as code that can be evaluated again (a fresh ``.parameters()`` or a list)."""
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "parameters":
        return ast.unparse(node)
    if isinstance(node, ast.Name):
        bindings = ctx.scope.bindings.get(node.id) or ctx.mod.module_scope.bindings.get(node.id, [])
        value = bindings[-1].node if len(bindings) == 1 else None
        if isinstance(value, (ast.List, ast.ListComp)) or (
            isinstance(value, ast.Call) and isinstance(value.func, ast.Name) and value.func.id == "list"
        ):
            return node.id
    return None


def _keep_to_rate(keeps: list[Value]) -> Value:
    """Dropout rate from keep probabilities (1 - keep); a placeholder fed at run time is unknown."""
    if not keeps or any(k.number() is None for k in keeps):
        return UNKNOWN
    low = min(keeps, key=lambda k: k.number() or 0.0)
    return Value(round(1 - (low.number() or 0.0), 6), low.origin)


def _names_of(spec: ApiSpec) -> list[str]:
    return [q for q, s in knowledge._table().items() if s is spec]


def _same_root(a: str, b: str) -> bool:
    return a == b or a.startswith(b + ".") or b.startswith(a + ".")


def _mentions_grad(node: ast.AST) -> bool:
    return any(isinstance(n, ast.Attribute) and n.attr == "grad" for n in ast.walk(node))


def _uses_parameters(node: ast.AST) -> bool:
    return any(
        isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and n.func.attr in ("parameters", "named_parameters")
        for n in ast.walk(node)
    )


def _expr_key(node: ast.expr, value: Value) -> str:
    n = value.number()
    return f"#{n}" if n is not None else ast.unparse(node).split(".")[-1]


def _one_step(arg: ast.expr, loop: ast.AST) -> bool:
    """A whole layer's input is one time step: ``x[:, t]``, ``x[t]`` or ``x[:, t:t + 1]`` by the loop index (not a chunk
    of many steps, ``x.split(100)``, which is how long sequences are fed on purpose)."""
    if not isinstance(loop, (ast.For, ast.AsyncFor)):
        return False
    loop_vars = {n.id for n in ast.walk(loop.target) if isinstance(n, ast.Name)}
    while isinstance(arg, ast.Call) and isinstance(arg.func, ast.Attribute) and arg.func.attr in _TRANSPARENT:
        arg = arg.func.value
    if not isinstance(arg, ast.Subscript):
        return False
    parts = arg.slice.elts if isinstance(arg.slice, ast.Tuple) else [arg.slice]
    for part in parts:
        if isinstance(part, ast.Name) and part.id in loop_vars:
            return True
        if (
            isinstance(part, ast.Slice)
            and isinstance(part.lower, ast.Name)
            and part.lower.id in loop_vars
            and isinstance(part.upper, ast.BinOp)
            and isinstance(part.upper.right, ast.Constant)
            and part.upper.right.value == 1
        ):
            return True
    return False


def _teacher_forced(arg: ast.expr, loop: ast.AST) -> bool:
    """The cell's input comes from the sequence by the loop index, not from its own outputs."""
    if not isinstance(loop, (ast.For, ast.AsyncFor)):
        return False
    loop_vars = {n.id for n in ast.walk(loop.target) if isinstance(n, ast.Name)}
    while isinstance(arg, ast.Call) and isinstance(arg.func, ast.Attribute) and arg.func.attr in _TRANSPARENT:
        arg = arg.func.value
    if isinstance(arg, ast.Subscript):
        return any(isinstance(n, ast.Name) and n.id in loop_vars for n in ast.walk(arg.slice))
    if isinstance(arg, ast.Name) and arg.id in loop_vars:
        it = loop.iter
        if isinstance(it, ast.Call) and isinstance(it.func, ast.Name) and it.func.id in ("enumerate", "zip") and it.args:
            it = it.args[0]
        return isinstance(it, ast.Call) and isinstance(it.func, ast.Attribute) and it.func.attr in ("unbind", "split", "chunk")
    return False


def build_unit_facts(modules: list[ModuleInfo], entry: str, resolver: Resolver) -> UnitFacts:
    """Facts for the unit made of ``modules`` (entry script first)."""
    facts = UnitFacts(entry=entry, paths=[m.display for m in modules])
    return _Builder(modules, resolver, facts).build()


__all__ = ["Scope", "build_unit_facts"]
