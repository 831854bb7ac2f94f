"""PyTorch and Lightning rows of the API table (defaults from their documentation)."""

from __future__ import annotations

from typing import Any

from rnnlint.knowledge.rows import Row

_TORCH_RNN = "input_size, hidden_size, num_layers=1, bias=True, batch_first=False, dropout=0.0, bidirectional=False, proj_size=0"
_TORCH_PLAIN_RNN = (
    "input_size, hidden_size, num_layers=1, nonlinearity='tanh', bias=True, batch_first=False, dropout=0.0, bidirectional=False"
)
_TORCH_CELL = "input_size, hidden_size, bias=True"
_LR_WD = "params, lr={lr}, *, weight_decay={wd}, momentum=0"
_DROPOUT_BETWEEN = {"dropout_scope": "between_layers"}


def _torch(names: str, prefix: str = "torch.nn.") -> tuple[str, ...]:
    return tuple(prefix + n for n in names.split())


def _optim(name: str, sig: str, family: str, extra: dict[str, Any] | None = None) -> Row:
    return ("optimizer", family, "torch", (f"torch.optim.{name}", f"torch.optim.{name.lower()}.{name}"), sig, {}, extra or {})


_SCHEDULERS: list[tuple[str, str, str, dict[str, str], dict[str, Any]]] = [
    ("LambdaLR", "lambda", "optimizer, lr_lambda", {}, {"decays": True}),
    ("MultiplicativeLR", "lambda", "optimizer, lr_lambda", {}, {"decays": True}),
    ("StepLR", "step", "optimizer, step_size, gamma=0.1", {"gamma": "factor"}, {"decays": True}),
    ("MultiStepLR", "step", "optimizer, milestones, gamma=0.1", {"gamma": "factor"}, {"decays": True}),
    (
        "ConstantLR",
        "warmup",
        "optimizer, factor=0.3333333333333333, total_iters=5",
        {"factor": "warmup_factor"},
        {"decays": False},
    ),
    (
        "LinearLR",
        "linear",
        "optimizer, start_factor=0.3333333333333333, end_factor=1.0, total_iters=5",
        {},
        {"decays": "linear"},
    ),
    ("ExponentialLR", "exponential", "optimizer, gamma", {}, {"decays": True}),
    ("PolynomialLR", "polynomial", "optimizer, total_iters=5, power=1.0", {}, {"decays": True}),
    ("CosineAnnealingLR", "cosine", "optimizer, T_max, eta_min=0.0", {}, {"decays": True}),
    ("CosineAnnealingWarmRestarts", "cosine", "optimizer, T_0, T_mult=1, eta_min=0.0", {}, {"decays": True}),
    ("CyclicLR", "cyclic", "optimizer, base_lr, max_lr, step_size_up=2000", {}, {"decays": True}),
    (
        "OneCycleLR",
        "onecycle",
        "optimizer, max_lr, total_steps=None, epochs=None, steps_per_epoch=None",
        {},
        {"decays": True},
    ),
    ("ReduceLROnPlateau", "plateau", "optimizer, mode='min', factor=0.1, patience=10", {}, {"decays": True}),
    ("SequentialLR", "composite", "optimizer, schedulers, milestones", {}, {"decays": None}),
    ("ChainedScheduler", "composite", "schedulers, optimizer=None", {}, {"decays": None}),
]


def Row_t(*row: Any) -> Row:
    """Type a generated row (the scheduler comprehension below)."""
    role, kind, framework, names, sig, renames, extra = row
    return (role, kind, framework, names, sig, renames, extra)


