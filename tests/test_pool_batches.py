"""The process pool's batches: every group once, costliest first, small groups together."""

from __future__ import annotations

from pathlib import Path

from rnnlint.run.runner import Group, _batches

TORCH = b"import torch\n"


def group(name: str, size: int) -> Group:
    return Group([Path(name)], {name: TORCH + b"x = 1\n" * size})


def test_each_group_once_and_the_costliest_alone_first() -> None:
    groups = [group(f"g{n}.py", 10) for n in range(40)] + [group("big.py", 5000), group("empty.py", 0)]
    batches = _batches(groups, 2)
    assert sorted(i for b in batches for i in b) == list(range(len(groups)))
    assert batches[0] == [40]  # the whole-repository group: a batch of its own, handed out first
    assert len(batches) < len(groups) // 2  # the one-file groups travel together, not a round trip each


def test_equal_groups_spread_over_the_workers() -> None:
    groups = [group(f"g{n}.py", 10) for n in range(64)]
    batches = _batches(groups, 2)
    assert len(batches) >= 2 * 2  # enough batches for a free worker to take the next
    assert [i for b in batches for i in b] == list(range(64))  # equal costs keep the input order


def test_no_groups_no_batches() -> None:
    assert _batches([], 4) == []
