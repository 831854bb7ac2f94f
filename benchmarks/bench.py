"""Benchmark rnnlint against its floors (ast, LibCST) and other linters, on a generated corpus.

Prints medians of several runs as ratios (machines are shared: absolute times mean
little). The corpus: distinct copies of the fixtures' training scripts (600 by default)
plus standard-library modules (80), about the size the performance issue names.

    python benchmarks/bench.py                 # full corpus, 3 runs each
    python benchmarks/bench.py --size tiny     # CI: keeps the script working
    python benchmarks/bench.py --keep /tmp/b   # leaves the corpus in /tmp/b/corpus, e.g. to profile:
    python -m cProfile -s cumtime -m rnnlint --no-cache --jobs 1 /tmp/b/corpus

Two more modes print each figure against ``ruff check --no-cache --select ALL`` and ``ast.parse`` of the same
files, measured in the same run: cold and warm, ``json`` and the default ``full`` format, and peak memory.

    python benchmarks/bench.py --dense         # the fixtures' scripts only, no stdlib padding (RNN-dense code)
    python benchmarks/bench.py --repo DIR      # a whole repository, linted at its root as users do (repeatable)
    python benchmarks/bench.py --repos [DIR]   # every repository folder in DIR (default: /work/corpus)
"""

from __future__ import annotations

import argparse
import ast
import compileall
import contextlib
import os
import shutil
import statistics
import subprocess
import sys
import sysconfig
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SIZES = {"tiny": (40, 8), "small": (150, 20), "full": (600, 80)}
CORPUS = Path("/work/corpus")  # the whole-repositories dev corpus (scripts/real_repos.py --checkout)


# The corpus is a project as users have one: its own config (with per-file ignores) and a .gitignore.
PROJECT_FILES = {
    "pyproject.toml": '[tool.rnnlint]\nextend-exclude = ["generated/"]\n\n[tool.rnnlint.per-file-ignores]\n"stdlib/*.py" = ["RNN1"]\n',
    ".gitignore": "__pycache__/\n*.egg-info/\n.rnnlint_cache/\n/generated/\n",
}


