"""TensorFlow / Keras backend of the reference trainers.

Model (D9, D1-D3, D7): ``Embedding(mask_zero=True)`` for tokens or ``Masking`` for
frames -> dropout -> stacked ``LSTM``/``GRU``/``SimpleRNN`` layers, each wrapped in
``Bidirectional`` when configured, with dropout between them -> dropout -> dense head.
The recurrent layers keep Keras' defaults that leave the fused cuDNN kernel eligible on
a GPU: tanh/sigmoid activations, ``recurrent_dropout=0``, ``unroll=False``, biases on,
GRU ``reset_after=True``; dropout sits in separate layers. Losses (D5): cross entropy, or
``tf.nn.ctc_loss`` on logits, or a mean squared error for regression. The custom step adds an L2 term over every weight to the
loss (D8; AdamW decays decoupled instead), clips the global norm with
``tf.clip_by_global_norm`` (D6.4); the loop's NaN guard (D6.1) undoes a non-finite step. TensorFlow
places the work on a GPU when it sees one. tensorflow is imported here only.
"""

from __future__ import annotations

import os
from typing import Any

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras
import numpy as np
import tensorflow as tf

from rnnlint.reference.loop import Batch, Plan, StepOut
from rnnlint.reference.tasks import TaskData

OPTIMIZERS = {
    "adam": keras.optimizers.Adam,
    "adamw": keras.optimizers.AdamW,
    "rmsprop": keras.optimizers.RMSprop,
    "adadelta": keras.optimizers.Adadelta,
    "adagrad": keras.optimizers.Adagrad,
    "sgd": keras.optimizers.SGD,
}


def build_model(plan: Plan) -> keras.Model:
    """embedding -> dropout -> stacked (bi)RNN -> dropout -> head; one output per sequence or per step."""
    m, data = plan.cfg.model, plan.data
    per_step = data.kind in ("tagging", "ctc")  # one output per sequence for classes and regression
    padded = _padded(data)  # mask the padding; a mask over unpadded data would only cost time
    if data.tokens:
        assert m.embedding_dim is not None and data.vocab_size is not None
        inputs = keras.Input(shape=(None,), dtype="int32")
        # N(0, 1) as torch's nn.Embedding, so that both frameworks start alike
        embed = keras.layers.Embedding(
            data.vocab_size, m.embedding_dim, mask_zero=padded, embeddings_initializer=keras.initializers.RandomNormal(stddev=1.0)
        )
        h = embed(inputs)
    else:
        inputs = keras.Input(shape=(None, data.feature_dim), dtype="float32")
        h = keras.layers.Masking(mask_value=0.0)(inputs) if padded else inputs
    h = keras.layers.Dropout(m.dropout)(h)
    for i in range(m.num_layers):
        last = i == m.num_layers - 1
        sequences = per_step or not last
        if m.cell == "lstm":
            layer = keras.layers.LSTM(m.hidden_size, return_sequences=sequences)
        elif m.cell == "gru":
            layer = keras.layers.GRU(m.hidden_size, return_sequences=sequences)
        else:  # the plain RNN, for comparisons (D1 prefers the LSTM)
            layer = keras.layers.SimpleRNN(m.hidden_size, return_sequences=sequences)
        if m.bidirectional:
            layer = keras.layers.Bidirectional(layer)
        h = layer(h)
        h = keras.layers.Dropout(m.dropout)(h)  # between layers, and before the head after the last one
    outputs = keras.layers.Dense(data.num_classes)(h)
    return keras.Model(inputs, outputs)


def _padded(data: TaskData) -> bool:
    return any(s is not None and bool((s.x_len < s.x.shape[1]).any()) for s in (data.train, data.val))


def _optimizer(plan: Plan) -> Any:
    o = plan.cfg.optim
    kwargs: dict[str, Any] = {"learning_rate": o.lr}
    if o.name == "adamw":
        kwargs["weight_decay"] = o.weight_decay
    if o.name in ("sgd", "rmsprop"):
        kwargs["momentum"] = o.momentum
    return OPTIMIZERS[o.name](**kwargs)


