"""What every reader shares: the error it raises, its limits, and number parsing."""

from __future__ import annotations

import math
from pathlib import Path

from rnnlint.diagnose.names import canonical, layered
from rnnlint.diagnose.run import Point, Run

# A log larger than this is read up to the limit and judged on that part (with a warning).
MAX_POINTS = 2_000_000


class ReadError(Exception):
    """A log that cannot be read at all: the message names the file and what is wrong."""


def number(text: str) -> float | None:
    """A logged value; NaN and infinities are kept (RNN601 reads them), anything else unparsable is None."""
    text = text.strip()
    if not text:
        return None
    try:
        value = float(text)
    except ValueError:
        low = text.lower()
        if low in ("nan", "-nan", "+nan"):
            return math.nan
        return None
    return value


def as_int(value: float | None) -> int | None:
    if value is None or not math.isfinite(value):
        return None
    return int(value)


def add_metric(run: Run, raw: str, point: Point, mapping: dict[str, str] | None) -> bool:
    """Store ``point`` under the canonical name of ``raw``; False when the name is not a known metric."""
    name = canonical(raw, mapping) or layered(raw)
    if name is None:
        return False
    run.add(name, raw, point)
    return True


def looks_binary(path: Path) -> bool:
    with path.open("rb") as fh:
        return b"\x00" in fh.read(4096)
