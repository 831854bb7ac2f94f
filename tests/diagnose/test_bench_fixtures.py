"""A fixed subset of the benchmark's labelled runs (real torch training, logged with Lightning's CSVLogger):
each injected cause is found, and the healthy controls get no warning."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rnnlint.diagnose.command import diagnose_runs
from rnnlint.diagnose.readers import find_logs, read_log
from rnnlint.diagnose.settings import DiagnoseSettings
from rnnlint.diagnostics import Severity

ROOT = Path(__file__).resolve().parents[2] / "fixtures" / "diagnose"
LABELS = json.loads((ROOT / "labels.json").read_text())


@pytest.mark.parametrize("cause", sorted(LABELS))
def test_labelled_run(cause: str) -> None:
    label = LABELS[cause]
    runs = [read_log(*found) for found in find_logs(ROOT / cause)]
    assert len(runs) == 1 and runs[0].fmt == "lightning-csv"
    diags, _ = diagnose_runs(runs, DiagnoseSettings(), ["RNN6"], [], label["overfit_check"])
    found = {d.code for d in diags}
    if label["healthy"]:
        assert not [d.code for d in diags if d.severity >= Severity.WARNING]
    else:
        assert found & set(label["expected_any_of"]), found
