"""The PyTorch reference trainer: every guideline mechanism on tiny configs (skipped without torch)."""

from __future__ import annotations

import pytest

pytest.importorskip("numpy")
torch = pytest.importorskip("torch")

from reference_checks import ReferenceChecks  # noqa: E402


@pytest.fixture(autouse=True, scope="module")
def _one_thread() -> None:
    torch.set_num_threads(1)  # tiny models run fastest on one thread, and tests share the machine


class TestTorchReference(ReferenceChecks):
    framework = "torch"

    def test_recurrent_layer_is_fused(self) -> None:
        from reference_checks import tiny

        from rnnlint.reference.loop import load_backend, make_plan
        from rnnlint.reference.tasks import recall

        backend = load_backend("torch", make_plan(tiny(model={"num_layers": 3}), recall(n=16, n_val=0)))
        assert isinstance(backend.model.rnn, torch.nn.LSTM) and backend.model.rnn.num_layers == 3