class KerasBackend:
    framework = "tensorflow"

    def __init__(self, plan: Plan) -> None:
        cfg = plan.cfg
        keras.utils.set_random_seed(cfg.train.seed)
        self.plan = plan
        self.device = "gpu" if tf.config.list_physical_devices("GPU") else "cpu"
        self.model = build_model(plan)
        self.optimizer = _optimizer(plan)
        self.optimizer.build(self.model.trainable_variables)
        self.clip = float(cfg.optim.clip_norm or 0.0)
        # D8: an L2 term in the loss; AdamW applies decoupled weight decay itself.
        self.l2 = 0.0 if cfg.optim.name == "adamw" else float(cfg.optim.weight_decay)
        weights = plan.class_weights or [1.0] * plan.data.num_classes
        self.class_weights = tf.constant(weights, tf.float32)
        nonblank = [i for i in range(plan.data.num_classes) if i != cfg.loss.blank]
        self.label_index = tf.constant([0, *nonblank], tf.int32)  # label symbol -> output index
        self.blank = cfg.loss.blank
        tokens = plan.data.tokens
        x_spec = (
            tf.TensorSpec([None, None], tf.int32) if tokens else tf.TensorSpec([None, None, plan.data.feature_dim], tf.float32)
        )
        if plan.data.kind == "regression":
            y_spec = tf.TensorSpec([None], tf.float32)
        else:
            y_spec = tf.TensorSpec([None] if plan.data.kind == "classification" else [None, None], tf.int32)
        len_spec = tf.TensorSpec([None], tf.int32)
        scalar = tf.TensorSpec([], tf.float32)
        # Plain Python control flow only (decided while tracing), so no autograph: it halves the tracing time.
        self._train = tf.function(self._train_step, input_signature=[x_spec, y_spec, len_spec, len_spec, scalar], autograph=False)
        self._eval = tf.function(self._evaluate, input_signature=[x_spec, y_spec, len_spec, len_spec], autograph=False)

    # --- traced functions ---

    def _loss(self, logits: Any, y: Any, x_len: Any, y_len: Any) -> Any:
        if self.plan.loss == "ctc":
            # Sparse labels select TensorFlow's fused CTC kernel (dense ones a much slower scan).
            where = tf.where(tf.sequence_mask(y_len, tf.shape(y)[1]))
            labels = tf.SparseTensor(where, tf.gather_nd(tf.gather(self.label_index, y), where), tf.cast(tf.shape(y), tf.int64))
            per_seq = tf.nn.ctc_loss(
                labels=labels,
                logits=logits,
                label_length=None,
                logit_length=x_len,
                logits_time_major=False,
                blank_index=self.blank,
            )
            return tf.reduce_mean(per_seq / tf.cast(tf.maximum(y_len, 1), tf.float32))
        if self.plan.loss == "mse":
            return tf.reduce_mean(tf.square(tf.squeeze(logits, -1) - y))
        valid = y >= 0  # per-step tags use -1 on padding
        safe = tf.where(valid, y, 0)
        ce = tf.nn.sparse_softmax_cross_entropy_with_logits(labels=safe, logits=logits)
        w = tf.gather(self.class_weights, safe) * tf.cast(valid, tf.float32)
        return tf.reduce_sum(ce * w) / tf.maximum(tf.reduce_sum(w), 1e-9)  # weighted mean, as torch's CrossEntropyLoss

    def _train_step(self, x: Any, y: Any, x_len: Any, y_len: Any, poison: Any) -> Any:
        variables = self.model.trainable_variables
        with tf.GradientTape() as tape:
            logits = self.model(x, training=True)
            loss = self._loss(logits, y, x_len, y_len) * poison
            total = loss + self.l2 * tf.add_n([tf.nn.l2_loss(v) for v in variables]) if self.l2 else loss
        # Dense gradients: the embedding's sparse slices would count repeated rows apart in the global norm.
        grads = [tf.convert_to_tensor(g) for g in tape.gradient(total, variables)]
        if self.clip > 0:  # D6.4: clip the global norm before the update
            grads, norm = tf.clip_by_global_norm(grads, self.clip)
        else:
            norm = tf.linalg.global_norm(grads)
        self.optimizer.apply_gradients(zip(grads, variables, strict=True))
        return loss, norm, logits

    def _evaluate(self, x: Any, y: Any, x_len: Any, y_len: Any) -> Any:
        logits = self.model(x, training=False)
        return self._loss(logits, y, x_len, y_len), logits

    # --- the backend protocol ---

    def _args(self, batch: Batch) -> tuple[Any, Any, Any, Any]:
        x = np.asarray(batch.x)
        x = x.astype(np.int32) if self.plan.data.tokens else x.astype(np.float32)
        y_len = batch.y_len if batch.y_len is not None else np.zeros(x.shape[0])
        y = np.asarray(batch.y, np.float32 if self.plan.loss == "mse" else np.int32)
        return x, y, np.asarray(batch.x_len, np.int32), np.asarray(y_len, np.int32)

    def train_step(self, batch: Batch) -> StepOut:
        poison = np.float32("nan") if batch.poison else np.float32(1.0)
        loss, norm, logits = self._train(*self._args(batch), poison)
        return StepOut(float(loss), float(norm), logits.numpy())

    def eval_step(self, batch: Batch) -> tuple[float, Any]:
        loss, logits = self._eval(*self._args(batch))
        return float(loss), logits.numpy()

    def get_lr(self) -> float:
        return float(self.optimizer.learning_rate.numpy())

    def set_lr(self, lr: float) -> None:
        self.optimizer.learning_rate.assign(lr)

    def snapshot(self) -> Any:
        return {
            "model": [v.numpy().copy() for v in self.model.variables],
            "optimizer": [v.numpy().copy() for v in self.optimizer.variables],
        }

    def restore(self, state: Any) -> None:
        for v, value in zip(self.model.variables, state["model"], strict=True):
            v.assign(value)
        for v, value in zip(self.optimizer.variables, state["optimizer"], strict=True):
            v.assign(value)

    def weights(self) -> list[Any]:
        return [v.numpy().copy() for v in self.model.trainable_variables]
