"""Lint whole public repositories root to root, as a new user would (issue 15's dev corpus).

For each repository of benchmarks/real_repos.toml checked out under the corpus folder, runs
``rnnlint --no-cache --output-format json .`` at its root (cold), then twice with a cache (fill, then warm),
and prints: files and lines rnnlint could read, cold and warm seconds, peak memory, findings per code, and
how many RNN001 ("file does not parse") fall on files that really do not parse (``ast.parse`` for Python,
YAML composed safely, JSON / JSON lines, notebooks' code cells through IPython's input transformations when
IPython is installed). Every other RNN001 is a false error.

    python scripts/real_repos.py --checkout              # materialise the manifest's commits from /work/.mirror
    python scripts/real_repos.py                         # all repositories, 2 jobs
    python scripts/real_repos.py --repos flax awd-lstm-lm --jobs 2 --json /tmp/after.json
    python scripts/real_repos.py --show-rnn001 fairseq   # list the RNN001 findings and whether the file parses

cpu s: processor seconds of the cold run and its workers (on a busy shared machine the wall-clock seconds mostly
measure the other processes). Peak memory: VmHWM of the rnnlint process (as benchmarks/bench.py) and the largest sampled resident size of its
process tree (pool workers included). The machine is shared: the load average is printed with the table.
"""

from __future__ import annotations

import argparse
import ast
import collections
import contextlib
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

try:
    import tomllib
except ImportError:  # Python 3.10
    import tomli as tomllib

ROOT = Path(__file__).resolve().parent.parent
MANIFEST = ROOT / "benchmarks" / "real_repos.toml"
SUFFIXES = (".py", ".ipynb", ".yaml", ".yml", ".json")
SKIP_DIRS = {".git", "__pycache__", ".rnnlint_cache", "node_modules", ".venv", "venv"}

_MEASURED = (
    "import resource, runpy, sys\n"
    "sys.argv = ['rnnlint', *sys.argv[1:]]\n"
    "code = 0\n"
    "try:\n    runpy.run_module('rnnlint', run_name='__main__')\n"
    "except SystemExit as e:\n    code = e.code if isinstance(e.code, int) else 0\n"
    # VmHWM, not ru_maxrss: Linux keeps ru_maxrss across exec (see benchmarks/bench.py).
    "try:\n    peak = next(int(ln.split()[1]) for ln in open('/proc/self/status') if ln.startswith('VmHWM:'))\n"
    "except (OSError, StopIteration):\n    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
    "print('maxrss', peak, file=sys.stderr)\n"
    "sys.exit(code)\n"
)


def manifest() -> list[dict[str, str]]:
    with MANIFEST.open("rb") as f:
        return list(tomllib.load(f)["repo"])


def folder_name(repo: str) -> str:
    return repo.replace("/", "+")


def checkout(corpus: Path, mirrors: Path) -> None:
    """Write each manifest commit's files (those its mirror holds) under ``corpus``, once."""
    for entry in manifest():
        dest = corpus / folder_name(entry["name"])
        if dest.exists():
            continue
        git_dir = mirrors / folder_name(entry["name"]) / "repo"
        if not git_dir.exists():
            print(f"{entry['name']}: no mirror at {git_dir} (fetch it first)", file=sys.stderr)
            continue
        listing = subprocess.run(
            ["git", "--git-dir", str(git_dir), "ls-tree", "-r", "-z", entry["commit"]], capture_output=True, check=True
        ).stdout.split(b"\0")
        blobs = []
        for row in listing:
            if not row:
                continue
            meta, path = row.split(b"\t", 1)
            mode, kind, sha = meta.split()
            if kind == b"blob" and mode != b"120000":
                blobs.append((sha.decode(), path.decode("utf-8", "replace")))
        # one cat-file process for all blobs; a blob the (partial) mirror lacks is reported 'missing' and skipped
        proc = subprocess.Popen(
            ["git", "--git-dir", str(git_dir), "cat-file", "--batch"], stdin=subprocess.PIPE, stdout=subprocess.PIPE
        )
        assert proc.stdin is not None and proc.stdout is not None
        missing = 0
        for sha, path in blobs:
            proc.stdin.write(sha.encode() + b"\n")
            proc.stdin.flush()
            header = proc.stdout.readline().split()
            if len(header) < 3 or header[1] != b"blob":
                missing += 1
                continue
            data = proc.stdout.read(int(header[2]))
            proc.stdout.read(1)
            target = dest / path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
        proc.stdin.close()
        proc.wait()
        print(f"{entry['name']}: {len(blobs) - missing} files written, {missing} absent from the mirror")


def readable_files(root: Path) -> list[Path]:
    out = []
    for folder, dirs, files in os.walk(root):
        dirs[:] = [d for d in dirs if d not in SKIP_DIRS]
        out.extend(Path(folder, f) for f in files if f.endswith(SUFFIXES))
    return out


