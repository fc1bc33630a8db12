"""Pub/Sub function `fanout_planner`: post-events: push or pull, then FanoutBatch messages."""

from typing import Any

import functions_framework

from shared import bootstrap

_handle = bootstrap.event_function("fanout_planner")


@functions_framework.cloud_event
def fanout_planner(cloud_event: Any) -> None:
    _handle(cloud_event)
