"""Keras 2/3, tf.keras and tf_keras rows of the API table (defaults from the Keras docs)."""

from __future__ import annotations

from typing import Any

from rnnlint.knowledge.rows import Row, names

KERAS = ("keras.", "tensorflow.keras.", "tf_keras.", "tensorflow.python.keras.", "keras.src.")
_L = tuple(p + "layers." for p in KERAS)

_REGULARIZERS = "kernel_regularizer=None, recurrent_regularizer=None, bias_regularizer=None, activity_regularizer=None"
_RNN_TAIL = (
    f"*, {_REGULARIZERS}, dropout=0.0, recurrent_dropout=0.0, return_sequences=False, return_state=False, "
    "go_backwards=False, stateful=False, unroll=False"
)
# Options that keep the fused cuDNN kernel eligible (RNN502): name -> required value.
_CUDNN_LSTM = {"activation": "tanh", "recurrent_activation": "sigmoid", "recurrent_dropout": 0, "unroll": False, "use_bias": True}
_CUDNN_GRU = {**_CUDNN_LSTM, "reset_after": True}
_UNITS = {"units": "hidden_size"}


def _layer(name: str) -> tuple[str, ...]:
    return (
        names(_L, name)
        + names(tuple(p + "layers.recurrent." for p in KERAS), name)
        + names(tuple(p + "layers.rnn." for p in KERAS), name)
    )


def _optimizer(name: str, family: str, lr: float, sig: str = "", extra: dict[str, Any] | None = None) -> Row:
    prefixes = tuple(p + "optimizers." for p in KERAS) + tuple(p + "optimizers.legacy." for p in KERAS)
    prefixes += tuple(p + "optimizers.experimental." for p in KERAS)
    return (
        "optimizer",
        family,
        "keras",
        names(prefixes, name),
        f"learning_rate={lr}{sig}, *, weight_decay=None, clipnorm=None, clipvalue=None, global_clipnorm=None, decay=0.0, lr=None",
        {"learning_rate": "lr", "lr": "lr_legacy", "decay": "lr_decay"},
        {"clip_params": {"clipnorm": "norm", "global_clipnorm": "norm", "clipvalue": "value"}, **(extra or {})},
    )


def _schedule(name: str, sig: str, extra: dict[str, Any]) -> Row:
    prefixes = tuple(p + "optimizers.schedules." for p in KERAS) + tuple(p + "experimental." for p in KERAS)
    return ("scheduler", name.lower(), "keras", names(prefixes, name), sig, {}, extra)


def _callback(
    role: str, kind: str, name: str, sig: str, renames: dict[str, str] | None = None, extra: dict[str, Any] | None = None
) -> Row:
    return (role, kind, "keras", names(tuple(p + "callbacks." for p in KERAS), name), sig, renames or {}, extra or {})


