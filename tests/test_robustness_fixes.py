"""--fix never loses data: modes and owners kept, concurrent edits never overwritten, and a run
killed at any moment (SIGKILL, so no clean-up code runs) leaves each file either as it was or
as a complete run writes it. Extends tests/test_fixes.py."""

from __future__ import annotations

import ast
import io
import os
import random
import shutil
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from rnnlint import cli
from rnnlint.fix import apply
from rnnlint.fix.command import fix_files
from rnnlint.run.discovery import SUFFIXES, discover
from rnnlint.run.engine import Linter, Result
from rnnlint.settings.model import Settings

REPO = Path(__file__).resolve().parent.parent
FIXTURES = REPO / "fixtures"
IS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0
KILL_ITERATIONS = 6
FIX_CMD = [sys.executable, "-m", "rnnlint", ".", "--fix", "--unsafe-fixes", "--isolated", "--output-format", "concise"]


def _lint(root: Path) -> Result:
    return Linter(Settings(), [root]).run(list(discover([root], [])))


def _fix(root: Path) -> tuple[int, str]:
    err = io.StringIO()
    _, applied, _ = fix_files(lambda: _lint(root), False, False, err, io.StringIO())
    return applied, err.getvalue()


def _sentiment(folder: Path) -> Path:
    target = folder / "train.py"
    shutil.copy(FIXTURES / "sentiment" / "train.py", target)
    return target


@pytest.mark.parametrize("mode", [0o600, 0o644, 0o664, 0o750, 0o755, 0o444, 0o1755, 0o2755, 0o4755])
def test_modes_are_kept(tmp_path: Path, mode: int) -> None:
    target = _sentiment(tmp_path)
    target.chmod(mode)
    applied, _ = _fix(tmp_path)
    assert applied >= 1 and b"clip_grad_norm_" in target.read_bytes()
    assert stat.S_IMODE(target.stat().st_mode) == mode


@pytest.mark.skipif(not IS_ROOT, reason="only root can give a file to another owner")
def test_owner_and_group_are_kept(tmp_path: Path) -> None:
    target = _sentiment(tmp_path)
    os.chown(target, 4321, 8765)
    applied, _ = _fix(tmp_path)
    assert applied >= 1
    st = target.stat()
    assert (st.st_uid, st.st_gid) == (4321, 8765)


def test_owner_is_kept_for_a_normal_user(tmp_path: Path) -> None:
    target = _sentiment(tmp_path)
    before = target.stat()
    _fix(tmp_path)
    after = target.stat()
    assert (after.st_uid, after.st_gid) == (before.st_uid, before.st_gid) and after.st_ino != before.st_ino  # replaced, not rewritten


def _plan_then(root: Path, change: object) -> tuple[Result, int, str]:
    """Run the CLI's fix loop with ``change`` happening between planning and writing."""
    real_plan = apply.plan

    def plan_then_change(diagnostics: object, unsafe: bool) -> apply.Outcome:
        outcome = real_plan(diagnostics, unsafe)  # type: ignore[arg-type]
        change()  # type: ignore[operator]
        return outcome

    err = io.StringIO()
    apply.plan = plan_then_change  # type: ignore[assignment]
    try:
        result, applied, _ = fix_files(lambda: _lint(root), False, False, err, io.StringIO())
    finally:
        apply.plan = real_plan  # type: ignore[assignment]
    return result, applied, err.getvalue()


def test_an_edit_made_while_rnnlint_runs_is_never_overwritten(tmp_path: Path) -> None:
    target = _sentiment(tmp_path)
    edited = target.read_bytes().replace(b"import torch\n", b"import torch  # my edit\n", 1)
    _, applied, err = _plan_then(tmp_path, lambda: target.write_bytes(edited))
    assert applied == 0 and target.read_bytes() == edited
    assert "changed on disk while rnnlint ran; not overwritten" in err and "train.py" in err


def test_an_edit_that_keeps_size_and_mtime_is_still_detected(tmp_path: Path) -> None:
    target = _sentiment(tmp_path)
    original = target.read_bytes()
    st = target.stat()
    same_size = original.replace(b"lr=0.05", b"lr=0.07", 1)
    assert same_size != original and len(same_size) == len(original)

    def sneaky() -> None:
        target.write_bytes(same_size)
        os.utime(target, ns=(st.st_atime_ns, st.st_mtime_ns))

    _, applied, err = _plan_then(tmp_path, sneaky)
    assert applied == 0 and target.read_bytes() == same_size and "changed on disk" in err


