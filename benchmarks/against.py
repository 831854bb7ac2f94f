"""bench.py's comparison modes: rnnlint against ruff ``--select ALL`` and ``ast.parse`` of the same files.

Every figure is a median of several runs, and ruff and ``ast.parse`` are measured in the same run as
rnnlint (the machine is shared: only the ratios mean much). Each target is linted at its root, as a
user runs ``rnnlint .``: cold (``--no-cache``) and warm (a filled cache), with the ``json`` and the
default ``full`` formats piped; peak memory is the largest resident size of rnnlint's process tree
(pool workers included), sampled while the cold ``json`` runs work.
"""

from __future__ import annotations

import ast
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _cpu_seconds() -> float:
    """User + system seconds of this process and of the child processes it waited for (their pool workers too)."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def _median(fn: Callable[[], object], runs: int) -> tuple[float, float]:
    """Median wall seconds and median CPU seconds (user + system, child processes included).

    On a shared machine wall time also measures the neighbours: CPU time says what the work itself cost.
    """
    times, cpus = [], []
    for _ in range(runs):
        cpu, start = _cpu_seconds(), time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
        cpus.append(_cpu_seconds() - cpu)
    return statistics.median(times), statistics.median(cpus)


def _rnnlint(cwd: Path, *args: str) -> Callable[[], object]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    cmd = [sys.executable, "-m", "rnnlint", ".", "--exit-zero", *args]
    return lambda: subprocess.run(cmd, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)


def _ruff(cwd: Path) -> Callable[[], object] | None:
    ruff = shutil.which("ruff") or str(Path(sys.executable).parent / "ruff")
    if not Path(ruff).exists():
        return None
    cmd = [ruff, "check", "--no-cache", "--select", "ALL", "--exit-zero", "-q", "."]
    return lambda: subprocess.run(cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)


def _python_files(target: Path) -> list[Path]:
    """The Python files rnnlint discovers at ``target`` (its default excludes and .gitignore files)."""
    sys.path.insert(0, str(ROOT))
    from rnnlint.run.discovery import discover

    return [p for p in discover([target], [], True, target) if p.suffix == ".py"]


def _parse_all(files: list[Path]) -> Callable[[], object]:
    def run() -> None:
        for f in files:
            try:
                ast.parse(f.read_bytes())
            except (SyntaxError, ValueError, OSError):
                continue

    return run


def _tree_rss(pid: int) -> int:
    """Resident bytes of ``pid`` and its descendants (from /proc; 0 where it cannot be read)."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    page = os.sysconf("SC_PAGE_SIZE")
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(entry))  # fields[1]: the parent's pid
        rss[int(entry)] = int(fields[21]) * page  # fields[21]: resident pages
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        total += rss.get(p, 0)
        todo.extend(children.get(p, []))
    return total


