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


def test_device_choice() -> None:
    from rnnlint.reference.torch_backend import _DEVICE, use_device

    saved = list(_DEVICE)
    try:
        assert use_device("cpu") == "cpu" and _DEVICE == ["cpu"]
        assert use_device("auto") == ("cuda" if torch.cuda.is_available() else "cpu")
        if not torch.cuda.is_available():
            with pytest.raises(RuntimeError, match="no CUDA"):
                use_device("cuda")
    finally:
        _DEVICE[:] = saved


def test_fused_vs_loop_measures_the_same_recurrence() -> None:
    from rnnlint.reference.perf import measure_shape

    result = measure_shape(4, 5, 8, 2, device="cpu", repeats=1)
    assert result["fused_s"] > 0 and result["loop_s"] > 0
    assert result["ratio"] == pytest.approx(result["loop_s"] / result["fused_s"])
