"""Fixes for TensorFlow, Keras, optax and CTC code: the shapes they rewrite, and the ones they leave alone."""

from __future__ import annotations

import ast
import io
from pathlib import Path

from rnnlint.diagnostics import Diagnostic
from rnnlint.fix.command import fix_files
from rnnlint.run.discovery import discover
from rnnlint.run.engine import Linter
from rnnlint.settings.model import Settings
from tests.helpers import strict_lint_files

TF1 = """
import tensorflow as tf

tokens = tf.placeholder(tf.int32, [None, 50])
outputs, state = tf.nn.dynamic_rnn(tf.nn.rnn_cell.LSTMCell(256), tf.one_hot(tokens, 100), dtype=tf.float32)
loss = tf.reduce_mean(tf.layers.dense(state.h, 1))
{step}
"""

TAPE = """
import tensorflow as tf

model = tf.keras.Sequential([tf.keras.layers.LSTM(64{reg}), tf.keras.layers.Dense(1)])
optimizer = tf.keras.optimizers.Adam(1e-3)


@tf.function
def train_step(x, y):
{body}
"""

OPTAX = """
import flax.linen as nn
import jax
{imports}

cell = nn.OptimizedLSTMCell(64)
{tx}


def train_step(params, opt_state, x):
    grads = jax.grad(loss_fn)(params, x)
    updates, opt_state = tx.update(grads, opt_state, params)
    return optax.apply_updates(params, updates), opt_state
"""

CTC = """
import torch
from torch import nn

lstm = nn.LSTM(40, 256)
head = nn.Linear(256, 30)
ctc = nn.CTCLoss(zero_infinity=True)
optimizer = torch.optim.Adam(list(lstm.parameters()) + list(head.parameters()), lr=1e-3)
for x, y, xl, yl in loader:
    out, _ = lstm(x)
{body}
    loss.backward()
    optimizer.step()
"""


def _fix(tmp: Path, files: dict[str, str], code: str, unsafe: bool = False) -> tuple[Diagnostic, dict[str, str]]:
    """The ``code`` diagnostic before fixing, and every file after ``--fix`` (checked to parse and lose ``code``)."""
    diags = [d for d in strict_lint_files(tmp, files) if d.code == code]
    assert diags, f"{code} not reported"

    def run() -> object:
        return Linter(Settings(), [tmp]).run(list(discover([tmp], [])))

    result, _, _ = fix_files(run, unsafe, False, io.StringIO(), io.StringIO())  # type: ignore[arg-type]
    after = {name: (tmp / name).read_text() for name in files}
    for text in after.values():
        ast.parse(text)
    if diags[0].fix is not None and (unsafe or diags[0].fix.applicability == "safe"):
        assert code not in {d.code for d in result.diagnostics}  # type: ignore[attr-defined]
    return diags[0], after


def _fix_one(tmp: Path, source: str, code: str, unsafe: bool = False) -> tuple[Diagnostic, str]:
    d, after = _fix(tmp, {"train.py": source}, code, unsafe)
    return d, after["train.py"]


# -- RNN201: TF1 minimize ---------------------------------------------------------------------


def test_minimize_keeps_var_list_global_step_and_name(tmp_path: Path) -> None:
    step = 'train_op = tf.train.AdamOptimizer(1e-3).minimize(loss, gs, var_list=tvars, name="train")'
    d, after = _fix_one(tmp_path, TF1.format(step=step), "RNN201")
    assert d.fix is not None and d.fix.applicability == "safe"
    assert "grads, variables = zip(*optimizer.compute_gradients(loss, var_list=tvars))" in after
    assert 'train_op = optimizer.apply_gradients(zip(grads, variables), global_step=gs, name="train")' in after


def test_minimize_in_compat_v1_uses_the_files_spelling(tmp_path: Path) -> None:
    src = TF1.format(step="opt = tf.compat.v1.train.AdamOptimizer(1e-3)\ntrain_op = opt.minimize(loss)")
    _, after = _fix_one(tmp_path, src, "RNN201")
    assert "grads, _ = tf.compat.v1.clip_by_global_norm(grads, 5.0)" in after
    assert "train_op = opt.apply_gradients(zip(grads, variables))" in after


def test_minimize_shapes_that_get_no_fix(tmp_path: Path) -> None:
    cases = {
        "kwargs": "opt = tf.train.AdamOptimizer(1e-3)\ntrain_op = opt.minimize(loss, **extra)",
        "comment inside": "opt = tf.train.AdamOptimizer(1e-3)\ntrain_op = opt.minimize(\n    loss,  # why\n)",
        "grads read later": "opt = tf.train.AdamOptimizer(1e-3)\ntrain_op = opt.minimize(loss)\nprint(grads)",
        "one line with another": "opt = tf.train.AdamOptimizer(1e-3)\ntrain_op = opt.minimize(loss); x = 1",
        "keras optimizer": "opt = tf.keras.optimizers.Adam(1e-3)\nopt.minimize(lambda: loss, [w])",
        "nested call": "opt = tf.train.AdamOptimizer(1e-3)\nops = [opt.minimize(loss)]",
    }
    for i, (why, step) in enumerate(cases.items()):
        work = tmp_path / str(i)
        diags = strict_lint_files(work, {"train.py": TF1.format(step=step)})
        fixes = [d.fix for d in diags if d.code == "RNN201"]
        assert fixes == [None], why


