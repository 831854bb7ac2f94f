"""The framework-neutral facts model. Rules read these and nothing else.

The analysis (:mod:`rnnlint.analysis.pyfacts`) fills a :class:`UnitFacts` per training unit: the recurrent layers and
the training machinery found in a script plus the local modules it imports.
Every value is a :class:`~rnnlint.values.Value` that knows whether it is known
and where it came from.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Protocol

from rnnlint.diagnostics import Edit, Fix, Loc
from rnnlint.values import UNKNOWN, Value


class ConfigSetting(Protocol):
    """Where a training config sets one key (:class:`rnnlint.analysis.yamlsites.ConfigFix`): the fix that sets it."""

    def fix(self, path: str, value: float) -> Fix | None: ...


@dataclass(frozen=True)
class KwargSite:
    """Where ``, name=value`` goes in a call: a zero-width position after its last argument."""

    loc: Loc
    prefix: str  # ", " after an argument, "" in empty parentheses, a new line in a one-argument-per-line call
    given: frozenset[str] = frozenset()  # keyword names the call already has
    suffix: str = ""  # "," when the new argument gets a line of its own

    def edit(self, code: str) -> Edit:
        """The edit that adds ``code`` (``name=value``) as the call's last argument."""
        return Edit(self.loc, f"{self.prefix}{code}{self.suffix}")


@dataclass(frozen=True)
class LineSite:
    """A zero-width position at the end (or start) of a statement's line, and its indentation."""

    loc: Loc
    indent: str


@dataclass(frozen=True)
class Rewrite:
    """An unsafe fix the frontend prepared in full: its edits and what they do."""

    edits: tuple[Edit, ...]
    message: str


@dataclass(frozen=True)
class PlateauSite:
    """Where a ReduceLROnPlateau goes (RNN204): torch after the optimizer and the validation loss, Keras in fit()."""

    framework: str  # "torch" | "keras"
    scheduler_class: str  # ReduceLROnPlateau in this module's spelling
    create: LineSite | None = None  # torch: after the optimizer's statement
    step: LineSite | None = None  # torch: after the statement that computes the validation loss
    optimizer: str = ""
    monitor: str = ""  # torch: the validation loss's name
    scheduler: str = "scheduler"  # torch: a name not yet bound
    callbacks: KwargSite | None = None  # keras: the end of fit's callbacks list, or fit's keyword site
    new_keyword: bool = False  # keras: fit has no callbacks= yet


@dataclass
class RecurrentLayer:
    loc: Loc
    api: str
    framework: str
    cell: str  # "rnn" | "lstm" | "gru"
    is_cell: bool
    hidden_size: Value = UNKNOWN
    num_layers: Value = UNKNOWN
    bidirectional: Value = UNKNOWN
    dropout: Value = UNKNOWN
    dropout_scope: str = "inputs"  # torch applies `dropout` only between stacked layers
    recurrent_dropout: Value = UNKNOWN
    owner: str | None = None  # the class whose method builds it
    target: str | None = None  # what it is assigned to: "self.rnn"
    alternatives: bool = False  # the target is also assigned another layer (a configurable cell type)
    go_backwards: Value = UNKNOWN
    half_of_pair: bool = False  # the forward or backward half of a bidirectional pair
    instances: Value = field(default_factory=lambda: Value(1))  # how often its owner class is built
    demo: bool = False  # a plain-RNN layer built and called on its own beside the trained model (RNN101)

    def layer_count(self) -> float | None:
        """How many stacked layers this contributes (a forward/backward pair counts once)."""
        n = self.num_layers.number()  # a cell counts once, unless a wrapper (MultiRNNCell, DeepRNN) stacks it
        times = self.instances.number()
        if n is None or times is None or not math.isfinite(n * times):  # `num_layers=1e999`: no count at all
            return None
        return (n / 2 if self.half_of_pair else n) * times

    cudnn_blockers: list[str] = field(default_factory=list)  # options that rule out the fused cuDNN kernel
    rewrites: dict[str, Rewrite] = field(default_factory=dict)  # unsafe fixes: "gru", "bidirectional", "output_dropout"
    l2_site: KerasL2Site | None = None  # where `kernel_regularizer=...l2(...)` goes (Keras layers, RNN301)

    @property
    def display(self) -> str:
        return self.api.rsplit(".", 1)[-1]

    @property
    def task_key(self) -> str | None:
        """Key of this layer's own task evidence (its attribute name) in UnitFacts.tasks."""
        return f"{self.owner or ''}::{self.target}" if self.target else None


@dataclass
class Optimizer:
    loc: Loc
    api: str
    family: str
    lr: Value = UNKNOWN
    momentum: Value = UNKNOWN
    weight_decay: Value = UNKNOWN
    lr_decay: Value = UNKNOWN
    supports_weight_decay: bool = True
    param_roots: frozenset[str] | None = None
    target: str | None = None
    kwargs: KwargSite | None = None
    keras_string: str | None = None  # compile(optimizer="adam"): the optimizer class to write instead, in this module's spelling
    params_text: str | None = None  # the parameters it updates, as code that can run again
    optax_chain: OptaxChainSite | None = None  # where clipping joins an optax optimizer (RNN201)

    @property
    def display(self) -> str:
        return self.api.rsplit(".", 1)[-1]


