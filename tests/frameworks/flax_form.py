import flax.linen as nn
import jax
import optax


class SentimentClassifier(nn.Module):
    vocab_size: int = 20000
    num_classes: int = 2

    @nn.compact
    def __call__(self, x):
        x = nn.Embed(self.vocab_size, 128)(x)
        x = nn.RNN(nn.LSTMCell(features=1024))(x)
        return nn.Dense(self.num_classes)(x[:, -1])


def train(state, batches):
    tx = optax.adam(learning_rate=0.05)

    def loss_fn(params, x, y):
        logits = state.apply_fn({"params": params}, x)
        return optax.softmax_cross_entropy_with_integer_labels(logits, y).mean()

    for x, y in batches:
        grads = jax.grad(loss_fn)(state.params, x, y)
        state = state.apply_gradients(grads=grads)
    return state, tx
