"""Pub/Sub function `timeline_writer`: fanout-batches: write one FanoutBatch into home timelines."""

from typing import Any

import functions_framework

from shared import bootstrap

_handle = bootstrap.event_function("timeline_writer")


@functions_framework.cloud_event
def timeline_writer(cloud_event: Any) -> None:
    _handle(cloud_event)
