"""Pub/Sub function `fanout_planner`: post-events; push or pull, then FanoutBatch messages."""

from typing import Any

import functions_framework

from shared.bootstrap import container
from shared.consumer import consume
from shared.services.timeline import FanoutPlanner

_handler: FanoutPlanner | None = None


@functions_framework.cloud_event
def fanout_planner(cloud_event: Any) -> None:
    global _handler
    c = container()
    if _handler is None:
        _handler = FanoutPlanner.from_container(c)
    consume(cloud_event, "fanout_planner", _handler.handle, c.publisher)