ROWS: list[Row] = [
    # --- recurrent layers, cells and wrappers ----------------------------------------
    (
        "recurrent",
        "lstm",
        "keras",
        _layer("LSTM CuDNNLSTM"),
        f"units, activation='tanh', recurrent_activation='sigmoid', use_bias=True, {_RNN_TAIL}",
        _UNITS,
        {"cudnn": _CUDNN_LSTM},
    ),
    (
        "recurrent",
        "gru",
        "keras",
        _layer("GRU CuDNNGRU"),
        f"units, activation='tanh', recurrent_activation='sigmoid', use_bias=True, {_RNN_TAIL}, reset_after=True",
        _UNITS,
        {"cudnn": _CUDNN_GRU},
    ),
    ("recurrent", "rnn", "keras", _layer("SimpleRNN"), f"units, activation='tanh', use_bias=True, {_RNN_TAIL}", _UNITS, {}),
    ("cell", "lstm", "keras", _layer("LSTMCell"), "units, *, dropout=0.0, recurrent_dropout=0.0", _UNITS, {}),
    ("cell", "gru", "keras", _layer("GRUCell"), "units, *, dropout=0.0, recurrent_dropout=0.0", _UNITS, {}),
    ("cell", "rnn", "keras", _layer("SimpleRNNCell"), "units, *, dropout=0.0, recurrent_dropout=0.0", _UNITS, {}),
    ("wrapper", "rnn", "keras", _layer("RNN"), "cell, return_sequences=False", {}, {"fused": "cell"}),
    (
        "wrapper",
        "bidirectional",
        "keras",
        _layer("Bidirectional"),
        "layer, merge_mode='concat', weights=None, backward_layer=None",
        {},
        {"bidirectional": ["layer", "backward_layer"]},
    ),
    ("wrapper", "stack", "keras", _layer("StackedRNNCells"), "cells", {}, {"stack": "cells"}),
    # --- embeddings, dropout, dense ---------------------------------------------------
    (
        "embedding",
        "embedding",
        "keras",
        names(_L, "Embedding"),
        "input_dim, output_dim, *, embeddings_regularizer=None, mask_zero=False",
        {"input_dim": "num_embeddings", "output_dim": "embedding_dim"},
        {"masking_param": "mask_zero"},
    ),
    ("masking", "masking", "keras", names(_L, "Masking"), "mask_value=0.0", {}, {}),
    (
        "dropout",
        "dropout",
        "keras",
        names(_L, "Dropout SpatialDropout1D AlphaDropout GaussianDropout"),
        "rate",
        {"rate": "rate"},
        {},
    ),
    (
        "linear",
        "dense",
        "keras",
        names(_L, "Dense"),
        "units, activation=None, use_bias=True, *, kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None",
        {"units": "out_features"},
        {},
    ),
    ("attention", "attention", "keras", names(_L, "Attention AdditiveAttention MultiHeadAttention"), "*args", {}, {}),
    ("regularizer", "l2", "keras", names(tuple(p + "regularizers." for p in KERAS), "l1 l2 l1_l2 L1 L2 L1L2"), "*args", {}, {}),
    # --- optimizers (Keras defaults) ----------------------------------------------------
    _optimizer("Adam", "adam", 0.001),
    _optimizer("AdamW", "adam", 0.001, extra={"weight_decay_default": 0.004}),
    _optimizer("Adamax", "adam", 0.001),
    _optimizer("Nadam", "adam", 0.001),
    _optimizer("Lion", "adam", 0.001),
    _optimizer("SGD", "sgd", 0.01, ", momentum=0.0, nesterov=False"),
    _optimizer("RMSprop", "rmsprop", 0.001, ", rho=0.9, momentum=0.0"),
    _optimizer("Adagrad", "adagrad", 0.001),
    _optimizer("Adadelta", "adadelta", 0.001),
    _optimizer("Ftrl", "ftrl", 0.001),
    # --- learning-rate schedules and callbacks --------------------------------------------
    _schedule("ExponentialDecay", "initial_learning_rate, decay_steps, decay_rate, staircase=False", {"decays": True}),
    _schedule("PiecewiseConstantDecay", "boundaries, values", {"decays": True}),
    _schedule("CosineDecay", "initial_learning_rate, decay_steps, alpha=0.0", {"decays": True}),
    _schedule("CosineDecayRestarts", "initial_learning_rate, first_decay_steps", {"decays": True}),
    _schedule("InverseTimeDecay", "initial_learning_rate, decay_steps, decay_rate", {"decays": True}),
    _schedule("PolynomialDecay", "initial_learning_rate, decay_steps, end_learning_rate=0.0001", {"decays": True}),
    _callback("scheduler", "plateau", "ReduceLROnPlateau", "monitor='val_loss', factor=0.1, patience=10", extra={"decays": True}),
    _callback("scheduler", "lambda", "LearningRateScheduler", "schedule, verbose=0", extra={"decays": True}),
    _callback("nan_guard", "terminate", "TerminateOnNaN", "*args"),
    _callback("logger", "keras", "CSVLogger TensorBoard History", "*args"),
    # --- losses -------------------------------------------------------------------------
    *[
        (
            "loss",
            kind,
            "keras",
            names(tuple(p + "losses." for p in KERAS), cls),
            "*, from_logits=False",
            {},
            {"call_order": "true_pred"},
        )
        for kind, cls in (
            ("ce", "SparseCategoricalCrossentropy CategoricalCrossentropy"),
            ("bce", "BinaryCrossentropy"),
            ("mse", "MeanSquaredError"),
            ("l1", "MeanAbsoluteError Huber"),
        )
    ],
    (
        "loss_fn",
        "ctc",
        "keras",
        names(tuple(p + "backend." for p in KERAS), "ctc_batch_cost"),
        "y_true, y_pred, input_length, label_length",
        {"y_pred": "input", "y_true": "target", "input_length": "input_lengths"},
        {"ctc_input": "probs"},
    ),
    (
        "loss_fn",
        "ctc",
        "keras",
        ("keras.ops.ctc_loss",),
        "target, output, target_length, output_length, mask_index=0",
        {"output": "input", "output_length": "input_lengths", "mask_index": "blank"},
        {"ctc_input": "logits"},
    ),
    (
        "padding",
        "pad",
        "keras",
        names(tuple(p + "preprocessing.sequence." for p in KERAS) + tuple(p + "utils." for p in KERAS), "pad_sequences"),
        "sequences, maxlen=None",
        {},
        {},
    ),
    ("one_hot", "one_hot", "keras", names(tuple(p + "utils." for p in KERAS), "to_categorical"), "x, num_classes=None", {}, {}),
]

# compile(optimizer="adam"): the string's optimizer family and Keras default learning rate.
OPTIMIZER_STRINGS: dict[str, tuple[str, float]] = {
    "adam": ("adam", 0.001),
    "adamw": ("adam", 0.001),
    "adamax": ("adam", 0.001),
    "nadam": ("adam", 0.001),
    "lion": ("adam", 0.001),
    "sgd": ("sgd", 0.01),
    "rmsprop": ("rmsprop", 0.001),
    "adagrad": ("adagrad", 0.001),
    "adadelta": ("adadelta", 0.001),
    "ftrl": ("ftrl", 0.001),
}

# compile(loss="..."): the loss kind of Keras' string identifiers.
LOSS_STRINGS: dict[str, str] = {
    "sparse_categorical_crossentropy": "ce",
    "categorical_crossentropy": "ce",
    "binary_crossentropy": "bce",
    "mse": "mse",
    "mean_squared_error": "mse",
    "mae": "l1",
    "mean_absolute_error": "l1",
    "huber": "l1",
}