def test_a_file_deleted_while_rnnlint_runs_is_not_recreated(tmp_path: Path) -> None:
    target = _sentiment(tmp_path)
    _, applied, err = _plan_then(tmp_path, target.unlink)
    assert applied == 0 and not target.exists() and "cannot write" in err
    assert list(tmp_path.iterdir()) == []  # no temporary file left behind either


def test_through_the_cli_a_concurrent_edit_is_reported_and_kept(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    target = _sentiment(tmp_path)
    monkeypatch.chdir(tmp_path)
    real_plan = apply.plan

    def plan_then_edit(diagnostics: object, unsafe: bool) -> apply.Outcome:
        outcome = real_plan(diagnostics, unsafe)  # type: ignore[arg-type]
        target.write_text("# rewritten by the user meanwhile\n")
        return outcome

    monkeypatch.setattr(apply, "plan", plan_then_edit)
    rc = cli.main(["train.py", "--fix", "--isolated", "--no-cache", "--output-format", "concise"])
    err = capsys.readouterr().err
    assert rc == 1 and target.read_text() == "# rewritten by the user meanwhile\n"  # the findings of what rnnlint read
    assert "rnnlint: fix not applied to train.py: changed on disk while rnnlint ran; not overwritten" in err


@pytest.mark.skipif(IS_ROOT, reason="running as root: a read-only folder does not stop root from writing")
def test_a_read_only_folder_is_reported_and_left_alone(tmp_path: Path) -> None:
    folder = tmp_path / "ro"
    folder.mkdir()
    target = _sentiment(folder)
    before = target.read_bytes()
    folder.chmod(0o555)
    try:
        applied, err = _fix(folder)
    finally:
        folder.chmod(0o755)
    assert applied == 0 and target.read_bytes() == before and "cannot write" in err


def test_a_symlinked_script_stays_a_link_and_its_target_is_fixed(tmp_path: Path) -> None:
    (tmp_path / "real").mkdir()
    real = _sentiment(tmp_path / "real")
    link = tmp_path / "train.py"
    link.symlink_to(Path("real") / "train.py")
    _, applied, _ = fix_files(lambda: Linter(Settings(), [tmp_path]).run([link]), False, False, io.StringIO(), io.StringIO())
    assert applied >= 1
    assert link.is_symlink() and b"clip_grad_norm_" in real.read_bytes()


# Killed at random moments.


def _snapshot(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file() and not p.is_symlink()}


def _leftovers(root: Path) -> list[Path]:
    return [p for p in root.rglob(".*.rnnlint") if p.is_file()]


@pytest.fixture(scope="module")
def states(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, bytes], dict[str, set[bytes]], dict[str, bytes], float]:
    """The fixtures before, every version an uninterrupted run writes, the end state, and how long that run takes."""
    root = tmp_path_factory.mktemp("reference") / "fixtures"
    shutil.copytree(FIXTURES, root)
    before = _snapshot(root)
    written: dict[str, set[bytes]] = {}
    real = apply._atomic_write

    def record(target: Path, data: bytes) -> None:
        written.setdefault(Path(target).resolve().relative_to(root.resolve()).as_posix(), set()).add(data)
        real(target, data)

    start = time.perf_counter()
    old_cwd = os.getcwd()
    os.chdir(root)
    apply._atomic_write = record  # type: ignore[assignment]
    try:
        rc = cli.main(FIX_CMD[3:] + ["--no-cache"])
    finally:
        apply._atomic_write = real  # type: ignore[assignment]
        os.chdir(old_cwd)
    elapsed = time.perf_counter() - start
    assert rc == 1 and len(written) >= 5, "the fixtures have fixes to apply"
    final = _snapshot(root)
    assert all(final[rel] in versions for rel, versions in written.items())
    allowed = {rel: {data} | written.get(rel, set()) for rel, data in before.items()}
    return before, allowed, final, elapsed


