"""`rnnlint diagnose` keeps the linter's contract: formats, exit codes, selection, bad input without tracebacks."""

from __future__ import annotations

import json
import math
import os
import random
from pathlib import Path

import pytest

from rnnlint.cli import main


def write_overfit(path: Path, epochs: int = 30, seed: int = 0, lr: bool = True) -> Path:
    rng = random.Random(seed)
    lines = ["epoch,loss,val_loss" + (",learning_rate" if lr else "")]
    for e in range(epochs):
        train = 2.0 * math.exp(-e / 5) + 0.05 + rng.gauss(0, 0.02)
        val = math.exp(-e / 5) + 0.4 + 0.02 * max(0, e - 10) ** 1.2 + rng.gauss(0, 0.02)
        lines.append(f"{e},{train},{val}" + (",0.001" if lr else ""))
    path.write_text("\n".join(lines) + "\n")
    return path


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["diagnose", *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_json_has_the_window_and_numbers(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    log = write_overfit(tmp_path / "log.csv")
    code, out, _ = run(capsys, str(log), "--output-format", "json")
    assert code == 1
    found = {d["code"]: d for d in json.loads(out)}
    d = found["RNN606"]
    assert d["name"] == "overfitting" and d["severity"] == "warning" and d["path"] == str(log)
    assert 8 <= d["epoch"] < d["end_epoch"] == 29 and d["step"] is None
    assert d["numbers"]["rise"] > 0.1 and d["numbers"]["slope_lo"] > 0
    assert "EarlyStopping" in d["advice"] and "epochs" in d["message"]
    assert d["line"] == d["epoch"] + 2  # the CSV row of the window's first epoch


def test_formats_and_exit_codes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    log = write_overfit(tmp_path / "log.csv")
    code, out, _ = run(capsys, str(log), "--output-format", "concise")
    assert code == 1 and f"{log}:" in out and "RNN606 [warning]" in out and "1 run checked" in out
    code, out, _ = run(capsys, str(log), "--output-format", "github")
    assert code == 1 and out.startswith("::warning file=") and "title=RNN606 overfitting" in out
    code, out, _ = run(capsys, str(log), "--output-format", "sarif")
    sarif = json.loads(out)
    results = sarif["runs"][0]["results"]
    assert {r["ruleId"] for r in results} >= {"RNN606"}
    assert all("epoch" in r["properties"] for r in results)
    assert "RNN606" in {r["id"] for r in sarif["runs"][0]["tool"]["driver"]["rules"]}
    code, out, _ = run(capsys, str(log), "--output-format", "full")
    assert code == 1 and "RNN606" in out and "| " in out  # a code frame on the CSV row
    assert run(capsys, str(log), "--exit-zero")[0] == 0
    assert run(capsys, str(log), "--severity-threshold", "error")[0] == 0


def test_select_and_ignore(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    log = write_overfit(tmp_path / "log.csv")
    _, out, _ = run(capsys, str(log), "--output-format", "json", "--ignore", "RNN606")
    assert "RNN606" not in {d["code"] for d in json.loads(out)}
    _, out, _ = run(capsys, str(log), "--output-format", "json", "--select", "RNN605")
    assert {d["code"] for d in json.loads(out)} == {"RNN605"}


def test_config_thresholds(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    log = write_overfit(tmp_path / "log.csv")
    (tmp_path / "pyproject.toml").write_text("[tool.rnnlint.diagnose]\noverfit-rise = 5.0\nignore = ['RNN605']\n")
    code, out, _ = run(capsys, str(log), "--output-format", "json")
    assert code == 0 and json.loads(out) == []  # a 92% rise is below a 500% threshold
    (tmp_path / "pyproject.toml").write_text("[tool.rnnlint.diagnose]\noverfit-rise = -1\n")
    code, _, err = run(capsys, str(log))
    assert code == 2 and "diagnose.overfit-rise" in err and "Traceback" not in err
    (tmp_path / "pyproject.toml").write_text("[tool.rnnlint.diagnose]\nno-such = 1\n")
    code, _, err = run(capsys, str(log))
    assert code == 2 and "unknown key" in err


def test_the_linter_accepts_a_diagnose_table(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.rnnlint.diagnose]\nwindow = 6\n")
    (tmp_path / "ok.py").write_text("x = 1\n")
    assert main([str(tmp_path / "ok.py"), "--no-cache"]) == 0


def test_too_short_to_judge(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    log = tmp_path / "short.csv"
    log.write_text("epoch,loss,val_loss,lr\n0,2.0,2.1,0.1\n1,1.5,2.3,0.1\n2,1.2,2.6,0.1\n")
    code, out, err = run(capsys, str(log), "--output-format", "json")
    assert code == 0 and json.loads(out) == []  # val rising for 3 epochs is not a verdict
    assert "too short to judge RNN606" in err


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("empty.csv", "", "empty file"),
        ("header_only.csv", "epoch,loss\n", "no known metric"),
        ("unknown.csv", "a,b\n1,2\n", "--column"),
        ("binary.csv", "\x00\x01\x02garbage", "not a text CSV"),
        ("history.json", '{"loss": [1.0, 0.9', "not valid JSON"),
        ("not_history.json", "[1, 2, 3]", "not a Keras History"),
    ],
)
def test_unreadable_logs_exit_2_with_a_message(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str, content: str, message: str
) -> None:
    log = tmp_path / name
    log.write_text(content)
    code, _, err = run(capsys, str(log))
    assert code == 2 and message in err and "Traceback" not in err


def test_truncated_and_malformed_rows_are_judged_on_the_readable_part(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = write_overfit(tmp_path / "log.csv").read_text()
    cut = tmp_path / "cut.csv"
    cut.write_text(text[: len(text) - 7] + "\n3,oops,\n")  # a row cut mid-number, and a bad value
    code, out, err = run(capsys, str(cut), "--output-format", "json")
    assert code == 1 and "RNN606" in {d["code"] for d in json.loads(out)}
    assert "not numbers skipped" in err


def test_truncated_event_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("tensorboard")
    pytest.importorskip("torch")
    from torch.utils.tensorboard import SummaryWriter

    writer = SummaryWriter(str(tmp_path))
    for step in range(40):
        writer.add_scalar("loss", 2.0 * 0.9**step, step)
    writer.close()
    event = next(tmp_path.glob("events.*"))
    data = event.read_bytes()
    event.write_bytes(data[: len(data) - 20])
    code, out, err = run(capsys, str(tmp_path), "--output-format", "json")
    assert code in (0, 1) and "Traceback" not in err
    assert "RNN611" in {d["code"] for d in json.loads(out)}  # the readable part is judged
    event.write_bytes(b"\x00garbage" * 10)
    code, _, err = run(capsys, str(tmp_path))
    assert code == 2 and "Traceback" not in err


def test_huge_log_is_read_up_to_the_limit(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import rnnlint.diagnose.readers.csvlog as csvlog

    monkeypatch.setattr(csvlog, "MAX_POINTS", 500)
    log = tmp_path / "big.csv"
    log.write_text("step,loss\n" + "".join(f"{i},{2.0 * 0.999**i}\n" for i in range(5000)))
    code, _out, err = run(capsys, str(log), "--output-format", "json")
    assert "read the first" in err and code in (0, 1)


def test_missing_path_and_bad_column(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, str(tmp_path / "nope"))
    assert code == 2 and "path not found" in err
    log = write_overfit(tmp_path / "log.csv")
    code, _, err = run(capsys, str(log), "--column", "nonsense")
    assert code == 2 and "METRIC=NAME" in err


def test_folder_skips_unrelated_csv(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_overfit(tmp_path / "log.csv")
    (tmp_path / "data.csv").write_text("text,label\nhello,1\n")
    code, out, _ = run(capsys, str(tmp_path), "--output-format", "json")
    assert code == 1 and {d["path"] for d in json.loads(out)} == {str(tmp_path / "log.csv")}


def test_explain_a_runtime_rule(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["explain", "RNN605"]) == 0
    out = capsys.readouterr().out
    assert "plateau-without-decay" in out and "ReduceLROnPlateau" in out


def test_code_points_at_the_static_fix_site(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    log = tmp_path / "log.csv"
    norms = [1.0, 1.2, 0.9, 40.0, 1.1, 1.0, 55.0, 0.8, 1.0, 70.0, 1.1, 0.9]
    log.write_text(
        "step,loss,val_loss,grad_norm\n" + "".join(f"{i * 10},{2.0 * 0.8**i},{2.1 * 0.8**i},{g}\n" for i, g in enumerate(norms))
    )
    script = tmp_path / "train.py"
    script.write_text(
        "import torch\nimport torch.nn as nn\n\nmodel = nn.LSTM(8, 256, num_layers=2, dropout=0.5)\n"
        "optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)\n\n\ndef train(loader):\n"
        "    for x, y in loader:\n        optimizer.zero_grad()\n        loss = model(x)[0].sum()\n"
        "        loss.backward()\n        optimizer.step()\n"
    )
    _code, out, _ = run(capsys, str(log), "--code", str(script), "--output-format", "json")
    d = next(d for d in json.loads(out) if d["code"] == "RNN603")
    # the static linter names the file as it shows paths: relative to the working directory
    assert f"{os.path.relpath(script)}:12" in d["message"] and "RNN201" in d["message"]


def test_plot(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("matplotlib")
    log = write_overfit(tmp_path / "log.csv")
    code, _, _ = run(capsys, str(log), "--plot", str(tmp_path / "out.png"))
    assert code == 1 and (tmp_path / "out.png").read_bytes()[:4] == b"\x89PNG"


def test_empty_folder_and_help(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, str(tmp_path))
    assert code == 2 and "no training log found" in err
    code, out, _ = run(capsys, "--help")
    assert code == 0 and "--overfit-check" in out and "--column" in out
    code, _, err = run(capsys)
    assert code == 2 and "Traceback" not in err


def test_nan_only_log_reports_non_finite(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    log = tmp_path / "log.csv"
    log.write_text("epoch,loss,val_loss\n0,nan,nan\n1,inf,nan\n")
    code, out, _ = run(capsys, str(log), "--output-format", "json")
    found = json.loads(out)
    assert code == 1 and [d["code"] for d in found] == ["RNN601", "RNN601"]
    assert found[0]["numbers"]["non_finite"] == 2