def _tree_rss_kib(pid: int) -> int:
    """Resident size of ``pid`` and its descendants (KiB), from /proc."""
    children: dict[int, list[int]] = collections.defaultdict(list)
    rss: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/status") as f:
                fields = dict(line.split(":", 1) for line in f if ":" in line)
        except OSError:
            continue
        p = int(entry)
        children[int(fields.get("PPid", "0").strip() or 0)].append(p)
        rss[p] = int(fields.get("VmRSS", "0 kB").split()[0]) if "VmRSS" in fields else 0
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        total += rss.get(p, 0)
        todo.extend(children.get(p, ()))
    return total


def run_rnnlint(root: Path, args: list[str], timeout: float) -> dict[str, Any]:
    """One measured rnnlint run at ``root``: seconds, exit code, findings, VmHWM and sampled tree peak (KiB)."""
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    import resource

    cpu_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-c", _MEASURED, *args],
        cwd=root,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,  # a timed-out run is killed with all its workers
    )
    tree_peak = 0
    stop = threading.Event()

    def sample() -> None:
        nonlocal tree_peak
        while not stop.wait(0.25):
            tree_peak = max(tree_peak, _tree_rss_kib(proc.pid))

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    timed_out = False
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        timed_out = True
        os.killpg(proc.pid, signal.SIGKILL)
        out, err = proc.communicate()
    seconds = time.perf_counter() - start
    cpu_after = resource.getrusage(resource.RUSAGE_CHILDREN)  # the run and its workers (reaped by it)
    cpu = (cpu_after.ru_utime + cpu_after.ru_stime) - (cpu_before.ru_utime + cpu_before.ru_stime)
    stop.set()
    sampler.join()
    text = err.decode("utf-8", "replace")
    vmhwm = next((int(ln.split()[1]) for ln in reversed(text.splitlines()) if ln.startswith("maxrss ")), 0)
    try:
        findings = json.loads(out) if out.strip() else []
    except json.JSONDecodeError:
        findings = []
    return {
        "seconds": seconds,
        "cpu_seconds": cpu,
        "rc": proc.returncode,
        "timed_out": timed_out,
        "findings": findings,
        "vmhwm_kib": vmhwm,
        "tree_peak_kib": max(tree_peak, vmhwm),
        "stderr": "\n".join(ln for ln in text.splitlines() if not ln.startswith("maxrss "))[-3000:],
    }


def _ipython_transform() -> Any:
    """IPython's own reading of a cell (input transformations, and automagic on one-line cells as run_cell does)."""
    try:
        from IPython.core.interactiveshell import InteractiveShell
    except ImportError:
        return None
    return InteractiveShell.instance().transform_cell


def really_parses(path: Path) -> bool | None:
    """Does the file parse by its format's own reference reader? None: cannot tell (IPython missing)."""
    data = path.read_bytes()
    suffix = path.suffix
    if suffix == ".py":
        try:
            ast.parse(data)
        except (SyntaxError, ValueError):
            return False
        return True
    if suffix in (".yaml", ".yml"):
        import yaml

        try:
            for _ in yaml.compose_all(data, Loader=yaml.SafeLoader):  # syntax only: custom tags are not errors
                pass
        except yaml.YAMLError:
            return False
        return True
    if suffix == ".json":
        text = data.decode("utf-8", "replace")
        try:
            json.loads(text)
            return True
        except json.JSONDecodeError:
            lines = [ln for ln in text.splitlines() if ln.strip()]
            try:
                for ln in lines:
                    json.loads(ln)
            except json.JSONDecodeError:
                return False
            return bool(lines)
    if suffix == ".ipynb":
        transform = _ipython_transform()
        try:
            nb = json.loads(data)
        except json.JSONDecodeError:
            return False
        if transform is None:
            return None
        for cell in nb.get("cells", []) if isinstance(nb, dict) else []:
            if cell.get("cell_type") != "code":
                continue
            src = cell.get("source", "")
            src = "".join(src) if isinstance(src, list) else src
            try:
                compile(transform(src), "<cell>", "exec", ast.PyCF_ONLY_AST | ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)
            except (SyntaxError, ValueError):
                return False
        return True
    return None