# -- RNN201: gradient lists (TF2 tapes, tf.gradients) -------------------------------------------


def test_tape_clip_goes_right_after_the_gradients(tmp_path: Path) -> None:
    body = """\
    with tf.GradientTape() as tape:
        loss = tf.reduce_mean((model(x) - y) ** 2) + sum(model.losses)
    g = tape.gradient(loss, model.trainable_variables)
    optimizer.apply_gradients(zip(g, model.trainable_variables))"""
    _, after = _fix_one(tmp_path, TAPE.format(reg=", kernel_regularizer=tf.keras.regularizers.l2(1e-5)", body=body), "RNN201")
    assert "    g = tape.gradient(loss, model.trainable_variables)\n    g, _ = tf.clip_by_global_norm(g, 5.0)\n" in after


def test_tape_without_a_plain_gradient_list_gets_no_fix(tmp_path: Path) -> None:
    bodies = {
        "list(zip(...))": "    g = tape.gradient(loss, model.trainable_variables)\n"
        "    optimizer.apply_gradients(list(zip(g, model.trainable_variables)))",
        "another list applied": "    g = tape.gradient(loss, model.trainable_variables)\n"
        "    optimizer.apply_gradients(zip(other, model.trainable_variables))",
        "unpacked": "    g, h = tape.gradient(loss, [a, b])\n    optimizer.apply_gradients(zip(g, model.trainable_variables))",
    }
    for i, (why, body) in enumerate(bodies.items()):
        head = "    with tf.GradientTape() as tape:\n        loss = tf.reduce_mean(model(x) - y) + sum(model.losses)\n"
        diags = strict_lint_files(tmp_path / str(i), {"train.py": TAPE.format(reg="", body=head + body)})
        fixes = [d.fix for d in diags if d.code == "RNN201"]
        assert fixes == [None], why


# -- RNN201: optax (unsafe: the optimizer state's structure changes) -----------------------------


def test_optax_in_a_chain_gets_the_clip_first(tmp_path: Path) -> None:
    src = OPTAX.format(imports="import optax", tx="tx = optax.chain(optax.add_decayed_weights(1e-4), optax.adam(1e-3))")
    d, after = _fix_one(tmp_path, src, "RNN201", unsafe=True)
    assert d.fix is not None and d.fix.applicability == "unsafe"
    assert "tx = optax.chain(optax.clip_by_global_norm(5.0), optax.add_decayed_weights(1e-4), optax.adam(1e-3))" in after


def test_optax_without_a_module_name_or_in_another_file_gets_no_fix(tmp_path: Path) -> None:
    src = OPTAX.format(imports="from optax import adamw, apply_updates", tx="tx = adamw(1e-3)")
    src = src.replace("optax.apply_updates", "apply_updates")
    assert [d.fix for d in strict_lint_files(tmp_path / "a", {"train.py": src}) if d.code == "RNN201"] == [None]
    files = {
        "opt.py": "import optax\n\ntx = optax.adamw(1e-3)\n",
        "train.py": OPTAX.format(imports="import optax\nfrom opt import tx", tx=""),
    }
    assert [d.fix for d in strict_lint_files(tmp_path / "b", files) if d.code == "RNN201"] == [None]


# -- RNN301: Keras L2 on the recurrent layers ----------------------------------------------------

KERAS = """
{imports}

model = {keras}.Sequential([{keras}.layers.Embedding(100, 16), {keras}.layers.Bidirectional({keras}.layers.GRU(32))])
model.compile(optimizer={keras}.optimizers.Adam(1e-3, global_clipnorm=5.0), loss="mse")
model.fit(x, y, validation_split=0.1)
"""


def test_keras_l2_reuses_the_modules_keras_name(tmp_path: Path) -> None:
    for i, (imports, keras) in enumerate((("import tensorflow as tf", "tf.keras"), ("import keras", "keras"))):
        _, after = _fix_one(tmp_path / str(i), KERAS.format(imports=imports, keras=keras), "RNN301")
        assert f"{keras}.layers.GRU(32, kernel_regularizer={keras}.regularizers.l2(1e-5))" in after
        assert after.count("import") == 1