ROWS: list[Row] = [
    # --- recurrent layers and cells -------------------------------------------------
    ("recurrent", "lstm", "torch", _torch("LSTM modules.rnn.LSTM modules.LSTM"), _TORCH_RNN, {}, _DROPOUT_BETWEEN),
    ("recurrent", "gru", "torch", _torch("GRU modules.rnn.GRU modules.GRU"), _TORCH_RNN, {}, _DROPOUT_BETWEEN),
    ("recurrent", "rnn", "torch", _torch("RNN modules.rnn.RNN modules.RNN"), _TORCH_PLAIN_RNN, {}, _DROPOUT_BETWEEN),
    ("cell", "lstm", "torch", _torch("LSTMCell modules.rnn.LSTMCell"), _TORCH_CELL, {}, {}),
    ("cell", "gru", "torch", _torch("GRUCell modules.rnn.GRUCell"), _TORCH_CELL, {}, {}),
    ("cell", "rnn", "torch", _torch("RNNCell modules.rnn.RNNCell"), _TORCH_CELL + ", nonlinearity='tanh'", {}, {}),
    # --- optimizers (defaults from the torch.optim docs) -----------------------------
    _optim("SGD", "params, lr=0.001, momentum=0, dampening=0, weight_decay=0, nesterov=False", "sgd"),
    _optim("Adam", "params, lr=0.001, betas=(0.9, 0.999), eps=1e-08, weight_decay=0, amsgrad=False", "adam"),
    _optim("AdamW", "params, lr=0.001, betas=(0.9, 0.999), eps=1e-08, weight_decay=0.01, amsgrad=False", "adam"),
    _optim("Adamax", "params, lr=0.002, betas=(0.9, 0.999), eps=1e-08, weight_decay=0", "adam"),
    _optim("NAdam", "params, lr=0.002, betas=(0.9, 0.999), eps=1e-08, weight_decay=0, momentum_decay=0.004", "adam"),
    _optim("RAdam", "params, lr=0.001, betas=(0.9, 0.999), eps=1e-08, weight_decay=0", "adam"),
    _optim("SparseAdam", "params, lr=0.001, betas=(0.9, 0.999), eps=1e-08", "adam", {"no_weight_decay": True}),
    _optim("Adafactor", "params, lr=0.01, beta2_decay=-0.8, d=1.0, weight_decay=0.0", "adam"),
    _optim("Adagrad", "params, lr=0.01, lr_decay=0, weight_decay=0, initial_accumulator_value=0, eps=1e-10", "adagrad"),
    _optim("Adadelta", "params, lr=1.0, rho=0.9, eps=1e-06, weight_decay=0", "adadelta"),
    _optim("RMSprop", "params, lr=0.01, alpha=0.99, eps=1e-08, weight_decay=0, momentum=0, centered=False", "rmsprop"),
    _optim("Rprop", "params, lr=0.01, etas=(0.5, 1.2), step_sizes=(1e-06, 50)", "rprop", {"no_weight_decay": True}),
    _optim("ASGD", "params, lr=0.01, lambd=0.0001, alpha=0.75, t0=1000000.0, weight_decay=0", "sgd_averaged"),
    _optim("LBFGS", "params, lr=1, max_iter=20", "lbfgs", {"no_weight_decay": True}),
    # --- learning-rate schedulers (decays: does it lower the rate over the run) ------
    *[
        Row_t("scheduler", kind, "torch", (f"torch.optim.lr_scheduler.{name}",), sig, ren, extra)
        for name, kind, sig, ren, extra in _SCHEDULERS
    ],
    (
        "scheduler",
        "linear",
        "transformers",
        ("transformers.get_linear_schedule_with_warmup", "transformers.optimization.get_linear_schedule_with_warmup"),
        "optimizer, num_warmup_steps, num_training_steps",
        {},
        {"decays": True},
    ),
    (
        "scheduler",
        "cosine",
        "transformers",
        ("transformers.get_cosine_schedule_with_warmup", "transformers.optimization.get_cosine_schedule_with_warmup"),
        "optimizer, num_warmup_steps, num_training_steps",
        {},
        {"decays": True},
    ),
    # --- gradient clipping ----------------------------------------------------------
    (
        "clipper",
        "norm",
        "torch",
        (
            "torch.nn.utils.clip_grad_norm_",
            "torch.nn.utils.clip_grad_norm",
            "torch.nn.utils.clip_grad.clip_grad_norm_",
            "torch.nn.utils.clip_grad.clip_grad_norm",
        ),
        "parameters, max_norm, norm_type=2.0, error_if_nonfinite=False",
        {"max_norm": "threshold"},
        {},
    ),
    (
        "clipper",
        "value",
        "torch",
        ("torch.nn.utils.clip_grad_value_", "torch.nn.utils.clip_grad.clip_grad_value_"),
        "parameters, clip_value",
        {"clip_value": "threshold"},
        {},
    ),
    # --- losses -------------------------------------------------------------------
    ("loss", "ctc", "torch", _torch("CTCLoss modules.loss.CTCLoss"), "blank=0, reduction='mean', zero_infinity=False", {}, {}),
    (
        "loss",
        "ce",
        "torch",
        _torch("CrossEntropyLoss modules.loss.CrossEntropyLoss"),
        "weight=None, size_average=None, ignore_index=-100, reduce=None, reduction='mean', label_smoothing=0.0",
        {},
        {},
    ),
    ("loss", "nll", "torch", _torch("NLLLoss modules.loss.NLLLoss"), "weight=None, size_average=None, ignore_index=-100", {}, {}),
    ("loss", "bce", "torch", _torch("BCELoss modules.loss.BCELoss"), "weight=None", {}, {}),
    (
        "loss",
        "bce_logits",
        "torch",
        _torch("BCEWithLogitsLoss modules.loss.BCEWithLogitsLoss"),
        "weight=None, size_average=None, reduce=None, reduction='mean', pos_weight=None",
        {},
        {},
    ),
    ("loss", "mse", "torch", _torch("MSELoss modules.loss.MSELoss"), "size_average=None, reduce=None, reduction='mean'", {}, {}),
    ("loss", "l1", "torch", _torch("L1Loss SmoothL1Loss HuberLoss"), "size_average=None, reduce=None, reduction='mean'", {}, {}),
    ("loss", "kl", "torch", _torch("KLDivLoss"), "size_average=None, reduce=None, reduction='mean', log_target=False", {}, {}),
    (
        "loss_fn",
        "ctc",
        "torch",
        _torch("ctc_loss", "torch.nn.functional."),
        "log_probs, targets, input_lengths, target_lengths, blank=0, reduction='mean', zero_infinity=False",
        {},
        {},
    ),
    (
        "loss_fn",
        "ce",
        "torch",
        _torch("cross_entropy", "torch.nn.functional."),
        "input, target, weight=None, size_average=None, ignore_index=-100, reduce=None, reduction='mean', label_smoothing=0.0",
        {},
        {},
    ),
    ("loss_fn", "nll", "torch", _torch("nll_loss", "torch.nn.functional."), "input, target, weight=None", {}, {}),
    ("loss_fn", "bce", "torch", _torch("binary_cross_entropy", "torch.nn.functional."), "input, target, weight=None", {}, {}),
    (
        "loss_fn",
        "bce_logits",
        "torch",
        _torch("binary_cross_entropy_with_logits", "torch.nn.functional."),
        "input, target, weight=None, size_average=None, reduce=None, reduction='mean', pos_weight=None",
        {},
        {},
    ),
    (
        "loss_fn",
        "mse",
        "torch",
        _torch("mse_loss", "torch.nn.functional."),
        "input, target, size_average=None, reduce=None, reduction='mean'",
        {},
        {},
    ),
    ("loss_fn", "l1", "torch", _torch("l1_loss smooth_l1_loss huber_loss", "torch.nn.functional."), "input, target", {}, {}),
    # --- embeddings, dropout, encodings ----------------------------------------------
    (
        "embedding",
        "embedding",
        "torch",
        _torch("Embedding EmbeddingBag modules.sparse.Embedding"),
        "num_embeddings, embedding_dim, padding_idx=None",
        {},
        {},
    ),
    ("embedding", "embedding", "torch", ("torch.nn.functional.embedding",), "input, weight, padding_idx=None", {}, {}),
    (
        "dropout",
        "dropout",
        "torch",
        _torch("Dropout Dropout1d Dropout2d Dropout3d AlphaDropout FeatureAlphaDropout modules.dropout.Dropout"),
        "p=0.5, inplace=False",
        {"p": "rate"},
        {},
    ),
    (
        "dropout",
        "dropout",
        "torch",
        _torch("dropout dropout1d dropout2d dropout3d alpha_dropout feature_alpha_dropout", "torch.nn.functional."),
        "input, p=0.5, training=True, inplace=False",
        {"p": "rate"},
        {},
    ),
    ("dropout", "dropout", "torch", ("torch.dropout",), "input, p, train", {"p": "rate"}, {}),
    ("linear", "linear", "torch", _torch("Linear modules.linear.Linear"), "in_features, out_features, bias=True", {}, {}),
    (
        "attention",
        "attention",
        "torch",
        _torch("MultiheadAttention Transformer TransformerEncoder TransformerDecoder"),
        "*args",
        {},
        {},
    ),
    ("one_hot", "one_hot", "torch", ("torch.nn.functional.one_hot",), "tensor, num_classes=-1", {}, {}),
    ("softmax", "softmax", "torch", ("torch.nn.functional.softmax", "torch.softmax"), "input, dim=None", {}, {}),
    ("softmax", "log_softmax", "torch", ("torch.nn.functional.log_softmax", "torch.log_softmax"), "input, dim=None", {}, {}),
    ("softmax", "softmax", "torch", ("torch.nn.Softmax",), "dim=None", {}, {"module": True}),
    ("softmax", "log_softmax", "torch", ("torch.nn.LogSoftmax",), "dim=None", {}, {"module": True}),
    ("padding", "pad", "torch", ("torch.nn.utils.rnn.pad_sequence",), "sequences, batch_first=False, padding_value=0.0", {}, {}),
    (
        "packing",
        "pack",
        "torch",
        ("torch.nn.utils.rnn.pack_padded_sequence", "torch.nn.utils.rnn.pack_sequence"),
        "input, lengths=None",
        {},
        {},
    ),
    # --- NaN guards, logging, samplers --------------------------------------------------
    (
        "nan_guard",
        "check",
        "torch",
        (
            "torch.isnan",
            "torch.isinf",
            "torch.isfinite",
            "math.isnan",
            "math.isinf",
            "math.isfinite",
            "numpy.isnan",
            "numpy.isinf",
            "numpy.isfinite",
            "torch.autograd.set_detect_anomaly",
            "torch.autograd.detect_anomaly",
            "torch.nan_to_num",
            "torch.cuda.amp.GradScaler",
            "torch.amp.GradScaler",
            "torch.cuda.amp.grad_scaler.GradScaler",
        ),
        "*args",
        {},
        {},
    ),
    (
        "logger",
        "tensorboard",
        "torch",
        (
            "torch.utils.tensorboard.SummaryWriter",
            "tensorboardX.SummaryWriter",
            "wandb.log",
            "wandb.init",
            "mlflow.log_metric",
            "mlflow.log_metrics",
            "csv.writer",
            "csv.DictWriter",
            "neptune.init_run",
            "comet_ml.Experiment",
            "aim.Run",
            "clearml.Task.init",
        ),
        "*args",
        {},
        {},
    ),
    (
        "sampler",
        "weighted",
        "torch",
        (
            "torch.utils.data.WeightedRandomSampler",
            "torch.utils.data.sampler.WeightedRandomSampler",
            "imblearn.over_sampling.RandomOverSampler",
            "sklearn.utils.resample",
        ),
        "*args",
        {},
        {},
    ),
    ("class_weights", "sklearn", "sklearn", ("sklearn.utils.class_weight.compute_class_weight",), "*args", {}, {}),
]

