"""Each reader on files written by the real library, in the test (not hand-made look-alikes)."""

from __future__ import annotations

import json
import math
import os
from pathlib import Path

import pytest

from rnnlint.diagnose.readers import find_logs, read_log
from rnnlint.diagnose.run import Run


def read_one(path: Path, mapping: dict[str, str] | None = None) -> Run:
    logs = find_logs(path)
    assert len(logs) == 1, logs
    return read_log(*logs[0], mapping)


def values(run: Run, name: str) -> list[float]:
    return [p.value for p in run.series(name)]


def test_torch_summarywriter_simple_value_and_tensor_scalars(tmp_path: Path) -> None:
    pytest.importorskip("tensorboard")
    torch = pytest.importorskip("torch")
    from torch.utils.tensorboard import SummaryWriter
    from torch.utils.tensorboard.summary import scalar

    writer = SummaryWriter(str(tmp_path / "run"))
    for step in range(6):
        writer.add_scalar("train/loss", 1.0 / (step + 1), step)  # simple_value
        writer.add_scalar("lr", 0.01, step)
        # the tensor form (new_style=True), as torch writes it for TensorBoard's newer plugins
        writer._get_file_writer().add_summary(scalar("valid/loss", 2.0 / (step + 1), new_style=True), step)
    writer.add_scalar("grad_norm", float(torch.tensor(float("nan"))), 6)
    writer.close()
    run = read_one(tmp_path / "run")
    assert run.fmt == "tensorboard" and run.framework == "torch"
    assert values(run, "loss") == pytest.approx([1.0 / (s + 1) for s in range(6)], rel=1e-6)
    assert values(run, "val_loss") == pytest.approx([2.0 / (s + 1) for s in range(6)], rel=1e-6)
    assert [p.step for p in run.series("val_loss")] == list(range(6))
    assert run.shown("val_loss") == "valid/loss"
    assert math.isnan(values(run, "grad_norm")[0])


def test_add_scalars_subfolders_belong_to_their_run(tmp_path: Path) -> None:
    pytest.importorskip("tensorboard")
    pytest.importorskip("torch")
    from torch.utils.tensorboard import SummaryWriter

    writer = SummaryWriter(str(tmp_path / "run"))
    for step in range(4):
        writer.add_scalars("loss", {"train": 1.0 - 0.1 * step, "val": 1.5 - 0.1 * step}, step)
    writer.close()
    run = read_one(tmp_path / "run")  # one run, not three
    assert values(run, "loss") == pytest.approx([1.0, 0.9, 0.8, 0.7], rel=1e-6)
    assert values(run, "val_loss") == pytest.approx([1.5, 1.4, 1.3, 1.2], rel=1e-6)


