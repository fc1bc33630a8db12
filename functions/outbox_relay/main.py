"""Pub/Sub function `outbox_relay`: each tick on `outbox-ticks` runs one relay pass.

The tick's payload carries nothing, so it is not decoded as an event (and never dead-lettered).
"""

from typing import Any

import functions_framework

from shared.bootstrap import container
from shared.services.outbox import TickRelays, relay_from

_relay: TickRelays | None = None


@functions_framework.cloud_event
def outbox_relay(cloud_event: Any) -> None:
    global _relay
    if _relay is None:
        _relay = relay_from(container())
    _relay.run_once()
