"""Pub/Sub function `outbox_relay`: each tick on outbox-ticks runs one relay pass."""

from typing import Any

import functions_framework

from shared import bootstrap

_handle = bootstrap.event_function("outbox_relay")


@functions_framework.cloud_event
def outbox_relay(cloud_event: Any) -> None:
    _handle(cloud_event)
