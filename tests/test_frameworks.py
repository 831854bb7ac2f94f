"""Every frontend feeds the same facts: one scenario in four frameworks gives the same findings.

tests/frameworks/ holds a sentiment classifier (one unidirectional 1024-unit LSTM, Adam at
0.05, no clipping, decay, regularization, validation, NaN guard or logging) written for
PyTorch, Keras, TF1, Flax/Optax and Haiku/Optax. Then the traps of each framework.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import codes, lint, lint_files

FORMS = Path(__file__).parent / "frameworks"
EXPECTED = ["RNN102", "RNN103", "RNN104", "RNN105", "RNN201", "RNN204", "RNN206", "RNN208", "RNN301", "RNN402", "RNN403"]


@pytest.mark.parametrize("form", ["torch_form.py", "keras_form.py", "tf1_form.py", "flax_form.py", "haiku_form.py"])
def test_same_scenario_same_codes_in_every_framework(form: str, tmp_path: Path) -> None:
    diags = lint(tmp_path, (FORMS / form).read_text())
    assert sorted(codes(diags)) == EXPECTED


def _keras(body: str, compile_args: str = 'optimizer="adam", loss="binary_crossentropy"', fit: str = "") -> str:
    return f"""
from tensorflow import keras
from tensorflow.keras import layers

{body}
model.compile({compile_args})
model.fit(x, y, validation_split=0.1{fit})
"""


def test_alias_of_lstm_named_rnn_is_not_a_vanilla_rnn(tmp_path: Path) -> None:
    src = _keras("RNN = layers.LSTM\nmodel = keras.Sequential([layers.Embedding(1000, 64), RNN(256), layers.Dense(1)])")
    assert "RNN101" not in codes(lint(tmp_path, src))


def test_user_class_named_lstm_shadows_nothing(tmp_path: Path) -> None:
    src = _keras("class LSTM(layers.Layer):\n    pass\nmodel = keras.Sequential([layers.Embedding(1000, 64), LSTM(), layers.Dense(1)])")
    assert codes(lint(tmp_path, src)) == []  # no recurrent layer known: nothing to say


def test_forward_and_go_backwards_pair_is_bidirectional(tmp_path: Path) -> None:
    src = _keras(
        "inp = keras.Input((None,))\nemb = layers.Embedding(1000, 64)(inp)\n"
        "fwd = layers.GRU(256)(emb)\nbwd = layers.GRU(256, go_backwards=True)(emb)\n"
        "out = layers.Dense(1)(layers.concatenate([fwd, bwd]))\nsentiment_classifier = keras.Model(inp, out)\nmodel = sentiment_classifier"
    )
    assert "RNN102" not in codes(lint(tmp_path, src))
    assert "RNN102" in codes(lint(tmp_path, src.replace(", go_backwards=True", "")))


TF1 = """
import tensorflow.compat.v1 as tf
keep_prob = tf.placeholder_with_default(1.0, shape=())
cell = tf.nn.rnn_cell.DropoutWrapper(tf.nn.rnn_cell.LSTMCell(256), output_keep_prob=keep_prob)
cells = tf.nn.rnn_cell.MultiRNNCell([cell] * 2)
outputs, _ = tf.nn.dynamic_rnn(cells, inputs, dtype=tf.float32)
loss = tf.reduce_mean(outputs)
{train}
"""


def test_keep_prob_fed_at_run_time_is_dropout(tmp_path: Path) -> None:
    diags = lint(tmp_path, TF1.format(train="train_op = tf.train.AdamOptimizer(1e-3).minimize(loss)"))
    assert "RNN105" not in codes(diags) and "RNN103" not in codes(diags)
    fixed = TF1.replace("output_keep_prob=keep_prob", "output_keep_prob=1.0").format(train="")
    assert "RNN105" in codes(lint(tmp_path, fixed))


def test_a_comment_or_an_unused_variable_is_not_clipping(tmp_path: Path) -> None:
    src = _keras("# clipnorm would help here\nclip_norm = 1.0\nmodel = keras.Sequential([layers.LSTM(256), layers.Dense(1)])")
    assert "RNN201" in codes(lint(tmp_path, src))
    passed = src.replace('optimizer="adam"', "optimizer=keras.optimizers.Adam(clipnorm=clip_norm)")
    assert "RNN201" not in codes(lint(tmp_path, passed))


def test_clip_switched_off_in_a_config_class_is_no_clipping(tmp_path: Path) -> None:
    src = """
