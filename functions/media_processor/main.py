"""Pub/Sub function `media_processor`: OBJECT_FINALIZE notifications of the uploads bucket."""

from typing import Any

import functions_framework

from shared import bootstrap

_handle = bootstrap.event_function("media_processor")


@functions_framework.cloud_event
def media_processor(cloud_event: Any) -> None:
    _handle(cloud_event)
