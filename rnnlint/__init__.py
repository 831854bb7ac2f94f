"""rnnlint: a static linter and advisor for RNN (LSTM/GRU) training code.

Importing this package is deliberately cheap: it never imports torch, tensorflow,
rich or the analysis. The CLI lives in :mod:`rnnlint.cli`; the engine in
:mod:`rnnlint.run.engine`.
"""

__version__ = "0.1.0"

__all__ = ["__version__"]
