"""``rnnlint tune``: the guidelines' search spaces on Optuna, for a reference recipe or a user's own script.

Stage modules: ``space`` (the guideline ranges and ``--space`` files), ``flags`` (a script's flags for each
hyperparameter, from the static analysis), ``metrics`` (reading a run's metric and judging its curve),
``trials`` (one trial: a reference training run or a child process), ``study`` (storage, samplers, pruners,
workers), ``emit`` (snippets for Optuna, Ray Tune and KerasTuner), ``report`` (report.md, report.json, plots)
and ``command`` (the ``rnnlint tune`` command line). Optuna is the optional extra ``rnnlint[tune]``; nothing
here is imported by ``import rnnlint`` or by a lint run.
"""
