"""Jupyter notebooks: code cells read as IPython runs them, joined into one module, in order.

IPython turns some input into Python before running it (IPython.core.inputtransformer2 is the reference): a cell
magic (``%%bash``, ``%%writefile``) makes the whole cell the magic's text, not Python; line magics (``%time``),
shell escapes (``!pip install``, with ``\\`` continuations, also indented inside an ``if``), assignments from them
(``files = !ls``), help (``obj?``) and automagics (``pip install x`` without ``!``) are commands (automagics only in a cell of one line, as IPython's prefilter). Those lines become
``pass`` (or an assignment of an unknown value), keeping line numbers; nothing is imported or run. IPython is not
imported either: it is heavy and optional, so the few rules it applies are re-stated here.

Every code cell is parsed on its own, so every broken cell is reported (not only the first) and the notebook's other
cells are still analysed. Line numbers of the joined source map back to (cell, line in cell); cells are numbered
from 1 over all cells of the notebook, as they appear.
"""

from __future__ import annotations

import ast
import json
import re
from dataclasses import dataclass, field

from rnnlint.read.source import SourceError

# Cell magics whose body is Python that IPython runs (timed, captured, profiled): the body is kept.
_PYTHON_BODY_MAGICS = frozenset({"time", "timeit", "capture", "prun", "debug", "memit", "mprun", "px", "pxresult"})
# Magics IPython runs without `%` when automagic is on (its default); followed by a word, not by Python.
_AUTOMAGICS = (
    "pip", "conda", "mamba", "cd", "ls", "ll", "pwd", "env", "load_ext", "reload_ext", "unload_ext", "matplotlib",
    "pylab", "run", "time", "timeit", "mkdir", "rmdir", "cat", "rm", "cp", "mv", "less", "more", "man", "alias",
    "autoreload", "aimport", "config", "who", "whos", "who_ls", "history", "store", "reset", "xmode", "tensorboard",
    "bookmark", "dhist", "pushd", "popd", "dirs", "sx", "system", "sc", "lsmagic", "magic", "precision", "pdb",
    "env", "set_env", "load", "loadpy", "save", "pycat", "psearch", "pinfo", "pinfo2", "pdef", "pdoc", "psource",
    "pfile", "logstart", "logstop", "logon", "logoff", "rerun", "recall", "macro", "edit", "notebook", "killbgscripts",
)  # fmt: skip
_AUTOMAGIC = re.compile(r"^(?P<indent>[ \t]*)(?:" + "|".join(_AUTOMAGICS) + r")(?![\w.])[ \t]*(?![=,])")
_ASSIGN_FROM = re.compile(r"^(?P<indent>[ \t]*)(?P<names>\w+(?:[ \t]*,[ \t]*\w+)*)[ \t]*=[ \t]*[!%]")
_ESCAPE = re.compile(r"^(?P<indent>[ \t]*)(?:[!%]|\?+[\w.*]|[\w.]+\?\??[ \t]*$|[/,;](?=\w))")
FLAGS = ast.PyCF_ONLY_AST | ast.PyCF_ALLOW_TOP_LEVEL_AWAIT  # IPython runs top-level `await` (autoawait)


@dataclass(frozen=True)
class Notebook:
    source: str
    cells: list[tuple[int, int]]  # joined line (1-based) -> (cell number, line in cell)
    errors: list[SourceError] = field(default_factory=list)  # one per code cell that is not Python after IPython's rules


def read_notebook(data: bytes) -> Notebook | SourceError:
    """Join a notebook's code cells; a notebook that is not valid nbformat JSON is an error."""
    try:
        doc = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        return SourceError(f"not a readable notebook: {exc.__class__.__name__}: {exc}")
    cells = doc.get("cells") if isinstance(doc, dict) else None
    if not isinstance(cells, list):
        return SourceError("not a Jupyter notebook: no list of cells")
    lines: list[str] = []
    where: list[tuple[int, int]] = []
    errors: list[SourceError] = []
    for number, cell in enumerate(cells, start=1):
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        text = cell.get("source", "")
        if isinstance(text, list):
            text = "".join(str(t) for t in text)
        if not isinstance(text, str):
            return SourceError(f"not a Jupyter notebook: cell {number} has no text source")
        python = cell_python(text)
        problem = _cell_error(python, number)
        if problem is not None:
            errors.append(problem)
            python = [""] * len(python)  # the rest of the notebook is still analysed
        for i, line in enumerate(python, start=1):
            lines.append(line)
            where.append((number, i))
    return Notebook("\n".join(lines) + "\n", where, errors)


