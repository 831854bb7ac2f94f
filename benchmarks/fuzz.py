"""Fuzz rnnlint's lint and fix paths with generated programs and mutated fixtures.

Kinds of case:

  grammar   a hypothesmith.from_grammar() program, put in a training context: after a
            short framework header, or spliced into a fixture script at a top-level boundary
  node      a hypothesmith.from_node() program (a libcst Module, FunctionDef or ClassDef), likewise
  mutation  a fixture file (script, notebook cell, YAML/JSON config) with lines deleted,
            duplicated or swapped, numbers changed, the text cut short, or characters that
            str.splitlines() (but not Python) treats as line breaks put in a comment

Every case is linted (``rnnlint.run.engine.Linter(Settings(), [folder]).run([file])``), its findings
formatted (json and full), and its fixes, safe and unsafe, planned (``rnnlint.fix.apply.plan``),
written (``rnnlint.fix.apply.write``) and planned again until nothing changes. Failures:

  crash        an exception escapes linting, formatting, planning or writing
  unparsable   a planned fix result does not parse
  misplaced    the fixer's text differs from applying the same edits at the positions Python
               gives those lines and columns (an independent implementation)
  diverges     fixing does not reach a fixed point within fixcmd.MAX_ROUNDS rounds, or a
               second plan changes a file whose first plan applied every fix it wanted

    python benchmarks/fuzz.py                                  # 10000 cases, seed 0
    python benchmarks/fuzz.py --cases 200 --seed 1             # what CI runs (tests/test_robustness_fuzz.py)
    python benchmarks/fuzz.py --seconds 600 --cases 100000 --jobs 4 --save-failures fuzz-failures/

The exit code is 1 when any failure was found (each is saved, with its input, under
--save-failures), 0 otherwise.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import multiprocessing
import os
import random
import re
import shutil
import sys
import tempfile
import time
import traceback
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from rnnlint.diagnostics import Diagnostic  # noqa: E402
from rnnlint.fix import apply  # noqa: E402
from rnnlint.fix.command import MAX_ROUNDS  # noqa: E402
from rnnlint.report import formats  # noqa: E402
from rnnlint.run.engine import Linter, Result  # noqa: E402
from rnnlint.settings.model import Settings  # noqa: E402

KINDS = ("grammar", "node", "mutation")
WEIGHTS = (0.35, 0.15, 0.50)
BATCH = 20  # hypothesmith programs drawn per hypothesis run
SLOW_CASE_S = 20.0
LINTABLE = (".py", ".ipynb", ".yaml", ".yml", ".json")
# Characters str.splitlines() treats as line breaks and Python does not.
ODD_BREAKS = ("\x0b", "\x0c", "\x1c", "\x1d", "\x1e", "\x85", "\u2028", "\u2029")
NUMBERS = ("0", "1", "-1", "2", "0.0", "0.5", "1e-9", "3.7", "128", "4096", "10**30", "1e308", "1e999", "-0.0", "0x10", "1_000")
NUMBER = re.compile(r"(?<![\w.])\d+(?:\.\d+)?(?:[eE]-?\d+)?(?![\w.])")

HEADERS = (
    "import torch\n",
    "import torch\nimport torch.nn as nn\n\nmodel = nn.LSTM(32, 4096, 1, dropout=0.5)\n"
    "opt = torch.optim.SGD(model.parameters(), lr=0.5)\nfor x, y in []:\n    loss = model(x)[0].sum()\n    loss.backward()\n    opt.step()\n",
    "from tensorflow import keras\n\nmodel = keras.Sequential([keras.layers.LSTM(1024), keras.layers.Dense(1)])\n"
    "model.compile(optimizer=keras.optimizers.Adam(0.05), loss='mse')\nmodel.fit([], [], epochs=3)\n",
    "import jax\nimport optax\nfrom flax import linen as nn\n\ncell = nn.LSTMCell(features=2048)\ntx = optax.adam(0.5)\n",
)


@dataclass
class Case:
    kind: str
    files: dict[str, bytes]  # relative path -> content: the target and its context
    target: str
    how: str  # what was done, for the report


@dataclass
class Stats:
    cases: int = 0
    by_kind: Counter[str] = field(default_factory=Counter)
    seconds: float = 0.0
    linted_with_findings: int = 0
    rnn001: int = 0
    findings: int = 0
    fix_files_checked: int = 0  # fixed texts checked (they parse, they are placed right)
    fixes_applied: int = 0
    fix_refused: int = 0  # the fixer itself dropped a result that would not parse (correct behaviour, counted)
    rounds: Counter[int] = field(default_factory=Counter)  # fix rounds to the fixed point, per case with fixes
    slow_cases: int = 0
    failures: Counter[str] = field(default_factory=Counter)  # kind of failure -> count
    examples: list[dict[str, Any]] = field(default_factory=list)  # the first failures, with tracebacks

    def merge(self, other: Stats) -> None:
        for name in ("cases", "linted_with_findings", "rnn001", "findings", "fix_files_checked", "fixes_applied", "fix_refused", "slow_cases"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.by_kind.update(other.by_kind)
        self.rounds.update(other.rounds)
        self.failures.update(other.failures)
        self.examples.extend(other.examples)

    @property
    def crashes(self) -> int:
        return self.failures["crash"]

    def as_dict(self) -> dict[str, Any]:
        return {
            "cases": self.cases,
            "by_kind": dict(self.by_kind),
            "seconds": round(self.seconds, 1),
            "linted_with_findings": self.linted_with_findings,
            "findings": self.findings,
            "rnn001": self.rnn001,
            "fix_files_checked": self.fix_files_checked,
            "fixes_applied": self.fixes_applied,
            "fix_refused": self.fix_refused,
            "rounds": {str(k): v for k, v in sorted(self.rounds.items())},
            "slow_cases": self.slow_cases,
            "crashes": self.crashes,
            "failures": dict(self.failures),
            "examples": self.examples[:20],
        }


# Sources.


def _fixture_files() -> list[Path]:
    out = []
    for p in sorted((ROOT / "fixtures").rglob("*")):
        if p.is_file() and p.suffix in LINTABLE and p.name != "expected.json":
            out.append(p)
    return out


def _fixture_context(path: Path) -> tuple[dict[str, bytes], str]:
    """The fixture folder holding ``path`` (the target's imports and configs), and the target's name in it."""
    folder = next(parent for parent in path.parents if parent.parent == ROOT / "fixtures")
    files = {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and p.suffix in LINTABLE and p.name != "expected.json"
    }
    return files, path.relative_to(folder).as_posix()


def _programs(kind: str, seed: int, count: int) -> list[str]:
    """``count`` hypothesmith programs (fewer if hypothesis stops early), reproducible from ``seed``."""
    import hypothesmith
    import libcst
    from hypothesis import HealthCheck, Phase, given, settings
    from hypothesis import seed as hypothesis_seed

    if kind == "grammar":
        strategy = hypothesmith.from_grammar()
    else:
        strategy = hypothesmith.from_node(random.Random(seed).choice([libcst.Module, libcst.FunctionDef, libcst.ClassDef]))
    out: list[str] = []

    @settings(max_examples=count, database=None, deadline=None, phases=[Phase.generate], suppress_health_check=list(HealthCheck))
    @hypothesis_seed(seed)
    @given(strategy)
    def collect(source: str) -> None:
        out.append(source)

    with warnings_silenced():
        collect()
    return out


@contextlib.contextmanager
def warnings_silenced() -> Iterator[None]:
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


def _top_level_boundaries(lines: list[str]) -> list[int]:
    return [i for i, line in enumerate(lines) if line[:1] not in ("", " ", "\t", "\n", "\r", "#", ")", "]", "}")] + [len(lines)]


def _in_context(kind: str, program: str, rng: random.Random, scripts: list[Path]) -> Case:
    roll = rng.random()
    if roll < 0.45 and scripts:  # spliced into a real training script, between two top-level statements
        path = rng.choice(scripts)
        files, target = _fixture_context(path)
        lines = files[target].decode("utf-8").splitlines(keepends=True)
        at = rng.choice(_top_level_boundaries(lines))
        body = program if program.endswith(("\n", "\r")) else program + "\n"
        files[target] = "".join([*lines[:at], body, *lines[at:]]).encode("utf-8")
        return Case(kind, files, target, f"spliced into {path.relative_to(ROOT).as_posix()} at line {at + 1}")
    header = rng.choice(HEADERS)
    if roll < 0.75:
        text, how = header + program, "after a header"
    else:
        text, how = program + ("\n" if not program.endswith(("\n", "\r")) else "") + header, "before a header"
    return Case(kind, {"train.py": text.encode("utf-8")}, "train.py", how)


def _mutate_lines(lines: list[str], rng: random.Random) -> tuple[list[str], str]:
    lines = list(lines)
    op = rng.choice(("delete", "duplicate", "swap", "swap-adjacent", "number", "number", "truncate", "odd-break", "indent", "blank"))
    if not lines:
        return ["\n"], "emptied"
    i = rng.randrange(len(lines))
    if op == "delete":
        del lines[i]
    elif op == "duplicate":
        lines.insert(i, lines[i])
    elif op == "swap":
        j = rng.randrange(len(lines))
        lines[i], lines[j] = lines[j], lines[i]
        op = f"swap with {j + 1}"
    elif op == "swap-adjacent" and i + 1 < len(lines):
        lines[i], lines[i + 1] = lines[i + 1], lines[i]
    elif op == "number":
        hits = [(n, m) for n, line in enumerate(lines) for m in NUMBER.finditer(line)]
        if hits:
            n, m = rng.choice(hits)
            new = rng.choice(NUMBERS)
            lines[n] = lines[n][: m.start()] + new + lines[n][m.end() :]
            return lines, f"number at {n + 1}: {m.group()} -> {new}"
    elif op == "truncate":
        cut = rng.randrange(len(lines[i]) + 1)
        lines = [*lines[:i], lines[i][:cut]]
    elif op == "odd-break":
        indent = lines[i][: len(lines[i]) - len(lines[i].lstrip())]
        lines.insert(i, f"{indent}# odd{rng.choice(ODD_BREAKS)}break\n")
    elif op == "indent":
        lines[i] = "    " + lines[i]
    elif op == "blank":
        lines[i] = "\n"
    return lines, f"{op} at line {i + 1}"


def _mutation(rng: random.Random, fixtures: list[Path]) -> Case:
    path = rng.choice(fixtures)
    files, target = _fixture_context(path)
    text = files[target].decode("utf-8")
    hows = []
    if path.suffix == ".ipynb":
        with contextlib.suppress(ValueError, KeyError, TypeError, AttributeError):
            nb = json.loads(text)
            cells = [c for c in nb["cells"] if c.get("cell_type") == "code"]
            cell = rng.choice(cells)
            source = cell["source"] if isinstance(cell["source"], str) else "".join(cell["source"])
            lines = source.splitlines(keepends=True)
            for _ in range(rng.randint(1, 3)):
                lines, how = _mutate_lines(lines, rng)
                hows.append(how)
            cell["source"] = "".join(lines)
            files[target] = json.dumps(nb, indent=1).encode("utf-8")
            return Case("mutation", files, target, f"{path.relative_to(ROOT).as_posix()} (a cell): " + "; ".join(hows))
    lines = text.splitlines(keepends=True)
    for _ in range(rng.randint(1, 3)):
        lines, how = _mutate_lines(lines, rng)
        hows.append(how)
    files[target] = "".join(lines).encode("utf-8")
    return Case("mutation", files, target, f"{path.relative_to(ROOT).as_posix()}: " + "; ".join(hows))


def generate(seed: int, cases: int, deadline: float, kinds: tuple[str, ...] = KINDS) -> Iterator[Case]:
    """``cases`` cases (fewer if the deadline passes), reproducible from ``seed``."""
    rng = random.Random(seed)
    fixtures = _fixture_files()
    scripts = [p for p in fixtures if p.suffix == ".py"]
    queues: dict[str, list[str]] = {k: [] for k in ("grammar", "node")}
    weights = [w for k, w in zip(KINDS, WEIGHTS, strict=True) if k in kinds]
    made = 0
    while made < cases and time.monotonic() < deadline:
        kind = rng.choices(kinds, weights)[0]
        if kind == "mutation":
            yield _mutation(rng, fixtures)
        else:
            if not queues[kind]:
                queues[kind] = _programs(kind, rng.randrange(2**32), BATCH)
                if not queues[kind]:
                    continue
            yield _in_context(kind, queues[kind].pop(0), rng, scripts)
        made += 1


# Checks.


class Failure(Exception):
    def __init__(self, kind: str, detail: str) -> None:
        super().__init__(f"{kind}: {detail}")
        self.kind = kind
        self.detail = detail


def _python_offsets(text: str) -> list[int]:
    """Start offsets of each line as Python numbers lines (only \\n, \\r\\n and \\r end one), plus the end."""
    starts = [0]
    for m in re.finditer(r"\r\n|\r|\n", text):
        starts.append(m.end())
    if starts[-1] != len(text):
        starts.append(len(text))
    return starts


def _reference_fix(original: bytes, applied: list[Diagnostic]) -> bytes:
    """The applied fixes' edits, placed independently of rnnlint.fix.apply's own offset code."""
    bom = b"\xef\xbb\xbf" if original.startswith(b"\xef\xbb\xbf") else b""
    import tokenize

    try:
        encoding = tokenize.detect_encoding(io.BytesIO(original).readline)[0]
    except SyntaxError:
        encoding = "utf-8"
    encoding = "utf-8" if encoding == "utf-8-sig" else encoding
    text = original[len(bom) :].decode(encoding)
    newline = "\r\n" if "\r\n" in text[:4096] else "\n"
    starts = _python_offsets(text)

    def offset(line: int, col: int) -> int:
        if line - 1 >= len(starts) - 1:  # past the last line: the end of the text
            return len(text)
        return min(starts[line - 1] + col - 1, len(text))

    edits = []
    for d in applied:
        assert d.fix is not None
        for e in d.fix.edits:
            edits.append((offset(e.loc.line, e.loc.col), offset(e.loc.end_line, e.loc.end_col), e.content.replace("\n", newline), len(edits)))
    for s, e, content, _ in sorted(edits, key=lambda x: (x[0], x[3]), reverse=True):
        text = text[:s] + content + text[e:]
    return bom + text.encode(encoding)


def _wanted(result: Result) -> Counter[str]:
    return Counter(d.loc.path for d in result.diagnostics if apply.wanted(d, True) and apply.fixable_path(d.loc.path))


class Harness:
    """Runs cases in throw-away folders under ``workdir`` (the working directory while it runs)."""

    def __init__(self, workdir: Path, stats: Stats, save: Path | None, keep_examples: int = 20) -> None:
        self.workdir = workdir
        self.stats = stats
        self.save = save
        self.keep = keep_examples
        self.n = 0

    def run(self, case: Case) -> None:
        self.n += 1
        folder = self.workdir / f"case{self.n}"
        folder.mkdir()
        for rel, data in case.files.items():
            (folder / rel).parent.mkdir(parents=True, exist_ok=True)
            (folder / rel).write_bytes(data)
        target = folder / case.target
        stage = "lint"
        start = time.perf_counter()
        try:
            self.stats.cases += 1
            self.stats.by_kind[case.kind] += 1

            def lint() -> Result:
                return Linter(Settings(), [folder]).run([target])

            result = lint()
            stage = "format"
            formats.write_json(result.diagnostics, io.StringIO())
            formats.write_full(result.diagnostics, result.sources, result.files, io.StringIO())
            self.stats.findings += len(result.diagnostics)
            self.stats.linted_with_findings += bool(result.diagnostics)
            self.stats.rnn001 += any(d.code == "RNN001" for d in result.diagnostics)
            stage = "fix"
            self._fix(lint, result)
        except Failure as failure:
            self._record(case, failure.kind, failure.detail, folder)
        except Exception as exc:  # the point of the exercise: nothing may escape
            self._record(case, "crash", f"{stage}: {exc.__class__.__name__}: {exc}\n{traceback.format_exc(limit=-6)}", folder)
        finally:
            if time.perf_counter() - start > SLOW_CASE_S:
                self.stats.slow_cases += 1
            shutil.rmtree(folder, ignore_errors=True)

    def _fix(self, lint: Callable[[], Result], result: Result) -> None:
        rounds = 0
        first = True
        all_applied_before = False
        while True:
            wanted = _wanted(result)
            plan = apply.plan(result.diagnostics, unsafe=True)
            self.stats.fix_refused += sum("would not parse" in why for _, why in plan.dropped)
            if not plan.files:
                break
            rounds += 1
            if rounds > MAX_ROUNDS:
                raise Failure("diverges", f"fixes still change files after {MAX_ROUNDS} rounds: {[f.path for f in plan.files]}")
            if not first and all_applied_before:
                raise Failure("diverges", f"a second plan changes {[f.path for f in plan.files]} although the first applied every fix")
            for f in plan.files:
                self.stats.fix_files_checked += 1
                if not apply.still_valid(f.path, f.fixed, f.original):
                    raise Failure("unparsable", f"the fixed text of {f.path} does not parse")
                if not f.path.endswith(".py"):
                    continue  # notebooks and YAML: their own appliers map positions (tests/test_fix_properties.py)
                expected = _reference_fix(f.original, f.applied)
                if expected != f.fixed:
                    raise Failure("misplaced", f"{f.path}: fixes {[d.code for d in f.applied]} land elsewhere than their positions say")
            all_applied_before = all(len(f.applied) == wanted[f.path] for f in plan.files)
            written = apply.write(plan)
            if written.applied != plan.applied:
                raise Failure("write", f"planned fixes not written: {written.dropped}")
            self.stats.fixes_applied += written.applied
            first = False
            result = lint()
        if rounds:
            self.stats.rounds[rounds] += 1

    def _record(self, case: Case, kind: str, detail: str, folder: Path) -> None:
        self.stats.failures[kind] += 1
        if len(self.stats.examples) < self.keep:
            self.stats.examples.append({"failure": kind, "case": case.kind, "how": case.how, "target": case.target, "detail": detail[-3000:]})
        if self.save is not None:
            dest = self.save / f"{kind}-{os.getpid()}-{self.n}"
            dest.mkdir(parents=True, exist_ok=True)
            for rel, data in case.files.items():
                (dest / rel).parent.mkdir(parents=True, exist_ok=True)
                (dest / rel).write_bytes(data)
            (dest / "FAILURE.json").write_text(json.dumps({"failure": kind, "kind": case.kind, "how": case.how, "target": case.target, "detail": detail}, indent=1))


def run_shard(args: tuple[int, int, float, str | None, tuple[str, ...]]) -> Stats:
    """One process's share: ``cases`` cases from ``seed``, until ``deadline`` (time.monotonic())."""
    seed, cases, deadline, save, kinds = args
    stats = Stats()
    start = time.perf_counter()
    old = os.getcwd()
    with tempfile.TemporaryDirectory(prefix="rnnlint-fuzz-") as tmp:
        os.chdir(tmp)
        try:
            harness = Harness(Path(tmp), stats, Path(save) if save else None)
            for case in generate(seed, cases, deadline, kinds):
                harness.run(case)
        finally:
            os.chdir(old)
    stats.seconds = time.perf_counter() - start
    return stats


def fuzz(cases: int = 10_000, seconds: float | None = None, seed: int = 0, jobs: int = 1, save: Path | None = None, kinds: tuple[str, ...] = KINDS) -> Stats:
    """Run the fuzzer; returns the merged counts."""
    deadline = time.monotonic() + (seconds if seconds is not None else 10**9)
    jobs = max(1, min(jobs, cases))
    shares = [cases // jobs + (1 if i < cases % jobs else 0) for i in range(jobs)]
    args = [(seed * 1000 + i, n, deadline, str(save.resolve()) if save else None, kinds) for i, n in enumerate(shares)]
    start = time.perf_counter()
    if jobs == 1:
        parts = [run_shard(args[0])]
    else:
        with multiprocessing.get_context("spawn").Pool(jobs) as pool:
            parts = pool.map(run_shard, args)
    total = Stats()
    for part in parts:
        total.merge(part)
    total.seconds = time.perf_counter() - start
    return total


def report(stats: Stats, seed: int) -> str:
    rate = stats.cases / stats.seconds if stats.seconds else 0.0
    kinds = ", ".join(f"{k} {stats.by_kind[k]}" for k in KINDS if stats.by_kind[k])
    rounds = ", ".join(f"{n} in {r} round{'s' if r != 1 else ''}" for r, n in sorted(stats.rounds.items())) or "none"
    failures = ", ".join(f"{k} {v}" for k, v in sorted(stats.failures.items())) or "none"
    lines = [
        f"rnnlint fuzz: seed {seed}, {stats.cases} cases in {stats.seconds:.1f} s ({rate:.1f} cases/s)",
        f"  cases by source kind: {kinds}",
        f"  lint: {stats.findings} findings; {stats.linted_with_findings} cases with findings, {stats.rnn001} with RNN001",
        f"  fix results checked: {stats.fix_files_checked} fixed files ({stats.fixes_applied} fixes written), "
        f"all parse and are placed right unless counted below; {stats.fix_refused} results refused by the fixer (would not parse)",
        f"  convergence: {sum(stats.rounds.values())} cases with fixes reached a fixed point: {rounds}",
        f"  slow cases (over {SLOW_CASE_S:g} s): {stats.slow_cases}",
        f"  crashes: {stats.crashes}",
        f"  failures: {failures}",
    ]
    for ex in stats.examples[:5]:
        lines.append(f"    - {ex['failure']} ({ex['case']}, {ex['how']}): {ex['detail'].splitlines()[0] if ex['detail'] else ''}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", type=int, default=10_000, help="cases to run (default 10000)")
    parser.add_argument("--seconds", type=float, default=None, help="stop after this long, even if fewer cases ran")
    parser.add_argument("--seed", type=int, default=0, help="the same seed (and --jobs) gives the same cases")
    parser.add_argument("--jobs", type=int, default=1, help="processes (each runs its share with its own seed)")
    parser.add_argument("--kinds", default=",".join(KINDS), help=f"comma-separated subset of {','.join(KINDS)}")
    parser.add_argument("--save-failures", type=Path, default=None, help="save each failing case's files here")
    parser.add_argument("--json", action="store_true", help="print the counts as JSON instead of text")
    args = parser.parse_args(argv)
    kinds = tuple(k for k in args.kinds.split(",") if k)
    if not kinds or any(k not in KINDS for k in kinds):
        parser.error(f"--kinds: choose from {', '.join(KINDS)}")
    stats = fuzz(args.cases, args.seconds, args.seed, args.jobs, args.save_failures, kinds)
    print(json.dumps(stats.as_dict(), indent=1) if args.json else report(stats, args.seed))
    return 1 if sum(stats.failures.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
