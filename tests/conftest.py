import os
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

CHECKOUT = Path(__file__).resolve().parent.parent


def _cache_writes(since: float) -> list[str]:
    """Files in a ``.rnnlint_cache`` folder of the checkout written after ``since``."""
    found = []
    for folder, dirs, files in os.walk(CHECKOUT):
        dirs[:] = [d for d in dirs if d not in (".git", ".venv", "node_modules", "__pycache__")]
        if os.path.basename(folder) == ".rnnlint_cache" or f"{os.sep}.rnnlint_cache{os.sep}" in folder + os.sep:
            for name in files:
                path = os.path.join(folder, name)
                try:
                    if os.stat(path).st_mtime >= since:
                        found.append(os.path.relpath(path, CHECKOUT))
                except OSError:
                    pass
    return found


@pytest.fixture(scope="session", autouse=True)
def _checkout_stays_clean() -> Iterator[None]:
    """No test may write rnnlint's cache into the checkout: CLI tests run from a temporary folder or with
    ``--no-cache`` (a cache beside the sources would also be read back by a later test)."""
    start = time.time() - 1
    yield
    written = _cache_writes(start)
    assert not written, f"tests wrote the cache into the checkout: {written[:5]}"
