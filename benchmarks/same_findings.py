"""Do two checkouts of rnnlint report the same findings? (a speed change must not change them)

Lints each folder at its root with both checkouts (``--no-cache --output-format json``) and
compares the whole JSON, finding by finding; prints the counts per folder and the first
differences. Exit status 1 when any folder differs.

    git worktree add /tmp/rnnlint-main main
    python benchmarks/same_findings.py --base /tmp/rnnlint-main fixtures/* /work/corpus/*
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def findings(checkout: Path, folder: Path, jobs: int) -> list[dict[str, Any]]:
    env = {**os.environ, "PYTHONPATH": str(checkout)}
    cmd = [sys.executable, "-m", "rnnlint", ".", "--no-cache", "--output-format", "json", "--exit-zero", f"--jobs={jobs}"]
    done = subprocess.run(cmd, cwd=folder, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"{checkout} failed on {folder}:\n{done.stderr[-2000:]}")
    found: list[dict[str, Any]] = json.loads(done.stdout)
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--base", type=Path, required=True, help="the checkout to compare against (e.g. main)")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("folders", type=Path, nargs="+")
    args = parser.parse_args()
    differ = 0
    for folder in (f for f in args.folders if f.is_dir()):
        old, new = findings(args.base, folder, args.jobs), findings(ROOT, folder, args.jobs)
        same = old == new
        differ += not same
        print(f"{'same' if same else 'DIFFERENT':9} {len(old):5d} -> {len(new):5d}  {folder}")
        if not same:
            gone = [f for f in old if f not in new][:3]
            came = [f for f in new if f not in old][:3]
            for label, items in (("only before", gone), ("only after", came)):
                for item in items:
                    print(f"    {label}: {item['path']}:{item['line']}:{item['column']} {item['code']} {item['message'][:80]}")
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main())