@dataclass
class Scheduler:
    loc: Loc
    api: str
    kind: str
    decays: bool | None
    factor: Value = UNKNOWN
    target: str | None = None
    referenced: bool = True

    @property
    def display(self) -> str:
        return self.api.rsplit(".", 1)[-1]


@dataclass
class Clipping:
    loc: Loc
    api: str
    method: str  # "norm" | "value"
    threshold: Value = UNKNOWN
    source: str = "call"  # "call" | "trainer" | "hook"
    param_roots: frozenset[str] | None = None
    node_id: int = field(default=0, compare=False)  # the call that clips, for ordering it among training events


@dataclass
class Loss:
    """A loss object or functional loss call."""

    loc: Loc
    api: str
    kind: str  # "ce" | "nll" | "ctc" | "mse" | "l1" | "bce" | "bce_logits" | "kl"
    args: dict[str, Value] = field(default_factory=dict)
    target: str | None = None
    expects: str = "log_probs"  # what a CTC loss wants as input: "log_probs" | "probs" | "logits"
    kwargs: KwargSite | None = None

    @property
    def display(self) -> str:
        return self.api.rsplit(".", 1)[-1]


@dataclass
class LossApplication:
    """A loss computed on model outputs: what fed its input and target."""

    loc: Loc
    loss: Loss
    input_source: str = "unknown"  # "log_softmax" | "softmax" | "model_output" | "unknown"
    target_source: str = "unknown"  # "one_hot" | "unknown"
    lengths_constant: bool | None = None  # CTC input lengths made with torch.full
    log_softmax: tuple[Edit, ...] = ()  # edits that apply `.log_softmax(-1)` to the input (RNN304)


@dataclass
class Trainer:
    loc: Loc
    api: str
    clip_value: Value = UNKNOWN
    detect_anomaly: Value = UNKNOWN
    logger: Value = UNKNOWN
    kwargs: KwargSite | None = None


@dataclass
class TrainingLoop:
    """A training step: backward + update, seen in one function (helpers inlined)."""

    loc: Loc
    kind: str  # "torch" | "lightning" | "keras" | "tf" | "jax"
    function: str
    amp: bool = False
    after_backward: LineSite | None = None  # where clipping goes (torch loops)
    optimizer: str | None = None  # the stepped optimizer's expression
    scaler: str | None = None  # the AMP GradScaler's expression
    torch_name: str | None = None  # what the module calls torch, if it imports it
    import_site: LineSite | None = None
    tf_name: str | None = None  # what the step's module calls the TF namespace it uses ("tf", "tf.compat.v1")
    gradient_list: tuple[LineSite, str] | None = None  # `grads = tape.gradient(...)`: after it, the list's name
    minimize: MinimizeRewrite | None = None  # TF1 `opt.minimize(loss)`, to spell as compute/clip/apply
    config_fixes: dict[str, ConfigSetting] = field(default_factory=dict)  # configs: where the recipe sets "clip", "weight_decay"


@dataclass
class Misplacement:
    loc: Loc
    reason: str
    statement: Loc | None = None  # the clipping statement's whole lines (to move)
    move_to: LineSite | None = None  # right after backward()
    insert_before: tuple[LineSite, str] | None = None  # a statement to add before the clip (AMP unscale_)
    statement_text: str | None = None


@dataclass
class StepLoop:
    """A recurrent cell (or a whole layer) stepped over a sequence in a Python loop (RNN501)."""

    loc: Loc
    cell: str
    framework: str = "torch"
    is_cell: bool = True
    model: str = ""  # the model instance stepped, when the call is to a whole model (`decoder(inp[:, c], h)`)


@dataclass
class Finding:
    """A located piece of evidence with a short description."""

    loc: Loc
    text: str = ""
    added_to_loss: tuple[Edit, ...] = ()  # unused regularization: the edits that add it to the optimized loss (RNN302)


@dataclass
class CtcCheck:
    """Facts about one CTC loss: blank collisions and zero_infinity with variable lengths."""

    loss: Loss
    blank_collision: str | None = None
    variable_lengths: bool = False


@dataclass
class ModelTask:
    """Why a model looks causal or whole-input (RNN102)."""

    causal: list[str] = field(default_factory=list)
    whole_input: list[str] = field(default_factory=list)