def measure(root: Path, jobs: int, timeout: float) -> dict[str, Any]:
    files = readable_files(root)
    lines = 0
    for f in files:
        with contextlib.suppress(OSError):
            lines += f.read_bytes().count(b"\n")
    common = ["--output-format", "json", "--exit-zero", "--jobs", str(jobs), "."]
    cold = run_rnnlint(root, ["--no-cache", *common], timeout)
    with tempfile.TemporaryDirectory() as cache:
        run_rnnlint(root, ["--cache-dir", cache, *common], timeout)  # fill
        warm = run_rnnlint(root, ["--cache-dir", cache, *common], timeout)
    codes = collections.Counter(d["code"] for d in cold["findings"])
    rnn001 = [d for d in cold["findings"] if d["code"] == "RNN001"]
    verdicts = {}
    for d in rnn001:
        p = root / d["path"]
        if d["path"] not in verdicts:
            verdicts[d["path"]] = really_parses(p) if p.exists() else None
    really_broken = sum(1 for d in rnn001 if verdicts.get(d["path"]) is False)
    unknown = sum(1 for d in rnn001 if verdicts.get(d["path"]) is None)
    return {
        "files": len(files),
        "lines": lines,
        "cold_s": cold["seconds"],
        "cold_cpu_s": cold["cpu_seconds"],
        "warm_s": warm["seconds"],
        "cold_rc": cold["rc"],
        "timed_out": cold["timed_out"] or warm["timed_out"],
        "vmhwm_mib": cold["vmhwm_kib"] / 1024,
        "tree_peak_mib": cold["tree_peak_kib"] / 1024,
        "codes": dict(sorted(codes.items())),
        "rnn001": len(rnn001),
        "rnn001_really_broken": really_broken,
        "rnn001_unknown": unknown,
        "rnn001_findings": [
            {"path": d["path"], "line": d["line"], "message": d["message"], "parses": verdicts.get(d["path"])} for d in rnn001
        ],
        "stderr": cold["stderr"],
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", type=Path, default=Path("/work/corpus"))
    parser.add_argument("--mirrors", type=Path, default=Path("/work/.mirror"))
    parser.add_argument("--checkout", action="store_true", help="materialise the manifest's commits from the mirrors, then stop")
    parser.add_argument("--repos", nargs="*", help="substrings of repository names to run (default: all)")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--timeout", type=float, default=600.0, help="seconds before a run is killed (with its workers)")
    parser.add_argument("--json", type=Path, help="write every measurement here too")
    parser.add_argument("--show-rnn001", action="store_true", help="list each RNN001 and whether its file really parses")
    args = parser.parse_args()
    if args.checkout:
        checkout(args.corpus, args.mirrors)
        return 0
    entries = [e for e in manifest() if not args.repos or any(s.lower() in e["name"].lower() for s in args.repos)]
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}; {os.cpu_count()} cores; --jobs {args.jobs}")
    results: dict[str, Any] = {}
    header = f"{'repository':44} {'files':>6} {'lines':>8} {'cold s':>7} {'cpu s':>7} {'warm s':>7} {'MiB':>6} {'tree':>6} {'RNN001':>6} {'broken':>6}  findings per code"
    print(header)
    for entry in entries:
        root = args.corpus / folder_name(entry["name"])
        if not root.exists():
            print(f"{entry['name']:44} (not checked out: run --checkout)")
            continue
        r = measure(root, args.jobs, args.timeout)
        results[entry["name"]] = r
        codes = " ".join(f"{c}:{n}" for c, n in r["codes"].items())
        flag = " TIMEOUT" if r["timed_out"] else (f" rc={r['cold_rc']}" if r["cold_rc"] not in (0, 1) else "")
        print(
            f"{entry['name']:44} {r['files']:6d} {r['lines']:8d} {r['cold_s']:7.1f} {r['cold_cpu_s']:7.1f} {r['warm_s']:7.1f} "
            f"{r['vmhwm_mib']:6.0f} {r['tree_peak_mib']:6.0f} {r['rnn001']:6d} {r['rnn001_really_broken']:6d}  {codes}{flag}",
            flush=True,
        )
        if args.show_rnn001:
            for d in r["rnn001_findings"]:
                print(f"    RNN001 {d['path']}:{d['line']} parses={d['parses']}: {d['message'][:150]}")
        if r["stderr"].strip() and (args.show_rnn001 or r["cold_rc"] not in (0, 1)):
            print("    stderr: " + r["stderr"].strip().replace("\n", "\n    stderr: ")[-1500:])
    total = {k: sum(r[k] for r in results.values()) for k in ("files", "lines", "rnn001", "rnn001_really_broken")}
    print(
        f"{'TOTAL':44} {total['files']:6d} {total['lines']:8d} {'':7} {'':7} {'':7} {'':6} {'':6} {total['rnn001']:6d} "
        f"{total['rnn001_really_broken']:6d}"
    )
    worst = max(results.values(), key=lambda r: r["cold_s"], default=None)
    if worst is not None:
        print(
            f"max cold {max(r['cold_s'] for r in results.values()):.1f} s; max peak (tree) "
            f"{max(r['tree_peak_mib'] for r in results.values()):.0f} MiB; "
            f"false RNN001 {total['rnn001'] - total['rnn001_really_broken']}"
        )
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    if args.json:
        args.json.write_text(json.dumps(results, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
