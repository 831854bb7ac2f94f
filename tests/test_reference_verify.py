"""``rnnlint verify``: the fix checks, and the whole ``--quick`` run through the command line (what CI runs).

The fix-check tests need neither numpy nor a framework; the ones that import the verify
module (numpy) skip without numpy."""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path
from typing import Any

import pytest

from rnnlint.reference import fixcheck

EXPECTED_RULES = {"RNN101", "RNN102", "RNN201", "RNN204", "RNN303", "RNN105/RNN107", "RNN401"}
FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "reference_runnable"

# A torch training step without clipping (RNN201, fixed safely) whose run "ends" with a NaN loss; it
# imports torch only inside functions that never run, so the test needs no framework.
NAN_SCRIPT = """import json


def train(model, loader):
    import torch

    optimizer = torch.optim.Adam(model.parameters(), lr=0.001)
    for x, y in loader:
        optimizer.zero_grad()
        loss = torch.nn.functional.cross_entropy(model(x), y)
        loss.backward()
        optimizer.step()


def build():
    import torch

    return torch.nn.LSTM(8, 128, num_layers=2, dropout=0.5, bidirectional=True)


if __name__ == "__main__":
    print(json.dumps({"train_loss": float("nan"), "val_loss": float("nan")}))
"""


def _run(loss: float | None, ran: bool = True) -> dict[str, Any]:
    return {"ran": ran, "final_loss": loss, "error": None if ran else "ValueError: boom"}


def _prep(before: list[tuple[str, str | None]], after: list[str], variant: str = "safe") -> dict[str, Any]:
    def finding(code: str, fix: str | None) -> dict[str, Any]:
        return {"code": code, "fix": None if fix is None else {"applicability": fix, "message": f"fix {code}"}}

    return {
        "framework": "torch",
        "variant": variant,
        "fixture": "fixtures/reference_runnable/torch_recall.py",
        "command": "rnnlint --fix --isolated",
        "diff": "fix_checks/torch_recall_safe.diff",
        "findings_before": [finding(c, f) for c, f in before],
        "findings_after": [finding(c, None) for c in after],
        "lint_error": None,
    }


def test_fix_check_passes_when_the_fixed_codes_are_gone_and_the_loss_is_finite() -> None:
    entry = fixcheck.entry(
        _prep([("RNN201", "safe"), ("RNN102", "unsafe"), ("RNN104", None)], ["RNN102", "RNN104"]), _run(1.3), _run(1.2)
    )
    assert entry["ok"] and entry["problems"] == []
    assert entry["codes_fixed"] == ["RNN201"] and entry["codes_unresolved"] == [] and not entry["unsafe"]
    assert entry["fixes"] == ["fix RNN201"]  # the unsafe fix is not applied by --fix


@pytest.mark.parametrize(
    ("prep", "before", "after", "problem"),
    [
        (_prep([("RNN201", "safe")], ["RNN201"]), _run(1.3), _run(1.2), "no finding was fixed"),
        (_prep([("RNN201", "safe"), ("RNN301", "safe")], ["RNN301"]), _run(1.3), _run(1.2), "still reported: RNN301"),
        (_prep([("RNN201", "safe")], []), _run(None, ran=False), _run(1.2), "did not run before"),
        (_prep([("RNN201", "safe")], []), _run(1.3), _run(None, ran=False), "did not run after"),
        (_prep([("RNN201", "safe")], []), _run(1.3), _run(math.nan), "not finite"),
        (_prep([("RNN201", "safe")], []), _run(1.3), _run(None), "not finite"),
    ],
)
def test_fix_check_fails(prep: dict[str, Any], before: dict[str, Any], after: dict[str, Any], problem: str) -> None:
    entry = fixcheck.entry(prep, before, after)
    assert not entry["ok"] and any(problem in p for p in entry["problems"]), entry["problems"]


def test_unsafe_variant_counts_unsafe_fixes_as_applied() -> None:
    prep = _prep([("RNN201", "safe"), ("RNN102", "unsafe")], ["RNN102"], variant="unsafe")
    entry = fixcheck.entry(prep, _run(1.3), _run(1.2))
    assert entry["unsafe"] and entry["codes_unresolved"] == ["RNN102"] and not entry["ok"]


