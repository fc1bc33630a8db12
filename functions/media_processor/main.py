"""Pub/Sub function `media_processor`: OBJECT_FINALIZE notifications of the uploads bucket.

A GCS notification is not one of our events, so it is not decoded by shared.consumer.consume;
MediaProcessor parses it and dead-letters the malformed ones itself.
"""

from typing import Any

import functions_framework

from shared.bootstrap import container
from shared.consumer import message_of
from shared.services.media import MediaProcessor, processor_from

_processor: MediaProcessor | None = None


@functions_framework.cloud_event
def media_processor(cloud_event: Any) -> None:
    global _processor
    if _processor is None:
        _processor = processor_from(container())
    data, attributes, _ = message_of(cloud_event)
    _processor.handle_notification(data, attributes)
