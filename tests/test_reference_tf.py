"""The TensorFlow/Keras reference trainer: every guideline mechanism on tiny configs (skipped without TensorFlow)."""

from __future__ import annotations

import pytest

pytest.importorskip("numpy")
pytest.importorskip("tensorflow")

from reference_checks import ReferenceChecks, tiny

from rnnlint.reference.loop import set_threads

set_threads("tensorflow", 1)  # before TensorFlow starts: tiny models run fastest on one thread


class TestKerasReference(ReferenceChecks):
    framework = "tensorflow"

    def test_recurrent_layers_keep_cudnn_eligible(self) -> None:
        import keras

        from rnnlint.reference.loop import load_backend, make_plan
        from rnnlint.reference.tasks import recall

        backend = load_backend("tensorflow", make_plan(tiny(model={"num_layers": 2, "dropout": 0.5}), recall(n=16, n_val=0)))
        layers = [layer.forward_layer for layer in backend.model.layers if isinstance(layer, keras.layers.Bidirectional)]
        assert len(layers) == 2
        for lstm in layers:
            assert isinstance(lstm, keras.layers.LSTM)
            assert lstm.recurrent_dropout == 0 and not lstm.unroll and lstm.use_bias
            assert lstm.activation.__name__ == "tanh" and lstm.recurrent_activation.__name__ == "sigmoid"
