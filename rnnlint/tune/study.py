"""The Optuna study: storage (SQLite, PostgreSQL, MySQL, a journal file), sampler, pruner, and local workers.

Every worker, on this machine or another, opens the same study in the same storage; Optuna hands each one
its own trials. RDB storages get a heartbeat, so a worker that dies mid-trial leaves that trial marked
failed (by the next worker that starts or finishes a trial) instead of running forever.
"""

from __future__ import annotations

import re
import subprocess
import sys
import time
import warnings
from pathlib import Path
from typing import Any

import optuna

from rnnlint.tune.space import Dimension, grid_space

SAMPLERS = ("tpe", "random", "grid", "gp")
PRUNERS = ("median", "hyperband", "none")
JOURNAL_PREFIX = "journal:"


class StorageError(ValueError):
    """The storage URL cannot be used (unreachable server, missing driver, a study of another direction): exit 2."""


def redact(url: str) -> str:
    """The URL without its password, for messages and reports."""
    return re.sub(r"(://[^:/@]+):[^@]*@", r"\1:***@", url)


def storage_url(given: str | None, out: Path) -> str:
    """``--storage`` as given, else a SQLite file in the output folder (so that a study can be resumed)."""
    if given:
        return given
    return f"sqlite:///{(out / 'study.db').resolve()}"


def open_storage(url: str, heartbeat: int | None) -> Any:
    """The storage behind ``url``; StorageError when it cannot be reached."""
    if url.startswith(JOURNAL_PREFIX):
        from optuna.storages.journal import JournalFileBackend, JournalStorage

        path = Path(url[len(JOURNAL_PREFIX) :])
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            return JournalStorage(JournalFileBackend(str(path)))
        except OSError as exc:
            raise StorageError(f"cannot open journal file {path}: {exc.strerror or exc}") from None
    if "://" not in url:
        raise StorageError(f"storage {url!r} is not a URL: use sqlite:///FILE, postgresql://..., mysql://... or journal:FILE")
    engine_kwargs: dict[str, Any] = {}
    if url.startswith("sqlite"):
        engine_kwargs["connect_args"] = {"timeout": 60}  # several local workers write one file: wait for the lock
        Path(url.split(":///", 1)[-1]).parent.mkdir(parents=True, exist_ok=True)
        _sqlite_wal()
    elif url.startswith(("postgresql", "mysql")):
        engine_kwargs["connect_args"] = {"connect_timeout": 10}
        engine_kwargs["pool_pre_ping"] = True
    grace = None if heartbeat is None else max(2 * heartbeat, heartbeat + 1)
    for attempt in range(5):
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)  # the heartbeat is "experimental"
                return optuna.storages.RDBStorage(
                    _with_driver(url), engine_kwargs=engine_kwargs, heartbeat_interval=heartbeat, grace_period=grace
                )
        except ImportError as exc:
            raise StorageError(
                f"the driver for {redact(url)} is not installed ({exc}); for PostgreSQL: pip install psycopg2-binary"
            ) from None
        except Exception as exc:  # SQLAlchemy's connection and URL errors: the message, never a traceback
            text = str(exc).strip().splitlines()[0] if str(exc).strip() else exc.__class__.__name__
            # Workers starting together on an empty database race to create Optuna's tables; the loser sees a
            # duplicate and finds the tables there when it tries again.
            # (SQLite says "UNIQUE constraint failed", e.g. on alembic_version; PostgreSQL "duplicate key".)
            if attempt < 4 and any(
                w in text for w in ("already exists", "duplicate key", "UniqueViolation", "UNIQUE constraint failed")
            ):
                time.sleep(0.5 + attempt)
                continue
            raise StorageError(f"cannot reach storage {redact(url)}: {text}") from None
    raise AssertionError("unreachable")


_WAL: list[bool] = []


def _sqlite_wal() -> None:
    """SQLite in write-ahead-log mode, synced at checkpoints: a trial's dozen small writes cost 3-4x less than
    with a rollback journal created and fsynced per write (benchmarks/tune_bench.py), readers never block the
    writer, and a crashed process loses nothing committed. WAL needs a local disk: on a shared filesystem use
    ``journal:FILE`` or a database server."""
    if _WAL:
        return
    import sqlite3

    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        if isinstance(dbapi_connection, sqlite3.Connection):
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()

    event.listen(Engine, "connect", on_connect)
    _WAL.append(True)


def _with_driver(url: str) -> str:
    """``postgresql://`` with the driver that is installed: SQLAlchemy 2.1 picks psycopg 3 for the bare scheme,
    the ``tune`` extra installs psycopg2 (binary wheels everywhere)."""
    if not url.startswith("postgresql://"):
        return url
    import importlib.util

    if importlib.util.find_spec("psycopg") is None and importlib.util.find_spec("psycopg2") is not None:
        return "postgresql+psycopg2://" + url[len("postgresql://") :]
    return url


def make_sampler(name: str, space: list[Dimension], seed: int | None) -> optuna.samplers.BaseSampler:
    if name == "random":
        return optuna.samplers.RandomSampler(seed=seed)
    if name == "grid":
        return optuna.samplers.GridSampler(grid_space(space), seed=seed)
    if name == "gp":
        try:
            import scipy  # noqa: F401  (GPSampler needs scipy and torch)
            import torch  # noqa: F401
        except ImportError as exc:
            raise StorageError(f"--sampler gp needs scipy and torch ({exc}): pip install 'rnnlint[tune,torch]'") from None
        return optuna.samplers.GPSampler(seed=seed)
    return optuna.samplers.TPESampler(seed=seed)


def make_pruner(name: str) -> optuna.pruners.BasePruner:
    if name == "hyperband":
        return optuna.pruners.HyperbandPruner()
    if name == "none":
        return optuna.pruners.NopPruner()
    # steps count from 1 (the first epoch or printed value): the first report is never cut, it is the noisiest
    return optuna.pruners.MedianPruner(n_startup_trials=3, n_warmup_steps=2)


def open_study(storage: Any, name: str, sampler: optuna.samplers.BaseSampler, pruner: Any, minimize: bool) -> optuna.Study:
    direction = optuna.study.StudyDirection.MINIMIZE if minimize else optuna.study.StudyDirection.MAXIMIZE
    try:
        return optuna.create_study(
            storage=storage, study_name=name, sampler=sampler, pruner=pruner, direction=direction, load_if_exists=True
        )
    except ValueError as exc:  # an existing study of the other direction
        raise StorageError(f"study {name!r}: {exc}") from None
    except Exception as exc:
        raise StorageError(f"cannot open study {name!r}: {str(exc).splitlines()[0] if str(exc) else exc}") from None


def counted(study: optuna.Study) -> int:
    """Trials the study holds in any state: the budget ``--trials`` is for the study, whichever worker ran them."""
    return len(study.get_trials(deepcopy=False))


def start_workers(count: int, argv: list[str], passthrough: list[str]) -> list[subprocess.Popen[bytes]]:
    """``count`` more worker processes running the same command (they write no report; this process does)."""
    tail = ["--", *passthrough] if passthrough else []
    return [
        subprocess.Popen([sys.executable, "-m", "rnnlint", "tune", *argv, "--worker", *tail], stdin=subprocess.DEVNULL)
        for _ in range(count)
    ]
