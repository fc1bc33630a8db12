"""Pub/Sub function `engagement_counter`: engagement-events: likes into the post counters."""

from typing import Any

import functions_framework

from shared import bootstrap

_handle = bootstrap.event_function("engagement_counter")


@functions_framework.cloud_event
def engagement_counter(cloud_event: Any) -> None:
    _handle(cloud_event)