def _kill_when(proc: subprocess.Popen[bytes], root: Path, rng: random.Random, elapsed: float, writes: int) -> str:
    """SIGKILL the run's process group at a random moment of its expected run time or, when ``writes`` > 0,
    as soon as that many fixes' temporary files have been seen (so, during the ``writes``-th write)."""
    deadline = time.monotonic() + (3 * elapsed + 10 if writes else rng.uniform(0.05, elapsed + 0.5))
    seen: set[str] = set()
    moment = "a random moment"
    while time.monotonic() < deadline and proc.poll() is None:
        if writes:
            seen |= {p.name for p in _leftovers(root)}
            if len(seen) >= writes:
                moment = f"write {writes}"
                break
        time.sleep(0.0005 if writes else 0.01)
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGKILL)
    else:
        moment = "after the run ended"
    proc.wait(timeout=30)
    return moment


def test_a_run_killed_at_any_moment_leaves_old_or_new_files(
    states: tuple[dict[str, bytes], dict[str, set[bytes]], dict[str, bytes], float], tmp_path: Path
) -> None:
    before, allowed, final, elapsed = states
    rng = random.Random(7)
    fixed = {rel for rel, versions in allowed.items() if len(versions) > 1}
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    moments = []
    for i in range(KILL_ITERATIONS):
        root = tmp_path / f"run{i}"
        shutil.copytree(FIXTURES, root)
        writes = rng.randint(1, len(fixed)) if i % 2 else 0
        proc = subprocess.Popen(FIX_CMD, cwd=root, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        moments.append(_kill_when(proc, root, rng, elapsed, writes))
        after = _snapshot(root)
        for rel, data in after.items():
            if rel.startswith(".rnnlint_cache/") or Path(rel).name.endswith(".rnnlint"):
                continue
            assert data in allowed[rel], f"iteration {i} ({moments[-1]}): {rel} is neither its original nor a version rnnlint writes"
            if rel.endswith(".py") and rel in fixed:
                ast.parse(data)
        assert set(after) - {r for r in after if r.startswith(".rnnlint_cache/") or r.endswith(".rnnlint")} == set(before)
        for tmp in _leftovers(root):  # SIGKILL skips clean-up: a temporary file may stay; it is never linted
            assert tmp.name.startswith(".") and not tmp.name.endswith(SUFFIXES)
            tmp.unlink()
        if i % 3 == 1:  # a later run finishes the job: the same result as an uninterrupted run
            subprocess.run(FIX_CMD, cwd=root, env=env, capture_output=True, timeout=300, check=False)
            again = _snapshot(root)
            assert {rel: again[rel] for rel in before} == {rel: final[rel] for rel in before}, f"iteration {i}: resuming after a kill"


# Regression (found for issue 7): str.splitlines() splits at more characters than Python does.

SEPARATORS = {"form feed": "\x0c", "vertical tab": "\x0b", "x1c": "\x1c", "x1d": "\x1d", "x1e": "\x1e", "NEL": "\x85", "U+2028": "\u2028", "U+2029": "\u2029"}
FIXABLE = ["sentiment", "amp_misplaced", "lightning_module", "keras_imdb_bilstm", "ctc_phonemes", "lstmcell_loop", "seq2seq_attention"]


def _fixed_text(folder: Path, name: str, text: str) -> str:
    shutil.copytree(FIXTURES / name, folder)
    target = folder / "train.py"
    target.write_text(text, encoding="utf-8")
    _, applied, _ = fix_files(lambda: Linter(Settings(), [folder]).run([target]), True, False, io.StringIO(), io.StringIO())
    assert applied >= 1
    return target.read_text(encoding="utf-8")


@pytest.mark.parametrize("name", FIXABLE)
@pytest.mark.parametrize("separator", list(SEPARATORS), ids=list(SEPARATORS))
def test_characters_that_splitlines_treats_as_line_breaks_do_not_shift_fixes(tmp_path: Path, name: str, separator: str) -> None:
    """A comment holding a form feed (or U+2028, ...) above the fix sites: the fixes land exactly where they do without it.
    Before the fix, --fix edited lines one off per such character (deleting code) and the result still parsed."""
    text = (FIXTURES / name / "train.py").read_text(encoding="utf-8")
    lines = text.splitlines(keepends=True)
    at = next(i for i, line in enumerate(lines) if line.startswith(("import", "from")))
    marker = f"# a comment with a{SEPARATORS[separator]}character that is no line break for Python\n"
    clean = _fixed_text(tmp_path / "clean", name, text)
    odd = _fixed_text(tmp_path / "odd", name, "".join([*lines[:at], marker, *lines[at:]]))
    assert odd.replace(marker, "", 1) == clean
