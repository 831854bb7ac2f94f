#!/usr/bin/env bash
# The torch `rnnlint verify` matrix on the GPU machine (nvidia-h200), full and then medium mode, with that
# machine's own python3 (its torch is preinstalled; nothing can be fetched there). pydantic and libcst are not
# in its image: carry them as wheels in .whl (pydantic, pydantic_core, annotated-types, typing-inspection, libcst; docs/verify/README.md says how to download them). Writes at most
# 6 files to $OUT: each mode's report.json and report.md, and a tarball with its plots and per-run curves.
#
#   bash docs/verify/gpu_run.sh             # full, then medium (the mode of the committed CPU runs)
#   bash docs/verify/gpu_run.sh full        # full only
#   DEVICE=cpu WORKERS=2 bash docs/verify/gpu_run.sh quick   # a dry run of the script on a CPU machine
set -uo pipefail
OUT=${OUT:-/tmp/verify-out}
mkdir -p "$OUT"
WHEELS=${WHEELS:-.whl}
if ! python3 -c "import pydantic, libcst" 2>/dev/null; then
  python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --target /tmp/site "$WHEELS"/*.whl || exit 2
  export PYTHONPATH=/tmp/site
fi
export PYTHONPATH=$PWD${PYTHONPATH:+:$PYTHONPATH} PYTHONUNBUFFERED=1
nvidia-smi --query-gpu=name,driver_version --format=csv,noheader || true
for mode in "${@:-full medium}"; do
  for m in $mode; do
    start=$(date +%s)
    python3 -m rnnlint verify --mode "$m" --framework torch --device "${DEVICE:-cuda}" --workers "${WORKERS:-8}" --threads 1 --out "/tmp/verify-gpu-$m"
    echo "verify --mode $m exited $? after $(( $(date +%s) - start )) s"
    cp "/tmp/verify-gpu-$m/report.json" "$OUT/gpu-$m-report.json"
    cp "/tmp/verify-gpu-$m/report.md" "$OUT/gpu-$m-report.md"
    tar czf "$OUT/gpu-$m.tgz" -C /tmp "verify-gpu-$m"
  done
done
