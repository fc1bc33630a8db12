"""Pub/Sub function `timeline_writer`: fanout-batches: write one FanoutBatch into home timelines."""

from typing import Any

import functions_framework

from shared.bootstrap import container
from shared.consumer import consume
from shared.services.timeline import TimelineWriter

_handler: TimelineWriter | None = None


@functions_framework.cloud_event
def timeline_writer(cloud_event: Any) -> None:
    global _handler
    c = container()
    if _handler is None:
        _handler = TimelineWriter.from_container(c)
    consume(cloud_event, "timeline_writer", _handler.handle, c.publisher)