@dataclass
class UnitFacts:
    """Everything the rules know about one training unit."""

    entry: str
    paths: list[str]
    recurrent: list[RecurrentLayer] = field(default_factory=list)
    optimizers: list[Optimizer] = field(default_factory=list)
    schedulers: list[Scheduler] = field(default_factory=list)
    clips: list[Clipping] = field(default_factory=list)
    misplaced_clips: list[Misplacement] = field(default_factory=list)
    losses: list[Loss] = field(default_factory=list)
    loss_applications: list[LossApplication] = field(default_factory=list)
    trainers: list[Trainer] = field(default_factory=list)
    loops: list[TrainingLoop] = field(default_factory=list)
    manual_updates: list[Finding] = field(default_factory=list)
    step_loops: list[StepLoop] = field(default_factory=list)
    one_hot_inputs: list[Finding] = field(default_factory=list)
    softmax_outputs: list[Finding] = field(default_factory=list)
    unused_regularization: list[Finding] = field(default_factory=list)
    ctc: list[CtcCheck] = field(default_factory=list)
    padding: list[Finding] = field(default_factory=list)
    dropouts: list[tuple[Loc, Value]] = field(default_factory=list)
    # correctness patterns (analysis.bugfacts); each Finding's text is what its rule's message names
    carried_states: list[Finding] = field(default_factory=list)  # RNN109: the state carried without detach
    bidirectional_last_step: list[Finding] = field(default_factory=list)  # RNN110: "expr|output or hidden|layer"
    packing_misuse: list[Finding] = field(default_factory=list)  # RNN111: "device|lengths" or "unsorted|"
    unzeroed_gradients: list[Finding] = field(default_factory=list)  # RNN209: the training step's function
    silent_training_steps: list[Finding] = field(default_factory=list)  # RNN210: "Class.training_step"
    scheduler_misuse: list[Finding] = field(default_factory=list)  # RNN211: "Name|metric" or "Name|batch|period"
    misordered_decay: list[Finding] = field(default_factory=list)  # RNN306: the learning-rate transform before it
    double_decay: list[Finding] = field(default_factory=list)  # RNN307: where the L2 penalty is
    ctc_axis: list[Finding] = field(default_factory=list)  # RNN308: the log_softmax axis
    # evidence kinds: validation, nan_guard, logging, lr_update, regularization,
    # packing, masking, sampler, oversampling, imbalance, dropout, attention,
    # unaligned_domain, label_sequences
    evidence: dict[str, list[str]] = field(default_factory=dict)
    tasks: dict[str, ModelTask] = field(default_factory=dict)
    unit_task: ModelTask = field(default_factory=ModelTask)
    sequence_length: Value = UNKNOWN  # the longest statically known sequence length (bptt, seq_len ...)
    epochs: Value = UNKNOWN  # the run's length in epochs, when every place that sets it is known (RNN204)
    plateau: PlateauSite | None = None  # where RNN204's unsafe fix adds a ReduceLROnPlateau

    @property
    def has_training(self) -> bool:
        return bool(self.loops)

    def has(self, kind: str) -> bool:
        return bool(self.evidence.get(kind))

    def add_evidence(self, kind: str, text: str) -> None:
        self.evidence.setdefault(kind, []).append(text)

    def task_for(self, layer: RecurrentLayer) -> ModelTask:
        """Task evidence for the model holding ``layer``, merged with the unit's."""
        by_class = self.tasks.get(layer.owner or "", ModelTask())
        by_attr = self.tasks.get(layer.task_key or "", ModelTask())
        if by_attr.causal or by_attr.whole_input:  # the attribute name is the most specific evidence
            own = ModelTask(by_attr.causal, by_attr.whole_input + by_class.whole_input)
        else:
            own = by_class
        if own.whole_input and not own.causal:
            # an explicit encoder/classifier keeps its role beside a decoder in the same unit
            return ModelTask([], own.whole_input + self.unit_task.whole_input)
        return ModelTask(own.causal + self.unit_task.causal, own.whole_input + self.unit_task.whole_input)


# -- sites for the TensorFlow, optax and Keras fixes (constants come from settings when the fix is built) --


@dataclass(frozen=True)
class MinimizeRewrite:
    """``head opt.minimize(loss, ...)`` -> compute_gradients, clip_by_global_norm, apply_gradients."""

    statement: Loc  # the statement, replaced whole
    indent: str
    head: str  # "train_op = ", "return " or ""
    optimizer: str  # the optimizer's expression (a name, or the one bound by `bind`)
    bind: str | None  # "optimizer = tf.train.AdamOptimizer(lr)": a constructed receiver, bound once
    compute_args: str  # "loss, var_list=tvars"
    apply_kwargs: str  # ", global_step=global_step"
    grads: str
    variables: str


@dataclass(frozen=True)
class OptaxChainSite:
    """Where ``optax.clip_by_global_norm(...)`` goes: before ``start`` and, when wrapping, a ")" at ``end``."""

    optax: str  # the module's name for optax
    start: Loc
    end: Loc | None  # None: the optimizer is already in an optax.chain, the clip joins it as first element


@dataclass(frozen=True)
class KerasL2Site:
    """``kernel_regularizer=<regularizers>.l2(...)`` for one Keras recurrent layer."""

    kwargs: KwargSite
    regularizers: str  # "keras.regularizers", "tf.keras.regularizers", "regularizers"
    import_edit: Edit | None = None  # `from tensorflow.keras import regularizers` when the module has no name for it
