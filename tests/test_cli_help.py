"""``rnnlint --help``: every command, then ``check``'s usage and flags (issue 23, items 1 and 2)."""

from __future__ import annotations

import ast
import inspect
import re

import pytest

from rnnlint import cli
from rnnlint.cli import main


def _help(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    assert main([*args, "--help"]) == 0
    return capsys.readouterr().out


def _dispatched_names() -> set[str]:
    """Every command name ``main`` compares its first argument with, or looks up in a tuple of names."""
    tree = ast.parse(inspect.getsource(cli.main))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Compare) and any(isinstance(op, ast.Eq) for op in node.ops):
            names.update(c.value for c in node.comparators if isinstance(c, ast.Constant) and isinstance(c.value, str))
    names.update(cli.COMMANDS, cli.REFERENCE_COMMANDS)
    return {n for n in names if n.isidentifier()}


def test_top_level_help_lists_every_command(capsys: pytest.CaptureFixture[str]) -> None:
    out = _help(capsys)
    listed = set(re.findall(r"^  ([a-z][a-z-]+)  ", out, re.MULTILINE))
    wanted = _dispatched_names() | {"config", "train", "verify", "overfit"}
    assert wanted <= listed, wanted - listed


def test_a_registered_subparser_appears_in_the_help_without_editing_it(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(cli.DELEGATED_COMMANDS, "frobnicate", "a command added later")
    assert "  frobnicate  a command added later" in _help(capsys)


def test_top_level_help_shows_checks_usage_and_flags(capsys: pytest.CaptureFixture[str]) -> None:
    out = _help(capsys)
    assert "usage: rnnlint [check]" in out and "usage: rnnlint check" in out
    for flag in ("--select", "--ignore", "--fix", "--diff", "--output-format", "--severity-threshold", "--config"):
        assert flag in out, flag
    assert "-h" in out and "--version" in out


def test_the_reference_commands_answer_their_own_help(capsys: pytest.CaptureFixture[str]) -> None:
    for name in cli.REFERENCE_COMMANDS:
        assert main([name, "--help"]) == 0
        assert f"rnnlint {name}" in capsys.readouterr().out
