"""The guideline's concrete change for each finding, spelled for the framework that wrote the log (data)."""

from __future__ import annotations

from rnnlint.diagnose.settings import DiagnoseSettings

# code -> framework -> advice; ``{clip}`` and ``{factor}`` come from the settings. "any" is the fallback.
ADVICE: dict[str, dict[str, str]] = {
    "RNN601": {
        "torch": "lower the learning rate (halve it) and clip: torch.nn.utils.clip_grad_norm_(model.parameters(), {clip}) "
        "after backward(); rnnlint's monitor can do it live: RnnMonitor(on_nan='halve_lr') (D6.1)",
        "lightning": "lower the learning rate and set Trainer(gradient_clip_val={clip}) (D6.1)",
        "keras": "lower the learning rate, give the optimizer global_clipnorm={clip} and add keras.callbacks.TerminateOnNaN() (D6.1)",
        "any": "lower the learning rate (halve it) and clip the gradients' global norm at {clip} (D6.1)",
    },
    "RNN602": {
        "torch": "lower the learning rate and clip: torch.nn.utils.clip_grad_norm_(model.parameters(), {clip}) (D6.3, D6.4)",
        "lightning": "lower the learning rate and set Trainer(gradient_clip_val={clip}) (D6.3, D6.4)",
        "keras": "lower the learning rate and give the optimizer global_clipnorm={clip} (D6.3, D6.4)",
        "any": "lower the learning rate and clip the gradients' global norm at {clip} (D6.3, D6.4)",
    },
    "RNN603": {
        "torch": "clip the global gradient norm: torch.nn.utils.clip_grad_norm_(model.parameters(), {clip}) between "
        "backward() and optimizer.step() (D6.4)",
        "lightning": "set Trainer(gradient_clip_val={clip}) (D6.4)",
        "keras": "give the optimizer global_clipnorm={clip}, e.g. keras.optimizers.Adam(global_clipnorm={clip}) (D6.4)",
        "any": "clip the gradients' global norm at {clip} (D6.4)",
    },
    "RNN604": {
        "any": "use gated cells (LSTM/GRU, not a plain RNN), shorten the sequences or truncate back-propagation, and check "
        "the recurrent weights' initialisation (orthogonal) (D1)",
    },
    "RNN605": {
        "torch": "decay the learning rate on a plateau: torch.optim.lr_scheduler.ReduceLROnPlateau(optimizer, factor={factor}, "
        "patience=2), stepped with the validation loss (D6.2)",
        "lightning": "return a ReduceLROnPlateau(optimizer, factor={factor}) scheduler with monitor='val_loss' from "
        "configure_optimizers (D6.2)",
        "keras": "add keras.callbacks.ReduceLROnPlateau(monitor='val_loss', factor={factor}, patience=2) (D6.2)",
        "any": "decay the learning rate by {factor} when the validation loss stops improving (D6.2)",
    },
    "RNN606": {
        "torch": "add dropout (0.5 between layers and on the outputs), weight_decay=1e-5 in the optimizer and stop at the best "
        "validation epoch (T4, D7, D8)",
        "lightning": "add dropout (0.5), weight_decay=1e-5 and EarlyStopping(monitor='val_loss') (T4, D7, D8)",
        "keras": "add Dropout(0.5) / dropout=0.5 on the recurrent layers, a kernel_regularizer L2(1e-5) and "
        "keras.callbacks.EarlyStopping(monitor='val_loss', restore_best_weights=True) (T4, D7, D8)",
        "any": "add dropout (0.5), a small L2 penalty (1e-5) and stop at the best validation epoch (T4, D7, D8)",
    },
    "RNN607": {
        "any": "the model does not fit its training data: add capacity (hidden size 128-512, 2-3 stacked layers), train "
        "longer or raise a too-low learning rate; check the data and labels (T4, D3, D4)",
    },
    "RNN608": {
        "torch": "lower the learning rate (e.g. by 2-10x) or decay it: ReduceLROnPlateau(optimizer, factor={factor}) (D6.3)",
        "lightning": "lower the learning rate or return a ReduceLROnPlateau(optimizer, factor={factor}) scheduler (D6.3)",
        "keras": "lower the learning rate or add keras.callbacks.ReduceLROnPlateau(factor={factor}) (D6.3)",
        "any": "lower the learning rate or decay it by {factor} on a plateau (D6.3)",
    },
    "RNN609": {
        "any": "the run ends far from converged: raise the learning rate (Adam 1e-3 is the usual start) or train for more "
        "epochs (D6.3, T5)",
    },
    "RNN610": {
        "any": "a tiny subset that is not memorised means a bug: check that labels match inputs (not shuffled apart), "
        "the loss matches the task (logits vs probabilities), the learning rate is not far too low, and the model has "
        "enough capacity (T2)",
    },
    "RNN611": {
        "torch": "evaluate on a held-out set every epoch and log it (e.g. SummaryWriter.add_scalar('val_loss', ...)) (T3)",
        "lightning": "add a validation_step that calls self.log('val_loss', loss) and pass val_dataloaders (T3)",
        "keras": "pass validation_data= or validation_split=0.1 to fit() so that val_loss is logged (T3)",
        "any": "log a validation loss every epoch (T3)",
    },
}


def advice(code: str, framework: str, settings: DiagnoseSettings) -> str:
    table = ADVICE.get(code, {})
    text = table.get(framework) or table.get("any", "")
    return text.format(clip=settings.clip_norm, factor=settings.decay_factor)