_LIGHTNING_PREFIXES = ("lightning.pytorch.", "lightning.", "pytorch_lightning.")


def _lightning(names: str) -> tuple[str, ...]:
    return tuple(p + n for p in _LIGHTNING_PREFIXES for n in names.split())


ROWS += [
    (
        "trainer",
        "lightning",
        "lightning",
        _lightning("Trainer trainer.Trainer trainer.trainer.Trainer"),
        "*, max_epochs=None, gradient_clip_val=None, gradient_clip_algorithm=None, detect_anomaly=False, logger=True, "
        "callbacks=None, limit_val_batches=None, num_sanity_val_steps=None",
        {"gradient_clip_val": "clip_value", "gradient_clip_algorithm": "clip_algorithm"},
        {},
    ),
    (
        "nan_guard",
        "early_stopping",
        "lightning",
        _lightning("callbacks.EarlyStopping callbacks.early_stopping.EarlyStopping"),
        "monitor, min_delta=0.0, patience=3, verbose=False, mode='min', strict=True, check_finite=True",
        {},
        {},
    ),
    (
        "logger",
        "lightning",
        "lightning",
        _lightning(
            "loggers.TensorBoardLogger loggers.CSVLogger loggers.WandbLogger loggers.MLFlowLogger callbacks.LearningRateMonitor"
        ),
        "*args",
        {},
        {},
    ),
    (
        "lightning_module",
        "module",
        "lightning",
        _lightning("LightningModule core.LightningModule core.module.LightningModule"),
        "*args",
        {},
        {},
    ),
]

