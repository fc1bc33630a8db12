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
    users, cap = data["load"]["active_users"], data["load"]["timeline_cap"]
    bpe = data["measured"]["bytes_per_entry_default"]["value"]  # committed, or a fresh bench's
    assert _row(rows, "timeline data").startswith(f"{users * cap * bpe / 1e12:,.2f} TB")
    pieces = capacity.plan(data, "bytes_per_entry_pieces")  # what the engine stores
    assert shards_for_memory(pieces) < shards_for_memory(rows) / 4
    bigger = copy.deepcopy(data)
    bigger["load"]["active_users"] *= 2
    doubled = shards_for_memory(capacity.plan(bigger, "bytes_per_entry_default"))
    assert doubled in (2 * shards_for_memory(rows) - 1, 2 * shards_for_memory(rows))
    assert "n/a (price missing)" in _row(rows, "Redis cost")
