"""JAX, Flax (linen and nnx), dm-haiku and Optax rows of the API table (defaults from their docs)."""

from __future__ import annotations

from rnnlint.knowledge.rows import Row, names

_LINEN = ("flax.linen.", "flax.linen.recurrent.")
_NNX = ("flax.nnx.", "flax.nnx.nn.recurrent.")
_OPTAX = ("optax.", "optax._src.alias.")
_SCHED = ("optax.", "optax.schedules.")
_FEATURES = {"features": "hidden_size", "hidden_features": "hidden_size"}
_HAIKU = ("haiku.", "haiku.nets.")  # `import haiku as hk`: hk.LSTM is haiku.LSTM


def _optax(name: str, family: str, sig: str) -> Row:
    return ("optimizer", family, "jax", names(_OPTAX, name), sig, {"learning_rate": "lr"}, {})


ROWS: list[Row] = [
    # --- cells and the wrappers that scan them (a scan is fused, not a Python loop) --------
    ("cell", "lstm", "jax", names(_LINEN, "LSTMCell OptimizedLSTMCell"), "features", _FEATURES, {}),
    ("cell", "gru", "jax", names(_LINEN, "GRUCell MGUCell"), "features", _FEATURES, {}),
    ("cell", "rnn", "jax", names(_LINEN, "SimpleCell"), "features", _FEATURES, {}),
    ("cell", "lstm", "jax", names(_NNX, "LSTMCell OptimizedLSTMCell"), "in_features, hidden_features", _FEATURES, {}),
    ("cell", "gru", "jax", names(_NNX, "GRUCell"), "in_features, hidden_features", _FEATURES, {}),
    ("cell", "rnn", "jax", names(_NNX, "SimpleCell"), "in_features, hidden_features", _FEATURES, {}),
    ("wrapper", "rnn", "jax", names(_LINEN + _NNX, "RNN"), "cell", {}, {"fused": "cell"}),
    (
        "wrapper",
        "bidirectional",
        "jax",
        names(_LINEN + _NNX, "Bidirectional"),
        "forward_rnn, backward_rnn",
        {},
        {"bidirectional": ["forward_rnn", "backward_rnn"]},
    ),
    # --- dm-haiku: cores, unrolled by dynamic_unroll (a lax.scan, fused) or stacked by DeepRNN ---------
    ("cell", "lstm", "jax", names(_HAIKU, "LSTM"), "hidden_size", {}, {}),
    ("cell", "gru", "jax", names(_HAIKU, "GRU"), "hidden_size", {}, {}),
    ("cell", "rnn", "jax", names(_HAIKU, "VanillaRNN"), "hidden_size, double_bias=True", {}, {}),
    (
        "wrapper",
        "rnn",
        "jax",
        names(_HAIKU, "dynamic_unroll static_unroll"),
        "core, input_sequence, initial_state, time_major=True",
        {},
        {"fused": "core"},
    ),
    ("wrapper", "stack", "jax", names(_HAIKU, "DeepRNN"), "layers", {}, {"stack": "layers"}),
    (
        "wrapper",
        "stack",
        "jax",
        names(_HAIKU, "deep_rnn_with_skip_connections deep_rnn_with_skip_connections_and_states"),
        "layers, concat_final_output=True",
        {},
        {"stack": "layers"},
    ),
    (
        "embedding",
        "embedding",
        "jax",
        names(_HAIKU, "Embed"),
        "vocab_size=None, embed_dim=None",
        {"embed_dim": "embedding_dim"},
        {},
    ),
    ("linear", "dense", "jax", names(_HAIKU, "Linear"), "output_size", {"output_size": "out_features"}, {}),
    ("dropout", "dropout", "jax", ("haiku.dropout",), "rng, rate, x", {}, {}),
    # --- embeddings, dropout, dense -----------------------------------------------------------
    (
        "embedding",
        "embedding",
        "jax",
        names(("flax.linen.", "flax.nnx."), "Embed"),
        "num_embeddings, features",
        {"features": "embedding_dim"},
        {},
    ),
    ("dropout", "dropout", "jax", names(("flax.linen.", "flax.nnx."), "Dropout"), "rate", {}, {}),
    ("linear", "dense", "jax", ("flax.linen.Dense",), "features", {"features": "out_features"}, {}),
    ("linear", "dense", "jax", ("flax.nnx.Linear",), "in_features, out_features", {}, {}),
    ("one_hot", "one_hot", "jax", ("jax.nn.one_hot",), "x, num_classes", {}, {}),
    ("softmax", "softmax", "jax", ("jax.nn.softmax",), "x", {}, {}),
    ("softmax", "log_softmax", "jax", ("jax.nn.log_softmax",), "x", {}, {}),
    # --- optax optimizers, clipping, decay ----------------------------------------------------
    _optax("adam", "adam", "learning_rate, b1=0.9, b2=0.999, eps=1e-08"),
    _optax("adamw", "adam", "learning_rate, b1=0.9, b2=0.999, eps=1e-08, eps_root=0.0, mu_dtype=None, weight_decay=0.0001"),
    _optax("adamax", "adam", "learning_rate, b1=0.9, b2=0.999"),
    _optax("nadam", "adam", "learning_rate, b1=0.9, b2=0.999"),
    _optax("lion", "adam", "learning_rate, b1=0.9, b2=0.99, mu_dtype=None, weight_decay=0.001"),
    _optax("sgd", "sgd", "learning_rate, momentum=None, nesterov=False"),
    _optax("rmsprop", "rmsprop", "learning_rate, decay=0.9, eps=1e-08, initial_scale=0.0, centered=False, momentum=None"),
    _optax("adagrad", "adagrad", "learning_rate, initial_accumulator_value=0.1"),
    _optax("adadelta", "adadelta", "learning_rate=None, rho=0.9"),
    (
        "clipper",
        "norm",
        "jax",
        names(_OPTAX, "clip_by_global_norm clip_by_block_rms adaptive_grad_clip"),
        "max_norm",
        {"max_norm": "threshold"},
        {},
    ),
    ("clipper", "value", "jax", names(_OPTAX, "clip"), "max_delta", {"max_delta": "threshold"}, {}),
    ("regularizer", "weight_decay", "jax", names(_OPTAX, "add_decayed_weights"), "weight_decay=0.0", {}, {}),
    (
        "scheduler",
        "exponential",
        "jax",
        names(_SCHED, "exponential_decay"),
        "init_value, transition_steps, decay_rate",
        {"decay_rate": "rate"},
        {"decays": True},
    ),
    (
        "scheduler",
        "cosine",
        "jax",
        names(
            _SCHED,
            "cosine_decay_schedule warmup_cosine_decay_schedule warmup_exponential_decay_schedule "
            "piecewise_constant_schedule sgdr_schedule cosine_onecycle_schedule",
        ),
        "*args",
        {},
        {"decays": True},
    ),
    (
        "scheduler",
        "linear",
        "jax",
        names(_SCHED, "linear_schedule polynomial_schedule"),
        "init_value, end_value",
        {"init_value": "start_factor", "end_value": "end_factor"},
        {"decays": "linear"},
    ),
    ("scheduler", "constant", "jax", names(_SCHED, "constant_schedule"), "value", {}, {"decays": False}),
    ("scheduler", "composite", "jax", names(_SCHED, "join_schedules"), "schedules, boundaries", {}, {"decays": None}),
    ("scheduler", "plateau", "jax", ("optax.contrib.reduce_on_plateau",), "factor=0.1, patience=10", {}, {"decays": True}),
    # --- losses, training steps, NaN guards, logging ----------------------------------------
    (
        "loss_fn",
        "ctc",
        "jax",
        ("optax.ctc_loss", "optax.losses.ctc_loss"),
        "logits, logit_paddings, labels, label_paddings, blank_id=0",
        {"logits": "input", "labels": "target", "blank_id": "blank"},
        {"ctc_input": "logits"},
    ),
    (
        "loss_fn",
        "ce",
        "jax",
        names(("optax.", "optax.losses."), "softmax_cross_entropy softmax_cross_entropy_with_integer_labels"),
        "logits, labels",
        {"logits": "input", "labels": "target"},
        {},
    ),
    (
        "loss_fn",
        "mse",
        "jax",
        names(("optax.", "optax.losses."), "l2_loss squared_error"),
        "predictions, targets",
        {"predictions": "input", "targets": "target"},
        {},
    ),
    ("grad", "grad", "jax", ("jax.grad", "jax.value_and_grad"), "fun", {}, {}),
    ("apply_updates", "apply", "jax", ("optax.apply_updates",), "params, updates", {}, {}),
    (
        "nan_guard",
        "check",
        "jax",
        names(("jax.numpy.",), "isnan isinf isfinite nan_to_num") + ("jax.debug.check_nans",),
        "*args",
        {},
        {},
    ),
    (
        "logger",
        "tensorboard",
        "jax",
        ("flax.metrics.tensorboard.SummaryWriter", "clu.metric_writers.create_default_writer", "tensorboardX.SummaryWriter"),
        "*args",
        {},
        {},
    ),
]