_SB = "speechbrain.nnet.RNN."
_SB_RNN = (
    "hidden_size, input_shape=None, input_size=None, num_layers=1, bias=True, dropout=0.0, re_init=True, bidirectional=False"
)
# SpeechBrain modules, as HyperPyYAML recipes name them (dropout acts between stacked layers, as in torch).
ROWS += [
    ("recurrent", "lstm", "torch", (_SB + "LSTM",), _SB_RNN, {}, {"dropout_scope": "between_layers"}),
    ("recurrent", "gru", "torch", (_SB + "GRU",), _SB_RNN, {}, {"dropout_scope": "between_layers"}),
    ("recurrent", "rnn", "torch", (_SB + "RNN",), _SB_RNN, {}, {"dropout_scope": "between_layers"}),
    ("cell", "lstm", "torch", (_SB + "LSTMCell",), "hidden_size, input_shape=None, input_size=None", {}, {}),
    ("cell", "gru", "torch", (_SB + "GRUCell",), "hidden_size, input_shape=None, input_size=None", {}, {}),
    (
        "scheduler",
        "plateau",
        "torch",
        ("speechbrain.nnet.schedulers.NewBobScheduler",),
        "initial_value, annealing_factor=0.5, improvement_threshold=0.0025, patient=0",
        {"annealing_factor": "factor"},
        {"decays": True},
    ),
    (
        "scheduler",
        "step",
        "torch",
        ("speechbrain.nnet.schedulers.StepScheduler",),
        "initial_value, decay_factor=0.5",
        {"decay_factor": "factor"},
        {"decays": True},
    ),
    (
        "loss_fn",
        "ctc",
        "torch",
        ("speechbrain.nnet.losses.ctc_loss",),
        "log_probs, targets, input_lens, target_lens, blank_index",
        {"log_probs": "input", "targets": "target", "blank_index": "blank"},
        {},
    ),
    ("loss_fn", "nll", "torch", ("speechbrain.nnet.losses.nll_loss",), "log_probabilities, targets", {}, {}),
    (
        "logger",
        "speechbrain",
        "torch",
        ("speechbrain.utils.train_logger.FileTrainLogger", "speechbrain.utils.train_logger.TensorboardLogger"),
        "*args",
        {},
        {},
    ),
]
