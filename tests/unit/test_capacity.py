"""devstack.capacity: the formulas scale with their inputs."""

from __future__ import annotations

import copy
import re

from devstack import capacity


def _row(rows: list[tuple[str, str, str]], what: str) -> str:
    return next(b for a, b, _ in rows if a == what)


def shards_for_memory(rows: list[tuple[str, str, str]]) -> int:
    found = re.search(r"\((\d[\d,]*) for memory", _row(rows, "Redis Cluster shards"))
    assert found
    return int(found[1].replace(",", ""))


def test_shards_follow_memory_or_cpu_whichever_binds() -> None:
    data = capacity.load_inputs(capacity.INPUTS)
    rows = capacity.plan(data, "bytes_per_entry_default")
    assert _row(rows, "timeline data").startswith("14.48 TB")  # 150 M x 800 x 120.7 B
    bigger = copy.deepcopy(data)
    bigger["load"]["active_users"] *= 2
    doubled = shards_for_memory(capacity.plan(bigger, "bytes_per_entry_default"))
    assert doubled in (2 * shards_for_memory(rows) - 1, 2 * shards_for_memory(rows))
    assert "n/a (price missing)" in _row(rows, "Redis cost")
