"""flake8 plugin: ``flake8 --select RNN`` reports rnnlint's findings (entry point group ``flake8.extension``).

Each file flake8 checks is linted on its own with rnnlint's engine (with the local
modules it imports and the scripts beside it that import it, as on the command line),
using the settings of its nearest ``[tool.rnnlint]`` config. flake8 does the
selection and the ``# noqa`` handling of what this yields.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from rnnlint import __version__


class RnnlintChecker:
    """flake8's AST-plugin protocol: ``__init__(tree, filename)`` and ``run()`` yielding (line, col, message, type)."""

    name = "rnnlint"
    version = __version__

    def __init__(self, tree: ast.AST, filename: str, lines: Sequence[str] | None = None) -> None:
        self.tree = tree
        self.filename = filename
        self.lines = lines

    def run(self) -> Iterator[tuple[int, int, str, type[Any]]]:
        for d in self._diagnostics():
            yield d.loc.line, max(d.loc.col - 1, 0), f"{d.code} {d.message}", type(self)

    def _diagnostics(self) -> list[Any]:
        from rnnlint.run.engine import Linter, display_path
        from rnnlint.settings.files import enabled_here, find_config, load_config
        from rnnlint.settings.model import Settings, make_settings
        from rnnlint.settings.selection import ConfigError

        stdin = self.filename in ("-", "stdin", "<stdin>")
        path = Path.cwd() / "stdin.py" if stdin else Path(self.filename)
        settings = Settings()
        root = path.resolve().parent
        try:
            config = find_config(path)  # a pyproject.toml holding rnnlint's table that is not valid TOML raises
        except ConfigError:
            config = None
        if config is not None:
            try:
                settings = make_settings(load_config(config), str(config))
                root = config.parent
            except ConfigError:
                pass  # flake8 is not the place to report rnnlint's config; lint with the defaults
        linter = Linter(settings, [root])
        if stdin or not path.is_file():
            text = "".join(self.lines) if self.lines is not None else ast.unparse(self.tree)
            shown = str(path)
            result = linter.run([], (shown, text.encode("utf-8")))
        else:
            shown = display_path(path)
            result = linter.run([path])
        return [d for d in result.diagnostics if d.loc.path == shown and enabled_here(settings, config, d.code, shown)]