@pytest.fixture(scope="module")
def keras_logs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    keras = pytest.importorskip("keras")
    import numpy as np

    out = tmp_path_factory.mktemp("keras")
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(64, 5, 3)).astype("float32"), rng.integers(0, 2, size=(64,))
    model = keras.Sequential([keras.Input((5, 3)), keras.layers.LSTM(4), keras.layers.Dense(2, activation="softmax")])
    model.compile(optimizer=keras.optimizers.Adam(0.01), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    callbacks = [keras.callbacks.CSVLogger(str(out / "log.csv"))]
    try:
        import tensorboard  # noqa: F401  (the Keras TensorBoard callback writes with tf.summary)

        callbacks.append(keras.callbacks.TensorBoard(log_dir=str(out / "tb")))
    except ImportError:
        pass
    history = model.fit(x, y, validation_split=0.25, epochs=4, verbose=0, callbacks=callbacks)
    (out / "history.json").write_text(json.dumps(history.history))
    return out


def test_keras_csvlogger(keras_logs: Path) -> None:
    run = read_one(keras_logs / "log.csv")
    assert run.fmt == "keras-csv" and run.framework == "keras"
    assert [p.epoch for p in run.series("loss")] == [0, 1, 2, 3]
    assert len(run.series("val_loss")) == 4 and len(run.series("train_acc")) == 4
    assert run.series("loss")[0].line == 2  # the report's code frame shows the CSV row


def test_keras_tensorboard_callback(keras_logs: Path) -> None:
    pytest.importorskip("tensorboard")
    run = read_one(keras_logs / "tb")  # train/ and validation/ are one run
    history = json.loads((keras_logs / "history.json").read_text())
    assert run.framework == "keras"
    assert values(run, "loss") == pytest.approx(history["loss"], rel=1e-5)
    assert values(run, "val_loss") == pytest.approx(history["val_loss"], rel=1e-5)
    assert [p.step for p in run.series("val_loss")] == [0, 1, 2, 3]


def test_keras_history_json(keras_logs: Path) -> None:
    run = read_one(keras_logs / "history.json")
    history = json.loads((keras_logs / "history.json").read_text())
    assert run.fmt == "keras-history"
    assert values(run, "loss") == pytest.approx(history["loss"])
    assert values(run, "val_loss") == pytest.approx(history["val_loss"])
    assert values(run, "val_acc") == pytest.approx(history["val_accuracy"])


def test_lightning_csvlogger_sparse_rows(tmp_path: Path) -> None:
    lightning = pytest.importorskip("lightning")
    torch = pytest.importorskip("torch")
    from lightning.pytorch.loggers import CSVLogger

    class Tiny(lightning.LightningModule):
        def __init__(self) -> None:
            super().__init__()
            self.lstm = torch.nn.LSTM(3, 4, batch_first=True)
            self.head = torch.nn.Linear(4, 2)

        def _loss(self, batch: tuple[torch.Tensor, torch.Tensor]) -> torch.Tensor:
            x, y = batch
            out, _ = self.lstm(x)
            return torch.nn.functional.cross_entropy(self.head(out[:, -1]), y)

        def training_step(self, batch: tuple[torch.Tensor, torch.Tensor], idx: int) -> torch.Tensor:
            loss = self._loss(batch)
            self.log("train_loss", loss)
            return loss

        def validation_step(self, batch: tuple[torch.Tensor, torch.Tensor], idx: int) -> None:
            self.log("val_loss", self._loss(batch))

        def configure_optimizers(self) -> torch.optim.Optimizer:
            return torch.optim.Adam(self.parameters(), lr=0.01)

    torch.manual_seed(0)
    data = torch.utils.data.TensorDataset(torch.randn(32, 5, 3), torch.randint(0, 2, (32,)))
    loader = torch.utils.data.DataLoader(data, batch_size=8)
    trainer = lightning.Trainer(
        max_epochs=3,
        logger=CSVLogger(str(tmp_path), name="tiny"),
        log_every_n_steps=1,
        enable_checkpointing=False,
        enable_progress_bar=False,
        enable_model_summary=False,
    )
    trainer.fit(Tiny(), loader, loader)
    metrics = next(tmp_path.rglob("metrics.csv"))
    run = read_one(metrics)
    assert run.fmt == "lightning-csv" and run.framework == "lightning"
    assert len(run.series("loss")) == 12  # 4 steps x 3 epochs, on rows of their own
    assert [p.epoch for p in run.series("val_loss")] == [0, 1, 2]
    assert all(p.step is not None for p in run.series("val_loss"))


def test_mlflow_file_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    mlflow = pytest.importorskip("mlflow")
    monkeypatch.setenv("MLFLOW_ALLOW_FILE_STORE", "true")  # mlflow 3 refuses new file stores unless asked
    mlflow.set_tracking_uri((tmp_path / "mlruns").as_uri())
    with mlflow.start_run() as active:
        for step in range(5):
            mlflow.log_metric("train_loss", 1.0 - 0.1 * step, step=step)
            mlflow.log_metric("eval/loss", 1.2 - 0.1 * step, step=step)
    run_dir = next(p.parent for p in (tmp_path / "mlruns").rglob("meta.yaml") if p.parent.name == active.info.run_id)
    run = read_one(run_dir)
    assert run.fmt == "mlflow"
    assert values(run, "loss") == pytest.approx([1.0, 0.9, 0.8, 0.7, 0.6])
    assert values(run, "val_loss") == pytest.approx([1.2, 1.1, 1.0, 0.9, 0.8])
    assert [r.path for r in (read_log(*log) for log in find_logs(tmp_path / "mlruns"))] == [
        str(run_dir)
    ]  # found from the store root


def test_rnnlint_curves_csv(tmp_path: Path) -> None:
    from rnnlint.reference.curves import write_csv

    rows = [
        {"epoch": e, "lr": 0.01, "train_loss": 1.0 / (e + 1), "val_loss": 1.2 / (e + 1), "grad_norm": 2.0, "clip_rate": 0.0}
        for e in range(5)
    ]
    write_csv(tmp_path / "curves.csv", rows)
    run = read_one(tmp_path / "curves.csv")
    assert run.fmt == "rnnlint-curves"
    assert values(run, "val_loss") == pytest.approx([1.2 / (e + 1) for e in range(5)], rel=1e-5)
    assert values(run, "clip_rate") == [0.0] * 5


def test_plain_csv_with_a_column_mapping(tmp_path: Path) -> None:
    (tmp_path / "log.csv").write_text("it,objective,heldout\n0,2.0,2.1\n1,1.5,1.7\n2,1.2,1.6\n")
    run = read_one(tmp_path / "log.csv", {"loss": "objective", "val_loss": "heldout"})
    assert values(run, "loss") == [2.0, 1.5, 1.2] and values(run, "val_loss") == [2.1, 1.7, 1.6]