class _PeakMemory:
    """Runs a command, sampling the resident size of its process tree every 20 ms; ``peak`` keeps the largest (MB)."""

    def __init__(self, cmd: list[str], cwd: Path, env: dict[str, str]) -> None:
        self.cmd, self.cwd, self.env = cmd, cwd, env
        self.peak = 0.0

    def __call__(self) -> None:
        proc = subprocess.Popen(self.cmd, cwd=self.cwd, env=self.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        done = threading.Event()

        def sample() -> None:
            while not done.is_set():
                self.peak = max(self.peak, _tree_rss(proc.pid) / 2**20)
                time.sleep(0.02)

        sampler = threading.Thread(target=sample)
        if Path("/proc/self/stat").exists():
            sampler.start()
        proc.wait()
        done.set()
        if sampler.is_alive():
            sampler.join()


def measure(target: Path, runs: int, jobs: int, cold_full: bool = True) -> dict[str, tuple[float, float]]:
    """(wall, CPU) seconds per figure for one target, all in this run; ``files``, ``lines`` and ``peak MB`` too.

    The peak memory is sampled during the cold ``json`` runs (Linux; NaN elsewhere). ``cold_full`` off: the
    cold ``full`` run is left out (on a whole repository it costs a cold run for what ``warm full`` shows).
    """
    files = _python_files(target)
    common = [f"--jobs={jobs}"]
    lines = sum(f.read_bytes().count(b"\n") for f in files)
    out: dict[str, tuple[float, float]] = {"files": (len(files), 0), "lines": (lines, 0)}
    ruff = _ruff(target)
    if ruff is not None:
        out["ruff --select ALL"] = _median(ruff, runs)
    out["ast.parse, 1 core"] = _median(_parse_all(files), runs)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    cold = _PeakMemory(
        [sys.executable, "-m", "rnnlint", ".", "--exit-zero", "--no-cache", "--output-format", "json", *common], target, env
    )
    out["cold json"] = _median(cold, runs)
    out["peak MB"] = (cold.peak if Path("/proc/self/stat").exists() else float("nan"), 0)
    if cold_full:
        out["cold full"] = _median(_rnnlint(target, "--no-cache", *common), runs)
    with tempfile.TemporaryDirectory() as cache:
        _rnnlint(target, "--cache-dir", cache, "--output-format", "json", *common)()  # fill the cache
        # warm runs are short: one busy moment on a shared machine moves them most, so three times the samples
        out["warm json"] = _median(_rnnlint(target, "--cache-dir", cache, "--output-format", "json", *common), 3 * runs)
        out["warm full"] = _median(_rnnlint(target, "--cache-dir", cache, *common), 3 * runs)
    return out


FIGURES = ("cold json", "cold full", "warm json", "warm full")


def _table(name: str, m: dict[str, tuple[float, float]]) -> None:
    ruff, floor = m.get("ruff --select ALL"), m["ast.parse, 1 core"]
    print(f"\n{name}: {m['files'][0]:.0f} Python files, {m['lines'][0]:.0f} lines")
    print(f"  {'figure':20} {'seconds':>8} {'x ruff':>7} {'x ast.parse':>11} {'CPU s':>7} {'CPU x ruff':>10}")
    for key in ("ruff --select ALL", "ast.parse, 1 core", *FIGURES):
        if key in m:
            (wall, cpu), dash = m[key], "-"
            x_ruff = f"{wall / ruff[0]:7.2f}" if ruff else f"{dash:>7}"
            cpu_ruff = f"{cpu / ruff[1]:10.2f}" if ruff and ruff[1] else f"{dash:>10}"
            print(f"  {key:20} {wall:8.2f} {x_ruff} {wall / floor[0]:11.2f} {cpu:7.2f} {cpu_ruff}")
    print(f"  {'peak memory (tree)':20} {m['peak MB'][0]:7.0f}M")


def _verdicts(checks: list[tuple[str, float, float]], judge: bool = True) -> None:
    for name, value, target in checks:
        verdict = ("met" if value <= target else "NOT met") if judge else "judged at --size full only"
        print(f"  {name:34} {value:8.2f}  (<= {target:g}: {verdict})")


def compare_dense(
    build: Callable[..., list[Path]], scripts: int, runs: int, jobs: int, keep: Path | None, judge: bool = True
) -> int:
    """The fixtures' training scripts only: every file passes the byte prefilter and is analysed (``judge``: verdicts)."""
    with tempfile.TemporaryDirectory() as tmp:
        corpus = (keep or Path(tmp)) / "dense"
        shutil.rmtree(corpus, ignore_errors=True)
        build(corpus, scripts, 0)
        m = measure(corpus, runs, jobs)
    print(f"jobs={jobs}, medians of {runs} runs (warm: {3 * runs}); load average {os.getloadavg()[0]:.1f}")
    _table("RNN-dense corpus (fixture scripts, no stdlib padding)", m)
    print("\ntargets (issue 18):")
    checks = [("full warm / json warm", m["warm full"][0] / m["warm json"][0], 1.3)]
    if "ruff --select ALL" in m:
        checks.insert(0, ("cold json / ruff --select ALL", m["cold json"][0] / m["ruff --select ALL"][0], 2.0))
    _verdicts(checks, judge)
    return 0


def compare_repos(repos: list[Path], runs: int, jobs: int) -> int:
    """Whole repositories, each linted at its root."""
    missing = [r for r in repos if not r.is_dir()]
    if missing or not repos:
        print(f"bench: no such folder: {', '.join(map(str, missing)) or '(none given, and the corpus is empty)'}")
        return 2
    print(f"jobs={jobs}, medians of {runs} runs (warm: {3 * runs}); load average {os.getloadavg()[0]:.1f}")
    rows = []
    for repo in repos:
        m = measure(repo, runs, jobs, cold_full=False)
        _table(repo.name, m)
        rows.append((repo.name, m))
    print("\ntargets (issue 18): cold <= 10 s, cold <= 10x ruff --select ALL, peak memory <= 500 MB")
    print(f"  {'repository':40} {'cold s':>7} {'x ruff':>7} {'peak MB':>8}  verdict")
    for name, m in rows:
        cold, ruff, peak = m["cold json"][0], m.get("ruff --select ALL"), m["peak MB"][0]
        ratio = cold / ruff[0] if ruff else float("nan")
        ok = cold <= 10 and (ruff is None or ratio <= 10) and peak <= 500
        print(f"  {name:40} {cold:7.2f} {ratio:7.1f} {peak:8.0f}  {'met' if ok else 'NOT met'}")
    return 0
