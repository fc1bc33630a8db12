"""Pub/Sub function `post_counter`: post-events: replies and reposts into the post counters."""

from typing import Any

import functions_framework

from shared import bootstrap

_handle = bootstrap.event_function("post_counter")


@functions_framework.cloud_event
def post_counter(cloud_event: Any) -> None:
    _handle(cloud_event)