def test_keras_l2_not_offered_where_a_custom_loop_or_another_file_trains(tmp_path: Path) -> None:
    loop = """
import tensorflow as tf

model = tf.keras.Sequential([tf.keras.layers.GRU(32), tf.keras.layers.Dense(1)])
optimizer = tf.keras.optimizers.Adam(1e-3, global_clipnorm=5.0)
for x, y in data:
    with tf.GradientTape() as tape:
        loss = tf.reduce_mean(model(x) - y)
    grads = tape.gradient(loss, model.trainable_variables)
    optimizer.apply_gradients(zip(grads, model.trainable_variables))
"""
    assert [d.fix for d in strict_lint_files(tmp_path / "a", {"train.py": loop}) if d.code == "RNN301"] == [None]
    files = {
        "model.py": "import keras\n\n\ndef build():\n    return keras.Sequential([keras.layers.GRU(32)])\n",
        "train.py": "import keras\nfrom model import build\n\nmodel = build()\n"
        "model.compile(optimizer=keras.optimizers.Adam(1e-3, global_clipnorm=5.0), loss='mse')\nmodel.fit(x, y)\n",
    }
    assert [d.fix for d in strict_lint_files(tmp_path / "b", files) if d.code == "RNN301"] == [None]


# -- RNN302: regularization losses into the loss ------------------------------------------------


def test_tape_regularization_needs_the_loss_inside_the_tape(tmp_path: Path) -> None:
    outside = """\
    with tf.GradientTape() as tape:
        pred = model(x)
    loss = tf.reduce_mean(pred - y)
    grads = tape.gradient(loss, model.trainable_variables)
    grads, _ = tf.clip_by_global_norm(grads, 5.0)
    optimizer.apply_gradients(zip(grads, model.trainable_variables))"""
    inside = outside.replace("        pred = model(x)\n    loss", "        pred = model(x)\n        loss")
    reg = ", kernel_regularizer=tf.keras.regularizers.l2(1e-5)"
    diags = strict_lint_files(tmp_path / "a", {"train.py": TAPE.format(reg=reg, body=outside)})
    assert [d.fix for d in diags if d.code == "RNN302"] == [None]
    _, after = _fix_one(tmp_path / "b", TAPE.format(reg=reg, body=inside), "RNN302")
    assert "        loss = tf.reduce_mean(pred - y)\n        loss += sum(model.losses)\n" in after


def test_tf1_penalty_without_its_coefficient_gets_no_fix(tmp_path: Path) -> None:
    step = (
        "l2_loss = tf.nn.l2_loss(tf.trainable_variables()[0])\n"
        "opt = tf.train.AdamOptimizer(1e-3)\n"
        "grads, tvars = zip(*opt.compute_gradients(loss))\n"
        "grads, _ = tf.clip_by_global_norm(grads, 5.0)\n"
        "train_op = opt.apply_gradients(zip(grads, tvars))"
    )
    diags = strict_lint_files(tmp_path, {"train.py": TF1.format(step=step)})
    assert [d.fix for d in diags if d.code == "RNN302"] == [None]


# -- RNN304: raw scores into CTC ----------------------------------------------------------------


def test_ctc_log_softmax_on_a_name_and_not_on_softmax(tmp_path: Path) -> None:
    body = "    logits = head(out)\n    loss = ctc(logits, y, xl, yl)"
    _, after = _fix_one(tmp_path / "a", CTC.format(body=body), "RNN304")
    assert "loss = ctc(logits.log_softmax(-1), y, xl, yl)" in after
    soft = "    loss = ctc(head(out).softmax(-1), y, xl, yl)"
    diags = strict_lint_files(tmp_path / "b", {"train.py": CTC.format(body=soft)})
    assert [d.fix for d in diags if d.code == "RNN304"] == [None]


def test_non_atomic_input_is_parenthesised() -> None:
    from rnnlint.analysis.pyindex import parse_module
    from rnnlint.analysis.tfsites import log_softmax_edits
    from rnnlint.read.source import SourceError

    src = "ctc(a if b else c, y)\n"
    mod = parse_module(src.encode(), "x.py", "x.py")
    assert not isinstance(mod, SourceError)
    call = next(n for n in ast.walk(mod.tree) if isinstance(n, ast.Call))
    edits = log_softmax_edits(mod, call.args[0])
    text = src
    for e in sorted(edits, key=lambda e: e.loc.col, reverse=True):
        text = text[: e.loc.col - 1] + e.content + text[e.loc.col - 1 :]
    assert text == "ctc((a if b else c).log_softmax(-1), y)\n"


def test_torch_penalty_without_a_coefficient_gets_no_fix(tmp_path: Path) -> None:
    src = """
import torch
from torch import nn

lstm = nn.LSTM(40, 256)
optimizer = torch.optim.Adam(lstm.parameters(), lr=1e-3)
for x, y in loader:
    out, _ = lstm(x)
    loss = nn.functional.mse_loss(out, y)
    l2_penalty = {term}
    loss.backward()
    optimizer.step()
"""
    bare = strict_lint_files(tmp_path / "a", {"train.py": src.format(term="sum(p.pow(2).sum() for p in lstm.parameters())")})
    assert [d.fix for d in bare if d.code == "RNN302"] == [None]
    weighted = src.format(term="1e-5 * sum(p.pow(2).sum() for p in lstm.parameters())")
    _, after = _fix_one(tmp_path / "b", weighted, "RNN302")
    assert "    loss = loss + l2_penalty\n    loss.backward()" in after
