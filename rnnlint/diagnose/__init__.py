"""``rnnlint diagnose``: read training logs, report runtime findings (RNN601-RNN611).

A stage above ``report``: readers turn a log into a :class:`~rnnlint.diagnose.run.Run`,
the detectors judge its curves over windows, and the findings are ordinary
:class:`~rnnlint.diagnostics.Diagnostic` objects printed by the linter's reporters.
Heavy libraries (tensorboard, matplotlib, torch, keras, lightning) are imported
lazily, only by the reader, plot or callback that needs them.
"""
