"""How to act on a finding, per kind of training loop: each framework's own idiom."""

from __future__ import annotations

from rnnlint.facts import UnitFacts

CLIP = {
    "torch": "call `torch.nn.utils.clip_grad_norm_(params, max_norm=5.0)` between `backward()` and `step()`",
    "lightning": "pass `gradient_clip_val=5.0` to the Trainer",
    "keras": "give the optimizer `global_clipnorm=5.0` (or `clipnorm`)",
    "tf": "clip with `tf.clip_by_global_norm(grads, 5.0)` before `apply_gradients`",
    "jax": "chain `optax.clip_by_global_norm(5.0)` before the optimizer",
    "config": "set the recipe's gradient-clipping option (`max_grad_norm`, `grad_clip`, `gradient_clip_val`, `clip_norm`) to 5.0",
}
DECAY = {
    "torch": "e.g. `ReduceLROnPlateau(optimizer, factor=0.5)` stepped on the validation loss",
    "lightning": "e.g. return `ReduceLROnPlateau(optimizer, factor=0.5)` from `configure_optimizers`",
    "keras": "e.g. the `ReduceLROnPlateau(factor=0.5)` callback or a `learning_rate` schedule",
    "tf": "e.g. `tf.train.exponential_decay(...)` or a learning-rate variable halved with `tf.assign` on plateaus",
    "jax": "e.g. an optax schedule or `optax.contrib.reduce_on_plateau(factor=0.5)`",
    "config": "e.g. a plateau scheduler with factor 0.5 in the recipe",
}
NAN = {
    "torch": "check `torch.isfinite(loss)` and lower the learning rate when it fails",
    "lightning": "check `torch.isfinite(loss)` in `training_step` or use `Trainer(detect_anomaly=True)`",
    "keras": "add the `TerminateOnNaN()` callback and lower the learning rate when it fires",
    "tf": "guard the loss with `tf.debugging.check_numerics` and lower the learning rate when it fails",
    "jax": "check `jnp.isfinite(loss)` and lower the learning rate when it fails",
    "config": "the recipe's trainer must skip or stop on a non-finite loss",
}
REGULARIZE = {
    "torch": "pass `weight_decay=1e-5` to the optimizer",
    "lightning": "pass `weight_decay=1e-5` to the optimizer",
    "keras": "add `kernel_regularizer=keras.regularizers.l2(1e-5)` to the recurrent layers (or use AdamW)",
    "tf": "add the L2 / regularization losses to the training loss",
    "jax": "use `optax.adamw` or chain `optax.add_decayed_weights(1e-5)`",
    "config": "set the optimizer's weight decay in the recipe (e.g. 1e-5)",
}

BIDIRECTIONAL = {  # keyed by the layer's framework
    "torch": "`bidirectional=True` adds right-to-left context",
    "keras": "wrapping it in `Bidirectional(...)` adds right-to-left context",
    "tf": "`tf.nn.bidirectional_dynamic_rnn` adds right-to-left context",
    "jax": "`nn.Bidirectional(forward_rnn, backward_rnn)` adds right-to-left context",
}


def for_unit(table: dict[str, str], facts: UnitFacts) -> str:
    """The hint matching the unit's first training loop (torch when no loop is seen)."""
    kind = facts.loops[0].kind if facts.loops else "torch"
    return table.get(kind, table["torch"])