def _cell_error(python: list[str], number: int) -> SourceError | None:
    try:
        compile("\n".join(python) + "\n", f"<cell {number}>", "exec", FLAGS)
    except SyntaxError as exc:
        return SourceError(f"SyntaxError in cell {number}: {exc.msg}", exc.lineno or 1, (exc.offset or 0) or 1, number)
    except (ValueError, MemoryError, RecursionError) as exc:
        return SourceError(f"cannot parse cell {number}: {exc.__class__.__name__}", 1, 1, number)
    return None


def cell_python(text: str) -> list[str]:
    """The Python IPython would run for one cell's text, one line per line of the cell."""
    lines = text.splitlines() or [""]
    first = next((i for i, line in enumerate(lines) if line.strip()), None)
    if first is None:
        return lines
    head = lines[first]
    if head.startswith("%%"):  # a cell magic: the cell is the magic's input
        name = head[2:].split(None, 1)[0] if head[2:].strip() else ""
        # a timed or captured body is a cell of its own to IPython, with the same rules
        body = cell_python("\n".join(lines[first + 1 :])) if name in _PYTHON_BODY_MAGICS else [""] * (len(lines) - first - 1)
        body = body[: len(lines) - first - 1] + [""] * (len(lines) - first - 1 - len(body))
        return [*lines[:first], "pass  # cell magic", *body]
    indent = head[: len(head) - len(head.lstrip())]
    if indent:  # IPython removes the first line's indentation from every line that has it
        lines = [line[len(indent) :] if line.startswith(indent) else line for line in lines]
    # IPython applies automagic (`pip install x`) to a cell of one line only; in a longer cell it is Python. Without
    # the notebook's namespace (a variable can shadow a magic) only a line that is not Python is taken for one.
    return _line_commands(lines, automagic=len(text.strip().splitlines()) == 1 and not _compiles(text))


def _compiles(text: str) -> bool:
    try:
        compile(text, "<cell>", "exec", FLAGS)
    except (SyntaxError, ValueError, MemoryError, RecursionError):
        return False
    return True


def _line_commands(lines: list[str], automagic: bool) -> list[str]:
    """Magics, shell escapes, help and automagics at the start of a logical line become ``pass``."""
    out: list[str] = []
    scanner = _Scanner()
    command_continues = False
    for line in lines:
        if command_continues:  # `!cmd \` goes on: the shell's text, not Python
            out.append("")
            command_continues = line.rstrip().endswith("\\")
            continue
        if scanner.at_statement_start():
            assigned = _ASSIGN_FROM.match(line)
            escape = _ESCAPE.match(line) or (automagic and _AUTOMAGIC.match(line))
            if assigned:
                out.append(f"{assigned['indent']}{assigned['names']} = __ipython_command__")
                command_continues = line.rstrip().endswith("\\")
                continue
            if escape:
                indent = line[: len(line) - len(line.lstrip())]
                out.append(f"{indent}pass  # IPython command")
                command_continues = line.rstrip().endswith("\\")
                continue
        scanner.feed(line)
        out.append(line)
    return out


class _Scanner:
    """Just enough of Python's tokenizer to know whether a line starts a statement (not inside brackets or a string)."""

    def __init__(self) -> None:
        self.depth = 0
        self.string: str | None = None  # the open triple quote
        self.backslash = False

    def at_statement_start(self) -> bool:
        return self.depth == 0 and self.string is None and not self.backslash

    def feed(self, line: str) -> None:
        i, n = 0, len(line)
        self.backslash = False
        while i < n:
            if self.string is not None:
                end = line.find(self.string, i)
                while end > 0 and line[end - 1] == "\\" and not line[:end].endswith("\\\\"):
                    end = line.find(self.string, end + 1)
                if end < 0:
                    return
                i = end + 3
                self.string = None
                continue
            c = line[i]
            if c == "#":
                return
            if c in "\"'":
                if line.startswith(c * 3, i):
                    self.string = c * 3
                    i += 3
                    continue
                j = i + 1
                while j < n and line[j] != c:
                    j += 2 if line[j] == "\\" else 1
                i = j + 1
                continue
            if c in "([{":
                self.depth += 1
            elif c in ")]}":
                self.depth = max(0, self.depth - 1)
            elif c == "\\" and i == n - 1:
                self.backslash = True
            i += 1
