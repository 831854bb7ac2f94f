"""TensorFlow core rows: TF1-style graphs (tf.compat.v1, tf.contrib) and TF2 custom loops."""

from __future__ import annotations

from rnnlint.knowledge.rows import Row, names

TF = ("tensorflow.", "tensorflow.compat.v1.", "tensorflow.compat.v2.")
_CELLS = tuple(p + "nn.rnn_cell." for p in TF) + ("tensorflow.contrib.rnn.", "tensorflow.compat.v1.contrib.rnn.")
_NUM_UNITS = {"num_units": "hidden_size"}
_KEEP = ["input_keep_prob", "output_keep_prob", "state_keep_prob"]


def _tf(items: str) -> tuple[str, ...]:
    return names(TF, items)


ROWS: list[Row] = [
    # --- TF1 cells and the ops that run them -----------------------------------------------
    ("cell", "rnn", "tf", names(_CELLS, "BasicRNNCell RNNCell"), "num_units, activation=None", _NUM_UNITS, {}),
    (
        "cell",
        "lstm",
        "tf",
        names(_CELLS, "BasicLSTMCell LSTMCell LSTMBlockCell LayerNormBasicLSTMCell CoupledInputForgetGateLSTMCell"),
        "num_units",
        _NUM_UNITS,
        {},
    ),
    ("cell", "gru", "tf", names(_CELLS, "GRUCell GRUBlockCell GRUBlockCellV2"), "num_units", _NUM_UNITS, {}),
    (
        "recurrent",
        "lstm",
        "tf",
        names(("tensorflow.contrib.cudnn_rnn.",), "CudnnLSTM"),
        "num_layers, num_units, input_mode='linear_input', direction='unidirectional', dropout=0.0",
        _NUM_UNITS,
        {"dropout_scope": "between_layers", "direction_param": "direction"},
    ),
    (
        "recurrent",
        "gru",
        "tf",
        names(("tensorflow.contrib.cudnn_rnn.",), "CudnnGRU"),
        "num_layers, num_units, input_mode='linear_input', direction='unidirectional', dropout=0.0",
        _NUM_UNITS,
        {"dropout_scope": "between_layers", "direction_param": "direction"},
    ),
    ("wrapper", "stack", "tf", names(_CELLS, "MultiRNNCell"), "cells, state_is_tuple=True", {}, {"stack": "cells"}),
    (
        "dropout",
        "wrapper",
        "tf",
        names(_CELLS, "DropoutWrapper"),
        "cell, input_keep_prob=1.0, output_keep_prob=1.0, state_keep_prob=1.0",
        {},
        {"keep_params": _KEEP, "fused": None},
    ),
    (
        "wrapper",
        "rnn",
        "tf",
        _tf("nn.dynamic_rnn nn.static_rnn nn.raw_rnn") + ("tensorflow.contrib.rnn.static_rnn",),
        "cell, inputs",
        {},
        {"fused": "cell"},
    ),
    (
        "wrapper",
        "bidirectional",
        "tf",
        _tf("nn.bidirectional_dynamic_rnn nn.static_bidirectional_rnn") + ("tensorflow.contrib.rnn.static_bidirectional_rnn",),
        "cell_fw, cell_bw, inputs",
        {},
        {"bidirectional": ["cell_fw", "cell_bw"], "fused": "cell_fw cell_bw"},
    ),
    (
        "wrapper",
        "bidirectional",
        "tf",
        ("tensorflow.contrib.rnn.stack_bidirectional_dynamic_rnn", "tensorflow.contrib.rnn.stack_bidirectional_rnn"),
        "cells_fw, cells_bw, inputs",
        {},
        {"bidirectional": ["cells_fw", "cells_bw"], "fused": "cells_fw cells_bw"},
    ),
    # --- embeddings, dropout, one-hot ---------------------------------------------------
    ("embedding", "lookup", "tf", _tf("nn.embedding_lookup"), "params, ids", {}, {}),
    ("dropout", "dropout", "tf", _tf("nn.dropout"), "x, *, rate=None, keep_prob=None", {"rate": "rate"}, {}),
    ("dropout", "dropout", "tf", _tf("layers.dropout"), "inputs, rate=0.5", {}, {}),
    ("one_hot", "one_hot", "tf", _tf("one_hot"), "indices, depth", {}, {}),
    ("softmax", "softmax", "tf", _tf("nn.softmax math.softmax"), "logits", {}, {}),
    ("softmax", "log_softmax", "tf", _tf("nn.log_softmax math.log_softmax"), "logits", {}, {}),
    ("masking", "sequence_mask", "tf", _tf("sequence_mask"), "lengths", {}, {}),
    # --- optimizers (TF1 tf.train.*) ---------------------------------------------------------
    *[
        ("optimizer", family, "tf", names(tuple(p + "train." for p in TF), name), sig, {"learning_rate": "lr"}, {})
        for name, family, sig in (
            ("AdamOptimizer", "adam", "learning_rate=0.001, beta1=0.9, beta2=0.999"),
            ("GradientDescentOptimizer", "sgd", "learning_rate, *, momentum=0"),
            ("MomentumOptimizer", "sgd_momentum", "learning_rate, momentum"),
            ("RMSPropOptimizer", "rmsprop", "learning_rate, decay=0.9, momentum=0.0"),
            ("AdagradOptimizer", "adagrad", "learning_rate"),
            ("AdadeltaOptimizer", "adadelta", "learning_rate=0.001"),
        )
    ],
    # --- learning-rate decay, clipping, regularisation -----------------------------------------
    (
        "scheduler",
        "exponential",
        "tf",
        names(
            tuple(p + "train." for p in TF),
            "exponential_decay natural_exp_decay inverse_time_decay piecewise_constant polynomial_decay cosine_decay",
        ),
        "learning_rate, global_step",
        {},
        {"decays": True},
    ),
    (
        "clipper",
        "norm",
        "tf",
        _tf("clip_by_global_norm"),
        "t_list, clip_norm",
        {"clip_norm": "threshold"},
        {"gradient_arg": "t_list"},
    ),
    (
        "clipper",
        "norm",
        "tf",
        _tf("clip_by_norm"),
        "t, clip_norm",
        {"clip_norm": "threshold"},
        {"gradient_arg": "t", "needs_grad_words": True},
    ),
    (
        "clipper",
        "value",
        "tf",
        _tf("clip_by_value"),
        "t, clip_value_min, clip_value_max",
        {},
        {"gradient_arg": "t", "needs_grad_words": True},
    ),
    (
        "regularizer",
        "l2",
        "tf",
        _tf("nn.l2_loss contrib.layers.l2_regularizer losses.get_regularization_loss losses.get_regularization_losses")
        + ("tensorflow.contrib.layers.l2_regularizer",),
        "*args",
        {},
        {},
    ),
    ("reg_collection", "collection", "tf", _tf("get_collection"), "key", {}, {}),
    ("lr_assign", "assign", "tf", _tf("assign"), "ref, value", {}, {}),
    # --- losses ---------------------------------------------------------------------------------
    (
        "loss_fn",
        "ctc",
        "tf",
        _tf("nn.ctc_loss nn.ctc_loss_v2"),
        "labels, logits, label_length, logit_length, logits_time_major=True, unique=None, blank_index=None",
        {"logits": "input", "labels": "target", "logit_length": "input_lengths", "blank_index": "blank"},
        {"ctc_input": "logits"},
    ),
    (
        "loss_fn",
        "ce",
        "tf",
        _tf(
            "nn.sparse_softmax_cross_entropy_with_logits nn.softmax_cross_entropy_with_logits "
            "nn.softmax_cross_entropy_with_logits_v2 losses.sparse_softmax_cross_entropy"
        )
        + ("tensorflow.contrib.seq2seq.sequence_loss", "tensorflow.contrib.legacy_seq2seq.sequence_loss_by_example"),
        "*, labels=None, logits=None",
        {"logits": "input", "labels": "target"},
        {},
    ),
    ("loss_fn", "mse", "tf", _tf("losses.mean_squared_error"), "labels, predictions", {}, {}),
    (
        "crf",
        "crf",
        "tf",
        ("tensorflow.contrib.crf.crf_log_likelihood", "tensorflow_addons.text.crf_log_likelihood"),
        "*args",
        {},
        {},
    ),
    # --- NaN guards and logging --------------------------------------------------------------
    (
        "nan_guard",
        "check",
        "tf",
        _tf(
            "debugging.check_numerics check_numerics debugging.enable_check_numerics math.is_nan math.is_inf math.is_finite "
            "is_nan is_finite debugging.assert_all_finite"
        ),
        "*args",
        {},
        {},
    ),
    (
        "logger",
        "summary",
        "tf",
        _tf("summary.create_file_writer summary.scalar summary.FileWriter summary.merge_all"),
        "*args",
        {},
        {},
    ),
]