def build_corpus(dest: Path, scripts: int, stdlib: int, scale: int = 1) -> list[Path]:
    """Distinct copies of the fixture folders (content differs by a comment), plus stdlib modules, in a project
    folder with a config and a .gitignore."""
    folders = sorted(p for p in (ROOT / "fixtures").iterdir() if p.is_dir() and any(p.glob("*.py")))
    per_copy = sum(len(list(f.glob("*.py"))) for f in folders)
    copies = max(1, -(-scripts * scale // per_copy))
    made = 0
    for i in range(copies):
        for folder in folders:
            target = dest / f"copy{i:03d}" / folder.name
            target.mkdir(parents=True, exist_ok=True)
            for src in folder.glob("*.py"):
                (target / src.name).write_text(f"# copy {i}\n" + src.read_text())
                made += 1
    lib = Path(sysconfig.get_paths()["stdlib"])
    modules = sorted(p for p in lib.glob("*.py") if p.stat().st_size > 20_000)[: stdlib * scale]
    (dest / "stdlib").mkdir(exist_ok=True)
    for name, text in PROJECT_FILES.items():
        (dest / name).write_text(text)
    for j, mod in enumerate(modules):
        shutil.copy(mod, dest / "stdlib" / f"m{j:03d}_{mod.name}")
    return sorted(dest.rglob("*.py"))


def median_time(fn: Callable[[], object], runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def cli(*args: str) -> Callable[[], object]:
    return lambda: subprocess.run([sys.executable, "-m", "rnnlint", *args], capture_output=True, check=False)


_MEASURED = (
    "import resource, runpy, sys\n"
    "sys.argv = ['rnnlint', *sys.argv[1:]]\n"
    "try:\n    runpy.run_module('rnnlint', run_name='__main__')\n"
    "except SystemExit:\n    pass\n"
    # VmHWM, not ru_maxrss: Linux keeps ru_maxrss across exec, so a child started by a big bench process reports
    # the parent's peak (after LibCST parsed the corpus) instead of its own.
    "try:\n    peak = next(int(ln.split()[1]) for ln in open('/proc/self/status') if ln.startswith('VmHWM:'))\n"
    "except (OSError, StopIteration):\n    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
    "print('maxrss', peak, file=sys.stderr)\n"
)


def peak_memory(*args: str) -> float:
    """Peak resident memory of one rnnlint run (the units ru_maxrss uses; only ratios are printed)."""
    done = subprocess.run([sys.executable, "-c", _MEASURED, *args], capture_output=True, text=True, check=False)
    line = next((ln for ln in reversed(done.stderr.splitlines()) if ln.startswith("maxrss ")), None)
    if line is None:
        raise SystemExit(f"bench: the measured rnnlint run failed:\n{done.stderr[-2000:]}")
    return float(line.split()[1])


def ast_floor(files: list[Path]) -> Callable[[], object]:
    return lambda: [ast.parse(f.read_bytes()) for f in files]


def libcst_floor(files: list[Path]) -> Callable[[], object]:
    import libcst

    return lambda: [libcst.parse_module(f.read_bytes()) for f in files]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", choices=SIZES, default="full")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--keep", type=Path, metavar="DIR", help="build the corpus in DIR and leave it there (to profile)")
    parser.add_argument("--dense", action="store_true", help="the RNN-dense corpus (no stdlib padding) against ruff and ast")
    parser.add_argument("--repo", type=Path, action="append", default=[], metavar="DIR", help="a whole repository")
    parser.add_argument("--repos", type=Path, nargs="?", const=CORPUS, metavar="DIR", help=f"every folder in DIR ({CORPUS})")
    args = parser.parse_args()
    # Users run rnnlint installed, from bytecode: without it every process (pool workers too) compiles rnnlint's
    # source again, a fixed cost that is not rnnlint's (PYTHONDONTWRITEBYTECODE is set in some dev shells).
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    compileall.compile_dir(ROOT / "rnnlint", quiet=1)
    if args.dense or args.repo or args.repos:
        from against import compare_dense, compare_repos  # the comparison modes live beside this script

        if args.dense:
            return compare_dense(build_corpus, SIZES[args.size][0], args.runs, args.jobs, args.keep, args.size == "full")
        repos = [*args.repo, *(sorted(p for p in args.repos.iterdir() if p.is_dir()) if args.repos else [])]
        return compare_repos(repos, args.runs, args.jobs)
    scripts, stdlib = SIZES[args.size]
    if args.keep is not None:
        for old in ("corpus", "cache", *(f"scale{n}" for n in (1, 2, 4, 16))):
            shutil.rmtree(args.keep / old, ignore_errors=True)
        args.keep.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() if args.keep is None else contextlib.nullcontext(str(args.keep)) as tmp:
        corpus = Path(tmp) / "corpus"
        files = build_corpus(corpus, scripts, stdlib)
        lines = sum(f.read_bytes().count(b"\n") for f in files)
        cache = Path(tmp) / "cache"
        common = ["--output-format", "concise", "--exit-zero", f"--jobs={args.jobs}"]  # the corpus's own config
        print(f"corpus: {len(files)} files, {lines} lines; {args.runs} runs each; medians")
        cold = median_time(cli(str(corpus), "--no-cache", *common), args.runs)
        cli(str(corpus), "--cache-dir", str(cache), *common)()  # fill the cache
        # a warm run is short, so one busy moment on a shared machine moves it most: three times the samples
        warm = median_time(cli(str(corpus), "--cache-dir", str(cache), *common), 3 * args.runs)
        one = median_time(cli(str(ROOT / "fixtures" / "sentiment" / "train.py"), "--no-cache", *common), args.runs)
        import_libcst = median_time(lambda: subprocess.run([sys.executable, "-c", "import libcst"], check=True), args.runs)
        floor_ast = median_time(ast_floor(files), args.runs)
        floor_cst = median_time(libcst_floor(files), 1 if args.size == "full" else args.runs)
        rows = [
            ("rnnlint cold", cold),
            ("rnnlint warm (cache)", warm),
            ("ast.parse floor, 1 core", floor_ast),
            ("LibCST parse floor, 1 core", floor_cst),
        ]
        ruff = shutil.which("ruff") or str(Path(sys.executable).parent / "ruff")
        if Path(ruff).exists():
            rows.append(("ruff check --select ALL", median_time(
                lambda: subprocess.run([ruff, "check", "--no-cache", "--select", "ALL", "--exit-zero", "-q", str(corpus)],
                                       capture_output=True, check=False), args.runs)))
        torchfix = shutil.which("torchfix")
        if torchfix:
            rows.append(("TorchFix", median_time(lambda: subprocess.run([torchfix, str(corpus)], capture_output=True, check=False), 1)))
        print(f"\n{'tool':32} {'x rnnlint cold':>15}")
        for name, t in rows:
            print(f"{name:32} {t / cold:15.2f}")
        print("\nmilestones (ratio, target):")
        milestones = [
            ("cold / LibCST floor", cold / floor_cst, 0.5, ""),
            ("warm / cold", warm / cold, 0.1, ""),
            ("one file / import libcst", one / import_libcst, 2.0, ""),
        ]
        if len(rows) > 4:
            milestones.append(("cold / ruff --select ALL", cold / rows[4][1], 1.0, "goal "))
        for name, ratio, target, kind in milestones:
            # the targets are set for the full corpus: on a smaller one start-up costs weigh more, no verdict
            verdict = ("met" if ratio <= target else "NOT met") if args.size == "full" else "judged at --size full only"
            print(f"  {name:26} {ratio:6.2f}  ({kind}<= {target:g}: {verdict})")
        print("\nscaling (time per file relative to 1x; peak memory of a serial run relative to 1x):")
        base = base_mem = None
        for scale in (1, 4, 16) if args.size != "tiny" else (1, 2):
            sub = Path(tmp) / f"scale{scale}"
            sub_files = build_corpus(sub, max(10, scripts // 16), max(2, stdlib // 16), scale)
            t = median_time(cli(str(sub), "--no-cache", *common), max(1, args.runs - 1))
            per = t / len(sub_files)
            base = base or per
            mem = peak_memory(str(sub), "--no-cache", "--jobs", "1", "--output-format", "concise")
            base_mem = base_mem or mem
            print(f"  {scale:3d}x  {len(sub_files):6d} files  time/file {per / base:6.2f}  peak memory {mem / base_mem:6.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
