import haiku as hk
import jax
import optax


def classifier(tokens):
    x = hk.Embed(vocab_size=20000, embed_dim=128)(tokens)
    core = hk.LSTM(1024)
    outputs, _ = hk.dynamic_unroll(core, x, core.initial_state(tokens.shape[1]))
    return hk.Linear(2)(outputs[-1])


def train(params, batches):
    model = hk.without_apply_rng(hk.transform(classifier))
    tx = optax.adam(learning_rate=0.05)
    opt_state = tx.init(params)

    def loss_fn(params, x, y):
        logits = model.apply(params, x)
        return optax.softmax_cross_entropy_with_integer_labels(logits, y).mean()

    for x, y in batches:
        grads = jax.grad(loss_fn)(params, x, y)
        updates, opt_state = tx.update(grads, opt_state)
        params = optax.apply_updates(params, updates)
    return params