def test_prepare_fixes_temporary_copies_and_records_diffs(tmp_path: Path) -> None:
    originals = {p.name: p.read_bytes() for p in FIXTURES.glob("*.py")}
    out, work = tmp_path / "out", tmp_path / "work"
    work.mkdir()
    prepared = fixcheck.prepare(["torch", "tensorflow"], out, work)
    assert set(prepared) == {"torch/safe", "torch/unsafe", "tensorflow/safe", "tensorflow/unsafe"}
    for key, prep in prepared.items():
        assert prep["lint_error"] is None
        assert "RNN201" in {d["code"] for d in prep["findings_before"]}, key
        assert "RNN201" not in {d["code"] for d in prep["findings_after"]}, key
        assert "clip" in (out / prep["diff"]).read_text(), key
        assert Path(prep["after_path"]).is_relative_to(work)
    assert {p.name: p.read_bytes() for p in FIXTURES.glob("*.py")} == originals
    assert not list(out.rglob("*.py")), "fixed scripts stay out of the report folder"
    assert (out / "fix_checks" / "findings_before.json").is_file()


def test_run_script_reports_a_crash_and_restores_argv(tmp_path: Path) -> None:
    script = tmp_path / "crash.py"
    script.write_text("import sys\nassert sys.argv[1:3] == ['--epochs', '2']\nraise ValueError('boom')\n")
    argv = list(sys.argv)
    result = fixcheck.run_script(str(script))
    assert not result["ran"] and result["error"] == "ValueError: boom" and sys.argv == argv


def test_run_script_reads_the_last_json_line(tmp_path: Path) -> None:
    script = tmp_path / "ok.py"
    script.write_text(
        'import json, warnings\nprint("epoch 1")\nwarnings.warn("careful")\nprint(json.dumps({"loss": 0.5, "val_loss": 0.7}))\n'
    )
    result = fixcheck.run_script(str(script))
    assert result["ran"] and result["final_loss"] == 0.5 and result["val_loss"] == 0.7 and result["warnings"] == ["careful"]