import tensorflow.compat.v1 as tf

class Config:
    clip = {clip}

def add_train_op(loss, clip):
    optimizer = tf.train.AdamOptimizer(0.001)
    if clip > 0:
        grads, tvars = zip(*optimizer.compute_gradients(loss))
        grads, _ = tf.clip_by_global_norm(grads, clip)
        return optimizer.apply_gradients(zip(grads, tvars))
    return optimizer.minimize(loss)

cell = tf.nn.rnn_cell.LSTMCell(256)
outputs, _ = tf.nn.dynamic_rnn(cell, inputs, dtype=tf.float32)
train_op = add_train_op(tf.reduce_mean(outputs), Config.clip)
"""
    assert "RNN201" in codes(lint(tmp_path, src.format(clip=-1)))
    assert "RNN201" not in codes(lint(tmp_path, src.format(clip=5.0)))


def test_class_weights_computed_but_not_passed_to_fit(tmp_path: Path) -> None:
    body = (
        "from sklearn.utils.class_weight import compute_class_weight\n"
        "class_weights = dict(enumerate(compute_class_weight('balanced', classes=[0, 1], y=y)))\n"
        "model = keras.Sequential([layers.Embedding(1000, 64), layers.LSTM(256), layers.Dense(2)])"
    )
    loss = 'optimizer="adam", loss=keras.losses.SparseCategoricalCrossentropy()'
    assert "RNN401" in codes(lint(tmp_path, _keras(body, loss)))
    assert "RNN401" not in codes(lint(tmp_path, _keras(body, loss, fit=", class_weight=class_weights")))


def test_seed_tf1_idiom_is_recognized_exactly(tmp_path: Path) -> None:
    src = """
import tensorflow as tf
cell = tf.nn.rnn_cell.LSTMCell(256)
outputs, _ = tf.nn.dynamic_rnn(cell, inputs, dtype=tf.float32)
loss = tf.reduce_mean(outputs)
optimizer = tf.train.AdamOptimizer(learning_rate=0.001, beta1=0.5)
grads, variables = zip(*optimizer.compute_gradients(loss))
grads, global_norm = tf.clip_by_global_norm(grads, 5)
train_op = optimizer.apply_gradients(zip(grads, variables))
reg_set = tf.get_collection(tf.GraphKeys.REGULARIZATION_LOSSES)
loss = loss + tf.add_n(reg_set)
"""
    found = codes(lint(tmp_path, src))
    assert not {"RNN201", "RNN202", "RNN301", "RNN302", "RNN206"} & set(found)
    unused = src.replace("loss = loss + tf.add_n(reg_set)\n", "")
    assert "RNN302" in codes(lint(tmp_path, unused))


def test_tf_clipped_gradients_not_applied(tmp_path: Path) -> None:
    src = """
import tensorflow as tf
model = tf.keras.Sequential([tf.keras.layers.LSTM(256), tf.keras.layers.Dense(1)])
optimizer = tf.keras.optimizers.Adam()
def train_step(x, y):
    with tf.GradientTape() as tape:
        loss = tf.reduce_mean(tf.square(model(x) - y))
    gradients = tape.gradient(loss, model.trainable_variables)
    clipped, _ = tf.clip_by_global_norm(gradients, 5.0)
    optimizer.apply_gradients(zip(gradients, model.trainable_variables))
