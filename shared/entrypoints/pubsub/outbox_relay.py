"""The outbox_relay function's entry: one relay pass per tick on ``outbox-ticks``.

A tick carries nothing: it is not decoded as an event (and so never dead-lettered).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from shared.usecases.outbox import TickRelays


def tick_handler(relays: TickRelays) -> Callable[[Any], None]:
    def handle(_tick: Any) -> None:
        relays.run_once()

    return handle