def test_a_failing_fix_check_makes_verify_exit_1(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("numpy")
    import rnnlint.reference.verify as v

    monkeypatch.setattr(v, "available", lambda framework: True)
    monkeypatch.setattr(v, "experiments", lambda mode: [])  # only the fix checks run
    monkeypatch.setattr(v, "_setup", lambda framework, opts: None)  # no framework import
    (tmp_path / "fixtures").mkdir()
    (tmp_path / "fixtures" / "torch_recall.py").write_text(NAN_SCRIPT)
    monkeypatch.setattr(fixcheck, "fixtures_dir", lambda: tmp_path / "fixtures")
    out = tmp_path / "out"
    assert v.verify("quick", ["torch"], out, workers=1, perf=False) == 1
    report = json.loads((out / "report.json").read_text())
    assert [c["variant"] for c in report["fix_checks"]] == ["safe", "unsafe"]
    for check in report["fix_checks"]:
        assert check["codes_fixed"] == ["RNN201", "RNN301"] and not check["ok"]
        assert check["before"]["final_loss"] is None and any("not finite" in p for p in check["problems"])
    assert "## Fix checks" in (out / "report.md").read_text()


def test_rnnlint_verify_quick(tmp_path: Path) -> None:
    """The command CI relies on: every run finishes, every experiment is judged and labelled a smoke test,
    the speed is measured and every fix check passes, with each installed framework."""
    pytest.importorskip("numpy")
    from rnnlint.cli import main
    from rnnlint.reference.curves import plot_available
    from rnnlint.reference.verify import FRAMEWORKS, available

    frameworks = [f for f in FRAMEWORKS if available(f)]
    if not frameworks:
        pytest.skip("neither torch nor tensorflow is installed")
    out = tmp_path / "verify"
    code = main(["verify", "--quick", "--output-dir", str(out)])
    report = json.loads((out / "report.json").read_text())
    assert report["mode"] == "quick" and report["smoke_test"] is True and report["seeds"] == [0]
    outcomes = {"supported", "contradicted", "inconclusive", "invalid design"}
    for e in report["experiments"]:
        assert e.get("outcome") in outcomes, (e.get("error"), e.get("traceback"))
        assert e["claim"] and e["manipulation_check"] and e["statistic"] and e["smoke_test"] is True
        assert isinstance(e["check"]["passed"], bool) and e["check"]["seen"]
        assert e["comparison"]["n"] == 1 and e["comparison"]["verdict"] == "inconclusive"  # one seed: never a verdict
        assert len(e["per_seed"]) == 1 and e["budget"]["steps"] > 0
        env = e["environment"]
        assert env["framework"] == e["framework"] and env["threads"] >= 1 and env["version"] and env["device"]
    assert {(e["framework"], e["rule"]) for e in report["experiments"]} == {(f, r) for f in frameworks for r in EXPECTED_RULES}
    if "torch" in frameworks:
        perf = report["performance"]
        assert perf["device"] == report["environment"]["frameworks"]["torch"]["device"]
        assert all(s["fused_s"] > 0 and s["loop_s"] > 0 and s["ratio"] > 0 for s in perf["shapes"])
    checks = report["fix_checks"]
    assert {(c["framework"], c["variant"]) for c in checks} == {(f, v) for f in frameworks for v in ("safe", "unsafe")}
    for c in checks:
        assert {"fixture", "framework", "codes_fixed", "before", "after", "ok"} <= set(c)
        assert c["ok"], c["problems"]
        assert c["before"]["ran"] and c["after"]["ran"] and math.isfinite(c["after"]["final_loss"])
        assert "RNN201" in c["codes_fixed"]
    assert code == 0
    markdown = (out / "report.md").read_text()
    assert "smoke test, not evidence" in markdown and "| RNN101 (D1) |" in markdown and "## Fix checks" in markdown
    assert "95% CI" in markdown or "[95% CI]" in markdown
    if plot_available():
        assert len(list((out / "plots").glob("*.png"))) == len(EXPECTED_RULES) * len(frameworks)


def test_a_worker_that_dies_is_reported_and_replaced(tmp_path: Path) -> None:
    pytest.importorskip("numpy")
    from rnnlint.reference.verify import Options, _Scheduler

    die, ok = tmp_path / "die.py", tmp_path / "ok.py"
    die.write_text("import os\n\nos._exit(3)\n")
    ok.write_text('import json\n\nprint(json.dumps({"loss": 0.5}))\n')
    # a framework name that set_threads does not know: the workers import nothing heavy
    jobs = [("script", "plain", str(die)), ("script", "plain", str(ok))]
    scheduler = _Scheduler(1, ["plain"], Options("quick", str(tmp_path), 1, "cpu", (0,)))
    try:
        scheduler.add(jobs)
        results = scheduler.finish()
    finally:
        scheduler.close()
    assert not results[jobs[0]]["ran"] and "worker process died" in results[jobs[0]]["error"]
    assert results[jobs[1]]["ran"] and results[jobs[1]]["final_loss"] == 0.5  # on the fresh worker


def test_missing_fixtures_exit_2(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("numpy")
    import rnnlint.reference.verify as v

    monkeypatch.setattr(v, "available", lambda framework: True)
    monkeypatch.setattr(v, "experiments", lambda mode: [])
    monkeypatch.setattr(fixcheck, "fixtures_dir", lambda: tmp_path / "nowhere")
    assert v.verify("quick", ["torch"], tmp_path / "out", workers=1, perf=False) == 2
    assert "cannot run the fix checks" in capsys.readouterr().err


def test_bad_options_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("numpy")
    from rnnlint.reference.verify import available, verify

    if not available("torch"):
        pytest.skip("torch is not installed")
    assert verify("quick", ["torch"], "x", only=["RNN999"]) == 2
    assert verify("huge", ["torch"], "x") == 2
    assert verify("quick", ["torch"], "x", seeds=0) == 2
    err = capsys.readouterr().err
    assert "no experiment for RNN999" in err and "unknown mode" in err


def test_cli_options_reach_verify(monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("numpy")
    import rnnlint.reference.verify as v
    from rnnlint.reference.cli import main

    seen: dict[str, Any] = {}
    monkeypatch.setattr(v, "verify", lambda mode, frameworks, out, **kw: seen.update(mode=mode, **kw) or 0)
    assert main(["verify", "--quick", "--out", "x"]) == 0 and seen["mode"] == "quick" and seen["device"] == "auto"
    args = ["verify", "--mode", "medium", "--seeds", "3", "--rule", "RNN101", "--device", "cpu", "--no-perf", "--out", "x"]
    assert main(args) == 0
    assert seen["mode"] == "medium" and seen["seeds"] == 3 and seen["only"] == ["RNN101"] and seen["device"] == "cpu"
    assert seen["perf"] is False and seen["command"].startswith("rnnlint verify --mode medium")