"""
    d = [x for x in lint(tmp_path, src) if x.code == "RNN202"]
    assert len(d) == 1 and "`gradients`" in d[0].message
    assert "RNN202" not in codes(lint(tmp_path, src.replace("zip(gradients,", "zip(clipped,")))


def test_optax_chain_clipping_counts_and_is_not_misplaced(tmp_path: Path) -> None:
    src = (FORMS / "flax_form.py").read_text().replace(
        "tx = optax.adam(learning_rate=0.05)", "tx = optax.chain(optax.clip_by_global_norm(1.0), optax.adam(learning_rate=0.05))"
    )
    found = codes(lint(tmp_path, src))
    assert "RNN201" not in found and "RNN202" not in found


def test_keras_recurrent_dropout_disables_cudnn(tmp_path: Path) -> None:
    src = _keras("model = keras.Sequential([layers.LSTM(256, recurrent_dropout=0.2), layers.Dense(1)])")
    d = [x for x in lint(tmp_path, src) if x.code == "RNN502"]
    assert len(d) == 1 and "recurrent_dropout=0.2" in d[0].message
    assert "RNN502" not in codes(lint(tmp_path, src.replace("recurrent_dropout=0.2", "dropout=0.2")))


def test_model_module_alone_gets_the_training_context_of_its_importer(tmp_path: Path) -> None:
    files = {
        "model.py": "import torch.nn as nn\nclass Net(nn.Module):\n    def __init__(self, hidden=256):\n        super().__init__()\n        self.rnn = nn.LSTM(8, hidden, 2)\n",
        "train.py": "from model import Net\nnet = Net(hidden=4096)\n",
    }
    diags = lint_files(tmp_path, files, only=["model.py"])
    assert [Path(d.loc.path).name for d in diags if d.code == "RNN104"] == ["model.py"]


def _haiku(forward: str) -> str:
    return f"""
import haiku as hk
import jax
import optax

{forward}

def train(params, batches, rng):
    model = hk.transform(forward)
    tx = optax.chain(optax.clip_by_global_norm(5.0), optax.adamw(optax.exponential_decay(1e-3, 1000, 0.5), weight_decay=1e-4))
    opt_state = tx.init(params)

    def loss_fn(params, x, y):
        return optax.softmax_cross_entropy_with_integer_labels(model.apply(params, rng, x), y).mean()

    for x, y in batches:
        grads = jax.grad(loss_fn)(params, x, y)
        updates, opt_state = tx.update(grads, opt_state, params)
        params = optax.apply_updates(params, updates)
    return params
"""


def test_haiku_deep_rnn_stack_stepped_in_a_python_loop_is_not_single_layer(tmp_path: Path) -> None:
    src = _haiku(
        "def forward(x):\n"
        "    core = hk.DeepRNN([hk.LSTM(256) for _ in range(2)])\n"
        "    state = core.initial_state(x.shape[1])\n"
        "    outs = []\n"
        "    for t in range(x.shape[0]):\n"
        "        o, state = core(x[t], state)\n"
        "        outs.append(o)\n"
        "    return hk.Linear(2)(outs[-1])\n"
    )
    assert "RNN103" not in codes(lint(tmp_path, src))
    one = src.replace("range(2)", "range(1)")
    assert "RNN103" in codes(lint(tmp_path, one))  # the same code with one layer is single-layer


def test_haiku_skip_connection_stack_counts_its_layers(tmp_path: Path) -> None:
    src = _haiku(
        "def forward(x):\n"
        "    core = hk.deep_rnn_with_skip_connections([hk.LSTM(256), hk.LSTM(256)])\n"
        "    out, _ = hk.dynamic_unroll(core, x, core.initial_state(x.shape[1]))\n"
        "    return hk.Linear(2)(out[-1])\n"
    )
    assert "RNN103" not in codes(lint(tmp_path, src))


def test_haiku_vanilla_rnn_and_dropout(tmp_path: Path) -> None:
    src = _haiku(
        "def forward(x):\n"
        "    core = hk.VanillaRNN(256)\n"
        "    out, _ = hk.dynamic_unroll(core, x, core.initial_state(x.shape[1]))\n"
        "    return hk.Linear(2)(out[-1])\n"
    )
    found = codes(lint(tmp_path, src))
    assert "RNN101" in found and "RNN105" in found
    dropped = src.replace("    return hk.Linear(2)(out[-1])", "    out = hk.dropout(hk.next_rng_key(), 0.5, out)\n    return hk.Linear(2)(out[-1])")
    found = codes(lint(tmp_path, dropped))
    assert "RNN101" in found and "RNN105" not in found


def test_tf1_multirnncell_stepped_in_a_python_loop_counts_its_layers(tmp_path: Path) -> None:
    src = """
import tensorflow as tf

def make_cell():
    return tf.nn.rnn_cell.LSTMCell(256)

cell = tf.nn.rnn_cell.MultiRNNCell([make_cell() for _ in range(3)])
state = cell.zero_state(32, tf.float32)
outputs = []
for t in range(50):
    out, state = cell(inputs[:, t], state)
    outputs.append(out)
"""
    assert "RNN103" not in codes(lint(tmp_path, src))
